// service.h — the paw-verifier service: HTTP(S) server, routes, and the
// background workers (fleet watcher, webhook delivery).
//
// Life cycle: Service::create(config) opens the store and keys; start() binds
// and serves (port() tells the bound port, also for --listen …:0); stop()
// stops accepting, lets in-flight requests finish (drain) and joins workers.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "challenge.h"
#include "config.h"
#include "device_ca.h"
#include "device_cache.h"
#include "edge/http.h"
#include "edge/rate_limit.h"
#include "events/event_export.h"
#include "events/webhooks.h"
#include "evidence_tally.h"
#include "keys.h"
#include "login_cache.h"
#include "login_checks.h"
#include "metrics.h"
#include "paw/attest/appraisal.h"
#include "paw/attest/fido.h"
#include "paw/attest/policy.h"
#include "ssh_ca.h"
#include "store/store.h"

#include <Poco/Net/Context.h>

namespace paw::verifier::edge {
class Server;
}

namespace paw::verifier {
struct AdminInvitation;  // api/invitation.h

// ek_hash_of is the hex SHA-256 of |rec|'s EK key (type and public key
// material): the identity that one enrolled device id per TPM is keyed on.
Result<std::string> ek_hash_of(const DeviceRecord& rec);
// check_policy_name: [a-z0-9._-]{1,64} (Errc::malformed otherwise).
Status check_policy_name(const std::string& name);

// stored_policy: the policy |rec| holds (parsed as Service::policy_for does).
// A policy write (PUT, capture, learn mode's approve) builds on the row it
// read once, the one the store's version compare then checks, not on a
// second read that a write in between could make newer.
Result<Policy> stored_policy(const PolicyRecord& rec);

class Service {
 public:
  // create opens the database and the signing keys named by |cfg| (the state
  // folder must have been initialized by init_state).
  static Result<std::unique_ptr<Service>> create(Config cfg);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // start binds the listener and starts serving. Errc::config_error / io_error.
  Status start();
  // port is the bound TCP port (after start).
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  // client_address: the peer, or the client a trusted proxy names (http.h).
  [[nodiscard]] std::string client_address(const std::string& peer, const std::string& forwarded_for) const {
    return paw::verifier::client_address(peer, forwarded_for, trusted_proxies_);
  }
  // responsive: the connection edge went round its loop within |within|
  // (the watchdog pings systemd only while it does).
  [[nodiscard]] bool responsive(std::chrono::milliseconds within) const;
  // url is "https://127.0.0.1:PORT" (or http:// with --insecure-http).
  [[nodiscard]] std::string url() const;
  // stop stops accepting, drains in-flight requests (up to |drain_seconds|) and joins workers.
  void stop(int drain_seconds = 30);

  // dispatch handles one request (the HTTP layer calls it; never throws).
  // A body is in req.body unless req.content_length exceeds body_limit.
  Response dispatch(Request& req);
  // body_limit is the largest request body |method| |path| takes (0: none).
  [[nodiscard]] std::size_t body_limit(const std::string& method, const std::string& path) const;

  [[nodiscard]] Store& store() noexcept { return *store_; }
  // device_budgets is how many devices have an attestation budget bucket
  // (only devices whose evidence verified get one).
  [[nodiscard]] std::size_t device_budgets() { return device_limiter_.size(); }
  [[nodiscard]] const Config& config() const noexcept { return cfg_; }
  // token_cache: verified result tokens (login_cache.h), for tests and metrics.
  [[nodiscard]] const TokenCache& token_cache() const noexcept { return token_cache_; }
  // run_monitor_once runs one fleet-watcher pass (stale detection, purging).
  void run_monitor_once();
  // requests_in_flight counts the requests inside dispatch now (tests wait
  // on it for a long poll to have reached the service).
  [[nodiscard]] int requests_in_flight() const noexcept { return in_flight_.load(); }
  // read_only_route: |req| is on the read-only login path (GET /v1/authz
  // without a DPoP proof, the health query, JWKS, /healthz, /v1/info): its
  // handler does not write, so its reads share one snapshot.
  [[nodiscard]] static bool read_only_route(const Request& req);
  // runs_inline: the edge may answer |req| on its reactor (edge::Hooks::
  // runs_inline; asked only when the store's reads are local): a read-only
  // route whose handler never waits or burns CPU — for /v1/authz, a token
  // already verified (login_cache.h).
  [[nodiscard]] bool runs_inline(const Request& req) const;

 private:
  explicit Service(Config cfg);
  Status open();
  // unix_now is the service's wall clock, Config::clock (clock.h): every
  // handler and worker of the service reads the time here and nowhere else,
  // so a test's manual clock governs all expiry.
  [[nodiscard]] std::int64_t unix_now() const { return cfg_.clock(); }
  void build_routes();

  // Auth helpers: Errc::unauthorized (audited for admin).
  Result<CredentialRecord> authenticate(const Request& req, CredentialKind kind);
  // scope_refusal is the 403 insufficient_scope answer; audit_admin_call
  // writes the audit event of an admin call (|refused_for|: the scope it
  // lacked).
  static Response scope_refusal(AdminScope held, AdminScope needed);
  void audit_admin_call(const Request& req, int status, std::optional<AdminScope> refused_for);

  // Events and alerts. record_event never fails the request (logs instead).
  // An event of an alert type (is_alert_type, webhooks.h) is an alert:
  // logged as such and delivered to the webhooks from the events table.
  std::int64_t record_event(const std::string& type, const std::string& device, const std::string& detail_json);
  // published wakes event followers for an event the store already holds
  // and, for an alert type, logs it and wakes the webhook workers.
  void published(std::int64_t id, const std::string& type, const std::string& device);

  Result<Policy> policy_for(const std::string& name);
  // Report-only policies (policy_report.cpp). report_inputs: the policies
  // attached in report mode to |dev|'s enforced policy, with their grace
  // clocks — a policy or row that cannot be read is logged and left out
  // (a report never fails an attestation). record_reports stores each
  // judgement, counts would-deny reasons and writes an event where the
  // report verdict differs from |enforced_verdict|; it never fails either.
  struct ReportRun {
    std::vector<Policy> policies;
    std::vector<ReportInput> inputs;  // points into policies
  };
  ReportRun report_inputs(const StoredDevice& dev) noexcept;
  void record_reports(const StoredDevice& dev, const ReportRun& run, const std::vector<ReportJudgement>& judged,
                      const std::string& enforced_verdict, std::int64_t now) noexcept;
  // record_learning (learn.cpp): learn mode's sightings of one appraisal
  // under |policy| go to the queue; logs and goes on, never fails.
  void record_learning(const StoredDevice& dev, const Policy& policy, const Appraisal& a, std::int64_t now) noexcept;
  // admitted_policy is the parsed policy a login is judged by: from the
  // (name, version) cache when the version read with |a| is cached.
  Result<std::shared_ptr<const Policy>> admitted_policy(const DeviceAdmission& a);
  // audience is the result tokens' aud (--audience, default the issuer).
  [[nodiscard]] std::string audience() const { return cfg_.audience.empty() ? cfg_.issuer : cfg_.audience; }
  // login_denial answers a refused login (api_login.cpp): status, reason code
  // in the body, X-Paw-Reason and (401) WWW-Authenticate; the detail is logged.
  Response login_denial(const Request& req, const LoginDenial& d);

  // Failed attestations (verdicts.cpp). refuse_unauthenticated: evidence
  // that proved nothing about |device_id| is counted (metric, at most one
  // aggregated event per interval) and the device row is not touched.
  // record_rejection: evidence the device itself signed that did not hold up
  // becomes verdict `rejected` (row, nonce and alert events in one
  // transaction). Both return |e| (or the store's error) for the answer.
  Error refuse_unauthenticated(const Request& req, const std::string& device_id, Error e);
  Error record_rejection(const Request& req, const UsedNonce& nonce, const CachedDevice& cached, const Policy& policy,
                         Error e);
  // Enrollment identity (enroll_identity.cpp). ek_identity_check refuses an
  // EK that an existing device holds unless the token may replace it, and
  // returns the ids it would replace; backfill_ek_hashes fills ek_hash of
  // rows enrolled before migration 5.
  // |owner| is the new enrollment's owner: a TPM held by a device of
  // another owner is named so in the refusal (ek_enrolled_to_another_owner).
  Result<std::vector<std::string>> ek_identity_check(const std::string& ek_hash, bool may_replace,
                                                     const std::string& remote, const std::string& owner = {});
  Status backfill_ek_hashes();
  std::mutex& device_lock(const std::string& id);
  // load_device: the parsed row of |id| from the cache when it is at
  // |revision|, else read (usable_device's errors), parsed and cached.
  Result<std::shared_ptr<const CachedDevice>> load_device(const std::string& id, std::int64_t revision);

  // Route handlers (api_*.cpp).
  Result<Response> get_info(Request& req);
  Result<Response> post_enrollment(Request& req);
  Result<Response> post_activation(Request& req);
  Result<Response> post_challenge(Request& req);
  Result<Response> post_login_key(Request& req);
  Result<Response> post_attestation(Request& req);
  Result<Response> get_jwks(Request& req);
  Result<Response> get_health(Request& req);
  Result<Response> get_authz(Request& req);
  Result<Response> get_metrics(Request& req);
  Result<Response> get_healthz(Request& req);
  Result<Response> admin_create_token(Request& req);
  Result<Response> admin_list_devices(Request& req);
  Result<Response> admin_get_device(Request& req);
  Result<Response> admin_approve_device(Request& req);
  Result<Response> admin_revoke_device(Request& req);
  Result<Response> admin_delete_device(Request& req);
  Result<Response> admin_list_policies(Request& req);
  Result<Response> admin_get_policy(Request& req);
  Result<Response> admin_put_policy(Request& req);
  Result<Response> admin_assign_policy(Request& req);
  Result<Response> admin_capture_policy(Request& req);
  Result<Response> admin_explain_device(Request& req);
  Result<Response> admin_policy_diff(Request& req);     // api_policy_diff.cpp
  // reference_events_of: the boot events of |last| as those set |set|
  // ("" = "reference") of policy |policy| was captured from, to store.
  ReferenceEvents reference_events_of(const std::string& policy, const std::string& set, const StoredDevice& d,
                                      const AppraisalRecord& last);
  // reference_sets_to_clear names the sets of |policy| with captured events
  // whose PCR values |after| (written by hand over |before|) changed or dropped.
  Result<std::vector<std::string>> reference_sets_to_clear(const std::string& policy,
                                                           const std::optional<Policy>& before, const Policy& after);
  Result<Response> admin_attach_report(Request& req);   // policy_report.cpp
  Result<Response> admin_detach_report(Request& req);
  Result<Response> admin_policy_report(Request& req);
  Result<Response> admin_list_refs(Request& req);       // learn.cpp
  Result<Response> admin_approve_ref(Request& req);
  Result<Response> admin_reject_ref(Request& req);
  Result<Response> admin_create_rp_credential(Request& req);
  Result<Response> admin_list_credentials(Request& req);   // api_credentials.cpp
  Result<Response> admin_create_credential(Request& req);
  // FIDO2 admins and their sessions (api_admins.cpp).
  Result<Response> admin_registration_challenge(Request& req);
  Result<Response> admin_add(Request& req);
  Result<Response> admin_list_admins(Request& req);
  Result<Response> admin_remove(Request& req);
  Result<Response> post_admin_login_challenge(Request& req);
  Result<Response> post_admin_login(Request& req);
  Result<Response> admin_logout(Request& req);
  // admin_login_attempt is post_admin_login's checks; |who| is filled as
  // soon as the credential names an admin (for the audit event).
  Result<Response> admin_login_attempt(Request& req, std::string& who);
  // admin_login_refused logs a refused sign-in (an audit event when the key signed it).
  void admin_login_refused(const Request& req, const std::string& who, const Error& err);
  // AdminSession is a new admin session; admin_sign_in checks an admin's
  // assertion over |client_data_hash| (pawctl's hash or, for the console,
  // SHA-256(clientDataJSON)) and makes one, scope capped at |cap|.
  struct AdminSession {
    std::string secret, id, admin;
    AdminScope scope = AdminScope::read;
    std::int64_t expires_at = 0;
  };
  Result<AdminSession> admin_sign_in(const Request& req, const attest::FidoAssertionEvidence& ev, ByteView challenge,
                                     ByteView client_data_hash, std::optional<AdminScope> cap, const char* via,
                                     std::string& who);
  // The web console (console.cpp): pages, WebAuthn sign-in, cookie sign-out.
  void add_console_routes();
  Result<Response> console_page(Request& req);
  Result<Response> console_asset(Request& req);
  Result<Response> console_login(Request& req);
  Result<Response> console_login_attempt(Request& req, std::string& who);
  Result<Response> console_logout(Request& req);
  // Admin invitations and browser registration (console_invite.cpp, invitation.h).
  void add_invitation_routes();
  Result<Response> admin_invite(Request& req);
  Result<Response> invitation_challenge(Request& req);
  Result<Response> invitation_register(Request& req);
  Result<Response> invitation_register_attempt(Request& req);
  Result<AdminInvitation> check_invitation(const std::string& token, std::int64_t now_s, std::int64_t& expires_at);
  // Listing and revoking them (api_invitations.cpp).
  Result<Response> admin_list_invitations(Request& req);
  Result<Response> admin_revoke_invitation(Request& req);
  Result<Response> admin_revoke_credential(Request& req);
  Result<Response> admin_list_tokens(Request& req);
  Result<Response> admin_revoke_token(Request& req);
  Result<Response> admin_list_events(Request& req);
  Result<Response> admin_rotate_keys(Request& req);
  // The device CA (api_device_ca.cpp).
  Result<Response> get_device_ca(Request& req);
  Result<Response> admin_rotate_ca(Request& req);
  // login_certificate is the login certificate for a healthy verdict of a
  // device with a login key ("" otherwise, or when issuing fails: logged).
  std::string login_certificate(const DeviceRecord& rec, const std::string& owner, const Appraisal& a,
                                const Policy& policy, std::int64_t not_after, std::int64_t now);
  Result<Response> get_ssh_ca(Request& req);          // api_ssh.cpp
  Result<Response> admin_rotate_ssh_ca(Request& req);
  // ssh_certificate_for: the certificate line for a healthy verdict of
  // |dev| (empty when the device has no login key or no principal).
  std::string ssh_certificate_for(const StoredDevice& dev, const DeviceRecord& rec, const ResultClaims& claims);

  Config cfg_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Keyring> keys_;
  std::unique_ptr<DeviceCa> device_ca_;
  std::unique_ptr<SshCa> ssh_ca_;
  ChallengeKey challenge_key_;  // shared by all replicas (Store::service_secret)
  std::shared_ptr<const EkTrust> ek_trust_;
  std::shared_ptr<const attest::FidoAttestationRoots> fido_trust_;  // --fido-ca-dir (null: every x5c counts as self)
  Metrics metrics_;
  RateLimiter address_limiter_{1, 1};
  RateLimiter device_limiter_{1, 1};
  EvidenceTally unauthenticated_{60};  // at most one aggregated event a minute
  std::unique_ptr<WebhookQueue> webhooks_;
  std::unique_ptr<EventExport> event_export_;  // events-file / events-syslog (event_export.h)
  Router router_;
  std::vector<ProxyRange> trusted_proxies_;

  std::mutex policy_mu_;  // serializes policy version bumps
  // Parsed policies by name, with the document text they came from.
  static constexpr std::size_t kMaxCachedPolicies = 256;
  std::mutex policy_cache_mu_;
  std::map<std::string, std::pair<std::string, Policy>> policy_cache_;
  // One appraisal per device at a time: a fixed set of striped locks (bounded
  // memory whatever device ids clients send).
  static constexpr std::size_t kDeviceLockStripes = 1024;
  std::array<std::mutex, kDeviceLockStripes> device_locks_;
  static constexpr std::size_t kDeviceCacheSize = 16384;
  DeviceCache device_cache_{kDeviceCacheSize};
  // The login path (login_cache.h): verified tokens and parsed policies by version.
  static constexpr std::size_t kTokenCacheSize = 16384;
  TokenCache token_cache_{kTokenCacheSize};
  PolicyCache policy_versions_;

  // Event long-poll (GET /v1/admin/events?wait=…).
  std::mutex events_mu_;
  std::condition_variable events_cv_;
  std::int64_t last_event_id_ = 0;

  Poco::Net::Context::Ptr tls_;         // outlives edge_ (its SSL_CTX)
  std::unique_ptr<edge::Server> edge_;  // the connection edge (edge/server.h)
  std::uint16_t port_ = 0;
  std::atomic<int> in_flight_{0};
  std::atomic<bool> stopping_{false};
  std::mutex monitor_mu_;
  std::condition_variable monitor_cv_;
  std::thread monitor_;
};

}  // namespace paw::verifier

// Service: life cycle, the HTTP edge (limits, auth, metrics, error mapping),
// events/alerts and the fleet watcher. The route table is routes.cpp; the
// handlers live in api_*.cpp.
#include "service.h"

#include <algorithm>
#include <chrono>
#include <limits>

#include <Poco/Net/Context.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SocketAddress.h>

#include "api/console.h"
#include "edge/public_error.h"
#include "edge/server.h"
#include "util.h"

namespace paw::verifier {
namespace {

void init_ssl_once() {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Net::initializeSSL(); });
}

}  // namespace

Result<std::unique_ptr<Service>> Service::create(Config cfg) {
  std::unique_ptr<Service> svc(new Service(std::move(cfg)));
  PAW_CHECK(svc->open());
  return svc;
}

Service::Service(Config cfg) : cfg_(std::move(cfg)) {}

Service::~Service() { stop(0); }

Status Service::open() {
  PAW_TRY(store_, open_store(cfg_.database_url()));
  keys_ = std::make_unique<Keyring>(*store_);
  PAW_CHECK(keys_->load());
  device_ca_ = std::make_unique<DeviceCa>(*store_);
  PAW_CHECK(device_ca_->ensure(unix_now()));  // a store initialized before the device CA gets one now
  PAW_CHECK(device_ca_->load());
  ssh_ca_ = std::make_unique<SshCa>(*store_);
  PAW_CHECK(ssh_ca_->ensure_key(unix_now()));
  PAW_CHECK(ssh_ca_->load());
  {
    // The first replica to start stores its candidate; every other one reads it.
    PAW_TRY(Bytes candidate, random_bytes(kChallengeKeySize));
    PAW_TRY(std::string stored, store_->service_secret("challenge_key", hex(candidate)));
    PAW_TRY(Bytes key, unhex(stored));
    PAW_TRY(challenge_key_, ChallengeKey::from(key));
  }
  if (!cfg_.ek_ca_dir.empty()) {
    PAW_TRY(ek_trust_, EkTrust::load_dir(cfg_.ek_ca_dir));
  }
  if (!cfg_.fido_ca_dir.empty()) {
    PAW_TRY(fido_trust_, attest::FidoAttestationRoots::load_dir(cfg_.fido_ca_dir));
  }
  const auto rpa = static_cast<double>(cfg_.rate_per_address);
  const auto rpd = static_cast<double>(cfg_.rate_per_device);
  address_limiter_.configure(rpa, 4 * rpa);
  device_limiter_.configure(rpd, 4 * rpd);
  if (!cfg_.webhooks.empty()) {
    PAW_TRY(webhooks_, WebhookQueue::create(cfg_.webhooks, *store_, cfg_.clock));
  }
  PAW_TRY(event_export_, EventExport::from_config(cfg_, *store_));  // null unless events-file / events-syslog
  for (const auto& p : cfg_.trusted_proxies) {
    auto r = parse_proxy_range(p);
    if (!r) return make_error(Errc::config_error, "trusted-proxy must be ADDR or ADDR/BITS: " + p);
    trusted_proxies_.push_back(*r);
  }
  PAW_CHECK(backfill_ek_hashes());
  build_routes();
  return ok_status();
}

std::string Service::url() const {
  std::string host = "127.0.0.1";
  try {
    Poco::Net::SocketAddress a(cfg_.listen);
    const std::string h = a.host().toString();
    if (h != "0.0.0.0" && h != "::") host = a.family() == Poco::Net::AddressFamily::IPv6 ? "[" + h + "]" : h;
  } catch (...) {
  }
  return std::string(cfg_.insecure_http ? "http" : "https") + "://" + host + ":" + std::to_string(port_);
}

bool Service::responsive(std::chrono::milliseconds within) const { return edge_ && edge_->since_loop() <= within; }

Status Service::start() {
  edge::Options opts;
  opts.listen = cfg_.listen;
  opts.threads = static_cast<std::size_t>(cfg_.threads);
  opts.limits.max_connections = static_cast<std::size_t>(cfg_.max_connections);
  opts.limits.max_connections_per_address = static_cast<std::size_t>(cfg_.max_connections_per_address);
  opts.exempt = [this](const std::string& peer) { return is_trusted_proxy(peer, trusted_proxies_); };
  if (cfg_.insecure_http) {
    log_line("warn", "INSECURE: serving plain HTTP (--insecure-http); use only for local development",
             {{"listen", cfg_.listen}});
  } else {
    try {
      init_ssl_once();
      tls_ = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, cfg_.key_path(), cfg_.cert_path(), "",
                                    Poco::Net::Context::VERIFY_NONE, 9, false,
                                    "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!MD5:!SHA1");
      tls_->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
      tls_->enableSessionCache(true, "paw-verifier");
    } catch (const Poco::Exception& e) {
      return make_error(Errc::config_error, "cannot load the TLS certificate or key: " + e.displayText());
    }
    opts.tls = tls_->sslContext();
  }
  edge::Hooks hooks;
  hooks.body_limit = [this](const std::string& method, const std::string& path) { return body_limit(method, path); };
  hooks.handle = [this](Request& req) { return dispatch(req); };
  hooks.client_address = [this](const std::string& peer, const std::string& forwarded) {
    return client_address(peer, forwarded);
  };
  hooks.unix_now = cfg_.clock;
  if (store_->reads_are_local()) hooks.runs_inline = [this](const Request& req) { return runs_inline(req); };
  PAW_TRY(edge_, edge::Server::start(std::move(opts), std::move(hooks)));
  port_ = edge_->port();
  monitor_ = std::thread([this] {
    std::unique_lock lock(monitor_mu_);
    while (!stopping_) {
      monitor_cv_.wait_for(lock, std::chrono::seconds(cfg_.monitor_interval));
      if (stopping_) break;
      lock.unlock();
      run_monitor_once();
      lock.lock();
    }
  });
  log_line("info", "paw-verifier started", {{"url", url()}, {"kid", keys_->current_kid()}});
  return ok_status();
}

void Service::stop(int drain_seconds) {
  {
    std::lock_guard lock(monitor_mu_);
    if (stopping_.exchange(true) && !edge_) return;
  }
  monitor_cv_.notify_all();
  events_cv_.notify_all();
  if (edge_) {
    // Stop accepting, close idle connections, let requests under way finish
    // (answered with Connection: close), then join the workers.
    edge_->stop(std::chrono::seconds(drain_seconds));
    edge_.reset();
  }
  if (monitor_.joinable()) monitor_.join();
  if (webhooks_) webhooks_->stop();
  if (event_export_) event_export_->stop();
}

bool Service::read_only_route(const Request& req) {
  // Reads only, and nothing that waits: a DPoP proof spends its jti (a
  // write), so such a login is not one.
  if (req.method != "GET") return false;
  if (req.path == "/v1/authz") return req.fields.count("dpop") == 0;
  if (req.path == "/healthz" || req.path == "/.well-known/jwks.json" || req.path == "/v1/info") return true;
  const std::string_view p = req.path;
  constexpr std::string_view devices = "/v1/devices/", health = "/health";
  return p.size() > devices.size() + health.size() && p.starts_with(devices) && p.ends_with(health) &&
         p.substr(devices.size(), p.size() - devices.size() - health.size()).find('/') == std::string_view::npos;
}

bool Service::runs_inline(const Request& req) const {
  if (!read_only_route(req)) return false;
  // A token this verifier has not verified yet costs an ES256 signature
  // check: on a worker, so those use every core and a flood of forged tokens
  // never holds the reactor (logins with known tokens go on being answered).
  if (req.path == "/v1/authz") {
    return token_cache_.holds(*keys_, authz_token(req.authorization), unix_now(), cfg_.issuer);
  }
  return true;
}

Response Service::dispatch(Request& req) {
  struct InFlight {
    std::atomic<int>& n;
    explicit InFlight(std::atomic<int>& c) : n(c) { ++n; }
    ~InFlight() { --n; }
  } guard(in_flight_);
  const auto t0 = std::chrono::steady_clock::now();
  // The read-only login path reads its credential, device and policy in one
  // read transaction: one view, one lock (store.h read_snapshot).
  const auto snapshot = read_only_route(req) ? store_->read_snapshot() : nullptr;
  bool path_known = false;
  const Route* route = router_.match(req.method, req.path, req.params, path_known);
  req.route = route ? route->method + " " + route->pattern : "unmatched";
  Response resp;
  std::string withheld;  // the detail an unauthenticated caller is not told (public_error.h)
  auto finish = [&](Response r) {
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    metrics_.observe_request(req.route, r.status, dt);
    if (r.status >= 400) {
      log_line(r.status >= 500 ? "error" : "info", "request refused",
               {{"route", req.route}, {"status", std::to_string(r.status)}, {"remote", req.remote},
                {"detail", withheld}});
    }
    return r;
  };
  if (route == nullptr) {
    Response r = error_response(make_error(Errc::not_found, path_known ? "method not allowed" : "no such endpoint"));
    if (path_known) r.status = 405;
    return finish(r);
  }
  if (route->pattern != "/healthz" && !address_limiter_.allow(address_bucket(req.remote))) {
    return finish(error_response(make_error(Errc::rate_limited, "too many requests from this address")));
  }
  // Credentials before the body: nobody unauthenticated makes us read megabytes.
  if (route->auth != Auth::none) {
    auto who = authenticate(req, route->auth == Auth::admin ? CredentialKind::admin : CredentialKind::relying_party);
    if (!who.ok()) return finish(error_response(who.error()));
    req.actor = who->id;
    req.actor_name = who->label;
    req.actor_scope = who->scope;
    req.actor_admin = who->admin;
    // Scope before the body as well: a read-only credential never gets a write read.
    if (route->auth == Auth::admin && !scope_allows(who->scope, route->scope)) {
      Response refused = scope_refusal(who->scope, route->scope);
      audit_admin_call(req, refused.status, route->scope);
      return finish(std::move(refused));
    }
  }
  // Body: the edge read it only when its Content-Length fits the route (body_limit).
  if (req.content_length > static_cast<std::int64_t>(route->max_body)) {
    return finish(error_response(make_error(Errc::too_large, "request body exceeds " + std::to_string(route->max_body) + " bytes")));
  }
  Result<Response> r = make_error(Errc::internal, "no answer");
  try {
    r = route->handler(req);
  } catch (const std::exception& e) {
    log_line("error", "handler threw", {{"route", req.route}, {"what", e.what()}});
    r = make_error(Errc::internal, "internal error");
  }
  if (r.ok()) {
    resp = std::move(*r);
  } else if (route->auth == Auth::none) {
    withheld = r.error().detail;
    resp = error_response(public_error(r.error(), route->pattern));
  } else {
    resp = error_response(r.error());
  }
  // A follower's long poll of the event stream (GET /v1/admin/events with
  // wait or follow) that succeeded is not audited: each audit event would be
  // the next event it reads, a loop of one event per poll. Its first plain
  // read (pawctl events --follow starts with one) and every refused call are;
  // nor is a successful /metrics scrape (--metrics-auth credential), every 15 s.
  const bool poll = req.route == "GET /v1/admin/events" && (req.query.count("wait") || req.query.count("follow"));
  const bool follower_poll = resp.status == 200 && (poll || req.route == "GET /metrics");
  // Every other admin call is audited, successful or not.
  if (route->auth == Auth::admin && !follower_poll) audit_admin_call(req, resp.status, std::nullopt);
  return finish(std::move(resp));
}

Response Service::scope_refusal(AdminScope held, AdminScope needed) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object();
  o->set("error", "insufficient_scope");
  o->set("message", "this credential's scope is " + std::string(admin_scope_name(held)) + "; this call needs " +
                        std::string(admin_scope_name(needed)) + " (or full)");
  o->set("scope", std::string(admin_scope_name(held)));
  o->set("needed", std::string(admin_scope_name(needed)));
  return json_response(403, o);
}

void Service::audit_admin_call(const Request& req, int status, std::optional<AdminScope> refused_for) {
  Poco::JSON::Object::Ptr d = new Poco::JSON::Object();
  d->set("route", req.route);
  d->set("path", req.path);
  d->set("status", status);
  d->set("credential", req.actor);
  d->set("credential_name", req.actor_name);
  d->set("scope", std::string(admin_scope_name(req.actor_scope)));
  // A session names the person who signed in with their FIDO2 key; target is the path's id.
  d->set("credential_kind", std::string(req.actor_admin.empty() ? "api_credential" : "fido2_session"));
  if (!req.actor_admin.empty()) d->set("admin", req.actor_admin);
  if (!req.params.empty()) d->set("target", req.params[0]);
  if (refused_for) {
    d->set("error", "insufficient_scope");
    d->set("needed", std::string(admin_scope_name(*refused_for)));
  }
  d->set("remote", req.remote);
  record_event("admin", "", json::stringify(d));
}

std::size_t Service::body_limit(const std::string& method, const std::string& path) const {
  std::vector<std::string> params;
  bool path_known = false;
  const Route* route = router_.match(method, path, params, path_known);
  return route != nullptr && (method == "POST" || method == "PUT") ? route->max_body : 0;
}

Result<CredentialRecord> Service::authenticate(const Request& req, CredentialKind kind) {
  const std::string token = presented_credential(req, kind == CredentialKind::admin);
  std::optional<CredentialRecord> found;
  if (!token.empty() && token.size() <= 512) {
    const std::string hash = sha256_hex(token);
    PAW_TRY(found, store_->find_credential(kind, hash));
    // The lookup is by hash; compare once more in constant time.
    if (found && !ct_equal(as_bytes(found->hash), as_bytes(hash))) found.reset();
  }
  // Read from the database on every request: a revocation or expiry made
  // at any replica holds here at once.
  std::string refused = token.empty() ? "missing credential" : "unknown credential";
  if (found && found->revoked_at != 0) {
    refused = "revoked credential";
  } else if (found && found->expires_at != 0 && found->expires_at <= unix_now()) {
    refused = "expired credential";
  } else if (found) {
    return *found;
  }
  if (kind == CredentialKind::admin) {
    Poco::JSON::Object::Ptr d = new Poco::JSON::Object();
    d->set("route", req.route);
    d->set("remote", req.remote);
    d->set("reason", refused);
    if (found) {
      d->set("credential", found->id);
      d->set("credential_name", found->label);
    }
    record_event("admin_auth_failed", "", json::stringify(d));
  }
  return make_error(Errc::unauthorized, token.empty() ? "missing bearer credential" : "invalid credential");
}

std::int64_t Service::record_event(const std::string& type, const std::string& device, const std::string& detail) {
  auto id = store_->add_event({0, unix_now(), type, device, detail});
  if (!id.ok()) {
    log_line("error", "cannot record event", {{"type", type}, {"error", id.error().what()}});
    return 0;
  }
  published(*id, type, device);
  return *id;
}

void Service::published(std::int64_t id, const std::string& type, const std::string& device) {
  {
    std::lock_guard lock(events_mu_);
    last_event_id_ = std::max(last_event_id_, id);
  }
  events_cv_.notify_all();
  if (event_export_) event_export_->notify();
  if (!is_alert_type(type)) return;
  log_line("warn", "alert", {{"type", type}, {"device", device}, {"event_id", std::to_string(id)}});
  if (webhooks_) webhooks_->notify();  // the event row is the queue (webhooks.h)
}

Result<Policy> stored_policy(const PolicyRecord& rec) {
  auto p = parse_stored_policy(rec.json);
  if (!p.ok()) return make_error(Errc::storage_error, "stored policy " + rec.name + " does not parse: " + p.error().detail);
  return p;
}

Result<Policy> Service::policy_for(const std::string& name) {
  const std::string n = name.empty() ? std::string(kDefaultPolicyName) : name;
  // The stored row is read every time (a cheap indexed read, so a PUT at
  // another replica is seen at once); only the parse is cached, keyed by the
  // exact document text — a changed document can never hit a stale entry.
  PAW_TRY(auto rec, store_->get_policy(n));
  if (!rec) {
    if (n == kDefaultPolicyName) return default_policy();
    return make_error(Errc::not_found, "policy " + n + " not found");
  }
  {
    std::lock_guard lock(policy_cache_mu_);
    auto it = policy_cache_.find(n);
    if (it != policy_cache_.end() && it->second.first == rec->json) return it->second.second;
  }
  auto p = parse_stored_policy(rec->json);
  if (!p.ok()) return make_error(Errc::storage_error, "stored policy " + n + " does not parse: " + p.error().detail);
  std::lock_guard lock(policy_cache_mu_);
  if (policy_cache_.size() >= kMaxCachedPolicies) policy_cache_.clear();
  policy_cache_[n] = {rec->json, *p};
  return p;
}

std::mutex& Service::device_lock(const std::string& id) {
  return device_locks_[std::hash<std::string>{}(id) % kDeviceLockStripes];
}

void Service::run_monitor_once() {
  const std::int64_t now_s = unix_now();
  // Only devices unseen for longer than the shortest policy age can be stale;
  // each candidate is then judged by its own policy below.
  auto policies = store_->list_policies();
  if (!policies.ok()) {
    log_line("error", "fleet watcher cannot list policies", {{"error", policies.error().what()}});
    return;
  }
  std::int64_t min_age = std::numeric_limits<std::int64_t>::max();
  for (const auto& p : *policies) {
    auto policy = policy_for(p.name);
    if (policy.ok()) min_age = std::min<std::int64_t>(min_age, policy->max_attestation_age_seconds);
  }
  if (min_age == std::numeric_limits<std::int64_t>::max()) min_age = 0;
  auto devices = store_->list_stale_candidates(now_s - min_age);
  if (!devices.ok()) {
    log_line("error", "fleet watcher cannot list devices", {{"error", devices.error().what()}});
    return;
  }
  for (const auto& d : *devices) {
    if (d.status != DeviceStatus::enrolled) continue;
    auto policy = policy_for(d.policy);
    if (!policy.ok()) continue;
    // A device never attested counts from its enrollment.
    const std::int64_t since = d.last_attested_at != 0 ? d.last_attested_at : d.created_at;
    if (now_s - since <= policy->max_attestation_age_seconds) continue;
    // Compare-and-swap on the revision read above: with several replicas (or a
    // racing attestation) only the one write that wins raises the alert.
    StoredDevice next = d;
    next.status = DeviceStatus::stale;
    next.updated_at = now_s;
    if (store_->update_device(next).ok()) {
      Poco::JSON::Object::Ptr det = new Poco::JSON::Object();
      det->set("last_attested_at", d.last_attested_at);
      det->set("max_age_seconds", policy->max_attestation_age_seconds);
      record_event("stale", d.id, json::stringify(det));
    }
  }
  // A burst of unauthenticated evidence that stopped is still reported (evidence_tally.h).
  if (auto summary = unauthenticated_.flush(now_s)) record_event("unauthenticated_evidence", "", *summary);
  (void)store_->purge_expired(now_s - 3600);
  // Event retention: oldest first, in bounded steps so one pass never holds
  // the write lock for long; a backlog shrinks over the next passes.
  if (cfg_.event_retention_days > 0) {
    std::int64_t purged = 0;
    for (int step = 0; step < 10; ++step) {
      auto n = store_->purge_events(now_s - cfg_.event_retention_days * 86400, 5000);
      if (!n.ok()) {
        log_line("error", "event retention failed", {{"error", n.error().what()}});
        break;
      }
      purged += *n;
      if (*n < 5000) break;
    }
    if (purged > 0) log_line("info", "events past retention deleted", {{"count", std::to_string(purged)}});
  }
  // Pick up signing keys rotated by another replica sharing the database.
  if (auto st = keys_->load(); !st.ok()) log_line("error", "cannot reload signing keys", {{"error", st.error().what()}});
  if (auto st = device_ca_->load(); !st.ok()) log_line("error", "cannot reload the device CA", {{"error", st.error().what()}});
  if (auto st = ssh_ca_->load(); !st.ok()) log_line("error", "cannot reload SSH CA keys", {{"error", st.error().what()}});
}

}  // namespace paw::verifier

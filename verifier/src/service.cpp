// Service: life cycle, the HTTP edge (limits, auth, metrics, error mapping),
// events/alerts and the fleet watcher. Route handlers live in api_*.cpp.
#include "service.h"

#include <algorithm>
#include <limits>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/String.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include <chrono>

#include "util.h"

namespace paw::verifier {
namespace {

void init_ssl_once() {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Net::initializeSSL(); });
}

// read_limited reads at most |max| bytes of the body; Errc::too_large beyond.
Result<std::string> read_limited(std::istream& in, std::size_t max) {
  std::string body;
  char buf[16384];
  while (in) {
    in.read(buf, sizeof buf);
    const auto n = static_cast<std::size_t>(in.gcount());
    if (body.size() + n > max) return make_error(Errc::too_large, "request body exceeds " + std::to_string(max) + " bytes");
    body.append(buf, n);
    if (n == 0) break;
  }
  return body;
}

class EdgeHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit EdgeHandler(Service& svc) : svc_(svc) {}
  void handleRequest(Poco::Net::HTTPServerRequest& in, Poco::Net::HTTPServerResponse& out) override;

 private:
  Service& svc_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(Service& svc) : svc_(svc) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new EdgeHandler(svc_);
  }

 private:
  Service& svc_;
};

}  // namespace

// Body reading needs the route's limit, so the edge hands the service a reader.
thread_local std::istream* t_body_stream = nullptr;
thread_local std::int64_t t_content_length = -1;
thread_local bool t_body_read = false;

void EdgeHandler::handleRequest(Poco::Net::HTTPServerRequest& in, Poco::Net::HTTPServerResponse& out) {
  Request req;
  Response resp;
  try {
    // Answers are small and written whole: no Nagle delay on this connection.
    if (auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&in)) impl->socket().setNoDelay(true);
    req.method = in.getMethod();
    const std::string& uri = in.getURI();
    const auto q = uri.find('?');
    req.path = uri.substr(0, q);
    if (q != std::string::npos) req.query = parse_query(uri.substr(q + 1));
    req.authorization = in.get("Authorization", "");
    // Every X-Forwarded-For field, in order, as one list (RFC 9110 5.3).
    std::string forwarded;
    for (auto it = in.find("X-Forwarded-For"); it != in.end() && Poco::icompare(it->first, "X-Forwarded-For") == 0; ++it) {
      forwarded += (forwarded.empty() ? "" : ",") + it->second;
    }
    const Poco::Net::IPAddress& peer = in.clientAddress().host();
    req.remote = svc_.client_address(
        canonical_address(ByteView(static_cast<const std::uint8_t*>(peer.addr()), peer.length())), forwarded);
    t_body_stream = &in.stream();
    t_content_length = in.hasContentLength() ? in.getContentLength64() : (in.getChunkedTransferEncoding() ? -1 : 0);
    t_body_read = false;
    resp = svc_.dispatch(req);
  } catch (const std::exception& e) {
    log_line("error", "unhandled exception at the HTTP edge", {{"what", e.what()}, {"path", req.path}});
    resp = error_response(make_error(Errc::internal, "internal error"));
  } catch (...) {
    resp = error_response(make_error(Errc::internal, "internal error"));
  }
  t_body_stream = nullptr;
  try {
    out.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(resp.status));
    for (const auto& [k, v] : resp.headers) out.set(k, v);
    out.set("Cache-Control", "no-store");
    out.set("X-Content-Type-Options", "nosniff");
    // Unread request bytes would be taken for the next request: close instead.
    if (t_content_length != 0 && !t_body_read) out.setKeepAlive(false);
    if (resp.status == 204) {
      out.setContentLength(0);
      out.send();
      return;
    }
    out.setContentType(resp.content_type);
    // Head and body leave in one write (send() would write them separately
    // and, with Nagle on, hold the body for the client's delayed ACK).
    out.sendBuffer(resp.body.data(), resp.body.size());
  } catch (...) {
    // The client went away; nothing to do.
  }
}

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
    PAW_TRY(fido_trust_, EkTrust::load_dir(cfg_.fido_ca_dir));
  }
  const auto rpa = static_cast<double>(cfg_.rate_per_address);
  const auto rpd = static_cast<double>(cfg_.rate_per_device);
  address_limiter_.configure(rpa, 4 * rpa);
  device_limiter_.configure(rpd, 4 * rpd);
  if (!cfg_.webhooks.empty()) {
    PAW_TRY(webhooks_, WebhookQueue::create(cfg_.webhooks, *store_));
  }
  for (const auto& p : cfg_.trusted_proxies) {
    auto r = parse_proxy_range(p);
    if (!r) return make_error(Errc::config_error, "trusted-proxy must be ADDR or ADDR/BITS: " + p);
    trusted_proxies_.push_back(*r);
  }
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

Status Service::start() {
  try {
    Poco::Net::SocketAddress addr(cfg_.listen);
    Poco::Net::ServerSocket socket;
    if (cfg_.insecure_http) {
      log_line("warn", "INSECURE: serving plain HTTP (--insecure-http); use only for local development",
               {{"listen", cfg_.listen}});
      socket = Poco::Net::ServerSocket(addr, 256);
    } else {
      init_ssl_once();
      Poco::Net::Context::Ptr ctx = new Poco::Net::Context(
          Poco::Net::Context::TLS_SERVER_USE, cfg_.key_path(), cfg_.cert_path(), "", Poco::Net::Context::VERIFY_NONE,
          9, false, "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!MD5:!SHA1");
      ctx->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
      ctx->enableSessionCache(true, "paw-verifier");
      socket = Poco::Net::SecureServerSocket(addr, 256, ctx);
    }
    port_ = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams();
    params->setMaxThreads(static_cast<int>(cfg_.threads));
    params->setMaxQueued(512);
    params->setKeepAlive(true);
    params->setTimeout(Poco::Timespan(15, 0));
    params->setServerName("paw-verifier");
    pool_ = std::make_unique<Poco::ThreadPool>(2, static_cast<int>(cfg_.threads) + 2);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), *pool_, socket, params);
    server_->start();
  } catch (const Poco::Exception& e) {
    return make_error(Errc::config_error, "cannot listen on " + cfg_.listen + ": " + e.displayText());
  }
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
    if (stopping_.exchange(true) && !server_) return;
  }
  monitor_cv_.notify_all();
  events_cv_.notify_all();
  if (server_) {
    // Stop accepting, ask keep-alive connections to close after their current
    // request, then wait for in-flight requests to finish.
    server_->stopAll(false);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(drain_seconds);
    while (in_flight_ > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    server_.reset();
    pool_->joinAll();
  }
  if (monitor_.joinable()) monitor_.join();
  if (webhooks_) webhooks_->stop();
}

Response Service::dispatch(Request& req) {
  struct InFlight {
    std::atomic<int>& n;
    explicit InFlight(std::atomic<int>& c) : n(c) { ++n; }
    ~InFlight() { --n; }
  } guard(in_flight_);
  const auto t0 = std::chrono::steady_clock::now();
  bool path_known = false;
  const Route* route = router_.match(req.method, req.path, req.params, path_known);
  req.route = route ? route->method + " " + route->pattern : "unmatched";
  Response resp;
  auto finish = [&](Response r) {
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    metrics_.observe_request(req.route, r.status, dt);
    if (r.status >= 400) {
      log_line(r.status >= 500 ? "error" : "info", "request refused",
               {{"route", req.route}, {"status", std::to_string(r.status)}, {"remote", req.remote}});
    }
    return r;
  };
  if (route == nullptr) {
    Response r = error_response(make_error(Errc::not_found, path_known ? "method not allowed" : "no such endpoint"));
    if (path_known) r.status = 405;
    return finish(r);
  }
  if (route->pattern != "/healthz" && !address_limiter_.allow(req.remote)) {
    return finish(error_response(make_error(Errc::rate_limited, "too many requests from this address")));
  }
  // Credentials before the body: nobody unauthenticated makes us read megabytes.
  if (route->auth != Auth::none) {
    auto who = authenticate(req, route->auth == Auth::admin ? CredentialKind::admin : CredentialKind::relying_party);
    if (!who.ok()) return finish(error_response(who.error()));
    req.actor = who->id;
  }
  // Body: refuse by Content-Length before reading, then read with the limit.
  if (t_content_length > static_cast<std::int64_t>(route->max_body)) {
    return finish(error_response(make_error(Errc::too_large, "request body exceeds " + std::to_string(route->max_body) + " bytes")));
  }
  if (t_body_stream != nullptr && t_content_length != 0 && (req.method == "POST" || req.method == "PUT")) {
    auto body = read_limited(*t_body_stream, route->max_body);
    if (!body.ok()) return finish(error_response(body.error()));
    req.body = std::move(*body);
    t_body_read = true;
  }
  Result<Response> r = make_error(Errc::internal, "no answer");
  try {
    r = route->handler(req);
  } catch (const std::exception& e) {
    log_line("error", "handler threw", {{"route", req.route}, {"what", e.what()}});
    r = make_error(Errc::internal, "internal error");
  }
  resp = r.ok() ? std::move(*r) : error_response(r.error());
  if (route->auth == Auth::admin) {
    // Every admin call is audited, successful or not.
    Poco::JSON::Object::Ptr d = new Poco::JSON::Object();
    d->set("route", req.route);
    d->set("path", req.path);
    d->set("status", resp.status);
    d->set("credential", req.actor);
    d->set("remote", req.remote);
    record_event("admin", "", json::stringify(d));
  }
  return finish(std::move(resp));
}

Result<CredentialRecord> Service::authenticate(const Request& req, CredentialKind kind) {
  const std::string token = bearer(req.authorization);
  std::optional<CredentialRecord> found;
  if (!token.empty() && token.size() <= 512) {
    const std::string hash = sha256_hex(token);
    PAW_TRY(found, store_->find_credential(kind, hash));
    // The lookup is by hash; compare once more in constant time.
    if (found && !ct_equal(as_bytes(found->hash), as_bytes(hash))) found.reset();
  }
  if (found) return *found;
  if (kind == CredentialKind::admin) {
    Poco::JSON::Object::Ptr d = new Poco::JSON::Object();
    d->set("route", req.route);
    d->set("remote", req.remote);
    d->set("reason", token.empty() ? "missing credential" : "unknown credential");
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
  if (!is_alert_type(type)) return;
  log_line("warn", "alert", {{"type", type}, {"device", device}, {"event_id", std::to_string(id)}});
  if (webhooks_) webhooks_->notify();  // the event row is the queue (webhooks.h)
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
  auto p = parse_policy(rec->json);
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
}

void Service::build_routes() {
  auto bind = [this](Result<Response> (Service::*fn)(Request&)) {
    return [this, fn](Request& r) { return (this->*fn)(r); };
  };
  constexpr std::size_t k64k = 64u << 10;
  router_.add({"GET", "/v1/info", Auth::none, k64k, bind(&Service::get_info)});
  router_.add({"POST", "/v1/enrollments", Auth::none, kMaxEnrollmentRequestSize, bind(&Service::post_enrollment)});
  router_.add({"POST", "/v1/enrollments/{}/activation", Auth::none, k64k, bind(&Service::post_activation)});
  router_.add({"POST", "/v1/challenges", Auth::none, k64k, bind(&Service::post_challenge)});
  router_.add({"POST", "/v1/attestations", Auth::none, kMaxEnvelopeSize, bind(&Service::post_attestation)});
  router_.add({"POST", "/v1/devices/{}/login-key", Auth::none, kMaxLoginKeyAddRequestSize,
               bind(&Service::post_login_key)});
  router_.add({"GET", "/.well-known/jwks.json", Auth::none, k64k, bind(&Service::get_jwks)});
  router_.add({"GET", "/v1/devices/{}/health", Auth::relying_party, k64k, bind(&Service::get_health)});
  router_.add({"GET", "/v1/authz", Auth::none, k64k, bind(&Service::get_authz)});
  router_.add({"GET", "/metrics", Auth::none, k64k, bind(&Service::get_metrics)});
  router_.add({"GET", "/healthz", Auth::none, k64k, bind(&Service::get_healthz)});
  router_.add({"POST", "/v1/admin/tokens", Auth::admin, k64k, bind(&Service::admin_create_token)});
  router_.add({"GET", "/v1/admin/devices", Auth::admin, k64k, bind(&Service::admin_list_devices)});
  router_.add({"GET", "/v1/admin/devices/{}", Auth::admin, k64k, bind(&Service::admin_get_device)});
  router_.add({"DELETE", "/v1/admin/devices/{}", Auth::admin, k64k, bind(&Service::admin_delete_device)});
  router_.add({"POST", "/v1/admin/devices/{}/approve", Auth::admin, k64k, bind(&Service::admin_approve_device)});
  router_.add({"POST", "/v1/admin/devices/{}/revoke", Auth::admin, k64k, bind(&Service::admin_revoke_device)});
  router_.add({"POST", "/v1/admin/devices/{}/policy", Auth::admin, k64k, bind(&Service::admin_assign_policy)});
  router_.add({"POST", "/v1/admin/devices/{}/capture", Auth::admin, k64k, bind(&Service::admin_capture_policy)});
  router_.add({"GET", "/v1/admin/policies", Auth::admin, k64k, bind(&Service::admin_list_policies)});
  router_.add({"GET", "/v1/admin/policies/{}", Auth::admin, k64k, bind(&Service::admin_get_policy)});
  router_.add({"PUT", "/v1/admin/policies/{}", Auth::admin, kMaxPolicySize, bind(&Service::admin_put_policy)});
  router_.add({"POST", "/v1/admin/rp-credentials", Auth::admin, k64k, bind(&Service::admin_create_rp_credential)});
  router_.add({"GET", "/v1/admin/events", Auth::admin, k64k, bind(&Service::admin_list_events)});
  router_.add({"POST", "/v1/admin/keys/rotate", Auth::admin, k64k, bind(&Service::admin_rotate_keys)});
}

}  // namespace paw::verifier

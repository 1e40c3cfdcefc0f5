#include "verifier_client.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/URI.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <istream>
#include <memory>
#include <mutex>
#include <ostream>

#include "paw/attest/json.h"

namespace paw::agent {
namespace {

constexpr std::size_t kMaxReply = 1u << 20;  // the largest answer (a token, reasons) is a few KiB

void init_ssl_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    Poco::Net::initializeSSL();
    // No Poco::Util::Application: give SSLManager explicit handlers so a
    // certificate that does not verify is refused, never accepted.
    Poco::SharedPtr<Poco::Net::InvalidCertificateHandler> reject = new Poco::Net::RejectCertificateHandler(false);
    Poco::Net::Context::Ptr unused = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", "",
                                                            Poco::Net::Context::VERIFY_RELAXED, 9, false);
    Poco::Net::SSLManager::instance().initializeClient(nullptr, reject, unused);
  });
}

// pin_host makes the TLS handshake fail unless the certificate names |host|
// (a DNS name, or an IP address in an iPAddress entry).
bool pin_host(const Poco::Net::Context::Ptr& ctx, const std::string& host) {
  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx->sslContext());
  if (param == nullptr) return false;
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  ASN1_OCTET_STRING* ip = a2i_IPADDRESS(host.c_str());
  if (ip != nullptr) {
    ASN1_OCTET_STRING_free(ip);
    return X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
  }
  return X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) == 1;
}

bool is_loopback(const std::string& host) { return host == "localhost" || host == "127.0.0.1" || host == "::1"; }

Result<json::ObjectPtr> ok_json(const HttpReply& r, int want) {
  if (r.status != want) return error_from_reply(r);
  auto o = json::parse_object(r.body, kMaxReply);
  if (!o.ok()) return make_error(Errc::malformed, "verifier answer: " + o.error().detail);
  return o;
}

}  // namespace

bool errc_from_name(std::string_view name, Errc& out) noexcept {
  for (auto i = static_cast<std::uint16_t>(Errc::malformed); i <= static_cast<std::uint16_t>(Errc::internal); ++i) {
    if (errc_name(static_cast<Errc>(i)) == name) {
      out = static_cast<Errc>(i);
      return true;
    }
  }
  return false;
}

Error error_from_reply(const HttpReply& reply) {
  Errc code = Errc::internal;
  std::string message;
  if (auto o = json::parse_object(reply.body, kMaxReply); o.ok()) {
    const auto err = (*o)->optValue<std::string>("error", "");
    message = (*o)->optValue<std::string>("message", "");
    if (!errc_from_name(err, code)) code = Errc::internal;
    if (!err.empty()) message = err + (message.empty() ? "" : ": " + message);
  }
  if (message.empty()) message = "no error detail";
  if (code == Errc::internal) {
    // Keep the class of the failure when the verifier named none.
    code = reply.status == 401 ? Errc::unauthorized
           : reply.status == 403 ? Errc::forbidden
           : reply.status == 404 ? Errc::not_found
           : reply.status == 429 ? Errc::rate_limited
                                 : Errc::internal;
  }
  return make_error(code, "verifier: HTTP " + std::to_string(reply.status) + ": " + message);
}

Result<HttpReply> http_call(const VerifierEndpoint& ep, const std::string& method, const std::string& path,
                            const std::string& body) {
  try {
    const Poco::URI uri(ep.url);
    const std::string scheme = uri.getScheme();
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (scheme == "https") {
      if (ep.ca_file.empty()) {
        return make_error(Errc::config_error, "no ca-file: name the PEM of the CA that signed the verifier's certificate");
      }
      init_ssl_once();
      Poco::Net::Context::Params params;
      params.caLocation = ep.ca_file;
      params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;  // client: the server's chain must verify
      params.loadDefaultCAs = false;
      Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
      // Poco's own host check accepts any name that resolves to an address in
      // the certificate; have OpenSSL match the URL's host name or IP exactly
      // (RFC 6125) while it verifies the chain.
      if (!pin_host(ctx, uri.getHost())) {
        return make_error(Errc::config_error, "cannot set the expected TLS host name " + uri.getHost());
      }
      session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), ctx);
    } else if (scheme == "http" && is_loopback(uri.getHost())) {
      session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    } else {
      return make_error(Errc::config_error, "verifier URL must be https:// (got '" + ep.url + "')");
    }
    session->setTimeout(Poco::Timespan(ep.timeout_seconds, 0));
    Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("Accept", "application/json");
    req.set("User-Agent", "paw-agent/0.1.0");
    if (method == "POST" || method == "PUT") {
      req.setContentType("application/json");
      req.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    std::ostream& out = session->sendRequest(req);
    out << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = session->receiveResponse(resp);
    HttpReply reply;
    reply.status = static_cast<int>(resp.getStatus());
    char buf[4096];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      reply.body.append(buf, static_cast<std::size_t>(in.gcount()));
      if (reply.body.size() > kMaxReply) return make_error(Errc::too_large, "verifier answer larger than 1 MiB");
    }
    return reply;
  } catch (const Poco::Net::SSLException& e) {
    return make_error(Errc::network_error, "TLS with " + ep.url + " failed (is ca-file the verifier's CA, and the "
                                           "URL's host name in its certificate?): " + e.displayText());
  } catch (const Poco::TimeoutException&) {
    return make_error(Errc::network_error, "the verifier at " + ep.url + " did not answer in time");
  } catch (const Poco::Exception& e) {
    return make_error(Errc::network_error, "cannot reach the verifier at " + ep.url + ": " + e.displayText());
  } catch (const std::exception& e) {
    return make_error(Errc::network_error, "cannot reach the verifier at " + ep.url + ": " + e.what());
  }
}

Result<VerifierInfo> VerifierClient::info() {
  PAW_TRY(HttpReply r, http_call(ep_, "GET", "/v1/info", ""));
  PAW_TRY(json::ObjectPtr o, ok_json(r, 200));
  VerifierInfo i;
  PAW_TRY(i.rp_id, json::get_string(o, "rp_id"));
  PAW_TRY(i.protocol, json::get_int(o, "protocol"));
  i.version = o->optValue<std::string>("version", "");
  if (i.protocol != 1) return make_error(Errc::unsupported, "verifier speaks protocol " + std::to_string(i.protocol));
  if (i.rp_id.empty() || i.rp_id.size() > 255) return make_error(Errc::malformed, "verifier rp_id has a bad size");
  return i;
}

Result<EnrollmentAnswer> VerifierClient::enroll(const std::string& request) {
  PAW_TRY(HttpReply r, http_call(ep_, "POST", "/v1/enrollments", request));
  PAW_TRY(json::ObjectPtr o, ok_json(r, 201));
  EnrollmentAnswer a;
  PAW_TRY(a.enrollment_id, json::get_string(o, "enrollment_id"));
  PAW_TRY(a.credential_blob, json::get_b64(o, "credential_blob", 1024));
  PAW_TRY(a.encrypted_secret, json::get_b64(o, "encrypted_secret", 1024));
  if (a.enrollment_id.empty() || a.enrollment_id.size() > 128 ||
      a.enrollment_id.find_first_not_of("0123456789abcdefABCDEF-_") != std::string::npos) {
    return make_error(Errc::malformed, "verifier enrollment_id is not a plain id");
  }
  return a;
}

Result<ActivationAnswer> VerifierClient::activate(const std::string& enrollment_id, ByteView secret) {
  Poco::JSON::Object::Ptr req = new Poco::JSON::Object();
  req->set("secret", base64(secret));
  PAW_TRY(HttpReply r, http_call(ep_, "POST", "/v1/enrollments/" + enrollment_id + "/activation", json::stringify(req)));
  PAW_TRY(json::ObjectPtr o, ok_json(r, 200));
  ActivationAnswer a;
  PAW_TRY(a.device_id, json::get_string(o, "device_id"));
  PAW_TRY(a.status, json::get_string(o, "status"));
  if (a.device_id.empty() || a.device_id.size() > 128 ||
      a.device_id.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_") !=
          std::string::npos) {
    return make_error(Errc::malformed, "verifier device_id is not a plain id");
  }
  return a;
}

Result<Challenge> VerifierClient::challenge(const std::string& device_id) {
  Poco::JSON::Object::Ptr req = new Poco::JSON::Object();
  req->set("device_id", device_id);
  PAW_TRY(HttpReply r, http_call(ep_, "POST", "/v1/challenges", json::stringify(req)));
  PAW_TRY(json::ObjectPtr o, ok_json(r, 201));
  Challenge c;
  PAW_TRY(c.nonce, json::get_hex(o, "nonce", 32));
  PAW_TRY(c.expires_at, json::get_int(o, "expires_at"));
  if (c.nonce.size() != 32) return make_error(Errc::malformed, "verifier nonce is not 32 bytes");
  return c;
}

Result<AttestationAnswer> VerifierClient::attest(const std::string& envelope) {
  PAW_TRY(HttpReply r, http_call(ep_, "POST", "/v1/attestations", envelope));
  PAW_TRY(json::ObjectPtr o, ok_json(r, 200));
  AttestationAnswer a;
  PAW_TRY(a.verdict, json::get_string(o, "verdict"));
  PAW_TRY(a.token, json::get_string(o, "token"));
  PAW_TRY(a.expires_at, json::get_int(o, "expires_at"));
  if (a.verdict != "healthy" && a.verdict != "unhealthy") return make_error(Errc::malformed, "unknown verdict " + a.verdict);
  if (a.token.size() > 16384) return make_error(Errc::too_large, "result token larger than 16 KiB");
  PAW_TRY(json::ArrayPtr reasons, json::get_array(o, "reasons"));
  for (std::size_t i = 0; i < reasons->size() && i < 64; ++i) {
    auto ro = reasons->getObject(static_cast<unsigned>(i));
    if (ro.isNull()) return make_error(Errc::malformed, "verifier reason is not an object");
    a.reasons.push_back({ro->optValue<std::string>("code", ""), ro->optValue<std::string>("message", "")});
  }
  return a;
}

}  // namespace paw::agent

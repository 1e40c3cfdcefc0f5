#include "paw/https/client.h"

#include <Poco/Exception.h>
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
#include <mutex>
#include <ostream>

namespace paw::https {
namespace {

std::string size_text(std::size_t n) {
  if (n >= (std::size_t{1} << 20) && n % (std::size_t{1} << 20) == 0) return std::to_string(n >> 20) + " MiB";
  if (n >= 1024 && n % 1024 == 0) return std::to_string(n >> 10) + " KiB";
  return std::to_string(n) + " bytes";
}

}  // namespace

struct Client::Tls {
  Poco::Net::Context::Ptr context;
};

void init_ssl() {
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

bool pin_host(ssl_ctx_st* ctx, const std::string& host) {
  if (ctx == nullptr) return false;
  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx);
  if (param == nullptr) return false;
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  ASN1_OCTET_STRING* ip = a2i_IPADDRESS(host.c_str());
  if (ip != nullptr) {
    ASN1_OCTET_STRING_free(ip);
    return X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
  }
  return X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) == 1;
}

bool is_loopback(std::string_view host) noexcept { return host == "localhost" || host == "127.0.0.1" || host == "::1"; }

Result<Endpoint> parse_url(const std::string& url, std::string_view what) {
  const std::string refused =
      std::string(what) + " must be an https:// URL (plain http only on loopback): " + url;
  try {
    const Poco::URI uri(url);
    Endpoint ep;
    ep.scheme = uri.getScheme();
    ep.host = uri.getHost();
    ep.port = uri.getPort();
    ep.url = url;
    if (ep.host.empty()) return make_error(Errc::config_error, refused);
    if (ep.scheme == "https" || (ep.scheme == "http" && is_loopback(ep.host))) return ep;
    return make_error(Errc::config_error, refused);
  } catch (const Poco::Exception& e) {
    return make_error(Errc::config_error, refused + " (" + e.displayText() + ")");
  }
}

Client::Client(Endpoint endpoint, Options options, std::shared_ptr<Tls> tls)
    : endpoint_(std::move(endpoint)), options_(std::move(options)), tls_(std::move(tls)) {}

Result<Client> Client::open(const std::string& url, Options options, std::string_view what) {
  PAW_TRY(Endpoint ep, parse_url(url, what));
  std::shared_ptr<Tls> tls;
  if (ep.scheme == "https") {
    if (options.ca_file.empty() && !options.system_cas) {
      return make_error(Errc::config_error, "no CA file: " + options.ca_hint);
    }
    try {
      init_ssl();
      Poco::Net::Context::Params params;
      params.caLocation = options.ca_file;
      params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;  // client: the server's chain must verify
      params.loadDefaultCAs = options.system_cas;
      tls = std::make_shared<Tls>();
      tls->context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
      tls->context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    } catch (const Poco::Exception& e) {
      return make_error(Errc::network_error, "TLS with " + url + " failed: " + e.displayText() + options.tls_hint);
    }
    // Poco's own host check accepts any name that resolves to an address in
    // the certificate; have OpenSSL match the URL's host name or IP exactly
    // (RFC 6125) while it verifies the chain.
    if (!pin_host(tls->context->sslContext(), ep.host)) {
      return make_error(Errc::config_error, "cannot set the expected TLS host name " + ep.host);
    }
  }
  return Client(std::move(ep), std::move(options), std::move(tls));
}

Result<Reply> Client::request(const std::string& method, const std::string& path, const std::string& body,
                              const std::vector<Header>& headers) const {
  const std::string& url = endpoint_.url;
  try {
    std::shared_ptr<Poco::Net::HTTPClientSession> session;
    if (options_.keep_alive) {
      session = std::static_pointer_cast<Poco::Net::HTTPClientSession>(session_);
      session_.reset();  // given back below only after a whole answer
    }
    if (!session) {
      if (tls_) {
        session = std::make_shared<Poco::Net::HTTPSClientSession>(endpoint_.host, endpoint_.port, tls_->context);
      } else {
        session = std::make_shared<Poco::Net::HTTPClientSession>(endpoint_.host, endpoint_.port);
      }
      session->setTimeout(Poco::Timespan(options_.timeout_seconds, 0));
      session->setKeepAlive(options_.keep_alive);
    }
    Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    req.setKeepAlive(options_.keep_alive);
    req.set("Accept", "application/json");
    for (const auto& h : headers) req.set(h.name, h.value);
    if (!body.empty() || method == "POST" || method == "PUT") {
      req.setContentType("application/json");
      req.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    std::ostream& out = session->sendRequest(req);
    out << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = session->receiveResponse(resp);
    Reply reply;
    reply.status = static_cast<int>(resp.getStatus());
    reply.content_type = resp.getContentType();
    char buf[8192];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      reply.body.append(buf, static_cast<std::size_t>(in.gcount()));
      if (reply.body.size() > options_.max_body) {
        return make_error(Errc::too_large, options_.peer + "'s answer is larger than " + size_text(options_.max_body));
      }
    }
    if (options_.keep_alive) session_ = session;
    return reply;
  } catch (const Poco::Net::SSLException& e) {
    return make_error(Errc::network_error, "TLS with " + url + " failed: " + e.displayText() + options_.tls_hint);
  } catch (const Poco::TimeoutException&) {
    return make_error(Errc::network_error, options_.peer + " at " + url + " did not answer in time");
  } catch (const Poco::Exception& e) {
    return make_error(Errc::network_error,
                      "cannot reach " + options_.peer + " at " + url + ": " + e.displayText() + options_.reach_hint);
  } catch (const std::exception& e) {
    return make_error(Errc::network_error, "cannot reach " + options_.peer + " at " + url + ": " + e.what());
  }
}

}  // namespace paw::https

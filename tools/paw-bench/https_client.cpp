#include "https_client.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <mutex>
#include <sstream>

#include "paw/https/client.h"

namespace paw::bench {

void init_tls() { https::init_ssl(); }

Result<Target> parse_target(const std::string& url, const std::string& ca_file) {
  try {
    Poco::URI uri(url);
    Target t;
    t.scheme = uri.getScheme();
    t.host = uri.getHost();
    t.port = uri.getPort();
    t.ca_file = ca_file;
    if ((t.scheme != "https" && t.scheme != "http") || t.host.empty()) {
      return make_error(Errc::config_error, "--verifier must be https://HOST:PORT (or http:// for --insecure-http)");
    }
    if (t.scheme == "https" && ca_file.empty()) {
      return make_error(Errc::config_error, "--ca-file (the verifier's TLS certificate or its CA) is required");
    }
    return t;
  } catch (const Poco::Exception& e) {
    return make_error(Errc::config_error, "bad --verifier URL: " + e.displayText());
  }
}

Client::Client(Target target) : target_(std::move(target)) {
  if (target_.scheme == "https") {
    init_tls();
    context_ = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", target_.ca_file,
                                      Poco::Net::Context::VERIFY_RELAXED, 9, false);
    // The certificate must name the host (checked by OpenSSL during the handshake).
    context_->enableExtendedCertificateVerification(false);
    (void)https::pin_host(context_->sslContext(), target_.host);
  }
}

void Client::connect() {
  if (target_.scheme == "https") {
    session_ = std::make_unique<Poco::Net::HTTPSClientSession>(target_.host, target_.port, context_);
  } else {
    session_ = std::make_unique<Poco::Net::HTTPClientSession>(target_.host, target_.port);
  }
  session_->setKeepAlive(true);
  session_->setTimeout(Poco::Timespan(30, 0));
}

Result<Reply> Client::once(const std::string& method, const std::string& path, const std::string& body,
                           const std::string& bearer) {
  if (!session_) connect();
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  req.setKeepAlive(true);
  if (!bearer.empty()) req.set("Authorization", "Bearer " + bearer);
  if (!body.empty() || method == "POST") {
    req.setContentType("application/json");
    req.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  std::ostream& out = session_->sendRequest(req);
  out.write(body.data(), static_cast<std::streamsize>(body.size()));
  Poco::Net::HTTPResponse res;
  std::istream& in = session_->receiveResponse(res);
  Reply r;
  r.status = static_cast<int>(res.getStatus());
  std::ostringstream s;
  Poco::StreamCopier::copyStream(in, s);
  r.body = s.str();
  return r;
}

Result<Reply> Client::call(const std::string& method, const std::string& path, const std::string& body,
                           const std::string& bearer) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      return once(method, path, body, bearer);
    } catch (const Poco::Exception& e) {
      session_.reset();
      if (attempt == 1) return make_error(Errc::network_error, method + " " + path + ": " + e.displayText());
    } catch (const std::exception& e) {
      session_.reset();
      if (attempt == 1) return make_error(Errc::network_error, method + " " + path + ": " + e.what());
    }
  }
  return make_error(Errc::network_error, method + " " + path + ": no answer");
}

}  // namespace paw::bench

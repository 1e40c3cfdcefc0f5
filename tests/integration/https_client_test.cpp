// Integration: paw::https::Client (agent/https), the strict HTTPS client that
// paw-agent and pawctl share, against a real TLS server on 127.0.0.1 whose
// certificate (issued by a test CA) names the IP address 127.0.0.1 only:
// the right CA → 200; another CA → TLS refused; "localhost", a name not in
// the certificate → TLS refused; http:// off loopback and a missing CA file
// refused before connecting; an answer over the limit → too_large.
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <iterator>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "paw/attest/secure.h"
#include "paw/https/client.h"
#include "paw/attest/ossl.h"
#include "test_data.h"
#include "verifier_client.h"

using namespace paw;

namespace {

constexpr std::size_t kBigAnswer = 100 * 1024;

EvpPkeyPtr new_key() {
  EvpPkeyPtr k(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  REQUIRE(k);
  return k;
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  UniquePtr<X509_EXTENSION, X509_EXTENSION_free> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  REQUIRE(ext);
  REQUIRE(X509_add_ext(cert, ext.get(), -1) == 1);
}

// make_cert issues a certificate for |key| named |cn|, signed by |issuer| /
// |issuer_key| (self-signed when |issuer| is null); |san| null for a CA.
X509Ptr make_cert(EVP_PKEY* key, const char* cn, X509* issuer, EVP_PKEY* issuer_key, const char* san) {
  X509Ptr cert(X509_new());
  REQUIRE(cert);
  REQUIRE(X509_set_version(cert.get(), 2) == 1);
  static long serial = 1;
  REQUIRE(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++) == 1);
  REQUIRE(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr);
  REQUIRE(X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400) != nullptr);
  X509_NAME* name = X509_get_subject_name(cert.get());
  REQUIRE(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1,
                                     0) == 1);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  REQUIRE(X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) == 1);
  REQUIRE(X509_set_pubkey(cert.get(), key) == 1);
  if (san == nullptr) {
    add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(cert.get(), signer, NID_subject_alt_name, san);
    add_ext(cert.get(), signer, NID_ext_key_usage, "serverAuth");
  }
  REQUIRE(X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) > 0);
  return cert;
}

void write_cert(const std::filesystem::path& p, X509* cert) {
  std::FILE* f = std::fopen(p.c_str(), "w");
  REQUIRE(f != nullptr);
  const int rc = PEM_write_X509(f, cert);
  std::fclose(f);
  REQUIRE(rc == 1);
}

void write_key(const std::filesystem::path& p, EVP_PKEY* key) {
  std::FILE* f = std::fopen(p.c_str(), "w");
  REQUIRE(f != nullptr);
  const int rc = PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  REQUIRE(rc == 1);
}

// The source ports of the connections /peer and /v1/challenges came on.
std::mutex peers_mu;
std::vector<std::string> peers;
std::vector<std::string> envelopes;  // what /v1/attestations received

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
    if (req.getURI() == "/big") {
      resp.setContentType("application/octet-stream");
      resp.sendBuffer(std::string(kBigAnswer, 'x').data(), kBigAnswer);
      return;
    }
    if (req.getURI() == "/peer" || req.getURI() == "/v1/challenges") {
      // Which client connection (its source port) carried the request.
      const std::string port = std::to_string(req.clientAddress().port());
      {
        std::lock_guard lock(peers_mu);
        peers.push_back(port);
      }
      resp.setContentType("application/json");
      // With a Content-Length (sendBuffer) the server keeps the connection open.
      std::string body = R"({"port":")" + port + "\"}";
      if (req.getURI() != "/peer") {
        resp.setStatus(Poco::Net::HTTPResponse::HTTP_CREATED);
        body = R"({"nonce":")" + std::string(64, 'a') + R"(","expires_at":1})";
      }
      resp.sendBuffer(body.data(), body.size());
      return;
    }
    if (req.getURI() == "/v1/attestations") {
      // A verifier before 0.2: the envelope's routing copies are unknown fields to it.
      std::string body(std::istreambuf_iterator<char>(req.stream()), {});
      const bool routed = body.find("\"device_id\"") != std::string::npos;
      {
        std::lock_guard lock(peers_mu);
        envelopes.push_back(body);
      }
      resp.setContentType("application/json");
      resp.setStatus(routed ? Poco::Net::HTTPResponse::HTTP_BAD_REQUEST : Poco::Net::HTTPResponse::HTTP_OK);
      const std::string answer =
          routed ? R"({"error":"malformed","message":"unknown field \"device_id\" in evidence envelope"})"
                 : R"({"verdict":"healthy","reasons":[],"token":"t.t.t","expires_at":1})";
      resp.sendBuffer(answer.data(), answer.size());
      return;
    }
    const bool health = req.getURI() == "/healthz";
    resp.setStatus(health ? Poco::Net::HTTPResponse::HTTP_OK : Poco::Net::HTTPResponse::HTTP_NOT_FOUND);
    resp.setContentType("application/json");
    resp.send() << (health ? R"({"status":"ok"})" : R"({"error":"not_found","message":"no such path"})");
  }
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new Handler;
  }
};

// TlsServer is a real HTTPS server on 127.0.0.1 with a certificate naming
// IP:127.0.0.1 only, issued by its own CA; |other_ca| is an unrelated CA.
struct TlsServer {
  test::TempDir dir;
  std::string ca_file = (dir / "ca.pem").string();
  std::string other_ca = (dir / "other-ca.pem").string();
  std::unique_ptr<Poco::Net::HTTPServer> server;
  std::uint16_t port = 0;

  TlsServer() {
    EvpPkeyPtr ca_key = new_key();
    X509Ptr ca = make_cert(ca_key.get(), "paw test CA", nullptr, nullptr, nullptr);
    EvpPkeyPtr leaf_key = new_key();
    X509Ptr leaf = make_cert(leaf_key.get(), "paw test server", ca.get(), ca_key.get(), "IP:127.0.0.1");
    EvpPkeyPtr other_key = new_key();
    X509Ptr other = make_cert(other_key.get(), "paw other CA", nullptr, nullptr, nullptr);
    write_cert(ca_file, ca.get());
    write_cert(other_ca, other.get());
    write_cert(dir / "server.pem", leaf.get());
    write_key(dir / "server.key", leaf_key.get());
    Poco::Net::Context::Params params;
    params.privateKeyFile = (dir / "server.key").string();
    params.certificateFile = (dir / "server.pem").string();
    params.verificationMode = Poco::Net::Context::VERIFY_NONE;
    params.loadDefaultCAs = false;
    Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
    Poco::Net::SecureServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0), 16, ctx);
    port = socket.address().port();
    server = std::make_unique<Poco::Net::HTTPServer>(new Factory, socket, new Poco::Net::HTTPServerParams);
    server->start();
  }
  ~TlsServer() { server->stopAll(true); }

  [[nodiscard]] std::string url(const std::string& host) const { return "https://" + host + ":" + std::to_string(port); }
};

https::Options options(const std::string& ca_file) {
  https::Options o;
  o.ca_file = ca_file;
  o.timeout_seconds = 5;
  o.peer = "the test server";
  return o;
}

}  // namespace

TEST_CASE("https client: the right CA and 127.0.0.1 → 200 - the answer bounded") {
  TlsServer s;
  auto c = https::Client::open(s.url("127.0.0.1"), options(s.ca_file));
  REQUIRE(c.ok());
  auto r = c->request("GET", "/healthz");
  REQUIRE_MESSAGE(r.ok(), r.error().what());
  CHECK(r->status == 200);
  CHECK(r->body == R"({"status":"ok"})");
  CHECK(r->content_type == "application/json");
  auto nf = c->request("GET", "/nowhere");
  REQUIRE(nf.ok());
  CHECK(nf->status == 404);  // any status is a successful call

  auto big = c->request("GET", "/big");  // 100 KiB under the 1 MiB default
  REQUIRE(big.ok());
  CHECK(big->body.size() == kBigAnswer);
  auto small = options(s.ca_file);
  small.max_body = 64 * 1024;
  auto c2 = https::Client::open(s.url("127.0.0.1"), small);
  REQUIRE(c2.ok());
  auto over = c2->request("GET", "/big");
  CHECK(over.code() == Errc::too_large);
  CHECK(over.error().detail.find("the test server's answer is larger than 64 KiB") != std::string::npos);

  // The agent's client goes through the same code.
  auto a = agent::http_call({s.url("127.0.0.1"), s.ca_file, 5}, "GET", "/healthz", "");
  REQUIRE(a.ok());
  CHECK(a->status == 200);
}

TEST_CASE("https client: keep_alive carries requests on one connection - the agent's round shares one handshake") {
  TlsServer s;
  auto port_of = [](const https::Client& c) {
    auto r = c.request("GET", "/peer");
    REQUIRE_MESSAGE(r.ok(), r.error().what());
    REQUIRE(r->status == 200);
    return r->body;
  };
  auto kept = options(s.ca_file);
  kept.keep_alive = true;
  auto k = https::Client::open(s.url("127.0.0.1"), kept);
  REQUIRE(k.ok());
  const std::string first = port_of(*k);
  CHECK(port_of(*k) == first);
  CHECK(port_of(*k) == first);
  // Without keep_alive (pawctl, enrollment): a connection per request.
  auto once = https::Client::open(s.url("127.0.0.1"), options(s.ca_file));
  REQUIRE(once.ok());
  CHECK(port_of(*once) != port_of(*once));

  // The agent's VerifierClient: challenge requests of one client, one connection.
  {
    std::lock_guard lock(peers_mu);
    peers.clear();
  }
  agent::VerifierClient vc({s.url("127.0.0.1"), s.ca_file, 5});
  for (int i = 0; i < 3; ++i) {
    auto ch = vc.challenge("dev");
    REQUIRE_MESSAGE(ch.ok(), ch.error().what());
    CHECK(ch->nonce.size() == 32);
  }
  std::lock_guard lock(peers_mu);
  REQUIRE(peers.size() == 3);
  CHECK(peers[0] == peers[1]);
  CHECK(peers[1] == peers[2]);
}

TEST_CASE("https client: another CA, or a host name the certificate does not hold → TLS refused") {
  TlsServer s;
  auto wrong_ca = https::Client::open(s.url("127.0.0.1"), options(s.other_ca));
  REQUIRE(wrong_ca.ok());
  auto r = wrong_ca->request("GET", "/healthz");
  CHECK(r.code() == Errc::network_error);
  CHECK(r.error().detail.find("TLS with " + s.url("127.0.0.1") + " failed") != std::string::npos);

  // localhost reaches the same socket, but the certificate names only IP:127.0.0.1.
  auto by_name = https::Client::open(s.url("localhost"), options(s.ca_file));
  REQUIRE(by_name.ok());
  auto n = by_name->request("GET", "/healthz");
  CHECK(n.code() == Errc::network_error);
  CHECK(n.error().detail.find("TLS with") != std::string::npos);

  auto a = agent::http_call({s.url("localhost"), s.ca_file, 5}, "GET", "/healthz", "");
  CHECK(a.code() == Errc::network_error);
  CHECK(a.error().detail.find("TLS") != std::string::npos);
  auto b = agent::http_call({s.url("127.0.0.1"), s.other_ca, 5}, "GET", "/healthz", "");
  CHECK(b.code() == Errc::network_error);

  // The system's CA store (webhook receivers) does not hold this test CA.
  https::Options sys;
  sys.system_cas = true;
  auto by_system = https::Client::open(s.url("127.0.0.1"), sys);
  REQUIRE(by_system.ok());
  CHECK(by_system->request("GET", "/healthz").code() == Errc::network_error);

  // A CA file that does not exist is a TLS failure too, never "trust anything".
  auto missing = https::Client::open(s.url("127.0.0.1"), options((s.dir / "absent.pem").string()));
  CHECK(missing.code() == Errc::network_error);
}

TEST_CASE("https client: refusals before connecting — http off loopback, other schemes, no CA file") {
  CHECK(https::parse_url("http://verifier.example:8080", "--verifier").code() == Errc::config_error);
  CHECK(https::Client::open("http://10.0.0.1:8080", {}).code() == Errc::config_error);
  CHECK(https::Client::open("ftp://127.0.0.1", {}).code() == Errc::config_error);
  CHECK(https::Client::open("https://", {}).code() == Errc::config_error);
  auto no_ca = https::Client::open("https://127.0.0.1:1", {});
  CHECK(no_ca.code() == Errc::config_error);
  auto msg = https::parse_url("http://verifier.example", "--verifier");
  REQUIRE(!msg.ok());
  CHECK(msg.error().detail == "--verifier must be an https:// URL (plain http only on loopback): http://verifier.example");

  auto ep = https::parse_url("http://127.0.0.1:8080/x");
  REQUIRE(ep.ok());
  CHECK(ep->host == "127.0.0.1");
  CHECK(ep->port == 8080);
  auto dflt = https::parse_url("https://verifier.example");
  REQUIRE(dflt.ok());
  CHECK(dflt->port == 443);
  CHECK(https::is_loopback("::1"));
  CHECK_FALSE(https::is_loopback("127.0.0.2"));
}

TEST_CASE("https client: system CAs (webhook receivers) still pin the host and refuse plain http off loopback") {
  https::Options o;
  o.system_cas = true;
  // No CA file is needed when the system's store is trusted …
  CHECK(https::Client::open("https://alerts.example.com/paw", o, "webhook").ok());
  // … but the URL rules are the same as for every paw client.
  CHECK(https::Client::open("http://alerts.example.com/paw", o, "webhook").code() == Errc::config_error);
  CHECK(https::Client::open("http://127.evil.example/paw", o, "webhook").code() == Errc::config_error);
  CHECK(https::Client::open("http://127.0.0.1:9/paw", o, "webhook").ok());
}

TEST_CASE("agent client: a verifier before 0.2 refuses the envelope's routing copies - sent again once without") {
  TlsServer s;
  {
    std::lock_guard lock(peers_mu);
    envelopes.clear();
  }
  agent::VerifierClient vc({s.url("127.0.0.1"), s.ca_file, 5});
  const Envelope env{to_bytes("{}"), Bytes{1, 2}, Bytes{3, 4}, "dev-1", Bytes(32, 0x11)};
  auto a = vc.attest(env);
  REQUIRE_MESSAGE(a.ok(), a.error().what());
  CHECK(a->verdict == "healthy");
  std::lock_guard lock(peers_mu);
  REQUIRE(envelopes.size() == 2);
  CHECK(envelopes[0].find("\"device_id\":\"dev-1\"") != std::string::npos);
  CHECK(envelopes[1].find("device_id") == std::string::npos);
  CHECK(envelopes[1].find("\"body\"") != std::string::npos);
}

// device_ca_test.cpp — the device CA on a real SQLite store: the login
// certificate profile (checked with OpenSSL's own chain verification, not
// only ours), rotation with overlap seen by a second replica, and the
// forwarded client certificate check (RFC 8705) against every kind of bad input.
#include <doctest/doctest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "clock.h"
#include "device_ca.h"
#include "paw/attest/client_cert.h"
#include "paw/attest/json.h"
#include "postgres.h"
#include "store/store.h"
#include "test_data.h"
#include "util.h"

namespace paw::verifier {
namespace {

using X509Ptr = UniquePtr<X509, X509_free>;

X509Ptr parse_pem(const std::string& pem) {
  UniquePtr<BIO, BIO_free> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

std::vector<X509Ptr> parse_all(const std::string& pem) {
  UniquePtr<BIO, BIO_free> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::vector<X509Ptr> out;
  while (X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.emplace_back(c);
  return out;
}

// escape is what nginx's $ssl_client_escaped_cert does to the PEM.
std::string escape(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// openssl_verifies: X509_verify_cert of |leaf| against |bundle| at |at|, purpose sslclient.
bool openssl_verifies(const std::string& bundle, const std::string& leaf, std::int64_t at) {
  UniquePtr<X509_STORE, X509_STORE_free> store(X509_STORE_new());
  for (auto& c : parse_all(bundle)) X509_STORE_add_cert(store.get(), c.get());
  X509Ptr l = parse_pem(leaf);
  UniquePtr<X509_STORE_CTX, X509_STORE_CTX_free> ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), l.get(), nullptr);
  X509_STORE_CTX_set_time(ctx.get(), 0, static_cast<time_t>(at));
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
  return X509_verify_cert(ctx.get()) == 1;
}

struct Ca {
  test::TempDir dir;
  std::unique_ptr<Store> store = std::move(open_store("sqlite:" + (dir / "paw.db").string()).value());
  DeviceCa ca{*store};
  SigningKey login = generate_signing_key().value();
  std::int64_t now = system_unix_now();

  Ca() {
    REQUIRE(ca.ensure(now).ok());
    REQUIRE(ca.load().ok());
  }
  DeviceCertProfile profile(std::int64_t ttl = 600) const {
    DeviceCertProfile p;
    p.device_id = "0123456789abcdef0123456789abcdef";
    p.login_key = login.key.get();
    p.now = now;
    p.not_after = now + ttl;
    p.verdict = "healthy";
    p.policy = "default";
    p.policy_version = 3;
    return p;
  }
  std::string issue(std::int64_t ttl = 600) const { return ca.issue(profile(ttl)).value(); }
};

std::string san_uris(X509* c) {
  std::string out;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(c, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
    if (g->type == GEN_URI || g->type == GEN_EMAIL) {
      out += (out.empty() ? "" : " ");
      out += reinterpret_cast<const char*>(ASN1_STRING_get0_data(g->d.ia5));
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

std::int64_t unix_of(const ASN1_TIME* t) {
  std::tm tm{};
  REQUIRE(ASN1_TIME_to_tm(t, &tm) == 1);
  return static_cast<std::int64_t>(timegm(&tm));
}

}  // namespace

TEST_CASE("device CA: the login certificate profile - chain, SAN, EKU, key usage, validity, status extension") {
  Ca c;
  const std::string pem = c.issue();
  REQUIRE(openssl_verifies(c.ca.bundle(), pem, c.now));
  CHECK_FALSE(openssl_verifies(c.ca.bundle(), pem, c.now + 601));  // notAfter = the token's exp
  X509Ptr cert = parse_pem(pem);
  REQUIRE(cert);
  CHECK(unix_of(X509_get0_notAfter(cert.get())) == c.now + 600);
  CHECK(unix_of(X509_get0_notBefore(cert.get())) == c.now - kCertClockSkew);
  CHECK(san_uris(cert.get()) == "urn:paw:device:0123456789abcdef0123456789abcdef");
  char cn[128] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn, sizeof cn);
  CHECK(std::string(cn) == "0123456789abcdef0123456789abcdef");
  CHECK((X509_get_extended_key_usage(cert.get()) & XKU_SSL_CLIENT) != 0);
  CHECK((X509_get_extended_key_usage(cert.get()) & XKU_SSL_SERVER) == 0);
  CHECK(X509_get_key_usage(cert.get()) == KU_DIGITAL_SIGNATURE);
  CHECK(X509_check_ca(cert.get()) == 0);
  // The certified key is the login key.
  CHECK(EVP_PKEY_eq(X509_get0_pubkey(cert.get()), c.login.key.get()) == 1);
  // Serial: 128 random bits, different every time.
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert.get());
  CHECK(ASN1_STRING_length(serial) >= 14);
  X509Ptr again = parse_pem(c.issue());
  CHECK(ASN1_INTEGER_cmp(serial, X509_get0_serialNumber(again.get())) != 0);
  // The private extension: non-critical, DER UTF8String of the status JSON.
  UniquePtr<ASN1_OBJECT, ASN1_OBJECT_free> oid(OBJ_txt2obj(kDeviceCertExtensionOid, 1));
  const int at = X509_get_ext_by_OBJ(cert.get(), oid.get(), -1);
  REQUIRE(at >= 0);
  X509_EXTENSION* ext = X509_get_ext(cert.get(), at);
  CHECK(X509_EXTENSION_get_critical(ext) == 0);
  const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(ext);
  const unsigned char* p = ASN1_STRING_get0_data(data);
  UniquePtr<ASN1_UTF8STRING, ASN1_UTF8STRING_free> u(d2i_ASN1_UTF8STRING(nullptr, &p, ASN1_STRING_length(data)));
  REQUIRE(u);
  auto o = json::parse_object(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(u.get())),
                                          static_cast<std::size_t>(ASN1_STRING_length(u.get()))),
                              4096);
  REQUIRE(o.ok());
  CHECK((*o)->getValue<std::string>("verdict") == "healthy");
  CHECK((*o)->getValue<std::string>("policy") == "default");
  CHECK((*o)->getValue<std::int64_t>("policy_version") == 3);
  // The CA certificate is a CA and nothing else.
  auto cas = parse_all(c.ca.bundle());
  REQUIRE(cas.size() == 1);
  CHECK(X509_check_ca(cas[0].get()) != 0);
  CHECK((X509_get_key_usage(cas[0].get()) & KU_KEY_CERT_SIGN) != 0);
}

TEST_CASE("device CA: the owner hook adds SAN entries, and a bad device id or SAN entry is refused") {
  Ca c;
  auto p = c.profile();
  p.extra_san_emails = {"alice@example.org"};
  p.extra_san_uris = {"urn:example:owner:alice"};
  X509Ptr cert = parse_pem(c.ca.issue(p).value());
  CHECK(san_uris(cert.get()) == "urn:paw:device:0123456789abcdef0123456789abcdef urn:example:owner:alice alice@example.org");
  p.extra_san_emails = {"alice@example.org,URI:urn:paw:device:other"};  // no OpenSSL config-string injection...
  const std::string literal = c.ca.issue(p).value();              // ...the comma is a literal character
  CHECK(san_uris(parse_pem(literal).get()) ==
        "urn:paw:device:0123456789abcdef0123456789abcdef urn:example:owner:alice "
        "alice@example.org,URI:urn:paw:device:other");
  CHECK(c.ca.client_cert_jkt(literal, c.now)->device_id == "0123456789abcdef0123456789abcdef");
  // A certificate naming two devices identifies none.
  p.extra_san_emails.clear();
  p.extra_san_uris = {"urn:paw:device:another"};
  CHECK(c.ca.client_cert_jkt(c.ca.issue(p).value(), c.now).code() == Errc::cert_invalid);
  p.extra_san_uris.clear();
  p.extra_san_emails = {"alice example"};
  CHECK(c.ca.issue(p).code() == Errc::malformed);
  p = c.profile();
  p.device_id = "a,URI:urn:paw:device:b";
  CHECK(c.ca.issue(p).code() == Errc::malformed);
}

TEST_CASE("device CA: client_cert_jkt takes a good forwarded certificate and names its key and device") {
  Ca c;
  const std::string pem = c.issue();
  auto id = c.ca.client_cert_jkt(escape(pem), c.now);
  REQUIRE_MESSAGE(id.ok(), id.error().what());
  CHECK(id->device_id == "0123456789abcdef0123456789abcdef");
  CHECK(id->jkt == jwk_thumbprint(c.login.key.get()).value());
  CHECK(id->not_after == c.now + 600);
  CHECK(id->x5t_s256.size() == 43);
  // The PEM as it is (an unescaped header) is fine too: escaping is optional.
  CHECK(c.ca.client_cert_jkt(pem, c.now).ok());
}

TEST_CASE("device CA: client_cert_jkt refuses another CA, expiry, garbage, oversize and smuggled data") {
  Ca c;
  Ca other;  // another verifier's device CA (its own store)
  const std::string pem = c.issue();
  CHECK(other.ca.client_cert_jkt(escape(pem), c.now).code() == Errc::untrusted_chain);
  CHECK(c.ca.client_cert_jkt(escape(other.issue()), c.now).code() == Errc::untrusted_chain);
  CHECK(c.ca.client_cert_jkt(escape(pem), c.now + 600).code() == Errc::token_expired);
  CHECK(c.ca.client_cert_jkt(escape(pem), c.now - kCertClockSkew - 1).code() == Errc::cert_invalid);
  // The CA's own certificate chains but is no device certificate.
  CHECK(c.ca.client_cert_jkt(escape(c.ca.bundle()), c.now).code() == Errc::cert_invalid);
  CHECK(c.ca.client_cert_jkt("", c.now).code() == Errc::malformed);
  CHECK(c.ca.client_cert_jkt("garbage", c.now).code() == Errc::malformed);
  CHECK(c.ca.client_cert_jkt("%2", c.now).code() == Errc::malformed);
  CHECK(c.ca.client_cert_jkt("%zz", c.now).code() == Errc::malformed);
  CHECK(c.ca.client_cert_jkt(std::string(kMaxForwardedClientCertSize + 1, 'A'), c.now).code() == Errc::too_large);
  CHECK(c.ca.client_cert_jkt(escape(pem + pem), c.now).code() == Errc::malformed);
  CHECK(c.ca.client_cert_jkt(escape(pem + "junk"), c.now).code() == Errc::malformed);
  // One flipped byte in the signature.
  std::string tampered = pem;
  tampered[tampered.size() - 40] = tampered[tampered.size() - 40] == 'A' ? 'B' : 'A';
  CHECK(c.ca.client_cert_jkt(escape(tampered), c.now).code() != Errc::internal);
  CHECK_FALSE(c.ca.client_cert_jkt(escape(tampered), c.now).ok());
}

TEST_CASE("device CA: rotation keeps the previous CA for the overlap, another replica sees it, then it is dropped") {
  Ca c;
  DeviceCa replica(*c.store);  // a second verifier on the same database
  REQUIRE(replica.load().ok());
  const std::string first_kid = c.ca.current_kid();
  CHECK(replica.current_kid() == first_kid);
  CHECK(c.ca.ensure(c.now).ok());  // a second start changes nothing
  REQUIRE(c.store->list_ca_keys(kDeviceCaKind)->size() == 1);
  const std::string old_cert = c.issue();

  auto kid = c.ca.rotate(c.now + 10, 3600);
  REQUIRE(kid.ok());
  CHECK(*kid != first_kid);
  CHECK(parse_all(c.ca.bundle()).size() == 2);
  // The replica issues with the old CA until it reloads (the fleet watcher does), then with the new one.
  REQUIRE(replica.load().ok());
  CHECK(replica.current_kid() == *kid);
  const std::string new_cert = replica.issue(c.profile()).value();
  CHECK(openssl_verifies(replica.bundle(), old_cert, c.now));
  CHECK(openssl_verifies(replica.bundle(), new_cert, c.now));
  CHECK(c.ca.client_cert_jkt(escape(old_cert), c.now).ok());
  CHECK(c.ca.client_cert_jkt(escape(new_cert), c.now).ok());
  // The current CA comes first in the bundle.
  CHECK(c.ca.bundle().starts_with(c.store->list_ca_keys(kDeviceCaKind)->back().certificate));

  // A rotation after the overlap drops the first CA: its certificates stop verifying.
  REQUIRE(c.ca.rotate(c.now + 10 + 3601, 3600).ok());
  CHECK(parse_all(c.ca.bundle()).size() == 2);
  CHECK(c.ca.client_cert_jkt(escape(old_cert), c.now).code() == Errc::untrusted_chain);
  CHECK(c.ca.client_cert_jkt(escape(new_cert), c.now).ok());
}

TEST_CASE("device CA: two replicas on PostgreSQL issue under one CA and share its rotation") {
  const std::string url = test::Postgres::shared().create_database();
  auto a = open_store(url);
  auto b = open_store(url);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  const std::int64_t now = system_unix_now();
  DeviceCa first(**a), second(**b);
  REQUIRE(first.ensure(now).ok());
  REQUIRE(second.ensure(now).ok());  // the second start finds the first one's CA
  REQUIRE(first.load().ok());
  REQUIRE(second.load().ok());
  CHECK(first.current_kid() == second.current_kid());
  CHECK((*b)->list_ca_keys(kDeviceCaKind)->size() == 1);
  CHECK((*b)->list_ca_keys("another-kind")->empty());
  SigningKey login = generate_signing_key().value();
  DeviceCertProfile p;
  p.device_id = "abcdef";
  p.login_key = login.key.get();
  p.now = now;
  p.not_after = now + 600;
  p.verdict = "healthy";
  p.policy = "default";
  const std::string by_second = second.issue(p).value();
  auto seen = first.client_cert_jkt(escape(by_second), now);
  REQUIRE_MESSAGE(seen.ok(), seen.error().what());
  CHECK(seen->device_id == "abcdef");
  auto kid = first.rotate(now + 1, 3600);
  REQUIRE(kid.ok());
  REQUIRE(second.load().ok());
  CHECK(second.current_kid() == *kid);
  CHECK(parse_all(second.bundle()).size() == 2);
  CHECK(second.client_cert_jkt(escape(by_second), now).ok());
}

}  // namespace paw::verifier

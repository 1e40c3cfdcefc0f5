// Fuzz target: the forwarded TLS client certificate (nginx
// $ssl_client_escaped_cert → verify_client_cert, RFC 8705). Roots: one fixed
// device CA, which issued the seed corpus/client_cert/escaped_leaf, so
// mutations reach the SAN, EKU and key checks after the chain. Also:
// url_unescape never grows its input.
#include <openssl/pem.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "paw/attest/client_cert.h"
#include "paw/attest/secure.h"

namespace {

constexpr const char* kCaPem = R"(-----BEGIN CERTIFICATE-----
MIIBvzCCAWagAwIBAgIUNrZE5WNk2DoRM0bTaK4WAwsxo8wwCgYIKoZIzj0EAwIw
KzEMMAoGA1UECgwDcGF3MRswGQYDVQQDDBJwYXcgZnV6eiBkZXZpY2UgQ0EwIBcN
MjYxMjA2MjAyNzEzWhgPMjEyNjExMTIyMDI3MTNaMCsxDDAKBgNVBAoMA3BhdzEb
MBkGA1UEAwwScGF3IGZ1enogZGV2aWNlIENBMFkwEwYHKoZIzj0CAQYIKoZIzj0D
AQcDQgAEkBRwVqxXLzTukAktDTEzi/7HOzBQ6WnkO4DW/Zxe8nMrTPIRNjAi0TlO
vFfuv0L1gkgWFvUdYcR3dUOu6ijk66NmMGQwHQYDVR0OBBYEFBuL7ZearJkpdR1/
ejRSnfJPUahxMB8GA1UdIwQYMBaAFBuL7ZearJkpdR1/ejRSnfJPUahxMBIGA1Ud
EwEB/wQIMAYBAf8CAQAwDgYDVR0PAQH/BAQDAgEGMAoGCCqGSM49BAMCA0cAMEQC
IC3AFuEgFJgIV08XgSfQatQSfiTxOagUKtdHYP8qslbnAiA9roWTdcIYTRRTnMUu
QVB014Z3zeip2Cix0Dt1x8P86A==
-----END CERTIFICATE-----
)";
constexpr std::int64_t kNow = 1800000000;  // inside the seed certificate's validity

X509_STORE* roots() {
  static X509_STORE* const store = [] {
    X509_STORE* s = X509_STORE_new();
    paw::UniquePtr<BIO, BIO_free> bio(BIO_new_mem_buf(kCaPem, -1));
    paw::UniquePtr<X509, X509_free> ca(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (s == nullptr || !ca || X509_STORE_add_cert(s, ca.get()) != 1) __builtin_trap();
    return s;
  }();
  return store;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto u = paw::url_unescape(text); u.ok() && u->size() > size) __builtin_trap();
  auto id = paw::verify_client_cert(text, roots(), kNow);
  if (id.ok() && (id->device_id.empty() || id->jkt.size() != 43 || id->x5t_s256.size() != 43)) __builtin_trap();
  if (!id.ok() && id.code() == paw::Errc::internal) __builtin_trap();
  return 0;
}

// paw/attest/ssh_cert.h — OpenSSH user certificates for the login key
// (PROTOCOL.certkeys, "ecdsa-sha2-nistp256-cert-v01@openssh.com"), the SSH
// wire forms of an ECDSA P-256 public key (RFC 5656 §3.1) and signature
// (RFC 5656 §3.1.2), and the one-line "type base64 comment" text form.
//
// The verifier's SSH CA signs one certificate per healthy verdict; the agent
// serves it (ssh_agent.h) with signatures made by the TPM login key. Only
// ECDSA NIST P-256 is spoken, for the certified key and the CA alike: the
// login key is that type (certify.h), and one type keeps the decoder small.
// Decoding is strict: every length bounded by the input, names sorted and
// unique, no trailing bytes.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "paw/attest/bytes.h"
#include "paw/attest/error.h"
#include "paw/attest/result_token.h"

namespace paw::ssh {

inline constexpr std::string_view kKeyType = "ecdsa-sha2-nistp256";
inline constexpr std::string_view kCurve = "nistp256";
inline constexpr std::string_view kCertType = "ecdsa-sha2-nistp256-cert-v01@openssh.com";
// kMaxCertSize bounds a certificate blob before it is parsed (OpenSSH's own
// limit for a key blob is 16 KiB as well).
inline constexpr std::size_t kMaxCertSize = 16u << 10;
// kMaxCertLineSize bounds the one-line text form (base64 of the blob + type + comment).
inline constexpr std::size_t kMaxCertLineSize = 24u << 10;
inline constexpr std::uint32_t kUserCert = 1;
inline constexpr std::uint32_t kHostCert = 2;
// kDeviceExtension names the device in every paw certificate (a non-critical
// extension: sshd ignores extensions it does not know).
inline constexpr std::string_view kDeviceExtension = "paw-device@paw";

// Writer appends SSH wire types (RFC 4251 §5).
class Writer {
 public:
  void u32(std::uint32_t v);
  void u64(std::uint64_t v);
  void string(ByteView s);
  void string(std::string_view s) { string(as_bytes(s)); }
  // mpint writes an unsigned big-endian integer as an SSH mpint (minimal, a
  // leading zero byte when the top bit is set, zero as the empty string).
  void mpint(ByteView unsigned_be);
  [[nodiscard]] const Bytes& bytes() const noexcept { return out_; }
  Bytes take() { return std::move(out_); }

 private:
  Bytes out_;
};

// read_string reads a u32be-prefixed string from |r| (false on short input).
[[nodiscard]] bool read_string(Reader& r, ByteView& out) noexcept;

// An OptionList is a certificate's critical options or extensions: (name,
// data) pairs, data being the raw contents of the option's data string
// (empty for flags such as permit-pty; a nested string for valued ones).
using OptionList = std::vector<std::pair<std::string, Bytes>>;

// Cert is an ecdsa-sha2-nistp256-cert-v01@openssh.com certificate.
struct Cert {
  Bytes nonce;  // 32 random bytes (defeats chosen-prefix attacks on the CA)
  Bytes q;      // the certified key: uncompressed P-256 point (65 bytes)
  std::uint64_t serial = 0;
  std::uint32_t type = kUserCert;
  std::string key_id;  // logged by sshd: "paw:device:<id>"
  std::vector<std::string> principals;
  std::uint64_t valid_after = 0;
  std::uint64_t valid_before = 0;
  OptionList critical_options;  // sorted by name, unique
  OptionList extensions;        // sorted by name, unique
  Bytes signature_key;          // the CA's public key blob (public_key_blob)
  Bytes signature;              // the CA's signature blob over everything before it
  bool operator==(const Cert&) const = default;
};

// flag_extension / string_option build option data: empty, or string(value).
Bytes string_option(std::string_view value);

// public_key_blob returns string "ecdsa-sha2-nistp256", string "nistp256",
// string Q of an EC P-256 key. Errc::unsupported for another key.
Result<Bytes> public_key_blob(const EVP_PKEY* key);
// parse_public_key_blob reads that form back into a key. Errc::malformed,
// trailing_data, unsupported (another key type or curve, a point off the curve).
Result<EvpPkeyPtr> parse_public_key_blob(ByteView blob);
// point_of returns Q (65 bytes, uncompressed) of a P-256 key.
Result<Bytes> point_of(const EVP_PKEY* key);

// signature_blob builds string "ecdsa-sha2-nistp256", string(mpint r, mpint s)
// from r and s as unsigned big-endian bytes (any leading zeros).
Bytes signature_blob(ByteView r, ByteView s);
// sign_blob signs SHA-256(|data|) with the P-256 private |key| and returns
// the signature blob. Errc::internal when OpenSSL fails.
Result<Bytes> sign_blob(const EVP_PKEY* key, ByteView data);
// verify_blob checks a signature blob over |data| with |key|.
// Errc::malformed for a blob that does not parse, Errc::bad_signature when
// it does not verify.
Status verify_blob(const EVP_PKEY* key, ByteView data, ByteView signature);

// to_be_signed encodes every field up to and including signature_key.
Bytes to_be_signed(const Cert& c);
// encode returns the full blob (to_be_signed + string signature).
Bytes encode(const Cert& c);
// sign fills signature_key with |ca|'s public blob and signature with its
// signature over to_be_signed, and returns encode(c). Errc::unsupported
// (not a P-256 key), Errc::internal.
Result<Bytes> sign(Cert& c, const EVP_PKEY* ca);
// decode parses a certificate blob strictly (Errc::too_large above
// kMaxCertSize, malformed, trailing_data, unsupported for another key or
// certificate type). It does not check the signature.
Result<Cert> decode(ByteView blob);
// verify checks |c|'s signature with the key in its signature_key and that
// that key is |ca_blob| (when not empty). Errc::bad_signature.
Status verify(const Cert& c, ByteView ca_blob);

// key_line / cert_line format "<type> <base64 blob>[ <comment>]".
std::string key_line(ByteView key_blob, std::string_view comment);
std::string cert_line(ByteView cert_blob, std::string_view comment);
// parse_line reads "<type> <base64>[ comment]" (one line, trailing newline
// allowed) and returns the blob when its type is |type|. Errc::too_large,
// malformed, unsupported (another type; the blob's own type must match too).
Result<Bytes> parse_line(std::string_view line, std::string_view type);

}  // namespace paw::ssh

namespace paw::ssh {
// signature_blob_from_tpm turns a TPMT_SIGNATURE made by the login key
// (ECDSA, SHA-256) into the SSH signature blob. Errc::unsupported for another
// scheme or hash, parse errors as parse_signature.
Result<Bytes> signature_blob_from_tpm(ByteView tpmt_signature);
}  // namespace paw::ssh

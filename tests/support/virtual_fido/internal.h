// internal.h — private pieces of the virtual authenticator.
#pragma once

#include <cstdint>
#include <string_view>

#include "paw/virtual_fido.h"

namespace paw::vfido {

// CborOut writes canonical CTAP2 CBOR (RFC 8949 4.2.1 preferred encodings;
// callers emit map keys already in CTAP2 canonical order).
class CborOut {
 public:
  void head(std::uint8_t major, std::uint64_t value);
  void uint(std::uint64_t v) { head(0, v); }
  void integer(std::int64_t v) {
    if (v >= 0) head(0, static_cast<std::uint64_t>(v));
    else head(1, static_cast<std::uint64_t>(-(v + 1)));
  }
  void bytes(ByteView b);
  void text(std::string_view s);
  void map(std::size_t n) { head(5, n); }
  void array(std::size_t n) { head(4, n); }
  void boolean(bool b) { out_.push_back(b ? 0xf5 : 0xf4); }
  void raw(ByteView b) { out_.insert(out_.end(), b.begin(), b.end()); }
  [[nodiscard]] const Bytes& data() const noexcept { return out_; }

 private:
  Bytes out_;
};

// generate_key makes a fresh credential key (COSE -7 P-256, -8 Ed25519) as PKCS#8 DER.
Result<Bytes> generate_key(int alg);
// cose_public_key encodes the public half as a COSE_Key (RFC 9053; CTAP2 canonical order).
Result<Bytes> cose_public_key(ByteView pkcs8, int alg);
// sign signs |msg|: ES256 = ECDSA-SHA256 (DER), EdDSA = Ed25519 over the message itself.
Result<Bytes> sign(ByteView pkcs8, int alg, ByteView msg);

// BatchAttestation is a packed-attestation key and its certificate.
struct BatchAttestation {
  Bytes cert_der;
  Bytes key_pkcs8;  // P-256
};
// batch_attestation returns this process's batch key and certificate for
// |aaguid|, made at first use (FIDO packed attestation certificate rules, with
// the id-fido-gen-ce-aaguid extension 1.3.6.1.4.1.45724.1.1.4).
Result<BatchAttestation> batch_attestation(ByteView aaguid);

// StateLock holds flock(2) on "<state>.lock" for one load-modify-save.
class StateLock {
 public:
  explicit StateLock(const std::string& state_path);
  ~StateLock();
  StateLock(const StateLock&) = delete;
  StateLock& operator=(const StateLock&) = delete;

 private:
  int fd_ = -1;
};

// ctap2 handles one CTAPHID_CBOR request; returns status byte + CBOR.
class Ctap2 {
 public:
  explicit Ctap2(std::string state_path) : path_(std::move(state_path)) {}
  Bytes handle(ByteView request);

 private:
  Bytes make_credential(State& st, ByteView cbor, bool& dirty);
  Bytes get_assertion(State& st, ByteView cbor, bool& dirty);
  Bytes get_next_assertion(State& st, bool& dirty);
  Bytes reset(State& st, bool& dirty);
  Bytes assertion_reply(State& st, Credential& c, bool up, bool with_count, std::size_t count, bool& dirty);

  std::string path_;
  // getNextAssertion context: remaining credential ids and the request they answer.
  std::vector<Bytes> pending_;
  Bytes pending_cdh_;
  bool pending_up_ = true;
};

}  // namespace paw::vfido

// soft_fido.cpp — the FIDO2 half of the software device: an ES256 credential
// with packed attestation (WebAuthn L2, 8.2) and assertions whose authenticator
// data is rpIdHash || flags || signCount (WebAuthn L2, 6.1), signed over
// authenticatorData || clientDataHash.
#include "paw/attest/digest.h"
#include "paw/attest/secure.h"
#include "soft_internal.h"

namespace paw::soft {
namespace {

void put_u32be(Bytes& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}

// cose_es256 encodes {1: 2, 3: -7, -1: 1, -2: x, -3: y} (RFC 9053, 7.1.1) in CTAP2 canonical order.
Bytes cose_es256(const Bytes& x, const Bytes& y) {
  Bytes out = {0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20};
  out.insert(out.end(), x.begin(), x.end());
  out.insert(out.end(), {0x22, 0x58, 0x20});
  out.insert(out.end(), y.begin(), y.end());
  return out;
}

}  // namespace

Result<SoftFido> SoftFido::create(std::string rp_id, Bytes aaguid, const SoftCa* attestation_ca) {
  SoftFido f;
  f.rp_id_ = std::move(rp_id);
  f.aaguid_ = std::move(aaguid);
  PAW_TRY(f.key_, generate_p256());
  PAW_TRY(f.credential_id_, random_bytes(48));
  if (attestation_ca != nullptr) {
    PAW_TRY(f.attestation_key_, generate_p256());
    PAW_TRY(f.attestation_cert_, issue_fido_attestation_cert(*attestation_ca, f.attestation_key_.get(), f.aaguid_));
  }
  return f;
}

Result<EnrollmentFido> SoftFido::make_credential(ByteView client_data_hash, AttestationMode mode, bool uv) {
  PAW_TRY(auto xy, ec_point(key_.get()));
  Bytes auth = sha256(as_bytes(rp_id_));
  auth.push_back(static_cast<std::uint8_t>(0x41 | (uv ? 0x04 : 0x00)));  // UP | AT (| UV)
  put_u32be(auth, counter_);
  auth.insert(auth.end(), aaguid_.begin(), aaguid_.end());
  auth.push_back(static_cast<std::uint8_t>(credential_id_.size() >> 8));
  auth.push_back(static_cast<std::uint8_t>(credential_id_.size()));
  auth.insert(auth.end(), credential_id_.begin(), credential_id_.end());
  const Bytes cose = cose_es256(xy.first, xy.second);
  auth.insert(auth.end(), cose.begin(), cose.end());

  EnrollmentFido out;
  out.credential_id = credential_id_;
  out.auth_data = auth;
  out.algorithm = -7;
  if (mode == AttestationMode::none) {
    out.fmt = "none";
    return out;
  }
  out.fmt = "packed";
  Bytes signed_data = auth;
  signed_data.insert(signed_data.end(), client_data_hash.begin(), client_data_hash.end());
  FidoAttestationStatement st;
  st.alg = -7;
  if (mode == AttestationMode::basic) {
    if (!attestation_key_) return make_error(Errc::internal, "soft fido: basic attestation needs an attestation CA");
    PAW_TRY(st.sig, ecdsa_sign_der(attestation_key_.get(), signed_data));
    st.x5c.push_back(attestation_cert_);
  } else {
    PAW_TRY(st.sig, ecdsa_sign_der(key_.get(), signed_data));
  }
  out.attestation = std::move(st);
  return out;
}

Result<FidoPresence> SoftFido::get_assertion(ByteView client_data_hash, std::uint8_t flags) {
  counter_ += step_;
  Bytes auth = sha256(as_bytes(rp_id_));
  auth.push_back(flags);
  put_u32be(auth, counter_);
  Bytes signed_data = auth;
  signed_data.insert(signed_data.end(), client_data_hash.begin(), client_data_hash.end());
  FidoPresence p;
  p.credential_id = credential_id_;
  p.auth_data = std::move(auth);
  p.client_data_hash = Bytes(client_data_hash.begin(), client_data_hash.end());
  PAW_TRY(p.signature, ecdsa_sign_der(key_.get(), signed_data));
  return p;
}

}  // namespace paw::soft

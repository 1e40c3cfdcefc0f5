// fido_verify.cpp — enrollment credential and presence assertion checks.
// Signatures: libfido2's verify API only (no device I/O). paw's own checks
// run first so that each rejection carries its precise Errc.
#include <fido.h>
#include <fido/eddsa.h>
#include <fido/es256.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>

#include "paw/attest/digest.h"
#include "paw/attest/fido.h"
#include "paw/attest/secure.h"
#include "x509_chain.h"

namespace paw::attest {
namespace {

void free_cred(fido_cred_t* p) { fido_cred_free(&p); }
void free_assert(fido_assert_t* p) { fido_assert_free(&p); }
void free_es256(es256_pk_t* p) { es256_pk_free(&p); }
void free_eddsa(eddsa_pk_t* p) { eddsa_pk_free(&p); }
using Cred = UniquePtr<fido_cred_t, free_cred>;
using Assert = UniquePtr<fido_assert_t, free_assert>;

Status check_rp_and_flags(const FidoAuthData& ad, const std::string& rp_id, bool require_up, bool require_uv) {
  if (!ct_equal(ad.rp_id_hash, sha256(as_bytes(rp_id))))
    return make_error(Errc::fido_rp_mismatch, "rpIdHash is not SHA-256(\"" + rp_id + "\")");
  if (require_up && !(ad.flags & kFidoFlagUp)) return make_error(Errc::fido_up_missing, "UP flag clear");
  if (require_uv && !(ad.flags & kFidoFlagUv)) return make_error(Errc::fido_uv_missing, "UV flag clear");
  return ok_status();
}

// check_x5c_leaf applies WebAuthn L2 8.2.1 to the attestation certificate:
// not a CA, and an id-fido-gen-ce-aaguid extension, if present, equal to authData's AAGUID.
Status check_x5c_leaf(ByteView der, ByteView aaguid) {
  const unsigned char* p = der.data();
  UniquePtr<X509, X509_free> cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != der.data() + der.size())
    return make_error(Errc::fido_attestation_invalid, "x5c[0] is not one DER certificate");
  if (X509_check_ca(cert.get()) != 0) return make_error(Errc::fido_attestation_invalid, "x5c[0] is a CA certificate");
  UniquePtr<ASN1_OBJECT, ASN1_OBJECT_free> oid(OBJ_txt2obj("1.3.6.1.4.1.45724.1.1.4", 1));
  if (!oid) return make_error(Errc::internal, "OBJ_txt2obj");
  const int at = X509_get_ext_by_OBJ(cert.get(), oid.get(), -1);
  if (at < 0) return ok_status();
  X509_EXTENSION* ext = X509_get_ext(cert.get(), at);
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(ext);
  Bytes expected = {0x04, 0x10};  // OCTET STRING (16 bytes)
  expected.insert(expected.end(), aaguid.begin(), aaguid.end());
  if (X509_EXTENSION_get_critical(ext) != 0 ||
      !ct_equal(ByteView(ASN1_STRING_get0_data(value), static_cast<std::size_t>(ASN1_STRING_length(value))), expected))
    return make_error(Errc::fido_attestation_invalid, "x5c[0] AAGUID extension differs from authData");
  return ok_status();
}

// check_x5c_chain verifies x5c (leaf first, then intermediates the key sent)
// up to a certificate of |roots| at |now|; every certificate of |roots| is an
// anchor (X509_V_FLAG_PARTIAL_CHAIN), as vendors publish intermediates too.
Status check_x5c_chain(const std::vector<Bytes>& x5c, X509_STORE* roots, std::int64_t now) {
  std::vector<UniquePtr<X509, X509_free>> certs;
  for (const Bytes& der : x5c) {
    const unsigned char* p = der.data();
    UniquePtr<X509, X509_free> c(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (!c || p != der.data() + der.size()) return make_error(Errc::fido_attestation_invalid, "x5c entry is not one DER certificate");
    certs.push_back(std::move(c));
  }
  return detail::verify_x509_chain(certs, roots, now, X509_V_FLAG_PARTIAL_CHAIN, "FIDO2 attestation certificate");
}

Status verify_attestation_signature(const FidoEnrollmentEvidence& ev, ByteView cdh, const std::string& rp_id,
                                    bool self) {
  Cred cred(fido_cred_new());
  const Bytes att = encode_fido_attestation_statement(ev.attestation);
  if (!cred || fido_cred_set_type(cred.get(), ev.algorithm) != FIDO_OK ||
      fido_cred_set_clientdata_hash(cred.get(), cdh.data(), cdh.size()) != FIDO_OK ||
      fido_cred_set_rp(cred.get(), rp_id.c_str(), nullptr) != FIDO_OK ||
      fido_cred_set_authdata_raw(cred.get(), ev.auth_data.data(), ev.auth_data.size()) != FIDO_OK ||
      fido_cred_set_fmt(cred.get(), ev.fmt.c_str()) != FIDO_OK ||
      fido_cred_set_attstmt(cred.get(), att.data(), att.size()) != FIDO_OK)
    return make_error(Errc::fido_attestation_invalid, "libfido2 refused the credential fields");
  const int r = self ? fido_cred_verify_self(cred.get()) : fido_cred_verify(cred.get());
  if (r != FIDO_OK)
    return make_error(Errc::fido_attestation_invalid,
                      std::string(self ? "fido_cred_verify_self: " : "fido_cred_verify: ") + fido_strerr(r));
  return ok_status();
}

}  // namespace

Result<FidoStoredCredential> verify_fido_enrollment(const FidoEnrollmentEvidence& ev, ByteView cdh,
                                                    const FidoEnrollmentPolicy& policy) {
  // Sizes.
  if (ev.auth_data.size() > kFidoMaxAuthData || ev.credential_id.size() > kFidoMaxCredentialId ||
      ev.attestation.sig.size() > kFidoMaxSignature || ev.attestation.x5c.size() > kFidoMaxCertificates ||
      std::any_of(ev.attestation.x5c.begin(), ev.attestation.x5c.end(),
                  [](const Bytes& c) { return c.size() > kFidoMaxCertificate; }))
    return make_error(Errc::too_large, "fido enrollment field over limit");
  if (cdh.size() != 32) return make_error(Errc::internal, "client data hash must be 32 bytes");
  if (std::find(policy.algorithms.begin(), policy.algorithms.end(), ev.algorithm) == policy.algorithms.end())
    return make_error(Errc::unsupported, "credential algorithm " + std::to_string(ev.algorithm));
  // Attestation type against policy.
  std::string type;
  if (ev.fmt == "packed") {
    type = ev.attestation.x5c.empty() ? "self" : "basic";
    if (ev.attestation.sig.empty()) return make_error(Errc::fido_attestation_invalid, "packed attStmt without sig");
    if (type == "self" && !policy.allow_self_attestation)
      return make_error(Errc::fido_attestation_invalid, "self attestation not allowed by policy");
    if (type == "self" && ev.attestation.alg != ev.algorithm)
      return make_error(Errc::fido_attestation_invalid, "self attestation alg differs from the credential's");
  } else if (ev.fmt == "none") {
    type = "none";
    if (!policy.allow_none_attestation)
      return make_error(Errc::fido_attestation_invalid, "attestation \"none\" not allowed by policy");
    if (!ev.attestation.sig.empty() || !ev.attestation.x5c.empty())
      return make_error(Errc::fido_attestation_invalid, "\"none\" with an attestation statement");
  } else {
    return make_error(Errc::unsupported, "attestation format " + ev.fmt);
  }
  // authData: parse, then bind it to the credential the agent named.
  PAW_TRY(FidoAuthData ad, parse_fido_auth_data(ev.auth_data));
  if (!ad.attested) return make_error(Errc::malformed, "enrollment authData lacks attested credential data");
  if (!ct_equal(ad.credential_id, ev.credential_id))
    return make_error(Errc::fido_attestation_invalid, "credential id differs from authData");
  PAW_TRY(FidoPublicKey pk, parse_fido_cose_key(ad.public_key_cose));
  if (pk.algorithm != ev.algorithm) return make_error(Errc::fido_attestation_invalid, "key algorithm differs");
  PAW_CHECK(check_rp_and_flags(ad, policy.rp_id, true, policy.require_uv));
  // Signature (libfido2), then what libfido2 leaves to us.
  if (type != "none") PAW_CHECK(verify_attestation_signature(ev, cdh, policy.rp_id, type == "self"));
  bool unchained = false;
  if (type == "basic") {
    PAW_CHECK(check_x5c_leaf(ev.attestation.x5c.front(), ad.aaguid));
    X509_STORE* anchors = policy.attestation_roots != nullptr ? policy.attestation_roots->store_for(ad.aaguid) : nullptr;
    if (anchors != nullptr) {
      PAW_CHECK(check_x5c_chain(ev.attestation.x5c, anchors, policy.now));
    } else {
      // Anybody can mint a certificate naming any AAGUID: an x5c that reaches
      // no trusted root proves possession of the credential, nothing more.
      if (!policy.allow_self_attestation)
        return make_error(Errc::fido_attestation_invalid,
                          "x5c reaches no configured attestation root for AAGUID " + hex(ad.aaguid) +
                              " (--fido-ca-dir): that is self attestation, which the policy does not allow");
      type = "self";
      unchained = true;
    }
  }
  if (!policy.any_aaguid) {
    if (std::none_of(policy.aaguid_allowlist.begin(), policy.aaguid_allowlist.end(),
                     [&](const Bytes& a) { return ct_equal(a, ad.aaguid); }))
      return make_error(Errc::fido_aaguid_not_allowed, "AAGUID " + hex(ad.aaguid) + " not in the allowlist");
    // Only a chain to a root of that model proves the model.
    if (type != "basic")
      return make_error(Errc::fido_aaguid_not_allowed, "AAGUID " + hex(ad.aaguid) + " is the key's own claim (" + type +
                                                           " attestation): the allowlist needs a chain to a configured root");
  }

  FidoStoredCredential out;
  out.credential_id = ad.credential_id;
  out.algorithm = ev.algorithm;
  PAW_TRY(out.public_key, fido_cose_key_to_spki(ad.public_key_cose));
  out.sign_count = ad.sign_count;
  out.aaguid = ad.aaguid;
  out.fmt = ev.fmt;
  out.attestation_type = type;
  out.x5c_unchained = unchained;
  return out;
}

namespace {

// verify_assertion_signature runs fido_assert_verify over |cdh| with the stored key.
Status verify_assertion_signature(const FidoStoredCredential& cred, const FidoAssertionEvidence& ev, ByteView cdh,
                                  const FidoPresencePolicy& policy) {
  const unsigned char* p = cred.public_key.data();
  UniquePtr<EVP_PKEY, EVP_PKEY_free> key(d2i_PUBKEY(nullptr, &p, static_cast<long>(cred.public_key.size())));
  if (!key) return make_error(Errc::malformed, "stored public key does not parse");
  Assert a(fido_assert_new());
  if (!a || fido_assert_set_count(a.get(), 1) != FIDO_OK ||
      fido_assert_set_rp(a.get(), policy.rp_id.c_str()) != FIDO_OK ||
      fido_assert_set_clientdata_hash(a.get(), cdh.data(), cdh.size()) != FIDO_OK ||
      fido_assert_set_authdata_raw(a.get(), 0, ev.auth_data.data(), ev.auth_data.size()) != FIDO_OK ||
      fido_assert_set_sig(a.get(), 0, ev.signature.data(), ev.signature.size()) != FIDO_OK ||
      fido_assert_set_up(a.get(), policy.require_up ? FIDO_OPT_TRUE : FIDO_OPT_OMIT) != FIDO_OK ||
      fido_assert_set_uv(a.get(), policy.require_uv ? FIDO_OPT_TRUE : FIDO_OPT_OMIT) != FIDO_OK)
    return make_error(Errc::malformed, "libfido2 refused the assertion fields");
  int r = FIDO_ERR_INTERNAL;
  if (cred.algorithm == kCoseEs256) {
    UniquePtr<es256_pk_t, free_es256> pk(es256_pk_new());
    if (!pk || es256_pk_from_EVP_PKEY(pk.get(), key.get()) != FIDO_OK)
      return make_error(Errc::malformed, "stored key is not P-256");
    r = fido_assert_verify(a.get(), 0, COSE_ES256, pk.get());
  } else if (cred.algorithm == kCoseEdDsa) {
    UniquePtr<eddsa_pk_t, free_eddsa> pk(eddsa_pk_new());
    if (!pk || eddsa_pk_from_EVP_PKEY(pk.get(), key.get()) != FIDO_OK)
      return make_error(Errc::malformed, "stored key is not Ed25519");
    r = fido_assert_verify(a.get(), 0, COSE_EDDSA, pk.get());
  } else {
    return make_error(Errc::unsupported, "credential algorithm " + std::to_string(cred.algorithm));
  }
  if (r != FIDO_OK) return make_error(Errc::fido_bad_signature, std::string("fido_assert_verify: ") + fido_strerr(r));
  return ok_status();
}

}  // namespace

Result<FidoPresenceResult> verify_fido_presence(const FidoStoredCredential& enrolled, const FidoAssertionEvidence& ev,
                                                ByteView expected_cdh, const FidoPresencePolicy& policy) {
  if (ev.auth_data.size() > kFidoMaxAuthData || ev.credential_id.size() > kFidoMaxCredentialId ||
      ev.signature.size() > kFidoMaxSignature || ev.client_data_hash.size() > 64)
    return make_error(Errc::too_large, "fido assertion field over limit");
  if (expected_cdh.size() != 32) return make_error(Errc::internal, "client data hash must be 32 bytes");
  if (!ct_equal(ev.credential_id, enrolled.credential_id))
    return make_error(Errc::fido_unknown_credential, "assertion is not from the enrolled credential");
  PAW_TRY(FidoAuthData ad, parse_fido_auth_data(ev.auth_data));
  if (!ct_equal(ad.rp_id_hash, sha256(as_bytes(policy.rp_id))))
    return make_error(Errc::fido_rp_mismatch, "rpIdHash is not SHA-256(\"" + policy.rp_id + "\")");
  if (!ev.client_data_hash.empty() && !ct_equal(ev.client_data_hash, expected_cdh))
    return make_error(Errc::fido_challenge_mismatch, "client data hash is not over this nonce and device id");
  PAW_CHECK(check_rp_and_flags(ad, policy.rp_id, policy.require_up, policy.require_uv));
  PAW_CHECK(verify_assertion_signature(enrolled, ev, expected_cdh, policy));
  PAW_CHECK(check_fido_counter(enrolled.sign_count, ad.sign_count, policy.allow_zero_counter));
  FidoPresenceResult out;
  out.sign_count = ad.sign_count;
  out.flags = ad.flags;
  out.user_present = (ad.flags & kFidoFlagUp) != 0;
  out.user_verified = (ad.flags & kFidoFlagUv) != 0;
  return out;
}

}  // namespace paw::attest

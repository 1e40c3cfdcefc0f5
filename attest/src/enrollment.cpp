// enrollment.cpp — verify_enrollment: every check of an enrollment request, in
// the order appraisal.h documents, then MakeCredential against the EK.
#include "paw/attest/ak.h"
#include "paw/attest/appraisal.h"
#include "paw/attest/digest.h"
#include "paw/attest/fido.h"
#include "paw/attest/makecredential.h"
#include "appraisal_internal.h"

namespace paw {
namespace {

// check_ek_public: the EK must be a restricted decryption key (TCG EK templates).
Result<TpmPublic> parse_ek(ByteView ek_public) {
  auto ek = parse_public(ek_public);
  if (!ek.ok()) return make_error(ek.code(), "ek_public: " + ek.error().detail);
  const TPMA_OBJECT a = ek->pub.objectAttributes;
  if ((a & TPMA_OBJECT_RESTRICTED) == 0 || (a & TPMA_OBJECT_DECRYPT) == 0 || (a & TPMA_OBJECT_SIGN_ENCRYPT) != 0) {
    return make_error(Errc::malformed, "ek_public: not a restricted decryption key");
  }
  return ek;
}

Result<FidoCredential> check_fido(const EnrollmentRequest& req, const EnrollmentContext& ctx, const Policy& policy,
                                  std::vector<ResultReason>& notes) {
  const EnrollmentFido& f = *req.fido;
  attest::FidoEnrollmentEvidence ev;
  ev.credential_id = f.credential_id;
  ev.fmt = f.fmt;
  ev.auth_data = f.auth_data;
  if (f.attestation) {
    ev.attestation.alg = static_cast<int>(f.attestation->alg);
    ev.attestation.sig = f.attestation->sig;
    ev.attestation.x5c = f.attestation->x5c;
  }
  ev.algorithm = static_cast<int>(f.algorithm);
  attest::FidoEnrollmentPolicy fp;
  fp.rp_id = ctx.rp_id;
  fp.allow_self_attestation = policy.fido.allow_self_attestation;
  fp.allow_none_attestation = policy.fido.allow_none_attestation;
  fp.any_aaguid = policy.fido.aaguid_allowlist.empty();
  fp.aaguid_allowlist.assign(policy.fido.aaguid_allowlist.begin(), policy.fido.aaguid_allowlist.end());
  fp.require_uv = policy.fido.user_verification;
  fp.attestation_roots = ctx.fido_roots;
  fp.now = ctx.now;
  const Bytes cdh = enrollment_client_data_hash(req.token.view(), req.ak_public);
  PAW_TRY(attest::FidoStoredCredential stored, attest::verify_fido_enrollment(ev, cdh, fp));
  FidoCredential out;
  out.credential_id = std::move(stored.credential_id);
  out.algorithm = stored.algorithm;
  out.public_key = std::move(stored.public_key);
  out.aaguid = std::move(stored.aaguid);
  out.attestation_type = std::move(stored.attestation_type);
  out.sign_count = stored.sign_count;
  if (stored.x5c_unchained) {
    notes.push_back({"fido_attestation_self",
                     "FIDO2 key's x5c reaches no configured attestation root: treated as self attestation "
                     "(model not proven)"});
  } else if (out.attestation_type != "basic") {
    notes.push_back({"fido_attestation_" + out.attestation_type,
                     "FIDO2 key enrolled with " + out.attestation_type + " attestation (model not proven)"});
  }
  return out;
}

}  // namespace

Bytes enrollment_client_data_hash(ByteView token, ByteView ak_public_tpm2b) {
  return attest::fido_enrollment_client_data_hash(
      std::string_view(reinterpret_cast<const char*>(token.data()), token.size()), ak_public_tpm2b);
}

Bytes presence_client_data_hash(ByteView nonce, std::string_view device_id) {
  return attest::fido_presence_client_data_hash(nonce, device_id);
}

Bytes VerifiedEnrollment::secret_hash() const { return sha256(secret_.view()); }

Status check_activation(ByteView stored_secret_hash, ByteView received_secret) {
  // Hash first, then compare in constant time: the comparison never sees the
  // secret and takes the same time for every wrong answer.
  if (received_secret.size() != kActivationSecretSize ||
      !ct_equal(sha256(received_secret), stored_secret_hash)) {
    return make_error(Errc::activation_failed, "activation: the secret does not match the credential");
  }
  return ok_status();
}

Result<VerifiedEnrollment> verify_enrollment(const EnrollmentRequest& req, const EnrollmentContext& ctx,
                                             const Policy& policy) {
  VerifiedEnrollment v;
  DeviceRecord& rec = v.record_;
  // 1. EK public area.
  PAW_TRY(TpmPublic ek, parse_ek(req.ek_public));
  // 2. EK certificate chain and binding to that EK (or TOFU where policy allows).
  if (req.ek_cert) {
    if (ctx.ek_trust == nullptr) return make_error(Errc::untrusted_chain, "ek_cert: no trusted EK CA is configured");
    PAW_TRY(detail::EkCheck check, detail::check_ek_certificate(*req.ek_cert, ek, *ctx.ek_trust, ctx.now));
    rec.ek_cert = std::move(check.cert_der);
  } else {
    if (!policy.ek_allow_tofu) {
      return make_error(Errc::policy_violation, "ek_cert: absent, and policy \"" + policy.name + "\" refuses TOFU");
    }
    rec.ek_tofu = true;
    v.notes_.push_back({"ek_tofu", "EK trusted on first use: no EK certificate"});
  }
  // 3. AK public area and attributes.
  auto ak = parse_public(req.ak_public);
  if (!ak.ok()) return make_error(ak.code(), "ak_public: " + ak.error().detail);
  PAW_CHECK(check_ak_properties(*ak));
  PAW_TRY(rec.ak_name, object_name(*ak));
  // 3b. login key: certified by this AK over the enrollment binding (certify.h).
  //     The AK is proven to share the EK's TPM by activation (step 6), so the
  //     login key is proven to be in that TPM too.
  if (req.login_key) {
    PAW_TRY(LoginKey key, verify_login_key(*ak, *req.login_key,
                                           login_key_enrollment_qualifying_data(req.token.view(), req.ak_public),
                                           ctx.now));
    rec.login_key = std::move(key);
  }
  // 4. FIDO2 credential and attestation over the enrollment client-data hash.
  if (req.fido) {
    PAW_TRY(FidoCredential cred, check_fido(req, ctx, policy, v.notes_));
    rec.fido = std::move(cred);
  } else if (policy.fido.required) {
    return make_error(Errc::policy_violation, "fido: absent, and policy \"" + policy.name + "\" requires FIDO2");
  }
  // 5. Reported PCRs are well formed (kept for reference only: nothing quoted them).
  PAW_CHECK(validate_pcr_values(req.pcrs));
  // 6. MakeCredential: a fresh secret only the TPM holding this EK, with this AK loaded, recovers.
  PAW_TRY(Bytes secret, random_bytes(kActivationSecretSize));
  v.secret_ = SecretBytes(std::move(secret));
  PAW_TRY(CredentialBlob blob, make_credential(ek, v.secret_.view(), rec.ak_name));
  v.credential_blob_ = std::move(blob.credential_blob);
  v.encrypted_secret_ = std::move(blob.encrypted_secret);
  rec.ak_public = req.ak_public;
  rec.ek_public = req.ek_public;
  rec.host = req.host;
  rec.enrollment_pcrs = req.pcrs;
  v.requires_approval_ = policy.require_admin_approval;
  return v;
}

}  // namespace paw

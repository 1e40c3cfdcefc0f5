#include "attest_round.h"

#include <iostream>
#include <optional>
#include <utility>

#include "config.h"
#include "paw/attest/appraisal.h"
#include "paw/attest/evidence.h"
#include "paw/attest/fido.h"
#include "paw/platform/ak.h"
#include "paw/platform/ek.h"
#include "paw/platform/ek_cache.h"
#include "paw/platform/evidence.h"
#include "paw/platform/fido.h"
#include "paw/platform/host_facts.h"
#include "paw/platform/login_key.h"
#include "paw/platform/logs.h"
#include "paw/platform/quote.h"
#include "paw/platform/tpm.h"

namespace paw::agent {
namespace {

AttestOutcome failed(FailureKind k, Error e) {
  AttestOutcome o;
  o.failure = k;
  o.error = std::move(e);
  return o;
}

// read_one_log reads a measurement log per the setting: "none" sends none,
// "" the kernel's file, else that path. A log that exists but cannot be read
// is left out with a warning: the verifier's policy decides what that means.
std::optional<Bytes> read_one_log(const std::string& setting, const char* kernel_path, std::size_t max_size,
                                  const char* what) {
  if (setting == "none") return std::nullopt;
  const std::string path = setting.empty() ? kernel_path : setting;
  auto log = platform::read_log(path, max_size);
  if (!log.ok()) {
    std::cerr << "paw-agent: warning: " << what << " " << path << " not sent: " << log.error().what() << "\n";
    return std::nullopt;
  }
  return *log;
}

bool is_virtual(const std::string& device) { return device.rfind("virtual:", 0) == 0; }

// Keys is an open TPM with the enrolled AK loaded under its EK.
struct Keys {
  platform::Tpm tpm;
  platform::Ek ek;
  platform::Ak ak;
};

Result<platform::Tpm> open_tpm(const std::string& tcti) {
  auto tpm = platform::Tpm::open(tcti);
  if (!tpm.ok()) {
    return make_error(Errc::tpm_error, "cannot open the TPM at '" + tcti + "' (set tcti in the config): " +
                                           tpm.error().detail);
  }
  return tpm;
}

}  // namespace

std::string_view failure_kind_name(FailureKind k) noexcept {
  switch (k) {
    case FailureKind::none: return "none";
    case FailureKind::config: return "configuration";
    case FailureKind::not_enrolled: return "not enrolled";
    case FailureKind::tpm: return "TPM";
    case FailureKind::fido: return "FIDO2 key";
    case FailureKind::network: return "network";
    case FailureKind::verifier: return "verifier";
    case FailureKind::state: return "state folder";
    case FailureKind::gone: return "device revoked or deleted";
  }
  return "unknown";
}

FailureKind classify(Errc code) noexcept {
  switch (code) {
    case Errc::tpm_error:
    case Errc::device_error:
    case Errc::pcr_digest_mismatch:
      return FailureKind::tpm;
    case Errc::fido_no_device:
    case Errc::fido_no_credentials:
    case Errc::fido_touch_denied:
    case Errc::fido_timeout:
    case Errc::fido_pin_required:
    case Errc::fido_device_error:
      return FailureKind::fido;
    case Errc::network_error: return FailureKind::network;
    case Errc::config_error: return FailureKind::config;
    case Errc::io_error: return FailureKind::state;
    case Errc::revoked:
    case Errc::not_found:  // only from the verifier's own JSON error (error_from_reply)
      return FailureKind::gone;
    default: return FailureKind::verifier;
  }
}

namespace {
// verifier_failure: what a failed call to the verifier means for the round.
FailureKind verifier_failure(Errc code) noexcept {
  const FailureKind k = classify(code);
  return k == FailureKind::network || k == FailureKind::gone ? k : FailureKind::verifier;
}
}  // namespace

AttestOutcome attest_once(const AgentSettings& s, const Enrollment& e) {
  VerifierClient client({s.verifier.empty() ? e.verifier : s.verifier, s.ca_file.empty() ? e.ca_file : s.ca_file});
  // The TPM and the enrolled AK first: without them there is nothing to ask for.
  auto blob = platform::load_ak_blob(s.state_dir);
  if (!blob.ok()) return failed(classify(blob.code()) == FailureKind::config ? FailureKind::config : FailureKind::state,
                                blob.error());
  if (!*blob) {
    return failed(FailureKind::not_enrolled,
                  make_error(Errc::config_error, "no attestation key in " + s.state_dir.string() + ": enroll first"));
  }
  auto login_blob = platform::load_login_key_file(s.state_dir);
  if (!login_blob.ok()) return failed(login_blob.code() == Errc::config_error ? FailureKind::config : FailureKind::state,
                                      login_blob.error());
  auto tpm = open_tpm(s.tcti);
  if (!tpm.ok()) return failed(FailureKind::tpm, tpm.error());
  // The login key first: the TPM holds few transient objects (it, EK, AK).
  std::optional<platform::LoadedLoginKey> login_key;
  if (*login_blob) {
    auto loaded = platform::load_login_key(*tpm, **login_blob);
    if (!loaded.ok()) {
      return failed(FailureKind::tpm, make_error(Errc::tpm_error, "the login key does not load (TPM cleared or "
                                                                  "replaced? enroll again): " +
                                                                      loaded.error().detail));
    }
    login_key = std::move(*loaded);
  }
  // The EK kept from the last round (paw/platform/ek_cache.h), else CreatePrimary.
  auto ek = platform::open_ek(*tpm, (*blob)->parent, s.state_dir);
  if (!ek.ok()) return failed(FailureKind::tpm, ek.error());
  if (ek->foreign) std::cerr << "paw-agent: warning: " << (s.state_dir / platform::kEkContextFile).string()
                             << " was replaced: " << ek->note << "; the EK was re-created\n";
  auto ak = platform::load_ak(*tpm, ek->ek, **blob);
  if (!ak.ok() && ek->origin == platform::EkOrigin::cached) {
    // Never fail a round on a kept EK that a fresh CreatePrimary would pass:
    // drop it and ask the TPM again (after a TPM clear the AK fails under the
    // fresh EK too, and the round fails as it always did).
    ek->ek.handle.reset();
    platform::forget_ek_context(s.state_dir);
    ek = platform::open_ek(*tpm, (*blob)->parent, s.state_dir);
    if (!ek.ok()) return failed(FailureKind::tpm, ek.error());
    ak = platform::load_ak(*tpm, ek->ek, **blob);
  }
  if (!ak.ok()) {
    return failed(FailureKind::tpm, make_error(Errc::tpm_error, "the enrolled attestation key does not load (TPM "
                                                                "cleared or replaced? enroll again): " +
                                                                    ak.error().detail));
  }
  auto sel = platform::active_pcr_selection(*tpm);
  if (!sel.ok()) return failed(FailureKind::tpm, sel.error());

  auto challenge = client.challenge(e.device_id);
  if (!challenge.ok()) return failed(verifier_failure(challenge.code()), challenge.error());

  EvidenceBody body;
  body.device_id = e.device_id;
  body.nonce = challenge->nonce;
  body.agent_version = kAgentVersion;
  body.host = platform::collect_host_facts();
  body.event_log = read_one_log(s.event_log, platform::kDefaultEventLogPath, kMaxEventLogSize, "event log");
  body.ima_log = read_one_log(s.ima_log, platform::kDefaultImaLogPath, kMaxImaLogSize, "IMA log");

  if (login_key) {
    // Proof that the login key is in the TPM this quote comes from (certify.h).
    auto proof = platform::sign_with_login_key(*tpm, *login_key,
                                               login_key_proof_message(challenge->nonce, e.device_id));
    if (!proof.ok()) return failed(FailureKind::tpm, proof.error());
    body.login_key_signature = std::move(*proof);
  }

  AttestOutcome out;
  platform::FidoDeviceConfig fc{s.fido_device, s.fido_timeout_ms};
  platform::FidoPresenceOptions po;
  po.rp_id = e.rp_id;
  po.credential_id = e.credential_id;
  po.client_data_hash = attest::fido_presence_client_data_hash(challenge->nonce, e.device_id);
  if (!is_virtual(s.fido_device)) std::cerr << "paw-agent: touch your FIDO2 security key" << std::endl;
  auto presence = platform::fido_prove_presence(fc, po);
  if (presence.ok()) {
    FidoPresence fp;
    fp.credential_id = presence->credential_id;
    fp.auth_data = presence->auth_data;
    fp.signature = presence->signature;
    fp.client_data_hash = presence->client_data_hash;  // lets the verifier name a challenge mismatch precisely
    body.fido = std::move(fp);
  } else if (presence.code() == Errc::config_error) {
    return failed(FailureKind::fido, presence.error());
  } else {
    // No key, wrong key, no touch: tell the verifier by sending no assertion,
    // so the verdict (and every login check after it) reflects it.
    out.fido_note = presence.error().what();
  }

  auto env = platform::make_evidence(*tpm, *ak, std::move(body), *sel);
  if (!env.ok()) return failed(FailureKind::tpm, env.error());
  auto answer = client.attest(*env);
  if (!answer.ok()) {
    return failed(verifier_failure(answer.code()), answer.error());
  }
  out.answer = std::move(*answer);
  return out;
}

Status record_outcome(const AgentSettings& s, const AttestOutcome& o) {
  LastResult r;
  r.at = now_unix();
  if (auto prev = load_last_result(s.state_dir); prev.ok() && *prev) r.last_healthy_at = (*prev)->last_healthy_at;
  if (o.failure != FailureKind::none) {
    r.verdict = "error";
    r.failure = std::string(failure_kind_name(o.failure));
    r.detail = o.error.what();
  } else {
    r.verdict = o.answer.verdict;
    r.reasons = o.answer.reasons;
    r.detail = o.fido_note;
    if (o.admitted()) r.token_expires_at = o.answer.expires_at;
    if (o.answer.verdict == "healthy") r.last_healthy_at = r.at;
  }
  // A round with an answer, or one that learned the device is revoked or
  // deleted, settles the credentials; any other failed round keeps a
  // still-valid token (it expires on its own).
  const bool settled = o.failure == FailureKind::none || o.failure == FailureKind::gone;
  Status token_st = o.admitted() ? write_token(s.token_file, o.answer.token)
                    : settled    ? remove_token(s.token_file)
                                 : ok_status();
  // The login certificate follows the token: renewed by a round that admits
  // login (healthy or warning), gone after an unhealthy one, kept through a
  // failed round (it expires with the token it came with).
  Status cert_st = o.admitted() && !o.answer.login_certificate.empty()
                       ? write_login_cert(s.state_dir, o.answer.login_certificate)
                   : settled ? remove_login_cert(s.state_dir)
                             : ok_status();
  // The SSH certificate follows the token: written with a verdict that admits login,
  // removed with an unhealthy one (or a healthy one that brought none).
  if (settled) {
    Status ssh_st = o.admitted() && !o.answer.ssh_certificate.empty()
                        ? write_file_atomic(s.state_dir / kSshCertFile, o.answer.ssh_certificate + "\n", 0644)
                        : remove_token(s.state_dir / kSshCertFile);
    if (!ssh_st.ok() && token_st.ok()) token_st = ssh_st;
  }
  PAW_CHECK(save_last_result(s.state_dir, r));
  PAW_CHECK(token_st);
  return cert_st;
}

Result<EnrollResult> enroll_device(const AgentSettings& s, const std::string& token) {
  if (s.verifier.empty()) return make_error(Errc::config_error, "no verifier: give --verifier URL or set it in the config");
  if (token.empty() || token.size() > kMaxEnrollmentTokenSize) return make_error(Errc::config_error, "bad --token");
  VerifierClient client({s.verifier, s.ca_file});
  PAW_TRY(VerifierInfo info, client.info());
  PAW_CHECK(ensure_private_dir(s.state_dir));

  PAW_TRY(platform::Tpm tpm, open_tpm(s.tcti));
  PAW_TRY(auto certs, platform::read_ek_certs(tpm));
  // The EK whose certificate is in NV (RSA first: every TPM has one), or the configured one.
  const auto wanted = platform::ek_type_from_name(s.ek_type);
  const platform::EkCert* chosen = nullptr;
  for (const auto& c : certs) {
    if (!c.type) continue;
    if (wanted ? *c.type == *wanted : (chosen == nullptr || *c.type == platform::EkType::rsa2048)) chosen = &c;
  }
  const platform::EkType ek_type = chosen ? *chosen->type : wanted.value_or(platform::EkType::rsa2048);
  const platform::AkAlg ak_alg = platform::ak_alg_from_name(s.ak_alg).value_or(platform::AkAlg::ecc_p256);
  // The login key is created and loaded before the EK and AK (three transient objects at most).
  PAW_TRY(const platform::LoginKeyBlob login_blob, platform::create_login_key(tpm));
  PAW_TRY(platform::LoadedLoginKey login_key, platform::load_login_key(tpm, login_blob));
  PAW_TRY(platform::Ek ek, platform::create_ek(tpm, ek_type));
  // Kept for the attestations that follow (a folder that refuses it only costs them time).
  (void)platform::save_ek_context(tpm, ek, s.state_dir);
  PAW_TRY(platform::EnsuredAk ensured, platform::ensure_ak(tpm, ek, s.state_dir, ak_alg));
  PAW_TRY(LoginKeyCertify login_certify,
          platform::certify_login_key(tpm, ensured.ak, login_key,
                                      login_key_enrollment_qualifying_data(as_bytes(token), ensured.ak.public_tpm2b)));
  login_key.handle.reset();
  PAW_TRY(auto sel, platform::active_pcr_selection(tpm));
  PAW_TRY(PcrValues pcrs, platform::read_pcrs(tpm, sel));

  platform::FidoEnrollOptions fo;
  fo.rp_id = info.rp_id;
  fo.client_data_hash = attest::fido_enrollment_client_data_hash(token, ensured.ak.public_tpm2b);
  if (!is_virtual(s.fido_device)) std::cerr << "paw-agent: touch your FIDO2 security key to enroll it" << std::endl;
  PAW_TRY(platform::FidoEnrollment cred, platform::fido_enroll({s.fido_device, s.fido_timeout_ms}, fo));

  EnrollmentRequest req;
  req.token = SecretBytes(as_bytes(token));
  if (chosen) req.ek_cert = chosen->stored;
  req.ek_public = ek.public_tpm2b;
  req.ak_public = ensured.ak.public_tpm2b;
  EnrollmentFido f;
  f.credential_id = cred.credential_id;
  f.fmt = cred.fmt;
  f.auth_data = cred.auth_data;
  f.algorithm = cred.algorithm;
  if (cred.fmt != "none") f.attestation = FidoAttestationStatement{cred.attestation.alg, cred.attestation.sig,
                                                                   cred.attestation.x5c};
  req.fido = std::move(f);
  req.host = platform::collect_host_facts();
  req.pcrs = std::move(pcrs);
  req.event_log = read_one_log(s.event_log, platform::kDefaultEventLogPath, kMaxEventLogSize, "event log");
  req.login_key = login_certify;

  PAW_TRY(EnrollmentAnswer ans, client.enroll(serialize_enrollment_request(req)));
  PAW_TRY(SecretBytes secret,
          platform::activate_credential(tpm, ek, ensured.ak, ans.credential_blob, ans.encrypted_secret));
  PAW_TRY(ActivationAnswer act, client.activate(ans.enrollment_id, secret.view()));

  EnrollResult out;
  out.enrollment = {act.device_id, s.verifier, s.ca_file, info.rp_id, cred.credential_id, act.status, now_unix()};
  out.ak_note = std::string(platform::ak_origin_name(ensured.origin)) + (ensured.note.empty() ? "" : ": " + ensured.note);
  PAW_TRY(const TpmPublic login_pub, parse_public(login_blob.public_tpm2b));
  PAW_TRY(const EvpPkeyPtr login_evp, to_evp_pkey(login_pub));
  PAW_TRY(out.login_key_jkt, jwk_thumbprint(login_evp.get()));
  PAW_CHECK(platform::save_login_key(s.state_dir, login_blob));
  PAW_CHECK(save_enrollment(s.state_dir, out.enrollment));
  return out;
}

Result<std::string> add_login_key(const AgentSettings& s, const Enrollment& e) {
  VerifierClient client({s.verifier.empty() ? e.verifier : s.verifier, s.ca_file.empty() ? e.ca_file : s.ca_file});
  PAW_TRY(const std::optional<platform::AkBlob> ak_blob, platform::load_ak_blob(s.state_dir));
  if (!ak_blob) return make_error(Errc::config_error, "no attestation key in " + s.state_dir.string() + ": enroll first");
  PAW_TRY(platform::Tpm tpm, open_tpm(s.tcti));
  PAW_TRY(const platform::LoginKeyBlob login_blob, platform::create_login_key(tpm));
  PAW_TRY(platform::LoadedLoginKey login_key, platform::load_login_key(tpm, login_blob));
  PAW_TRY(platform::OpenedEk ek, platform::open_ek(tpm, ak_blob->parent, s.state_dir));
  PAW_TRY(platform::Ak ak, platform::load_ak(tpm, ek.ek, *ak_blob));
  // A fresh challenge of this device: the certify cannot be replayed, and only
  // the enrolled AK (in the enrolled TPM) can sign a TPM2_Certify over it.
  PAW_TRY(Challenge challenge, client.challenge(e.device_id));
  LoginKeyAddRequest req;
  req.nonce = challenge.nonce;
  PAW_TRY(req.login_key, platform::certify_login_key(tpm, ak, login_key,
                                                     login_key_add_qualifying_data(challenge.nonce, ak.public_tpm2b,
                                                                                   e.device_id)));
  PAW_TRY(std::string jkt, client.add_login_key(e.device_id, serialize_login_key_add_request(req)));
  PAW_CHECK(platform::save_login_key(s.state_dir, login_blob));
  return jkt;
}

}  // namespace paw::agent

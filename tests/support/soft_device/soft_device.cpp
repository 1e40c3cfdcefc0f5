// soft_device.cpp — the agent logic of the software device: the same steps
// paw-agent performs with a real TPM and FIDO2 key (docs/protocol.md).
#include "soft_device.h"

#include "soft_internal.h"
#include "paw/attest/eventlog.h"
#include "paw/attest/ima.h"

namespace paw::soft {

Result<SoftDevice> SoftDevice::create(const std::string& rp_id, const SoftCa* ek_ca, const SoftCa* fido_ca,
                                      Bytes aaguid) {
  PAW_TRY(SoftTpm tpm, SoftTpm::create(ek_ca));
  PAW_TRY(SoftFido fido, SoftFido::create(rp_id, std::move(aaguid), fido_ca));
  SoftDevice d{std::move(tpm), std::move(fido), {}, HostFacts{"Debian GNU/Linux 12 (bookworm)", "6.1.0-soft", true, true},
               {}, {}, {}, "0.1.0"};
  for (std::uint32_t i = 0; i < 8; ++i) d.selection[HashAlg::sha256][i] = {};
  return d;
}

Status SoftDevice::use_event_log(Bytes log) {
  PAW_TRY(EventLog parsed, parse_event_log(log));
  PAW_TRY(PcrValues replayed, replay_event_log(parsed));
  tpm.reset_pcrs();
  tpm.set_pcrs(replayed);
  selection.clear();
  const auto bank = replayed.find(HashAlg::sha256);
  if (bank != replayed.end()) {
    for (const auto& [i, ignored] : bank->second) selection[HashAlg::sha256][i] = {};
  }
  event_log = std::move(log);
  return ok_status();
}

Status SoftDevice::use_ima_log(Bytes log) {
  PAW_TRY(ImaLog parsed, parse_ima_list(log));
  PAW_TRY(PcrValues replayed, replay_ima(parsed, {HashAlg::sha1, HashAlg::sha256}));
  tpm.set_pcrs(replayed);
  selection[HashAlg::sha256][10] = {};
  ima_log = std::move(log);
  return ok_status();
}

Result<EnrollmentRequest> SoftDevice::enrollment_request(const std::string& token, AttestationMode mode, bool uv) {
  EnrollmentRequest r;
  r.token = SecretBytes(as_bytes(token));
  r.ek_cert = tpm.ek_cert();
  r.ek_public = tpm.ek_public();
  r.ak_public = tpm.ak_public();
  const Bytes cdh = enrollment_client_data_hash(as_bytes(token), tpm.ak_public());
  PAW_TRY(EnrollmentFido f, fido.make_credential(cdh, mode, uv));
  r.fido = std::move(f);
  r.host = host;
  r.pcrs = tpm.select(selection);
  r.event_log = event_log;
  return r;
}

Result<EvidenceBody> SoftDevice::evidence_body(ByteView nonce, std::uint8_t fido_flags) {
  EvidenceBody b;
  b.device_id = device_id;
  b.nonce = Bytes(nonce.begin(), nonce.end());
  b.pcrs = tpm.select(selection);
  b.event_log = event_log;
  b.ima_log = ima_log;
  if (fido_flags != 0xff) {
    // Not PAW_TRY: GCC 12 warns maybe-uninitialized on the optional member when moving out.
    auto p = fido.get_assertion(presence_client_data_hash(nonce, device_id), fido_flags);
    if (!p.ok()) return p.error();
    b.fido.emplace(std::move(p).value());
  }
  b.host = host;
  b.agent_version = agent_version;
  return b;
}

Result<Envelope> SoftDevice::seal(const EvidenceBody& body) const {
  Bytes bytes = serialize_body(body);
  PAW_TRY(auto q, tpm.quote(qualifying_data(bytes), body.pcrs));
  return envelope_for(body, std::move(bytes), std::move(q.first), std::move(q.second));
}

Result<Envelope> SoftDevice::attest(ByteView nonce, std::uint8_t fido_flags) {
  PAW_TRY(EvidenceBody body, evidence_body(nonce, fido_flags));
  return seal(body);
}

}  // namespace paw::soft

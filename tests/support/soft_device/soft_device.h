// soft_device.h — a workstation in software: a TPM (EK with certificate, AK,
// PCRs, clock, TPM2_Quote, TPM2_ActivateCredential) and a FIDO2 key (packed
// attestation, assertions with a counter) whose outputs are byte-for-byte the
// structures real parts produce, so the verifier cannot tell the difference.
//
// For unit tests of the appraisal, the verifier service tests and paw-bench
// (library paw_soft_device; it links paw_attest only). NEVER for production:
// its "TPM" keys live in process memory.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "paw/attest/appraisal.h"
#include "paw/attest/bytes.h"
#include "paw/attest/digest.h"
#include "paw/attest/evidence.h"
#include "paw/attest/pcr.h"
#include "paw/attest/secure.h"
#include "paw/attest/tpm.h"

namespace paw::soft {

// SoftCa is a self-signed EC P-256 certificate authority (EK manufacturer CA,
// FIDO2 attestation CA).
struct SoftCa {
  EvpPkeyPtr key;
  Bytes cert_der;
  // generate makes a fresh CA "CN=<common_name>" valid for ten years.
  static Result<SoftCa> generate(const std::string& common_name);
  // cert_pem returns the certificate as PEM text (for an --ek-ca-dir folder).
  [[nodiscard]] std::string cert_pem() const;
  // key_pem returns the private key as PKCS#8 PEM (a test CA: keep it beside the certificate).
  [[nodiscard]] std::string key_pem() const;
  // load reads a CA back from cert_pem() and key_pem() output. Errc::malformed.
  static Result<SoftCa> load(ByteView cert_pem, ByteView key_pem);
};

// SoftTpm is a TPM 2.0 in software: an ECC P-256 EK (TCG EK template L-2
// attributes) with an EK certificate issued by a SoftCa, an ECC P-256
// restricted signing AK, SHA-256 and SHA-1 PCR banks, and a clock.
class SoftTpm {
 public:
  // create generates EK and AK; with |ek_ca| the EK gets a certificate
  // (empty subject, critical SAN with TPM manufacturer attributes, EKU
  // tcg-kp-EKCertificate), otherwise ek_cert() is empty (TOFU).
  static Result<SoftTpm> create(const SoftCa* ek_ca);

  [[nodiscard]] const Bytes& ek_public() const noexcept { return ek_public_; }   // TPM2B_PUBLIC
  [[nodiscard]] const std::optional<Bytes>& ek_cert() const noexcept { return ek_cert_; }
  [[nodiscard]] const Bytes& ak_public() const noexcept { return ak_public_; }   // TPM2B_PUBLIC
  [[nodiscard]] const Bytes& ak_name() const noexcept { return ak_name_; }

  // pcrs are the current PCR values (all 24 of both banks start at zero).
  [[nodiscard]] const PcrValues& pcrs() const noexcept { return pcrs_; }
  // extend does PCR[index] = H(PCR[index] || digest) in |bank|.
  void extend(HashAlg bank, std::uint32_t index, ByteView digest);
  // set_pcrs replaces the values of the PCRs present in |values|.
  void set_pcrs(const PcrValues& values);
  // reset_pcrs zeroes every PCR (as a TPM reset does).
  void reset_pcrs();
  // clock is the TPMS_CLOCK_INFO the next quote reports; tests move it.
  ClockInfo& clock() noexcept { return clock_; }
  // reboot: resetCount+1, restartCount 0, PCRs reset, clock keeps counting.
  void reboot();

  // select returns the current values of the PCRs named in |which| (values ignored).
  [[nodiscard]] PcrValues select(const PcrValues& which) const;
  // quote returns {TPMS_ATTEST, TPMT_SIGNATURE} over the PCRs named in |which|
  // with extraData = |qualifying_data|, signed ECDSA-SHA256 by the AK. |mutate|
  // (tests) may alter the TPMS_ATTEST before it is marshalled and signed.
  Result<std::pair<Bytes, Bytes>> quote(ByteView qualifying_data, const PcrValues& which,
                                        void (*mutate)(TPMS_ATTEST&) = nullptr) const;
  // sign_raw signs arbitrary bytes with the AK as a TPMT_SIGNATURE (forgery tests).
  Result<Bytes> sign_raw(ByteView message) const;
  // activate_credential is TPM2_ActivateCredential for the AK: recovers the
  // secret from MakeCredential's blobs with the EK private key. Errc::activation_failed
  // if the integrity HMAC does not match (wrong EK or object name), Errc::malformed.
  Result<SecretBytes> activate_credential(ByteView credential_blob, ByteView encrypted_secret) const;

 private:
  SoftTpm() = default;
  EvpPkeyPtr ek_;
  EvpPkeyPtr ak_;
  Bytes ek_public_;
  std::optional<Bytes> ek_cert_;
  Bytes ak_public_;
  Bytes ak_name_;
  PcrValues pcrs_;
  ClockInfo clock_;
};

// AttestationMode says how the FIDO2 key attests a new credential.
enum class AttestationMode { basic, self, none };

// SoftFido is a FIDO2 key holding one ES256 credential.
class SoftFido {
 public:
  // create makes the credential and, for basic attestation, an attestation
  // certificate for |aaguid| issued by |attestation_ca| (required for basic).
  static Result<SoftFido> create(std::string rp_id, Bytes aaguid, const SoftCa* attestation_ca);

  [[nodiscard]] const Bytes& credential_id() const noexcept { return credential_id_; }
  [[nodiscard]] const Bytes& aaguid() const noexcept { return aaguid_; }
  // counter is the signCount of the next assertion minus one; tests set it.
  std::uint32_t& counter() noexcept { return counter_; }
  // counter_step: 1 by default; 0 makes a key without a counter.
  std::uint32_t& counter_step() noexcept { return step_; }

  // make_credential returns the "fido" object of an enrollment request over |client_data_hash|.
  Result<EnrollmentFido> make_credential(ByteView client_data_hash, AttestationMode mode, bool uv = false);
  // get_assertion returns a presence proof over |client_data_hash|; the counter
  // advances by counter_step() first. |flags| are the authData flags (UP = 0x01, UV = 0x04).
  Result<FidoPresence> get_assertion(ByteView client_data_hash, std::uint8_t flags = 0x01);

 private:
  SoftFido() = default;
  std::string rp_id_;
  Bytes aaguid_;
  Bytes credential_id_;
  EvpPkeyPtr key_;
  EvpPkeyPtr attestation_key_;
  Bytes attestation_cert_;
  std::uint32_t counter_ = 0;
  std::uint32_t step_ = 1;
};

// BootConfig describes the boot a synthetic UEFI event log records.
struct BootConfig {
  bool secure_boot = true;                      // SecureBoot variable (PCR 7)
  Bytes pk = to_bytes("soft PK v1");            // contents of PK, KEK, db, dbx (PCR 7)
  Bytes kek = to_bytes("soft KEK v1");
  Bytes db = to_bytes("soft db v1");
  Bytes dbx = to_bytes("soft dbx v1");
  std::vector<Bytes> boot_apps = {sha256(to_bytes("shimx64.efi")), sha256(to_bytes("grubx64.efi"))};  // PCR 4
  std::string firmware_version = "soft firmware 1.0";                                               // PCR 0
};

// make_event_log writes a crypto-agile (SHA-256 bank) binary_bios_measurements
// log in the TCG PFP 1.05 format a UEFI firmware writes: Spec ID header, S-CRTM
// version (PCR 0), SecureBoot/PK/KEK/db/dbx (PCR 7), boot applications (PCR 4),
// separators on PCRs 0-7.
Bytes make_event_log(const BootConfig& cfg);

// SoftDevice is one workstation: a SoftTpm, a SoftFido and the agent logic
// that builds enrollment requests and evidence exactly as paw-agent does.
struct SoftDevice {
  SoftTpm tpm;
  SoftFido fido;
  std::string device_id;                 // set after activation
  HostFacts host{"Debian GNU/Linux 12 (bookworm)", "6.1.0-soft", true, true};
  std::optional<Bytes> event_log;        // sent with enrollment and evidence
  std::optional<Bytes> ima_log;
  PcrValues selection;                   // which PCRs to quote (values ignored)
  std::string agent_version = "0.1.0";

  // create builds a device whose EK certificate comes from |ek_ca| (null:
  // TOFU) and whose FIDO2 key attests with a certificate from |fido_ca|.
  // The default selection is sha256 PCRs 0-7.
  static Result<SoftDevice> create(const std::string& rp_id, const SoftCa* ek_ca, const SoftCa* fido_ca,
                                   Bytes aaguid = Bytes(16, 0x42));

  // use_event_log installs a binary_bios_measurements log: replays it into the
  // TPM's PCRs (so quotes agree with it) and quotes every PCR it covers in sha256.
  Status use_event_log(Bytes log);

  // use_ima_log installs an IMA measurement list: its replay becomes PCR 10
  // (SHA-1 and SHA-256 banks) and sha256 PCR 10 joins the quoted selection.
  Status use_ima_log(Bytes log);

  // enrollment_request builds POST /v1/enrollments for |token|.
  Result<EnrollmentRequest> enrollment_request(const std::string& token, AttestationMode mode = AttestationMode::basic,
                                               bool uv = false);
  // evidence_body builds the body for |nonce| (FIDO2 assertion included with |fido_flags|, unless 0xff).
  Result<EvidenceBody> evidence_body(ByteView nonce, std::uint8_t fido_flags = 0x01);
  // seal serializes |body| and quotes it: the envelope POST /v1/attestations carries.
  Result<Envelope> seal(const EvidenceBody& body) const;
  // attest = seal(evidence_body(nonce)).
  Result<Envelope> attest(ByteView nonce, std::uint8_t fido_flags = 0x01);
};

}  // namespace paw::soft

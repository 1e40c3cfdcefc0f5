// paw/platform/ek.h — the endorsement key: its certificate from NV and the key
// itself, re-created from the TCG EK Credential Profile template so that its
// public key is the one the certificate certifies.
//
// TCG EK Credential Profile for TPM 2.0, version 2.5, 2.2.1.4 (low range,
// templates L-1/L-2) and 2.2.1.5 (high range, templates H-1..H-7).
#pragma once

#include "paw/platform/parse.h"

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "paw/attest/bytes.h"
#include "paw/attest/error.h"
#include "paw/platform/tpm.h"

namespace paw::platform {

// EkType is an EK template paw can create (and use as a parent).
enum class EkType {
  rsa2048,    // template L-1, certificate at NV 0x01c00002
  ecc_p256,   // template L-2, certificate at NV 0x01c0000a
  ecc_p384,   // template H-3, certificate at NV 0x01c00016 (swtpm 0.7's ECC EK)
};
std::string_view ek_type_name(EkType t) noexcept;        // "rsa2048", "ecc-p256", "ecc-p384"
std::optional<EkType> ek_type_from_name(std::string_view name) noexcept;
// ek_cert_index returns the NV index of |t|'s certificate.
std::uint32_t ek_cert_index(EkType t) noexcept;

// NV indices of EK certificates (EK Credential Profile 2.5, Table 2 and 2.2.1.5).
inline constexpr std::uint32_t kEkCertRsa2048 = 0x01c00002;
inline constexpr std::uint32_t kEkCertEccP256 = 0x01c0000a;
inline constexpr std::uint32_t kEkCertHighRsa2048 = 0x01c00012;
inline constexpr std::uint32_t kEkCertHighEccP256 = 0x01c00014;
inline constexpr std::uint32_t kEkCertHighEccP384 = 0x01c00016;
inline constexpr std::uint32_t kEkCertHighEccP521 = 0x01c00018;
inline constexpr std::uint32_t kEkCertHighEccSm2 = 0x01c0001a;
inline constexpr std::uint32_t kEkCertHighRsa3072 = 0x01c0001c;
inline constexpr std::uint32_t kEkCertHighRsa4096 = 0x01c0001e;
// kEkCertIndices lists every index read_ek_certs looks at, in that order.
inline constexpr std::uint32_t kEkCertIndices[] = {
    kEkCertRsa2048,     kEkCertEccP256,     kEkCertHighRsa2048, kEkCertHighEccP256, kEkCertHighEccP384,
    kEkCertHighEccP521, kEkCertHighEccSm2,  kEkCertHighRsa3072, kEkCertHighRsa4096};

// EkCert is one EK certificate as stored in NV.
struct EkCert {
  std::uint32_t nv_index = 0;
  Bytes der;      // the certificate's DER, padding after it removed
  Bytes stored;   // the NV contents as read (may carry 0x00/0xFF padding)
  std::optional<EkType> type;  // the template paw creates for this index, if any
};

// der_length (cutting NV padding after a certificate) is in parse.h.

// read_ek_cert reads the certificate at |nv_index|: nullopt when the index is
// not defined; Errc::tpm_error on TPM failure; Errc::malformed if the contents
// do not start with a DER SEQUENCE. Reads in chunks of TPM_PT_NV_BUFFER_MAX.
Result<std::optional<EkCert>> read_ek_cert(Tpm& tpm, std::uint32_t nv_index);
// read_ek_certs reads every index of kEkCertIndices that is defined.
Result<std::vector<EkCert>> read_ek_certs(Tpm& tpm);

// Ek is a loaded endorsement key (flushed when destroyed).
struct Ek {
  EkType type = EkType::rsa2048;
  TpmObject handle;
  Bytes public_tpm2b;   // TPM2B_PUBLIC as the TPM returned it (protocol "ek_public")
  Bytes name;           // the TPM's Name of the EK (nameAlg || digest)
};

// ek_template returns the profile template for |t| (as a TPM2B_PUBLIC body).
TPM2B_PUBLIC ek_template(EkType t);
// create_ek runs TPM2_CreatePrimary in the endorsement hierarchy (empty
// endorsement auth) with ek_template(t).
Result<Ek> create_ek(Tpm& tpm, EkType t);

// start_ek_session starts a policy session that satisfies the EK's authPolicy:
// PolicySecret(TPM_RH_ENDORSEMENT) for L-templates, followed by PolicyOR(PolicyA,
// PolicyC) for H-templates. A policy session authorizes ONE command: start a new
// one for each use of the EK (Create, Load, ActivateCredential).
Result<TpmObject> start_ek_session(Tpm& tpm, EkType t);

}  // namespace paw::platform

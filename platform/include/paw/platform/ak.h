// paw/platform/ak.h — the attestation key: a restricted signing key created
// under the EK, kept as TPM2B_PUBLIC + TPM2B_PRIVATE files in the agent's state
// folder (mode 0600) and reloaded on every run; and TPM2_ActivateCredential,
// which proves to a verifier that the AK lives in the same TPM as the EK.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "paw/attest/bytes.h"
#include "paw/attest/error.h"
#include "paw/attest/secure.h"
#include "paw/platform/ek.h"
#include "paw/platform/tpm.h"

namespace paw::platform {

// AkAlg is the AK's key type and (fixed, restricted) signing scheme.
enum class AkAlg {
  ecc_p256,  // ECDSA with SHA-256 (default)
  rsa2048,   // RSASSA-PKCS1-v1_5 with SHA-256
};
std::string_view ak_alg_name(AkAlg a) noexcept;  // "ecc-p256", "rsa2048"
std::optional<AkAlg> ak_alg_from_name(std::string_view name) noexcept;

// AkBlob is an AK as stored: the TPM's wrapped private part (only its parent
// EK in the same TPM can load it) and its public area.
struct AkBlob {
  AkAlg alg = AkAlg::ecc_p256;
  EkType parent = EkType::rsa2048;
  Bytes public_tpm2b;    // TPM2B_PUBLIC
  Bytes private_tpm2b;   // TPM2B_PRIVATE (encrypted by the TPM under the EK)
};

// ak_template returns the public template: restricted|sign|fixedTPM|fixedParent|
// sensitiveDataOrigin|userWithAuth, nameAlg SHA-256, the scheme of |alg|.
TPM2B_PUBLIC ak_template(AkAlg alg);
// create_ak runs TPM2_Create under |ek| (EK policy session). The key is not loaded.
Result<AkBlob> create_ak(Tpm& tpm, const Ek& ek, AkAlg alg);

// Ak is a loaded AK (flushed when destroyed).
struct Ak {
  AkAlg alg = AkAlg::ecc_p256;
  TpmObject handle;
  Bytes public_tpm2b;   // TPM2B_PUBLIC (protocol "ak_public")
  Bytes name;           // nameAlg || H(TPMT_PUBLIC), what MakeCredential binds to
};
// load_ak runs TPM2_Load of |blob| under |ek|. Errc::tpm_error if the TPM
// refuses it (e.g. TPM_RC_INTEGRITY after the TPM was cleared).
Result<Ak> load_ak(Tpm& tpm, const Ek& ek, const AkBlob& blob);

// AK state files inside the state folder.
inline constexpr const char* kAkPublicFile = "ak.pub";     // TPM2B_PUBLIC
inline constexpr const char* kAkPrivateFile = "ak.priv";   // TPM2B_PRIVATE
inline constexpr const char* kAkMetaFile = "ak.meta";      // "alg=ecc-p256\nparent=rsa2048\n"

// save_ak_blob writes the three files atomically (temp + rename), mode 0600,
// creating |dir| with mode 0700 if needed. Errc::io_error.
Status save_ak_blob(const std::filesystem::path& dir, const AkBlob& blob);
// load_ak_blob reads them back: nullopt when no AK is stored; Errc::malformed /
// Errc::io_error for damaged files; Errc::config_error if a file is readable by
// group or others.
Result<std::optional<AkBlob>> load_ak_blob(const std::filesystem::path& dir);

// AkOrigin says where ensure_ak's AK came from.
enum class AkOrigin {
  loaded,     // the stored AK loaded
  created,    // no AK was stored: a new one was created and stored
  recreated,  // the stored AK no longer loads (TPM cleared, or other EK/algorithm): replaced
};
std::string_view ak_origin_name(AkOrigin o) noexcept;

struct EnsuredAk {
  Ak ak;
  AkOrigin origin = AkOrigin::loaded;
  std::string note;   // human text for logs: why it was (re)created
};
// ensure_ak loads the AK stored in |state_dir|, or creates and stores one when
// there is none, when the stored one is of another algorithm or parent, or when
// the TPM refuses to load it (cleared TPM: a new endorsement seed makes the old
// private blob fail its integrity check). Other TPM errors are returned.
Result<EnsuredAk> ensure_ak(Tpm& tpm, const Ek& ek, const std::filesystem::path& state_dir, AkAlg alg);

// ak_public_pem converts a TPM2B_PUBLIC to a "-----BEGIN PUBLIC KEY-----" PEM.
Result<std::string> ak_public_pem(ByteView public_tpm2b);

// activate_credential answers a verifier's MakeCredential challenge: runs
// TPM2_ActivateCredential with |ak| (password auth) and |ek| (EK policy
// session) and returns the secret. |credential_blob| is a TPM2B_ID_OBJECT and
// |encrypted_secret| a TPM2B_ENCRYPTED_SECRET, both with their size prefix (as
// tpm2_makecredential writes them after its 8-byte file header, and as the
// protocol sends them). Errc::malformed for bad input, Errc::activation_failed
// when the TPM refuses the challenge (not made for this EK/AK), Errc::tpm_error otherwise.
Result<SecretBytes> activate_credential(Tpm& tpm, const Ek& ek, const Ak& ak, ByteView credential_blob,
                                        ByteView encrypted_secret);

}  // namespace paw::platform

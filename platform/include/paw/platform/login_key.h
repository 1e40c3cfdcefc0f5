// paw/platform/login_key.h — the login key: an ECC P-256 signing key that
// never leaves this TPM, certified by the AK, kept as a "TSS2 PRIVATE KEY"
// PEM file (TPM 2.0 Key Files) so other TPM software loads the same key —
// the tpm2 OpenSSL 3 provider (openssl, curl --key, nginx as a client):
//
//   openssl pkey -provider tpm2 -provider default -in login-key.pem -pubout
//
// Its parent is the owner hierarchy's storage primary made from the standard
// ECC P-256 SRK template (srk_template), which that software recreates the
// same way: a primary is a deterministic function of the hierarchy seed and
// the template, so it is never stored. The private part in the file is
// encrypted by this TPM's SRK: a copy is useless on another TPM.
#pragma once

#include <filesystem>
#include <optional>

#include "paw/attest/bytes.h"
#include "paw/attest/certify.h"
#include "paw/attest/error.h"
#include "paw/platform/ak.h"
#include "paw/platform/tpm.h"

namespace paw::platform {

// kLoginKeyFile is the key file in the agent's state folder (mode 0600).
inline constexpr const char* kLoginKeyFile = "login-key.pem";
// kOwnerHierarchy is TPM_RH_OWNER (TPM 2.0 Part 2, 7.4), the key file's parent.
inline constexpr std::uint32_t kOwnerHierarchy = 0x40000001;

// srk_template is the ECC NIST P-256 storage root key template of TCG "TPM
// 2.0 Provisioning Guidance" (restricted|decrypt|fixedTPM|fixedParent|
// sensitiveDataOrigin|userWithAuth|noDA, AES-128-CFB, nameAlg SHA-256, empty
// unique and authPolicy) — byte for byte what tpm2-openssl creates as the
// parent of a key file whose parent is the owner hierarchy.
TPM2B_PUBLIC srk_template();
// login_key_template: ECC NIST P-256, nameAlg SHA-256, fixedTPM|fixedParent|
// sensitiveDataOrigin|userWithAuth|sign, not restricted, no decrypt, scheme
// NULL (the signer picks ECDSA and the hash: TLS, DPoP, SSH), empty auth.
TPM2B_PUBLIC login_key_template();

// LoginKeyBlob is the login key as stored: TPM2B_PUBLIC and TPM2B_PRIVATE
// (the latter encrypted by this TPM's SRK).
struct LoginKeyBlob {
  Bytes public_tpm2b;
  Bytes private_tpm2b;
  bool operator==(const LoginKeyBlob&) const = default;
};

// create_login_key creates the SRK (transient, flushed again) and a new login
// key under it. Errc::tpm_error.
Result<LoginKeyBlob> create_login_key(Tpm& tpm);

// LoadedLoginKey is a login key loaded in the TPM (flushed when destroyed).
struct LoadedLoginKey {
  TpmObject handle;
  Bytes public_tpm2b;
};
// load_login_key recreates the SRK, loads |blob| under it and flushes the SRK
// (one transient slot stays in use). Errc::tpm_error when the TPM refuses the
// blob — on another TPM its integrity check fails.
Result<LoadedLoginKey> load_login_key(Tpm& tpm, const LoginKeyBlob& blob);

// certify_login_key runs TPM2_Certify of |key| signed by |ak| with
// |qualifying_data| (certify.h says which) and returns what the verifier checks.
Result<LoginKeyCertify> certify_login_key(Tpm& tpm, const Ak& ak, const LoadedLoginKey& key,
                                          ByteView qualifying_data);
// sign_with_login_key signs SHA-256(|message|) with ECDSA (TPM2_Sign) and
// returns the marshalled TPMT_SIGNATURE. Errc::tpm_error.
Result<Bytes> sign_with_login_key(Tpm& tpm, const LoadedLoginKey& key, ByteView message);

// encode_tss2_private_key writes the "TSS2 PRIVATE KEY" PEM of |blob| (TPM 2.0
// Key Files: TPMKey ::= SEQUENCE { type OID 2.23.133.10.1.3 (loadable key),
// emptyAuth [0] EXPLICIT BOOLEAN TRUE, parent INTEGER 0x40000001, pubkey
// OCTET STRING (TPM2B_PUBLIC), privkey OCTET STRING (TPM2B_PRIVATE) }).
std::string encode_tss2_private_key(const LoginKeyBlob& blob);
// decode_tss2_private_key reads that PEM strictly (DER, minimal lengths, no
// trailing bytes; the structures inside must unmarshal). Errc::malformed,
// trailing_data, too_large, unsupported (another key type, a parent other than
// the owner hierarchy, a key that needs a password).
Result<LoginKeyBlob> decode_tss2_private_key(ByteView pem);

// save_login_key writes kLoginKeyFile in |dir| (atomic, mode 0600). Errc::io_error.
Status save_login_key(const std::filesystem::path& dir, const LoginKeyBlob& blob);
// load_login_key_file reads it: nullopt when there is none; Errc::config_error
// when others may read it; decode errors as above.
Result<std::optional<LoginKeyBlob>> load_login_key_file(const std::filesystem::path& dir);

}  // namespace paw::platform

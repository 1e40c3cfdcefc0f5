// paw/platform/ek_cache.h — the EK kept between attestations. Re-creating the
// RSA EK (TPM2_CreatePrimary) is the slowest command of an attestation (tens
// of ms on a real TPM and on swtpm); instead the agent saves the EK's context
// (TPM2_ContextSave) in its state folder as ek.ctx and loads it back
// (TPM2_ContextLoad) next time. Nothing is written into the TPM (no persistent
// handle, no owner authorization needed) and the context stops loading by
// itself when it must: after a TPM Reset (reboot), TPM2_Clear or
// TPM2_ChangeEPS the TPM refuses it, and open_ek falls back to CreatePrimary.
//
// A loaded context is used only if the TPM says the object is exactly the EK:
// TPM2_ReadPublic answers the profile template's public area (all but the key
// itself), the Name recorded when the context was saved after a
// CreatePrimary, and a qualified name that makes it a primary object of the
// endorsement hierarchy. Anything else (another object, a context from
// another tool or TPM, a damaged file) is flushed and the EK re-created.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "paw/attest/error.h"
#include "paw/platform/ek.h"
#include "paw/platform/tpm.h"

namespace paw::platform {

inline constexpr const char* kEkContextFile = "ek.ctx";  // in the state folder, mode 0600

// EkOrigin says how open_ek got the EK.
enum class EkOrigin {
  cached,   // the saved context loaded and is the EK: no TPM2_CreatePrimary
  created,  // TPM2_CreatePrimary (no usable saved context); its context is saved now
};
std::string_view ek_origin_name(EkOrigin o) noexcept;  // "cached", "created"

struct OpenedEk {
  Ek ek;
  EkOrigin origin = EkOrigin::created;
  std::string note;  // why a saved context was not used, or could not be saved ("" otherwise)
  // foreign: ek.ctx loaded in the TPM but held another object than the EK —
  // someone or something replaced it (a reboot or clear only makes the TPM
  // refuse it, which is not foreign). Worth a warning in the log.
  bool foreign = false;
};

// open_ek returns the EK of type |t|: from |state_dir|/ek.ctx when that
// loads and checks out (see above), else from create_ek, saving its context
// for next time. A context that cannot be saved (read-only folder) is only a
// note. TPM failures of CreatePrimary are returned as create_ek returns them.
Result<OpenedEk> open_ek(Tpm& tpm, EkType t, const std::filesystem::path& state_dir);

// save_ek_context saves |ek|'s context to |state_dir|/ek.ctx (atomically,
// mode 0600). |ek| must come from create_ek: its Name is what later loads are
// checked against.
Status save_ek_context(Tpm& tpm, const Ek& ek, const std::filesystem::path& state_dir);

// forget_ek_context removes ek.ctx (the next open_ek re-creates the EK).
void forget_ek_context(const std::filesystem::path& state_dir) noexcept;

// check_ek_object asks the TPM (TPM2_ReadPublic) whether the loaded object
// |handle| is the EK of type |t| with Name |name| (see above): Errc::conflict
// when it is not, Errc::tpm_error when the TPM cannot say.
Status check_ek_object(Tpm& tpm, ESYS_TR handle, EkType t, ByteView name);

}  // namespace paw::platform

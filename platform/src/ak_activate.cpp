// ak_activate.cpp — TPM2_ActivateCredential (TPM 2.0 Part 3, 12.5).
#include <openssl/crypto.h>

#include "paw/platform/ak.h"
#include "tpm_internal.h"

namespace paw::platform {

Result<SecretBytes> activate_credential(Tpm& tpm, const Ek& ek, const Ak& ak, ByteView credential_blob,
                                        ByteView encrypted_secret) {
  PAW_TRY(const TPM2B_ID_OBJECT blob, detail::unmarshal<TPM2B_ID_OBJECT>(
                                          credential_blob, Tss2_MU_TPM2B_ID_OBJECT_Unmarshal, "credential blob"));
  PAW_TRY(const TPM2B_ENCRYPTED_SECRET secret,
          detail::unmarshal<TPM2B_ENCRYPTED_SECRET>(encrypted_secret, Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal,
                                                    "encrypted secret"));
  TPM2B_DIGEST* out_raw = nullptr;
  TSS2_RC rc = TSS2_RC_SUCCESS;
  for (int attempt = 0; attempt <= kTpmRetries; ++attempt) {
    PAW_TRY(TpmObject session, start_ek_session(tpm, ek.type));
    // activateHandle (the AK) needs USER auth: its empty password; keyHandle (the EK) its policy.
    rc = Esys_ActivateCredential(tpm.esys(), ak.handle.get(), ek.handle.get(), ESYS_TR_PASSWORD, session.get(),
                                 ESYS_TR_NONE, &blob, &secret, &out_raw);
    if (!is_retryable(rc)) break;
  }
  if (rc != TSS2_RC_SUCCESS) {
    Error e = tpm_error("TPM2_ActivateCredential", rc);
    // A format-one answer about a parameter (integrity, value, point, size) means the
    // challenge was not made for this EK and AK name.
    if ((rc & TSS2_RC_LAYER_MASK) == TSS2_TPM_RC_LAYER && (rc & TPM2_RC_FMT1) != 0) e.code = Errc::activation_failed;
    return e;
  }
  detail::EsysPtr<TPM2B_DIGEST> out(out_raw);
  SecretBytes result(ByteView(out->buffer, out->size));
  OPENSSL_cleanse(out->buffer, sizeof(out->buffer));
  return result;
}

}  // namespace paw::platform

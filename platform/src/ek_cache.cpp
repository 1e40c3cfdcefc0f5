// ek_cache.cpp — the EK's saved context (see paw/platform/ek_cache.h).
#include "paw/platform/ek_cache.h"

#include <system_error>

#include "paw/attest/digest.h"
#include "paw/attest/tpm.h"
#include "paw/platform/parse.h"
#include "tpm_internal.h"

namespace paw::platform {
namespace fs = std::filesystem;

namespace {

Error not_the_ek(const std::string& why) { return make_error(Errc::conflict, "the loaded object is not the EK: " + why); }

// without_unique is |p| with the key (unique) replaced by the template's, so
// the rest of the public area can be compared with the template byte for byte.
Result<Bytes> without_unique(TPM2B_PUBLIC p, EkType t) {
  p.publicArea.unique = ek_template(t).publicArea.unique;
  p.size = 0;  // recomputed by the marshaler
  return detail::marshal(p.publicArea, Tss2_MU_TPMT_PUBLIC_Marshal, "marshal EK public area");
}

}  // namespace

std::string_view ek_origin_name(EkOrigin o) noexcept {
  switch (o) {
    case EkOrigin::cached: return "cached";
    case EkOrigin::created: return "created";
  }
  return "?";
}

namespace {
// checked_ek_public is check_ek_object that also returns the EK's TPM2B_PUBLIC.
Result<Bytes> checked_ek_public(Tpm& tpm, ESYS_TR handle, EkType t, ByteView name) {
  TPM2B_PUBLIC* pub_raw = nullptr;
  TPM2B_NAME* name_raw = nullptr;
  TPM2B_NAME* qn_raw = nullptr;
  const TSS2_RC rc = detail::call_with_retry([&] {
    return Esys_ReadPublic(tpm.esys(), handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub_raw, &name_raw, &qn_raw);
  });
  if (rc != TSS2_RC_SUCCESS) return tpm_error("TPM2_ReadPublic(EK)", rc);
  detail::EsysPtr<TPM2B_PUBLIC> pub(pub_raw);
  detail::EsysPtr<TPM2B_NAME> tpm_name(name_raw);
  detail::EsysPtr<TPM2B_NAME> qn(qn_raw);
  // 1. The profile's template in every field but the key itself.
  if (pub->publicArea.type != ek_template(t).publicArea.type) return not_the_ek("it is another type of key");
  PAW_TRY(const Bytes area, without_unique(*pub, t));
  PAW_TRY(const Bytes want, detail::marshal(ek_template(t).publicArea, Tss2_MU_TPMT_PUBLIC_Marshal, "EK template"));
  if (area != want) return not_the_ek("its public area is not the " + std::string(ek_type_name(t)) + " EK template");
  // 2. The Name recorded after CreatePrimary: the TPM's, and the one of the
  //    public area it answered (so the key is the EK's too).
  const Bytes answered(tpm_name->name, tpm_name->name + tpm_name->size);
  if (answered != Bytes(name.begin(), name.end())) return not_the_ek("its Name differs from the EK's");
  PAW_TRY(const Bytes pub_bytes, detail::marshal(*pub, Tss2_MU_TPM2B_PUBLIC_Marshal, "marshal EK public"));
  PAW_TRY(const TpmPublic parsed, parse_public(pub_bytes));
  PAW_TRY(const Bytes computed, object_name(parsed));
  if (computed != answered) return not_the_ek("the TPM's Name is not its public area's");
  // 3. A primary object of the endorsement hierarchy: its qualified name is
  //    nameAlg || H(TPM_RH_ENDORSEMENT || Name) (TPM 2.0 Part 1, 16).
  const auto alg = hash_from_id(pub->publicArea.nameAlg);
  if (!alg) return not_the_ek("unknown nameAlg");
  Bytes qn_input = {0x40, 0x00, 0x00, 0x0B};  // TPM_RH_ENDORSEMENT
  qn_input.insert(qn_input.end(), answered.begin(), answered.end());
  PAW_TRY(const Bytes qn_digest, digest(*alg, qn_input));
  Bytes want_qn(answered.begin(), answered.begin() + 2);  // nameAlg
  want_qn.insert(want_qn.end(), qn_digest.begin(), qn_digest.end());
  if (Bytes(qn->name, qn->name + qn->size) != want_qn)
    return not_the_ek("it is not a primary object of the endorsement hierarchy");
  // 4. ESAPI's idea of the object (restored from the file) agrees with the TPM.
  PAW_TRY(const Bytes esys_name, detail::tr_name(tpm.esys(), handle));
  if (esys_name != answered) return not_the_ek("the saved context's metadata names another object");
  return pub_bytes;
}
}  // namespace

Status check_ek_object(Tpm& tpm, ESYS_TR handle, EkType t, ByteView name) {
  PAW_TRY(const Bytes unused, checked_ek_public(tpm, handle, t, name));
  (void)unused;
  return ok_status();
}

Status save_ek_context(Tpm& tpm, const Ek& ek, const fs::path& state_dir) {
  TPMS_CONTEXT* ctx_raw = nullptr;
  const TSS2_RC rc =
      detail::call_with_retry([&] { return Esys_ContextSave(tpm.esys(), ek.handle.get(), &ctx_raw); });
  if (rc != TSS2_RC_SUCCESS) return tpm_error("TPM2_ContextSave(EK)", rc);
  detail::EsysPtr<TPMS_CONTEXT> ctx(ctx_raw);
  EkContextFile f;
  f.type = static_cast<std::uint8_t>(ek.type);
  f.name = ek.name;
  PAW_TRY(f.context, detail::marshal(*ctx, Tss2_MU_TPMS_CONTEXT_Marshal, "marshal EK context"));
  if (f.name.size() > kMaxEkNameSize || f.context.size() > kMaxEkContextSize)
    return make_error(Errc::too_large, "EK context larger than paw keeps");
  std::error_code ec;
  if (!fs::is_directory(state_dir, ec)) return make_error(Errc::io_error, "no state folder " + state_dir.string());
  return detail::write_private_file(state_dir / kEkContextFile, encode_ek_context_file(f));
}

void forget_ek_context(const fs::path& state_dir) noexcept {
  std::error_code ec;
  fs::remove(state_dir / kEkContextFile, ec);
}

namespace {

// load_saved loads and checks the saved context; an error says why it is not used.
Result<Ek> load_saved(Tpm& tpm, EkType t, const fs::path& state_dir) {
  PAW_TRY(const Bytes raw, detail::read_private_file(state_dir / kEkContextFile));
  PAW_TRY(EkContextFile f, parse_ek_context_file(raw));
  if (f.type != static_cast<std::uint8_t>(t)) return make_error(Errc::conflict, "it is of another EK type");
  PAW_TRY(const TPMS_CONTEXT ctx,
          detail::unmarshal<TPMS_CONTEXT>(f.context, Tss2_MU_TPMS_CONTEXT_Unmarshal, "saved EK context"));
  ESYS_TR handle = ESYS_TR_NONE;
  const TSS2_RC rc = detail::call_with_retry([&] { return Esys_ContextLoad(tpm.esys(), &ctx, &handle); });
  if (rc != TSS2_RC_SUCCESS) return tpm_error("TPM2_ContextLoad(EK)", rc);
  Ek ek;
  ek.type = t;
  ek.handle = TpmObject(tpm.esys(), handle);  // flushed on any failure below
  PAW_TRY(ek.public_tpm2b, checked_ek_public(tpm, handle, t, f.name));
  ek.name = std::move(f.name);
  return ek;
}

}  // namespace

Result<OpenedEk> open_ek(Tpm& tpm, EkType t, const fs::path& state_dir) {
  OpenedEk out;
  std::error_code ec;
  if (fs::exists(state_dir / kEkContextFile, ec)) {
    auto saved = load_saved(tpm, t, state_dir);
    if (saved.ok()) {
      out.ek = std::move(saved).value();
      out.origin = EkOrigin::cached;
      return out;
    }
    out.note = "saved EK context not used (" + saved.error().detail + ")";
    out.foreign = saved.code() == Errc::conflict && saved.error().detail.find("not the EK") != std::string::npos;
  }
  PAW_TRY(out.ek, create_ek(tpm, t));
  out.origin = EkOrigin::created;
  if (auto st = save_ek_context(tpm, out.ek, state_dir); !st.ok())
    out.note += (out.note.empty() ? "" : "; ") + std::string("EK context not saved: ") + st.error().detail;
  return out;
}

}  // namespace paw::platform

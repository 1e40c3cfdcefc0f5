// tpm_internal.h — private helpers for the ESAPI sources.
#pragma once

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include "paw/attest/bytes.h"
#include "paw/platform/tpm.h"

namespace paw::platform::detail {

// EsysPtr owns memory ESAPI allocated for an output parameter ("callee-allocated", Esys_Free).
struct EsysFree {
  void operator()(void* p) const noexcept { Esys_Free(p); }
};
template <class T>
using EsysPtr = std::unique_ptr<T, EsysFree>;

// call_with_retry runs |f| (one ESAPI command) and repeats it while the TPM
// answers RETRY/YIELDED/TESTING, at most kTpmRetries times, with a short back-off.
template <class F>
TSS2_RC call_with_retry(F&& f) {
  TSS2_RC rc = f();
  for (int i = 0; i < kTpmRetries && is_retryable(rc); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5 * (i + 1)));
    rc = f();
  }
  return rc;
}

// marshal marshals a TSS structure with its Tss2_MU_*_Marshal function.
template <class T, class M>
Result<Bytes> marshal(const T& value, M fn, const char* what) {
  Bytes out(sizeof(T) + 16);
  size_t off = 0;
  const TSS2_RC rc = fn(&value, out.data(), out.size(), &off);
  if (rc != TSS2_RC_SUCCESS) return tpm_error(what, rc);
  out.resize(off);
  return out;
}

// unmarshal reads a whole TSS structure; Errc::malformed on failure,
// Errc::trailing_data if bytes are left.
template <class T, class U>
Result<T> unmarshal(ByteView in, U fn, const char* what) {
  T value{};
  size_t off = 0;
  const TSS2_RC rc = fn(in.data(), in.size(), &off, &value);
  if (rc != TSS2_RC_SUCCESS) return make_error(Errc::malformed, std::string(what) + " does not parse");
  if (off != in.size()) return make_error(Errc::trailing_data, std::string(what) + " has trailing bytes");
  return value;
}

// write_private_file writes |data| to |path| atomically (temp + fsync +
// rename), mode 0600, refusing to follow a symlink. Errc::io_error.
Status write_private_file(const std::filesystem::path& path, ByteView data);
// read_private_file reads a state file (at most 64 KiB); Errc::config_error
// when group or others may read it, Errc::io_error when it cannot be read.
Result<Bytes> read_private_file(const std::filesystem::path& path);

// tr_name returns the Name ESAPI computed for |handle| (nameAlg || digest).
Result<Bytes> tr_name(ESYS_CONTEXT* esys, ESYS_TR handle);

}  // namespace paw::platform::detail

// ak_store.cpp — the AK's files in the state folder, and ensure_ak.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "paw/platform/ak.h"
#include "tpm_internal.h"

namespace paw::platform {
namespace detail {
Result<Ak> load_ak_rc(Tpm& tpm, const Ek& ek, const AkBlob& blob, TSS2_RC& rc);
}

namespace fs = std::filesystem;

namespace detail {
Status write_private_file(const fs::path& path, ByteView data) {
  const fs::path tmp = path.string() + ".tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return make_error(Errc::io_error, "cannot create " + tmp.string() + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return make_error(Errc::io_error, "cannot write " + tmp.string());
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return make_error(Errc::io_error, "cannot sync " + tmp.string());
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return make_error(Errc::io_error, "cannot rename to " + path.string() + ": " + std::strerror(errno));
  return ok_status();
}

Result<Bytes> read_private_file(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return make_error(Errc::io_error, "cannot stat " + path.string());
  if ((st.st_mode & 077) != 0)
    return make_error(Errc::config_error, path.string() + " is readable by others (want mode 0600)");
  return read_file(path.string(), 64 * 1024);
}
}  // namespace detail

namespace {
using detail::read_private_file;
using detail::write_private_file;
}  // namespace

Status save_ak_blob(const fs::path& dir, const AkBlob& blob) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) return make_error(Errc::io_error, "cannot create " + dir.string() + ": " + ec.message());
    ::chmod(dir.c_str(), 0700);
  }
  const std::string meta =
      "alg=" + std::string(ak_alg_name(blob.alg)) + "\nparent=" + std::string(ek_type_name(blob.parent)) + "\n";
  PAW_CHECK(write_private_file(dir / kAkPublicFile, blob.public_tpm2b));
  PAW_CHECK(write_private_file(dir / kAkPrivateFile, blob.private_tpm2b));
  PAW_CHECK(write_private_file(dir / kAkMetaFile, as_bytes(meta)));
  return ok_status();
}

Result<std::optional<AkBlob>> load_ak_blob(const fs::path& dir) {
  const fs::path files[] = {dir / kAkPublicFile, dir / kAkPrivateFile, dir / kAkMetaFile};
  int present = 0;
  for (const auto& f : files) present += fs::exists(f) ? 1 : 0;
  if (present == 0) return std::optional<AkBlob>{};
  if (present != 3) return make_error(Errc::malformed, "AK state in " + dir.string() + " is incomplete");
  AkBlob blob;
  PAW_TRY(blob.public_tpm2b, read_private_file(files[0]));
  PAW_TRY(blob.private_tpm2b, read_private_file(files[1]));
  PAW_TRY(const Bytes meta, read_private_file(files[2]));
  std::optional<AkAlg> alg;
  std::optional<EkType> parent;
  std::string text(meta.begin(), meta.end());
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(pos, end - pos);
    if (line.rfind("alg=", 0) == 0) alg = ak_alg_from_name(line.substr(4));
    else if (line.rfind("parent=", 0) == 0) parent = ek_type_from_name(line.substr(7));
    else if (!line.empty()) return make_error(Errc::malformed, "unknown line in " + files[2].string());
    pos = end + 1;
  }
  if (!alg || !parent) return make_error(Errc::malformed, files[2].string() + " lacks alg= or parent=");
  blob.alg = *alg;
  blob.parent = *parent;
  return std::optional<AkBlob>(std::move(blob));
}

std::string_view ak_origin_name(AkOrigin o) noexcept {
  switch (o) {
    case AkOrigin::loaded: return "loaded";
    case AkOrigin::created: return "created";
    case AkOrigin::recreated: return "recreated";
  }
  return "?";
}

namespace {
Result<EnsuredAk> create_and_store(Tpm& tpm, const Ek& ek, const fs::path& dir, AkAlg alg, AkOrigin origin,
                                   std::string note) {
  PAW_TRY(const AkBlob blob, create_ak(tpm, ek, alg));
  PAW_CHECK(save_ak_blob(dir, blob));
  PAW_TRY(Ak ak, load_ak(tpm, ek, blob));
  return EnsuredAk{std::move(ak), origin, std::move(note)};
}

// stale_blob tells whether a TPM2_Load failure means "this blob is not for this
// TPM/EK any more" (a format-one error from the TPM about a parameter: integrity,
// binding, size, key — what a cleared TPM answers) rather than a transport failure.
bool stale_blob(TSS2_RC rc) {
  const TSS2_RC layer = rc & TSS2_RC_LAYER_MASK;
  if (layer != TSS2_TPM_RC_LAYER && layer != TSS2_RESMGR_TPM_RC_LAYER) return false;
  return (rc & TPM2_RC_FMT1) != 0;
}
}  // namespace

Result<EnsuredAk> ensure_ak(Tpm& tpm, const Ek& ek, const fs::path& state_dir, AkAlg alg) {
  auto stored = load_ak_blob(state_dir);
  if (!stored.ok() && stored.code() != Errc::malformed) return std::move(stored).error();
  if (!stored.ok())
    return create_and_store(tpm, ek, state_dir, alg, AkOrigin::recreated,
                            "stored AK was unreadable (" + stored.error().detail + "); created a new AK");
  if (!stored->has_value())
    return create_and_store(tpm, ek, state_dir, alg, AkOrigin::created, "no AK stored; created a new AK");
  const AkBlob& blob = **stored;
  if (blob.alg != alg || blob.parent != ek.type)
    return create_and_store(tpm, ek, state_dir, alg, AkOrigin::recreated,
                            "stored AK is " + std::string(ak_alg_name(blob.alg)) + " under EK " +
                                std::string(ek_type_name(blob.parent)) + "; created a new AK");
  TSS2_RC rc = TSS2_RC_SUCCESS;
  auto loaded = detail::load_ak_rc(tpm, ek, blob, rc);
  if (loaded.ok()) return EnsuredAk{std::move(loaded).value(), AkOrigin::loaded, "loaded the stored AK"};
  if (loaded.code() == Errc::malformed || loaded.code() == Errc::trailing_data)
    return create_and_store(tpm, ek, state_dir, alg, AkOrigin::recreated,
                            "stored AK was unreadable (" + loaded.error().detail + "); created a new AK");
  if (!stale_blob(rc)) return std::move(loaded).error();
  return create_and_store(tpm, ek, state_dir, alg, AkOrigin::recreated,
                          "the TPM refused the stored AK (" + loaded.error().detail +
                              "; was the TPM cleared?); created a new AK — it must be enrolled again");
}

}  // namespace paw::platform

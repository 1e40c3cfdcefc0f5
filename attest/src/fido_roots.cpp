// fido_roots.cpp — FidoAttestationRoots: the FIDO2 attestation roots per key model.
#include "paw/attest/fido_roots.h"

#include <algorithm>
#include <filesystem>
#include <optional>

#include "paw/attest/ekcert.h"
#include "paw/attest/policy.h"

namespace paw::attest {
namespace {
constexpr std::size_t kMaxRootFile = 1u << 20;

// aaguid_of_file_name: "<uuid>.pem" names one model's roots; anything else is any-model.
std::optional<Bytes> aaguid_of_file_name(const std::filesystem::path& p) {
  if (p.extension() != ".pem") return std::nullopt;
  const std::string stem = p.stem().string();
  if (stem.size() != 36) return std::nullopt;
  auto g = parse_aaguid(stem);
  if (!g.ok() || format_aaguid(*g) != stem) return std::nullopt;  // only the canonical spelling
  return std::move(g).value();
}
}  // namespace

struct FidoAttestationRoots::Impl {
  std::optional<EkCaStore> any_model;        // anchors for every AAGUID
  std::map<Bytes, EkCaStore> per_aaguid;     // anchors for one AAGUID (its own ∪ any_model)
};

FidoAttestationRoots::FidoAttestationRoots(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FidoAttestationRoots::~FidoAttestationRoots() = default;

std::size_t FidoAttestationRoots::models() const noexcept { return impl_->per_aaguid.size(); }

X509_STORE* FidoAttestationRoots::store_for(ByteView aaguid) const {
  const auto it = impl_->per_aaguid.find(Bytes(aaguid.begin(), aaguid.end()));
  if (it != impl_->per_aaguid.end()) return it->second.store();
  return impl_->any_model ? impl_->any_model->store() : nullptr;
}

Result<std::shared_ptr<const FidoAttestationRoots>> FidoAttestationRoots::from_certificates(
    const std::vector<Bytes>& any_model, const std::map<Bytes, std::vector<Bytes>>& per_aaguid) {
  auto impl = std::make_unique<Impl>();
  if (!any_model.empty()) {
    PAW_TRY(EkCaStore s, EkCaStore::from_certificates(any_model));
    impl->any_model = std::move(s);
  }
  for (const auto& [aaguid, files] : per_aaguid) {
    if (aaguid.size() != 16) return make_error(Errc::config_error, "FIDO2 roots: AAGUID must be 16 bytes");
    std::vector<Bytes> all = files;
    all.insert(all.end(), any_model.begin(), any_model.end());
    auto s = EkCaStore::from_certificates(all);
    if (!s.ok()) return make_error(Errc::config_error, aaguid_file_name(aaguid) + ": " + s.error().detail);
    impl->per_aaguid.emplace(aaguid, std::move(s).value());
  }
  if (!impl->any_model && impl->per_aaguid.empty()) return make_error(Errc::config_error, "no FIDO2 attestation root");
  return std::shared_ptr<const FidoAttestationRoots>(new FidoAttestationRoots(std::move(impl)));
}

Result<std::shared_ptr<const FidoAttestationRoots>> FidoAttestationRoots::load_dir(const std::string& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  if (ec) return make_error(Errc::io_error, "cannot read FIDO2 CA folder " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  std::vector<Bytes> any_model;
  std::map<Bytes, std::vector<Bytes>> per_aaguid;
  for (const auto& f : files) {
    auto data = read_file(f.string(), kMaxRootFile);
    if (!data.ok()) continue;
    if (auto aaguid = aaguid_of_file_name(f.filename())) {
      // A per-model file that does not parse is an error, not skipped: that
      // model's keys would otherwise fall back to the any-model roots silently.
      per_aaguid[*aaguid].push_back(std::move(data).value());
      continue;
    }
    if (EkCaStore::from_certificates({*data}).ok()) any_model.push_back(std::move(data).value());  // skip notes, keys
  }
  auto roots = from_certificates(any_model, per_aaguid);
  if (!roots.ok()) return make_error(roots.code(), roots.error().detail + " in " + dir);
  return roots;
}

Status check_aaguid_allowlist_roots(const ByteSet& allowlist, const FidoAttestationRoots* roots) {
  if (allowlist.empty()) return ok_status();
  if (roots == nullptr) {
    return make_error(Errc::config_error,
                      "fido.aaguid_allowlist needs trusted attestation roots: without --fido-ca-dir any key can claim "
                      "any AAGUID (import them with `pawctl fido roots import`, docs/fido2.md)");
  }
  std::string missing;
  for (const Bytes& g : allowlist) {
    if (!roots->covers(g)) missing += (missing.empty() ? "" : ", ") + format_aaguid(g);
  }
  if (!missing.empty()) {
    return make_error(Errc::config_error,
                      "fido.aaguid_allowlist: no attestation root in --fido-ca-dir covers AAGUID " + missing);
  }
  return ok_status();
}

std::string aaguid_file_name(ByteView aaguid) { return format_aaguid(aaguid) + ".pem"; }

}  // namespace paw::attest

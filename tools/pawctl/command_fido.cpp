// pawctl fido roots import BLOB --out DIR [--root PEM]: the FIDO2 attestation
// roots of real key models, from the FIDO Metadata Service BLOB the admin
// downloaded, into the folder paw-verifier reads with --fido-ca-dir
// (layout: paw/attest/fido_roots.h). Offline: nothing is downloaded here.

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>

#include "admin_client.h"
#include "command.h"
#include "mds_root.h"
#include "paw/attest/ekcert.h"
#include "paw/attest/fido_mds.h"
#include "paw/attest/fido_roots.h"
#include "paw/attest/policy.h"
#include "paw/attest/secure.h"

namespace pawctl {
namespace {

namespace fs = std::filesystem;
using paw::Bytes;
using paw::Errc;
using paw::make_error;

constexpr const char* kUsage = "usage: pawctl fido roots import BLOB --out DIR [--root PEM]";
constexpr const char* kSerialFile = "mds-serial";

std::string pem_of(const Bytes& der) {
  const unsigned char* p = der.data();
  paw::UniquePtr<X509, X509_free> cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  paw::UniquePtr<BIO, BIO_free> bio(BIO_new(BIO_s_mem()));
  if (!cert || !bio || PEM_write_bio_X509(bio.get(), cert.get()) != 1) return {};
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// stored_serial is the BLOB number imported last into |dir| (-1: none).
std::int64_t stored_serial(const fs::path& dir) {
  std::ifstream in(dir / kSerialFile);
  std::int64_t no = -1;
  if (!(in >> no)) return -1;
  return no;
}

bool is_model_file(const fs::path& name) {
  if (name.extension() != ".pem" || name.stem().string().size() != 36) return false;
  auto g = paw::parse_aaguid(name.stem().string());
  return g.ok() && paw::format_aaguid(*g) == name.stem().string();
}

int import(const std::string& blob_path, const std::string& out_dir, const std::optional<std::string>& root_path) {
  auto text = paw::read_file(blob_path, paw::attest::kMdsMaxBlob);
  if (!text.ok()) return report(text.error());
  Bytes root_pem;
  if (root_path) {
    auto r = paw::read_file(*root_path, 1u << 20);
    if (!r.ok()) return report(r.error());
    root_pem = std::move(r).value();
  } else {
    const std::string pinned(kMdsRootPem);
    root_pem.assign(pinned.begin(), pinned.end());
  }
  auto roots = paw::EkCaStore::from_certificates({root_pem});
  if (!roots.ok()) return report(make_error(Errc::config_error, "--root: " + roots.error().detail));
  auto blob = paw::attest::parse_mds_blob(
      std::string_view(reinterpret_cast<const char*>(text->data()), text->size()));
  if (!blob.ok()) return report(blob.error());
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  if (auto st = paw::attest::verify_mds_blob(*blob, roots->store(), now); !st.ok()) {
    return fail("refused: " + st.error().detail + " (nothing written)");
  }
  const fs::path dir(out_dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return report(make_error(Errc::io_error, "cannot create " + out_dir + ": " + ec.message()));
  // An older BLOB may predate a model's revocation: never go back.
  if (const std::int64_t last = stored_serial(dir); blob->no < last) {
    return fail("refused: BLOB number " + std::to_string(blob->no) + " is older than the one imported last (" +
                std::to_string(last) + "); download the current BLOB (nothing written)");
  }
  std::map<Bytes, std::vector<Bytes>> per_model;
  std::vector<std::string> skipped;
  for (const auto& e : blob->entries) {
    std::string bad_status;
    for (const auto& s : e.statuses) {
      if (paw::attest::is_compromised_status(s)) bad_status = s;
    }
    if (!bad_status.empty()) {
      skipped.push_back(paw::format_aaguid(e.aaguid) + " (" + bad_status + ")");
      per_model.erase(e.aaguid);
      continue;
    }
    if (e.roots.empty()) continue;
    auto& list = per_model[e.aaguid];
    list.insert(list.end(), e.roots.begin(), e.roots.end());
  }
  std::set<std::string> written;
  for (const auto& [aaguid, ders] : per_model) {
    std::string pem;
    for (const auto& der : ders) pem += pem_of(der);
    const std::string name = paw::attest::aaguid_file_name(aaguid);
    if (auto st = paw::write_file_atomic(dir / name, pem, 0644); !st.ok()) return report(st.error());
    written.insert(name);
  }
  // Models no longer in the BLOB (or compromised since) lose their roots.
  std::size_t removed = 0;
  for (const auto& f : fs::directory_iterator(dir, ec)) {
    const fs::path name = f.path().filename();
    if (is_model_file(name) && written.count(name.string()) == 0 && fs::remove(f.path(), ec)) ++removed;
  }
  if (auto st = paw::write_file_atomic(dir / kSerialFile, std::to_string(blob->no) + "\n" + blob->next_update + "\n", 0644);
      !st.ok()) {
    return report(st.error());
  }
  std::cout << "imported the attestation roots of " << written.size() << " FIDO2 models into " << out_dir
            << " (BLOB no " << blob->no << ", next update " << blob->next_update << ")\n";
  if (removed != 0) std::cout << "removed " << removed << " model(s) no longer vouched for\n";
  for (const auto& s : skipped) std::cout << "skipped " << s << "\n";
  std::cout << "next: restart paw-verifier (--fido-ca-dir " << out_dir << ") so it reads them\n";
  return 0;
}

int fido(const std::vector<std::string>& words) {
  auto args = paw::Args::parse(words, {"out", "root"});
  if (!args.ok()) return report(args.error());
  const auto& pos = args->positional();
  if (pos.size() != 3 || pos[0] != "roots" || pos[1] != "import" || !args->get("out")) return fail(kUsage, 2);
  return import(pos[2], *args->get("out"), args->get("root"));
}

}  // namespace

PAWCTL_COMMAND("fido", "fido roots import BLOB --out DIR [--root PEM]  FIDO2 roots from the FIDO MDS BLOB", fido);

}  // namespace pawctl

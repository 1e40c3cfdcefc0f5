// cmd_ak_public.cpp — `paw-agent ak-public --format pem|tss`: the AK's public
// key (created and stored on first use; re-created, and said so, after a TPM clear).
#include <cstdio>
#include <fstream>

#include "config.h"
#include "dispatch.h"

namespace paw::agent {
namespace {
std::set<std::string> options() {
  std::set<std::string> o = kTpmOptions;
  o.insert({"format", "out"});
  return o;
}

int write_out(const std::optional<std::string>& path, ByteView data) {
  if (!path) {
    if (std::fwrite(data.data(), 1, data.size(), stdout) != data.size()) return fail("cannot write stdout");
    return 0;
  }
  std::ofstream out(*path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  if (!out.good()) return fail("cannot write " + *path);
  return 0;
}
}  // namespace

// report_ak tells the operator when the AK was created or re-created (stderr).
void report_ak(const platform::EnsuredAk& ak) {
  if (ak.origin != platform::AkOrigin::loaded)
    std::fprintf(stderr, "paw-agent: AK %s: %s\n", std::string(platform::ak_origin_name(ak.origin)).c_str(),
                 ak.note.c_str());
}

int cmd_ak_public(const std::vector<std::string>& words) {
  auto args = Args::parse(words, options());
  if (!args.ok()) return fail(args.error().what(), 2);
  if (!args->positional().empty()) return fail("ak-public takes no positional arguments", 2);
  const std::string format = args->get_or("format", "pem");
  if (format != "pem" && format != "tss") return fail("--format must be pem or tss", 2);
  auto cfg = resolve_tpm_config(*args);
  if (!cfg.ok()) return fail(cfg.error().what());
  auto tpm = open_agent_tpm(*cfg);
  if (!tpm.ok()) return fail(tpm.error().what());
  report_ak(tpm->ak);
  if (format == "tss") return write_out(args->get("out"), tpm->ak.ak.public_tpm2b);
  auto pem = platform::ak_public_pem(tpm->ak.ak.public_tpm2b);
  if (!pem.ok()) return fail(pem.error().what());
  return write_out(args->get("out"), as_bytes(*pem));
}

}  // namespace paw::agent

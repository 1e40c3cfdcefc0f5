// tpm-bench --tcti TCTI [-n N] — time one attestation's TPM work against a
// TPM (swtpm), paw vs tpm2-tools, in the same run on the same TPM:
//
//  paw, warm   one process with the EK loaded (the agent daemon): start an EK
//              policy session + TPM2_Load the stored AK, TPM2_PCR_Read of all
//              active banks (PCRs 0-23, in chunks of 8), TPM2_Quote, flush.
//  paw, cold   the same plus opening the TCTI and TPM2_CreatePrimary of the
//              EK each time (a one-shot `paw-agent attest`).
//  tpm2-tools  the same TPM commands as separate processes with context
//              files: tpm2_startauthsession, tpm2_policysecret, tpm2_load,
//              tpm2_flushcontext, tpm2_pcrread, tpm2_quote (EK from a context
//              file saved once by tpm2_createek).
//
// Prints ms per attestation for each and the ratios. Exit 1 on any failure.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>

#include "paw/attest/cli.h"
#include "paw/platform/ak.h"
#include "paw/platform/quote.h"
#include "paw/platform/tcti.h"

extern char** environ;

namespace {
namespace fs = std::filesystem;
using namespace paw;
using namespace paw::platform;
using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "tpm-bench: %s\n", what.c_str());
  std::exit(1);
}

template <class T>
T need(Result<T> r, const char* what) {
  if (!r.ok()) die(std::string(what) + ": " + r.error().what());
  return std::move(r).value();
}

// run executes argv (no shell), stdout/stderr to /dev/null; dies on failure.
void run(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) die("cannot run " + argv[0]);
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += a + " ";
    die("failed: " + cmd);
  }
}

void write_file(const fs::path& p, ByteView data) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  if (!out.good()) die("cannot write " + p.string());
}

double time_ms(int n, const std::function<void()>& one) {
  one();  // warm-up (page cache, TPM state), not counted
  const auto start = Clock::now();
  for (int i = 0; i < n; ++i) one();
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count() / n;
}

std::string selection_spec(const PcrSelection& sel) {
  std::string s;
  for (const auto& e : sel) {
    s += (s.empty() ? "" : "+") + std::string(hash_name(e.bank)) + ":";
    for (std::size_t i = 0; i < e.indices.size(); ++i) s += (i ? "," : "") + std::to_string(e.indices[i]);
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  auto args = Args::parse(std::vector<std::string>(argv + 1, argv + argc), {"tcti", "n"});
  if (!args.ok() || !args->positional().empty()) {
    std::fprintf(stderr, "usage: tpm-bench [--tcti TCTI] [--n N]   (TCTI also from TPM2TOOLS_TCTI)\n");
    return 64;
  }
  const std::string tcti = resolve_tcti(args->get("tcti"), std::nullopt);
  const int n = std::atoi(args->get_or("n", "20").c_str());
  if (n <= 0) die("--n must be positive");
  char tmpl[] = "/tmp/tpm-bench-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) die("mkdtemp");
  const fs::path dir = tmpl;

  // Set-up (not timed): EK, AK stored as public/private blobs.
  Tpm tpm = need(Tpm::open(tcti), "open");
  const PcrSelection sel = need(active_pcr_selection(tpm), "PCR banks");
  AkBlob blob;
  {
    Ek ek = need(create_ek(tpm, EkType::rsa2048), "create EK");
    blob = need(create_ak(tpm, ek, AkAlg::ecc_p256), "create AK");
  }
  const Bytes nonce(32, 0xab);

  auto attest_with = [&](Tpm& t, const Ek& ek) {
    Ak ak = need(load_ak(t, ek, blob), "load AK");
    PcrValues pcrs = need(read_pcrs(t, sel), "PCR read");
    Quote q = need(quote(t, ak, nonce, sel), "quote");
    if (pcrs.empty() || q.attest.empty()) die("empty result");
  };
  double paw_warm = 0;
  {
    Ek ek = need(create_ek(tpm, EkType::rsa2048), "create EK");
    paw_warm = time_ms(n, [&] { attest_with(tpm, ek); });
  }
  const double paw_cold = time_ms(n, [&] {
    Tpm t = need(Tpm::open(tcti), "open");
    Ek ek = need(create_ek(t, EkType::rsa2048), "create EK");
    attest_with(t, ek);
  });

  // tpm2-tools: the same work, one process per command, context files.
  write_file(dir / "ak.pub", blob.public_tpm2b);
  write_file(dir / "ak.priv", blob.private_tpm2b);
  const std::string T = "--tcti=" + tcti;
  const std::string d = dir.string() + "/";
  run({"tpm2_createek", T, "-G", "rsa", "-c", d + "ek.ctx"});
  const std::string spec = selection_spec(sel);
  auto tools_once = [&] {
    run({"tpm2_startauthsession", T, "--policy-session", "-S", d + "s.ctx"});
    run({"tpm2_policysecret", T, "-S", d + "s.ctx", "-c", "e"});
    run({"tpm2_load", T, "-C", d + "ek.ctx", "-u", d + "ak.pub", "-r", d + "ak.priv", "-c", d + "ak.ctx", "-P",
         "session:" + d + "s.ctx"});
    run({"tpm2_flushcontext", T, d + "s.ctx"});
    run({"tpm2_pcrread", T, spec, "-o", d + "pcrs.bin"});
    run({"tpm2_quote", T, "-c", d + "ak.ctx", "-l", spec, "-q", hex(nonce), "-m", d + "msg", "-s", d + "sig", "-g",
         "sha256"});
  };
  // tpm2-tools expect a resource manager to flush what each process leaves
  // loaded; swtpm has none, so flush between rounds (not timed).
  auto flush_all = [&] { run({"tpm2_flushcontext", T, "-t"}); };
  flush_all();  // what tpm2_createek left loaded
  tools_once();
  flush_all();
  double tools_total = 0;
  for (int i = 0; i < n; ++i) {
    const auto start = Clock::now();
    tools_once();
    tools_total += std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    flush_all();
  }
  const double tools = tools_total / n;
  std::error_code ec;
  fs::remove_all(dir, ec);

  std::printf("tpm-bench: %d attestations (load AK, read PCRs 0-23 of %zu banks, quote) on %s\n", n, sel.size(),
              tcti.c_str());
  std::printf("  paw, warm (one process, EK loaded)        %8.2f ms/attestation\n", paw_warm);
  std::printf("  paw, cold (open TCTI + CreatePrimary EK)  %8.2f ms/attestation\n", paw_cold);
  std::printf("  tpm2-tools (6 processes, context files)   %8.2f ms/attestation\n", tools);
  std::printf("  ratio tpm2-tools / paw warm: %.1fx   tpm2-tools / paw cold: %.1fx\n", tools / paw_warm,
              tools / paw_cold);
  return 0;
}

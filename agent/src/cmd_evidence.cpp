// cmd_evidence.cpp — `paw-agent evidence --nonce HEX`: the evidence envelope
// the agent would send (docs/protocol.md), printed as JSON. The quote's
// qualifying data is SHA-256 of the body bytes; no FIDO2 assertion is made.
#include <cstdio>

#include "config.h"
#include "dispatch.h"
#include "paw/attest/evidence.h"
#include "paw/platform/evidence.h"
#include "paw/platform/host_facts.h"
#include "paw/platform/logs.h"

namespace paw::agent {

void report_ak(const platform::EnsuredAk& ak);

namespace {
std::set<std::string> options() {
  std::set<std::string> o = kTpmOptions;
  o.insert({"nonce", "device-id", "event-log", "ima-log"});
  return o;
}

// read_optional_log: "none" = do not send; otherwise the path (absent file = no log).
Result<std::optional<Bytes>> read_optional_log(const std::optional<std::string>& flag, const char* fallback,
                                               std::size_t max) {
  const std::string path = flag.value_or(fallback);
  if (path == "none") return std::optional<Bytes>{};
  return platform::read_log(path, max);
}
}  // namespace

int cmd_evidence(const std::vector<std::string>& words) {
  auto args = Args::parse(words, options());
  if (!args.ok()) return fail(args.error().what(), 2);
  const auto nonce_hex = args->get("nonce");
  if (!nonce_hex) return fail("--nonce HEX is required", 2);
  auto nonce = unhex(*nonce_hex);
  if (!nonce.ok() || nonce->size() != kNonceSize)
    return fail("--nonce must be " + std::to_string(kNonceSize) + " bytes of hex", 2);
  auto cfg = resolve_tpm_config(*args);
  if (!cfg.ok()) return fail(cfg.error().what());

  EvidenceBody body;
  body.device_id = args->get_or("device-id", "debug");
  if (body.device_id.empty() || body.device_id.size() > kMaxDeviceIdSize) return fail("bad --device-id", 2);
  body.nonce = std::move(*nonce);
  auto event_log = read_optional_log(args->get("event-log"), platform::kDefaultEventLogPath, kMaxEventLogSize);
  if (!event_log.ok()) return fail(event_log.error().what());
  auto ima_log = read_optional_log(args->get("ima-log"), platform::kDefaultImaLogPath, kMaxImaLogSize);
  if (!ima_log.ok()) return fail(ima_log.error().what());
  body.event_log = std::move(*event_log);
  body.ima_log = std::move(*ima_log);
  body.host = platform::collect_host_facts();
  body.agent_version = kAgentVersion;

  auto tpm = open_agent_tpm(*cfg);
  if (!tpm.ok()) return fail(tpm.error().what());
  report_ak(tpm->ak);
  auto sel = platform::active_pcr_selection(tpm->tpm);
  if (!sel.ok()) return fail(sel.error().what());
  auto env = platform::make_evidence(tpm->tpm, tpm->ak.ak, std::move(body), *sel);
  if (!env.ok()) return fail(env.error().what());
  std::printf("%s\n", serialize_envelope(*env).c_str());
  return 0;
}

}  // namespace paw::agent

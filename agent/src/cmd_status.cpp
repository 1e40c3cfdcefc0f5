// paw-agent status: what this workstation's agent knows, without attesting.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <filesystem>
#include <iostream>

#include "agent_commands.h"
#include "attest_round.h"
#include "paw/attest/json.h"
#include "paw/attest/reasons.h"
#include "paw/platform/fido.h"
#include "paw/platform/tpm.h"
#include "settings.h"

namespace paw::agent {
namespace {

struct Probe {
  bool found = false;
  std::string detail;
};

Probe probe_tpm(const std::string& tcti) {
  auto tpm = platform::Tpm::open(tcti);
  if (!tpm.ok()) return {false, tpm.error().what()};
  auto info = platform::tpm_info(*tpm);
  if (!info.ok()) return {false, info.error().what()};
  return {true, tcti + " (" + info->manufacturer + ", TPM " + info->family + ")"};
}

// probe_fido looks for the key without using it (no touch, no counter change).
Probe probe_fido(const std::string& device) {
  std::error_code ec;
  if (device.rfind("virtual:", 0) == 0) {
    const std::string path = device.substr(8);
    if (std::filesystem::exists(path, ec)) return {true, device};
    return {false, "software key state " + path + " is missing"};
  }
  if (!device.empty()) {
    if (std::filesystem::exists(device, ec)) return {true, device};
    return {false, device + " does not exist"};
  }
  auto list = platform::fido_list_devices();
  if (!list.ok()) return {false, list.error().what()};
  if (list->empty()) return {false, "no FIDO2 key plugged in"};
  return {true, list->front()};
}

}  // namespace

int cmd_status(const std::vector<std::string>& words) {
  auto ls = load_settings(words, {}, {"json"});
  if (!ls.ok()) {
    std::cerr << "paw-agent: " << ls.error().detail << "\n";
    return 2;
  }
  const AgentSettings& s = ls->settings;
  auto e = load_enrollment(s.state_dir);
  if (!e.ok()) {
    std::cerr << "paw-agent: " << e.error().what() << "\n";
    return 2;
  }
  auto last = load_last_result(s.state_dir);
  std::optional<LastResult> lr = last.ok() ? *last : std::nullopt;
  const Probe tpm = probe_tpm(s.tcti);
  const Probe fido = probe_fido(s.fido_device);
  const bool enrolled = e->has_value();
  const std::string verifier = enrolled ? (*e)->verifier : s.verifier;
  if (ls->args.has("json")) {
    Poco::JSON::Object::Ptr j = new Poco::JSON::Object();
    j->set("enrolled", enrolled);
    j->set("device_id", enrolled ? (*e)->device_id : std::string());
    j->set("enrollment_status", enrolled ? (*e)->status : std::string());
    j->set("verifier", verifier);
    j->set("state_dir", s.state_dir.string());
    j->set("token_file", s.token_file.string());
    j->set("last_verdict", lr ? lr->verdict : std::string("none"));
    j->set("last_attested_at", lr ? lr->at : 0);
    j->set("last_healthy_at", lr ? lr->last_healthy_at : 0);
    j->set("token_expires_at", lr ? lr->token_expires_at : 0);
    j->set("failure", lr ? lr->failure : std::string());
    j->set("detail", lr ? lr->detail : std::string());
    j->set("reasons", reasons_to_json(lr ? lr->reasons : std::vector<Reason>{}));
    j->set("tpm_found", tpm.found);
    j->set("tpm", tpm.detail);
    j->set("fido_key_found", fido.found);
    j->set("fido_key", fido.detail);
    std::cout << json::stringify(j) << "\n";
  } else {
    std::cout << "device:        " << (enrolled ? (*e)->device_id + " (" + (*e)->status + ")" : "not enrolled") << "\n"
              << "verifier:      " << (verifier.empty() ? "(not set)" : verifier) << "\n";
    if (lr) {
      std::cout << "last verdict:  " << lr->verdict << (lr->failure.empty() ? "" : " (" + lr->failure + ")") << " at "
                << format_utc(lr->at) << "\n";
      for (const auto& r : lr->reasons) {
        std::cout << "  reason:      " << r.code << ": " << r.message;
        if (lr->verdict == "warning" && r.grace_until != 0) std::cout << " (allowed until " << format_utc(r.grace_until) << ")";
        std::cout << "\n";
      }
      if (!lr->detail.empty()) std::cout << "  detail:      " << lr->detail << "\n";
      std::cout << "token expires: " << format_utc(lr->token_expires_at) << "\n";
    } else {
      std::cout << "last verdict:  none yet\n";
    }
    std::cout << "TPM:           " << (tpm.found ? "found, " : "NOT found: ") << tpm.detail << "\n"
              << "FIDO2 key:     " << (fido.found ? "found, " : "NOT found: ") << fido.detail << "\n";
  }
  return enrolled ? 0 : 1;
}

}  // namespace paw::agent

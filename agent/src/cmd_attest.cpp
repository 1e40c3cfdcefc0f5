// paw-agent attest: one attestation now.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <iostream>

#include "agent_commands.h"
#include "attest_round.h"
#include "paw/attest/reasons.h"
#include "paw/attest/json.h"
#include "settings.h"

namespace paw::agent {
namespace {

void print_json(const Enrollment& e, const AttestOutcome& o) {
  Poco::JSON::Object::Ptr j = new Poco::JSON::Object();
  j->set("device_id", e.device_id);
  if (o.failure != FailureKind::none) {
    j->set("verdict", "error");
    j->set("failure", std::string(failure_kind_name(o.failure)));
    j->set("error", std::string(errc_name(o.error.code)));
    j->set("message", o.error.detail);
  } else {
    j->set("verdict", o.answer.verdict);
    j->set("token_expires_at", o.answer.expires_at);
    if (o.answer.grace_until != 0) j->set("grace_until", o.answer.grace_until);
  }
  j->set("reasons", reasons_to_json(o.answer.reasons));
  if (!o.fido_note.empty()) j->set("fido_note", o.fido_note);
  std::cout << json::stringify(j) << "\n";
}

void print_human(const AttestOutcome& o) {
  if (o.failure != FailureKind::none) return;  // said on stderr
  std::cout << "verdict: " << o.answer.verdict << "\n";
  for (const auto& r : o.answer.reasons) {
    std::cout << "reason: " << r.code << ": " << r.message;
    if (o.answer.verdict == "warning" && r.grace_until != 0) std::cout << " (allowed until " << format_utc(r.grace_until) << ")";
    std::cout << "\n";
  }
  if (o.answer.verdict == "warning") {
    std::cout << "login allowed until " << format_utc(o.answer.grace_until)
              << " because every reason above is inside the grace its policy gives; fix them before then\n";
  }
  if (!o.fido_note.empty()) std::cout << "FIDO2 key: " << o.fido_note << "\n";
  if (o.admitted()) {
    std::cout << "token expires: " << format_utc(o.answer.expires_at) << " (in "
              << (o.answer.expires_at - now_unix()) << " s)\n";
  }
}

}  // namespace

int cmd_attest(const std::vector<std::string>& words) {
  auto ls = load_settings(words, {}, {"json"});
  if (!ls.ok()) {
    std::cerr << "paw-agent: " << ls.error().detail << "\n";
    return 2;
  }
  const AgentSettings& s = ls->settings;
  const bool as_json = ls->args.has("json");
  auto e = load_enrollment(s.state_dir);
  if (!e.ok() || !*e) {
    const std::string why = e.ok() ? "not enrolled (no " + (s.state_dir / kEnrollmentFile).string() +
                                         "): run paw-agent enroll first"
                                   : e.error().what();
    if (as_json) {
      std::cout << R"({"verdict":"error","failure":"not enrolled","message":")" << (e.ok() ? "not enrolled" : "bad state")
                << "\"}\n";
    }
    std::cerr << "paw-agent: " << why << "\n";
    return 2;
  }
  AttestOutcome o = attest_once(s, **e);
  const Status kept = record_outcome(s, o);
  if (as_json) print_json(**e, o);
  else print_human(o);
  if (o.failure != FailureKind::none) std::cerr << "paw-agent: could not attest (" << failure_kind_name(o.failure)
                                               << "): " << o.error.what() << "\n";
  if (o.failure == FailureKind::gone) {
    std::cerr << "paw-agent: token and certificates removed; enroll again (paw-agent enroll --token TOKEN) "
                 "with a new token from an admin\n";
  }
  if (!kept.ok()) {
    // A verdict whose token (or certificate) could not be written, or a
    // stale one that could not be removed: the login side would not see it.
    std::cerr << "paw-agent: the verdict could not be kept: " << kept.error().what()
              << " (check token-file and state-dir)\n";
    return 2;
  }
  return o.exit_code();
}

}  // namespace paw::agent

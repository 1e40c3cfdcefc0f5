// cmd_ssh.cpp — `paw-agent ssh-agent` (serve the login key to ssh) and
// `paw-agent ssh-cert` (where the SSH certificate is, and until when it is valid).
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <atomic>
#include <csignal>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include "agent_commands.h"
#include "agent_state.h"
#include "dispatch.h"
#include "paw/attest/json.h"
#include "paw/attest/ssh_cert.h"
#include "paw/attest/log.h"
#include "settings.h"
#include "ssh_agent_server.h"

namespace paw::agent {
namespace {

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free);

void on_signal(int) {
  g_stop.store(true);
}

std::filesystem::path default_socket(const AgentSettings& s) {
  return s.token_file.parent_path() / "ssh-agent.sock";
}

}  // namespace

int cmd_ssh_agent(const std::vector<std::string>& words) {
  auto ls = load_settings(words, {"socket"});
  if (!ls.ok()) return fail(ls.error().detail, 2);
  const AgentSettings& s = ls->settings;
  log::Settings ls_log = s.log;
  ls_log.program = "paw-agent-ssh";
  log::configure(ls_log);
  SshAgentOptions o{ls->args.get_or("socket", default_socket(s).string()), s.state_dir, s.tcti};
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  auto st = serve_ssh_agent(o, g_stop);
  if (!st.ok()) return fail(st.error().what(), 2);
  return 0;
}

int cmd_ssh_cert(const std::vector<std::string>& words) {
  auto ls = load_settings(words, {"socket"}, {"json"});
  if (!ls.ok()) return fail(ls.error().detail, 2);
  const AgentSettings& s = ls->settings;
  const std::filesystem::path path = s.state_dir / kSshCertFile;
  std::ifstream f(path);
  if (!f) {
    if (ls->args.has("json")) {
      Poco::JSON::Object::Ptr j = new Poco::JSON::Object();
      j->set("path", path.string());
      j->set("valid_now", false);
      std::cout << json::stringify(j) << "\n";
    } else {
      std::cout << "no SSH certificate at " << path.string()
                << " (issued with a healthy verdict to a device with a login key)\n";
    }
    return 1;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  auto blob = ssh::parse_line(ss.str(), ssh::kCertType);
  if (!blob.ok()) return fail(path.string() + ": " + blob.error().what(), 2);
  auto cert = ssh::decode(*blob);
  if (!cert.ok()) return fail(path.string() + ": " + cert.error().what(), 2);
  const auto now = static_cast<std::uint64_t>(std::time(nullptr));
  const bool valid = cert->valid_after <= now && now < cert->valid_before;
  const std::string socket = ls->args.get_or("socket", default_socket(s).string());
  if (ls->args.has("json")) {
    Poco::JSON::Object::Ptr j = new Poco::JSON::Object();
    j->set("path", path.string());
    j->set("key_id", cert->key_id);
    Poco::JSON::Array::Ptr p = new Poco::JSON::Array();
    for (const auto& n : cert->principals) p->add(n);
    j->set("principals", p);
    j->set("valid_after", static_cast<Poco::Int64>(cert->valid_after));
    j->set("valid_before", static_cast<Poco::Int64>(cert->valid_before));
    j->set("valid_now", valid);
    j->set("serial", std::to_string(cert->serial));
    j->set("identity_agent", socket);
    std::cout << json::stringify(j) << "\n";
  } else {
    std::string principals;
    for (const auto& n : cert->principals) principals += (principals.empty() ? "" : ",") + n;
    std::cout << "certificate:  " << path.string() << "\n"
              << "key id:       " << cert->key_id << "\n"
              << "principals:   " << principals << "\n"
              << "valid:        " << format_utc(static_cast<std::int64_t>(cert->valid_after)) << " to "
              << format_utc(static_cast<std::int64_t>(cert->valid_before))
              << (valid                       ? ""
                  : now >= cert->valid_before ? " (EXPIRED)"
                                              : " (not yet valid)")
              << "\n"
              << "ssh:          ssh -o IdentityAgent=" << socket << " …  (paw-agent ssh-agent serves it)\n";
  }
  return valid ? 0 : 1;
}

}  // namespace paw::agent

// pawctl refs pending [--policy NAME] [--all] | approve ID | reject ID: learn
// mode's queue (docs/policy.md, "Learn mode"): digests a policy's allowlists
// lack, seen on otherwise healthy devices, for an admin to decide.
// pawctl refs import-deb is command_refs_import.cpp.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <iostream>

#include "admin_client.h"
#include "command.h"

namespace pawctl {

int refs_import_deb(const std::vector<std::string>& words);  // command_refs_import.cpp

namespace {

constexpr const char* kRefsUsage =
    "usage: pawctl refs pending [--policy NAME] [--all] | approve ID | reject ID |"
    " import-deb [--policy NAME [--min-kernel VERSION]] [--packages FILE [--release InRelease --keyring FILE]]"
    " FILE.deb...  [--json] --verifier URL --ca-file PEM";

// shown: at most |max| characters of a value the verifier sent (an IMA path
// comes from a device), control characters as '?'.
std::string shown(const std::string& text, std::size_t max) {
  std::string out = text.substr(0, max);
  for (char& ch : out) {
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = '?';
  }
  return text.size() > max ? out + "..." : out;
}

// print_candidates: learn mode's queue as a table.
int print_candidates(const paw::json::ObjectPtr& o) {
  auto arr = o->getArray("candidates");
  if (arr.isNull() || arr->size() == 0) {
    std::cout << "no candidates (learn mode queues digests once a policy has \"learn\": {\"min_devices\": N})\n";
    return 0;
  }
  Table t({"ID", "POLICY", "DEVICES", "STATUS", "FIRST SEEN", "FIRST DEVICE", "KIND", "DIGEST", "PATH"});
  for (std::size_t i = 0; i < arr->size(); ++i) {
    auto x = arr->getObject(static_cast<unsigned>(i));
    if (x.isNull()) continue;
    const auto n = x->optValue<std::int64_t>("devices", 0);
    const auto min = x->optValue<std::int64_t>("min_devices", 0);
    std::string status = x->optValue<std::string>("status", "");
    if (status == "pending") status = x->optValue<bool>("ready", false) ? "ready" : "waiting";
    t.add({std::to_string(x->optValue<std::int64_t>("id", 0)), x->optValue<std::string>("policy", ""),
           std::to_string(n) + (min > 0 ? "/" + std::to_string(min) : ""), status,
           format_time(x->optValue<std::int64_t>("first_seen_at", 0)), x->optValue<std::string>("first_device", ""),
           x->optValue<std::string>("kind", ""), x->optValue<std::string>("digest", ""),
           shown(x->optValue<std::string>("description", ""), 80)});
  }
  t.print();
  std::cout << "(ready: seen on at least min_devices devices; pawctl refs approve ID adds the digest to the policy)\n";
  return 0;
}

int pending(const Connection& c, const paw::Args& args) {
  std::string path = "/v1/admin/refs/pending";
  std::string sep = "?";
  if (auto p = args.get("policy")) {
    if (auto st = check_segment(*p, "policy name"); !st.ok()) return report(st.error());
    path += sep + "policy=" + *p;
    sep = "&";
  }
  if (args.has("all")) path += sep + "status=all";
  return call_show(c, "GET", path, "", print_candidates);
}

int decide(const Connection& c, const std::string& verb, const std::string& id) {
  if (id.empty() || id.size() > 18 || id.find_first_not_of("0123456789") != std::string::npos) {
    return fail("refs " + verb + ": ID is the number pawctl refs pending prints", 2);
  }
  return call_show(c, "POST", "/v1/admin/refs/" + id + "/" + verb, "", [&](const paw::json::ObjectPtr& x) {
    const std::string what =
        x->optValue<std::string>("kind", "") + " " + x->optValue<std::string>("digest", "");
    if (verb == "approve") {
      std::cout << "approved " << what << ": policy " << x->optValue<std::string>("policy", "")
                << " is now version " << x->optValue<std::int64_t>("policy_version", 0)
                << " (allowed from each device's next attestation)\n";
    } else {
      std::cout << "rejected " << what << ": never queued again for policy "
                << x->optValue<std::string>("policy", "") << "\n";
    }
    return 0;
  });
}

int refs(const std::vector<std::string>& words) {
  if (std::find(words.begin(), words.end(), "import-deb") != words.end()) return refs_import_deb(words);
  auto args = parse_admin_args(words, {"policy"}, {"all"});
  if (!args.ok()) return report(args.error());
  const auto& pos = args->positional();
  const bool shape_ok = (pos.size() == 1 && pos[0] == "pending") ||
                        (pos.size() == 2 && (pos[0] == "approve" || pos[0] == "reject"));
  if (!shape_ok) return fail(kRefsUsage, 2);
  if (pos[0] != "pending" && (args->get("policy") || args->has("all"))) {
    return fail("refs: --policy and --all go with pending", 2);
  }
  auto conn = connection_from(*args);
  if (!conn.ok()) return report(conn.error());
  if (pos[0] == "pending") return pending(*conn, *args);
  return decide(*conn, pos[0], pos[1]);
}

}  // namespace

PAWCTL_COMMAND("refs",
               "refs pending [--policy NAME] [--all]|approve ID|reject ID|import-deb [--policy NAME "
               "[--min-kernel VERSION]] [--packages FILE [--release InRelease --keyring FILE]] FILE.deb...",
               refs);

}  // namespace pawctl

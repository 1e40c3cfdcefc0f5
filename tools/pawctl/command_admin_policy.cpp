// pawctl policy show [NAME] | set NAME FILE | check FILE | assign ID NAME | capture ID | report NAME |
// report-mode NAME TARGET|off | explain DEVICE_ID | diff DEVICE_ID [--against SET].
#include <Poco/JSON/Object.h>

#include <chrono>
#include <iostream>

#include "admin_client.h"
#include "command.h"
#include "paw/attest/json.h"
#include "paw/attest/policy.h"
#include "paw/attest/policy_check.h"
#include "policy_check_cli.h"
#include "policy_diff_cli.h"
#include "policy_explain_cli.h"
#include "policy_report_cli.h"

namespace pawctl {
namespace {

constexpr const char* kPolicyUsage =
    "usage: pawctl policy show [NAME] | set NAME FILE [--report-on TARGET] | check FILE|- [--json] |"
    " assign DEVICE_ID NAME | capture DEVICE_ID [--replace | --add --name NAME [--expire 14d]] |"
    " report NAME | report-mode NAME TARGET|off | explain DEVICE_ID | diff DEVICE_ID [--against SET]"
    "  [--json] --verifier URL --ca-file PEM";

// print_document: a policy document, indented.
int print_document(const paw::json::ObjectPtr& o) {
  o->stringify(std::cout, 2);
  std::cout << "\n";
  return 0;
}

// print_policies: the list of policies as a table.
int print_policies(const paw::json::ObjectPtr& o) {
  Table t({"POLICY", "VERSION", "UPDATED", "REPORT MODE"});
  auto arr = o->getArray("policies");
  for (std::size_t i = 0; !arr.isNull() && i < arr->size(); ++i) {
    auto p = arr->getObject(static_cast<unsigned>(i));
    if (p.isNull()) continue;
    const auto updated = p->optValue<std::int64_t>("updated_at", 0);
    t.add({p->optValue<std::string>("name", ""), std::to_string(p->optValue<std::int64_t>("version", 0)),
           updated == 0 ? std::string("built-in") : format_time(updated),
           p->optValue<std::string>("report_on", "").empty() ? "-" : "on " + p->optValue<std::string>("report_on", "")});
  }
  t.print();
  std::cout << "(pawctl policy show NAME prints one document)\n";
  return 0;
}

int show(const Connection& c, const std::vector<std::string>& pos) {
  if (pos.size() == 2) {
    if (auto st = check_segment(pos[1], "policy name"); !st.ok()) return report(st.error());
    return call_show(c, "GET", "/v1/admin/policies/" + pos[1], "", print_document);
  }
  return call_show(c, "GET", "/v1/admin/policies", "", print_policies);
}

int set(const Connection& c, const std::string& name, const std::string& file, const paw::Args& args) {
  if (auto st = check_segment(name, "policy name"); !st.ok()) return report(st.error());
  auto text = read_policy_text(file);
  if (!text.ok()) return fail("cannot read policy file " + file + ": " + text.error().detail, 2);
  // Lint locally first (the same check the verifier runs): every problem,
  // with its path and fix, without a round trip. The name may be omitted in
  // the file (the URL gives it).
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const auto findings = paw::check_policy_document(*text, now, name);
  print_findings(std::cerr, findings);
  if (paw::has_errors(findings)) {
    return fail(file + " is not a valid policy (pawctl policy check " + file + "; docs/policy.md)", 2);
  }
  auto obj = paw::json::parse_object(*text, paw::kMaxPolicySize);
  if (!obj.ok()) return fail(file + " is not a JSON object: " + obj.error().detail, 2);
  if (!(*obj)->has("name")) (*obj)->set("name", name);
  const std::string path = "/v1/admin/policies/" + name;
  auto sent = call(c, "PUT", path, paw::json::stringify(*obj));
  if (!sent.ok()) return report(sent.error());
  if (sent->status == 400) {  // a verifier with other rules than this pawctl says which
    if (auto o = parse_answer(*sent); o.ok() && (*o)->isArray("findings")) {
      print_findings(std::cerr, paw::findings_from_json((*o)->getArray("findings")));
    }
  }
  auto a = answer_ok("PUT", path, std::move(*sent));
  if (!a.ok()) return report(a.error());
  // --report-on TARGET: the new policy is a candidate, judged beside TARGET
  // without deciding anything (printed after the document, as one step).
  const auto target = args.get("report-on");
  if (!c.json) std::cout << "policy " << name << " stored\n";
  if (c.json && target) return policy_report_mode(c, name, *target);  // one JSON answer: the attachment
  if (int rc = show_answer(c, *a, print_document); rc != 0 || !target) return rc;
  return policy_report_mode(c, name, *target);
}

int assign(const Connection& c, const std::string& id, const std::string& name) {
  if (auto st = check_segment(id, "device id"); !st.ok()) return report(st.error());
  if (auto st = check_segment(name, "policy name"); !st.ok()) return report(st.error());
  Poco::JSON::Object::Ptr req = new Poco::JSON::Object();
  req->set("name", name);
  auto a = call_ok(c, "POST", "/v1/admin/devices/" + id + "/policy", paw::json::stringify(req));
  if (!a.ok()) return report(a.error());
  if (c.json) std::cout << a->body << "\n";
  else std::cout << "device " << id << " now uses policy " << name << " (from its next attestation)\n";
  return 0;
}

// capture: --replace (default) makes the PCRs the policy's reference; --add
// --name NAME [--expire 14d] adds them as a named reference set beside the
// others (a firmware rollout keeps both sets live until the old one ends).
int capture(const Connection& c, const std::string& id, const paw::Args& args) {
  if (auto st = check_segment(id, "device id"); !st.ok()) return report(st.error());
  Poco::JSON::Object::Ptr req = new Poco::JSON::Object();
  const bool add = args.has("add");
  if (add && args.has("replace")) return fail("policy capture: --add or --replace, not both", 2);
  if (!add && (args.get("name") || args.get("expire"))) return fail("policy capture: --name and --expire go with --add", 2);
  if (add) {
    const std::string name = args.get_or("name", "");
    if (name.empty()) return fail("policy capture --add needs --name NAME (e.g. bios-1.22)", 2);
    req->set("mode", "add");
    req->set("name", name);
    if (auto e = args.get("expire")) {
      auto secs = parse_duration(*e);
      if (!secs.ok()) return report(secs.error());
      req->set("expire_seconds", *secs);
    }
  }
  auto a = call_ok(c, "POST", "/v1/admin/devices/" + id + "/capture", paw::json::stringify(req));
  if (!a.ok()) return report(a.error());
  if (!c.json) {
    std::cout << "the required PCRs of device " << id << "'s last verified quote are now "
              << (add ? "reference set " + args.get_or("name", "") + " of:\n" : "the references of:\n");
  }
  return show_answer(c, *a, print_document);
}

int policy(const std::vector<std::string>& words) {
  auto args = parse_admin_args(words, {"name", "expire", "report-on", "against"}, {"add", "replace"});
  if (!args.ok()) return report(args.error());
  const auto& pos = args->positional();
  if (pos.empty()) return fail(kPolicyUsage, 2);
  const std::string& verb = pos[0];
  if (verb == "check") {  // offline: no verifier, no credential
    if (pos.size() != 2) return fail(kPolicyUsage, 2);
    return policy_check(pos[1], args->has("json"));
  }
  const bool shape_ok = (verb == "show" && pos.size() <= 2) || (verb == "set" && pos.size() == 3) ||
                        (verb == "assign" && pos.size() == 3) || (verb == "capture" && pos.size() == 2) ||
                        (verb == "report" && pos.size() == 2) || (verb == "report-mode" && pos.size() == 3) ||
                        (verb == "explain" && pos.size() == 2) || (verb == "diff" && pos.size() == 2);
  if (!shape_ok) return fail(kPolicyUsage, 2);
  if (verb != "set" && args->get("report-on")) return fail("policy: --report-on goes with set", 2);
  if (verb != "diff" && args->get("against")) return fail("policy: --against goes with diff", 2);
  auto conn = connection_from(*args);
  if (!conn.ok()) return report(conn.error());
  if (verb == "show") return show(*conn, pos);
  if (verb == "set") return set(*conn, pos[1], pos[2], *args);
  if (verb == "report") return policy_report(*conn, pos[1]);
  if (verb == "explain") return policy_explain(*conn, pos[1]);
  if (verb == "diff") return policy_diff(*conn, pos[1], args->get("against"));
  if (verb == "report-mode") return policy_report_mode(*conn, pos[1], pos[2]);
  if (verb == "assign") return assign(*conn, pos[1], pos[2]);
  return capture(*conn, pos[1], *args);
}

}  // namespace

PAWCTL_COMMAND("policy", "policy show [NAME]|set NAME FILE [--report-on T]|check FILE|assign ID NAME|capture ID [--add --name N [--expire 14d]]|report NAME|report-mode NAME T|off|explain ID|diff ID [--against SET]", policy);

}  // namespace pawctl

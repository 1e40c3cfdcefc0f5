// pawctl devices list|show|approve|revoke|delete, and pawctl health (the
// identity provider's question: may this device log in now?).
#include <Poco/JSON/Object.h>

#include <ctime>
#include <iostream>

#include "admin_client.h"
#include "command.h"
#include "device_page.h"

namespace pawctl {
namespace {

using paw::json::ObjectPtr;

constexpr const char* kDevicesUsage =
    "usage: pawctl devices list | show ID | approve ID | revoke ID [--yes] | delete ID [--yes]  [--json] --verifier URL "
    "--ca-file PEM";

std::vector<std::string> device_row(const ObjectPtr& d) {
  return {d->optValue<std::string>("device_id", ""),
          d->optValue<std::string>("status", ""),
          d->optValue<std::string>("last_verdict", ""),
          format_age(d->optValue<std::int64_t>("last_attested_at", 0)),
          d->optValue<std::string>("policy", ""),
          d->optValue<std::string>("label", "")};
}

int print_devices(const ObjectPtr& o) {
  return print_rows(o, "devices",
                    "no devices enrolled yet (pawctl token create, then paw-agent enroll on the workstation)",
                    {"DEVICE", "STATUS", "VERDICT", "ATTESTED", "POLICY", "LABEL"}, device_row);
}

void print_summary(const ObjectPtr& d) {
  std::cout << "device:        " << d->optValue<std::string>("device_id", "") << "\n"
            << "status:        " << d->optValue<std::string>("status", "") << "\n"
            << "label:         " << d->optValue<std::string>("label", "") << "\n"
            << "owner:         " << d->optValue<std::string>("owner", "") << "\n"
            << "policy:        " << d->optValue<std::string>("policy", "") << "\n"
            << "last verdict:  " << d->optValue<std::string>("last_verdict", "") << "\n"
            << "reasons:       " << reasons_text(d->getArray("last_reasons")) << "\n"
            << "last attested: " << format_time(d->optValue<std::int64_t>("last_attested_at", 0)) << "\n"
            << "last healthy:  " << format_time(d->optValue<std::int64_t>("last_healthy_at", 0)) << "\n"
            << "enrolled:      " << format_time(d->optValue<std::int64_t>("created_at", 0)) << "\n";
}

int one(const paw::Args& args, const Connection& c, const std::string& verb, const std::string& id) {
  if (auto st = check_segment(id, "device id"); !st.ok()) return report(st.error());
  if (verb == "revoke" || verb == "delete") {
    const std::string q = verb == "revoke" ? "revoke device " + id + " (its tokens are refused at once)"
                                           : "delete device " + id + " (it must enroll again to come back)";
    if (int rc = confirm(args, q); rc != 0) return rc;
  }
  const std::string path = "/v1/admin/devices/" + id;
  paw::Result<HttpAnswer> a = paw::make_error(paw::Errc::internal, "unreachable");
  if (verb == "show") a = call_ok(c, "GET", path);
  else if (verb == "approve") a = call_ok(c, "POST", path + "/approve", "{}");
  else if (verb == "revoke") a = call_ok(c, "POST", path + "/revoke", "{}");
  else if (verb == "delete") a = call_ok(c, "DELETE", path);
  else return fail(kDevicesUsage, 2);
  if (!a.ok()) return report(a.error());
  if (verb == "delete") {
    if (c.json) std::cout << R"({"device_id":")" << id << R"(","deleted":true})" << "\n";
    else std::cout << "deleted device " << id << " (its tokens no longer pass /v1/authz)\n";
    return 0;
  }
  return show_answer(c, *a, [&](const ObjectPtr& o) {
    if (verb == "approve") std::cout << "approved device " << id << "\n";
    if (verb == "revoke") {
      std::cout << "revoked device " << id << ": it can no longer attest, its tokens are refused\n";
    }
    if (verb == "show") {
      print_device_page(std::cout, o, static_cast<std::int64_t>(std::time(nullptr)));
      return 0;
    }
    print_summary(o);
    return 0;
  });
}

int devices(const std::vector<std::string>& words) {
  auto args = parse_admin_args(words, {});
  if (!args.ok()) return report(args.error());
  const auto& pos = args->positional();
  if (pos.empty()) return fail(kDevicesUsage, 2);
  if ((pos[0] == "list" && pos.size() != 1) || (pos[0] != "list" && pos.size() != 2)) return fail(kDevicesUsage, 2);
  auto conn = connection_from(*args);
  if (!conn.ok()) return report(conn.error());
  if (pos[0] == "list") return call_show(*conn, "GET", "/v1/admin/devices", "", print_devices);
  return one(*args, *conn, pos[0], pos[1]);
}

// health asks GET /v1/devices/ID/health with a relying-party credential.
// Exit 0 when the login is allowed, 1 when denied, 2 when it could not ask.
int health(const std::vector<std::string>& words) {
  auto args = parse_admin_args(words, {"max-age", "rp-credential-file"});
  if (!args.ok()) return report(args.error());
  const auto& pos = args->positional();
  if (pos.size() != 1) {
    return fail("usage: pawctl health DEVICE_ID [--max-age 300] [--rp-credential-file FILE] --verifier URL --ca-file PEM",
                2);
  }
  if (auto st = check_segment(pos[0], "device id"); !st.ok()) return report(st.error());
  auto conn = connection_from(*args, kRpCredential);
  if (!conn.ok()) return report(conn.error());
  std::string path = "/v1/devices/" + pos[0] + "/health";
  if (auto max_age = args->get("max-age")) {
    auto secs = parse_duration(*max_age);
    if (!secs.ok()) return report(secs.error());
    path += "?max_age=" + std::to_string(*secs);
  }
  auto a = call_ok(*conn, "GET", path);
  if (!a.ok()) {
    report(a.error());
    return 2;
  }
  auto o = parse_answer(*a);
  if (!o.ok()) {
    report(o.error());
    return 2;
  }
  const bool allow = (*o)->optValue<bool>("allow", false);
  if (conn->json) {
    std::cout << a->body << "\n";
  } else {
    std::cout << (allow ? "allow" : "deny") << ": device " << pos[0] << " is "
              << (*o)->optValue<std::string>("status", "") << ", last verdict "
              << (*o)->optValue<std::string>("verdict", "") << " ("
              << format_age((*o)->optValue<std::int64_t>("attested_at", 0)) << ")\n";
    if (!allow) std::cout << "reasons: " << reasons_text((*o)->getArray("reasons")) << "\n";
  }
  return allow ? 0 : 1;
}

}  // namespace

PAWCTL_COMMAND("devices", "devices list|show ID|approve ID|revoke ID [--yes]|delete ID [--yes]", devices);
PAWCTL_COMMAND("health", "health DEVICE_ID [--max-age 300] [--rp-credential-file FILE]  may it log in? (exit 0/1)",
               health);

}  // namespace pawctl

// pawctl token create|list|revoke, rp-credential create, credentials
// list|revoke: the secrets an admin hands out, and taking them back.
#include <iostream>

#include "admin_client.h"
#include "command.h"

namespace pawctl {
namespace {

using paw::Errc;
using paw::make_error;
using paw::json::ObjectPtr;

constexpr const char* kTokenUsage =
    "usage: pawctl token create [--ttl 1h] [--label NAME] [--policy NAME] [--owner NAME] [--replace] | list | revoke ID [--yes]  [--json] --verifier URL "
    "--ca-file PEM\n       pawctl token verify FILE|- (--verifier URL --ca-file PEM | --jwks FILE) [--issuer NAME] [--json]";
constexpr const char* kCredentialsUsage =
    "usage: pawctl credentials create --scope read|devices|policy|full [--expire 90d] [--label NAME] | list | "
    "revoke ID [--yes]  [--json] --verifier URL --ca-file PEM";

// list_table prints the array |key| of a GET answer as a table of |columns|
// (JSON field names; *_at fields as times).
int list_table(const Connection& c, const std::string& path, const std::string& key,
               const std::vector<std::string>& header, const std::vector<std::string>& fields, const char* empty) {
  const auto cells = [&](const ObjectPtr& row) {
    std::vector<std::string> out;
    for (const auto& f : fields) {
      const bool time = f.size() > 3 && f.compare(f.size() - 3, 3, "_at") == 0;
      out.push_back(time ? format_time(row->optValue<std::int64_t>(f, 0))
                         : row->optValue<std::string>(f, ""));
    }
    return out;
  };
  return call_show(c, "GET", path, "",
                   [&](const ObjectPtr& o) { return print_rows(o, key, empty, header, cells); });
}

int token_create(const paw::Args& args, const Connection& conn) {
  auto ttl = parse_duration(args.get_or("ttl", "1h"));
  if (!ttl.ok()) return report(ttl.error());
  Poco::JSON::Object::Ptr req = new Poco::JSON::Object();
  req->set("ttl_seconds", *ttl);
  if (auto label = args.get("label")) req->set("label", *label);
  if (auto policy = args.get("policy")) req->set("policy", *policy);
  // --replace: the workstation may re-enroll a TPM that is already enrolled
  // (reinstalled, or revoked by mistake); the old device is then revoked.
  if (args.has("replace")) req->set("replace", true);
  // --owner: the person the workstation is enrolled to (tokens carry it; logins may name the expected user).
  if (auto owner = args.get("owner")) req->set("owner", *owner);
  return call_show(conn, "POST", "/v1/admin/tokens", paw::json::stringify(req), [&](const ObjectPtr& o) {
    std::cout << "token: " << o->optValue<std::string>("token", "") << "\n"
              << "expires: " << format_time(o->optValue<std::int64_t>("expires_at", 0)) << " (single use)\n"
              << "label: " << o->optValue<std::string>("label", "") << "\n"
              << "owner: " << o->optValue<std::string>("owner", "") << "\n"
              << "policy: " << o->optValue<std::string>("policy", "default") << "\n"
              << (o->optValue<bool>("replace", false)
                      ? "replace: yes (if this TPM is already enrolled, that device is revoked when this one "
                        "enrolls)\n"
                      : "")
              << "next: on the workstation, paw-agent enroll --verifier " << conn.verifier
              << " --token TOKEN --ca-file PEM\n";
    return 0;
  });
}

}  // namespace

// command_token_verify.cpp: offline checks, no admin credential needed.
int token_verify(const std::vector<std::string>& words);

namespace {

int token(const std::vector<std::string>& words) {
  if (!words.empty() && words[0] == "verify") return token_verify(words);
  auto args = parse_admin_args(words, {"ttl", "label", "policy", "owner"}, {"replace"});
  if (!args.ok()) return report(args.error());
  const auto& pos = args->positional();
  const std::string verb = pos.empty() ? "" : pos[0];
  const bool shape_ok = (verb == "create" && pos.size() == 1) || (verb == "list" && pos.size() == 1) ||
                        (verb == "revoke" && pos.size() == 2);
  if (!shape_ok) return fail(kTokenUsage, 2);
  auto conn = connection_from(*args);
  if (!conn.ok()) return report(conn.error());
  if (verb == "create") return token_create(*args, *conn);
  if (verb == "list") {
    return list_table(*conn, "/v1/admin/tokens", "tokens", {"ID", "STATE", "EXPIRES", "POLICY", "LABEL"},
                      {"id", "state", "expires_at", "policy", "label"}, "no enrollment tokens (pawctl token create)");
  }
  return revoke(*args, *conn, "/v1/admin/tokens", pos[1], "token");
}

int rp_credential(const std::vector<std::string>& words) {
  auto args = parse_admin_args(words, {"label", "expire"});
  if (!args.ok()) return report(args.error());
  const auto& pos = args->positional();
  if (pos.size() != 1 || pos[0] != "create") {
    return fail("usage: pawctl rp-credential create [--label NAME] [--expire 90d] --verifier URL --ca-file PEM", 2);
  }
  auto conn = connection_from(*args);
  if (!conn.ok()) return report(conn.error());
  Poco::JSON::Object::Ptr req = new Poco::JSON::Object();
  req->set("label", args->get_or("label", ""));
  if (auto e = args->get("expire")) {
    auto d = parse_duration(*e);
    if (!d.ok()) return report(d.error());
    req->set("expires_in_seconds", *d);
  }
  return call_show(
      *conn, "POST", "/v1/admin/rp-credentials", paw::json::stringify(req), [](const ObjectPtr& o) {
        std::cout << "relying-party credential: " << o->optValue<std::string>("credential", "") << "\n"
                  << "id: " << o->optValue<std::string>("id", "") << "\n"
                  << "expires: " << format_time(o->optValue<std::int64_t>("expires_at", 0)) << "\n"
                  << "store it in a file (mode 0600) for the identity provider; it is shown only once\n";
        return 0;
      });
}

// credentials_create: a scoped admin API credential for automation.
int credentials_create(const paw::Args& args, const Connection& conn) {
  const auto scope = args.get("scope");
  if (!scope) return fail("credentials create needs --scope read|devices|policy|full", 2);
  Poco::JSON::Object::Ptr req = new Poco::JSON::Object();
  req->set("scope", *scope);
  req->set("label", args.get_or("label", ""));
  if (auto e = args.get("expire")) {
    auto d = parse_duration(*e);
    if (!d.ok()) return report(d.error());
    req->set("expires_in_seconds", *d);
  }
  return call_show(conn, "POST", "/v1/admin/credentials", paw::json::stringify(req), [](const ObjectPtr& o) {
    std::cout
        << "admin credential: " << o->optValue<std::string>("credential", "") << "\n"
        << "id: " << o->optValue<std::string>("id", "") << "\n"
        << "scope: " << o->optValue<std::string>("scope", "") << "\n"
        << "expires: " << format_time(o->optValue<std::int64_t>("expires_at", 0)) << "\n"
        << "store it in a file (mode 0600) for the automation (--credential-file); it is shown only once\n";
    return 0;
  });
}

int credentials(const std::vector<std::string>& words) {
  auto args = parse_admin_args(words, {"scope", "expire", "label"});
  if (!args.ok()) return report(args.error());
  const auto& pos = args->positional();
  const std::string verb = pos.empty() ? "" : pos[0];
  if (!((verb == "list" && pos.size() == 1) || (verb == "create" && pos.size() == 1) ||
        (verb == "revoke" && pos.size() == 2))) {
    return fail(kCredentialsUsage, 2);
  }
  auto conn = connection_from(*args);
  if (!conn.ok()) return report(conn.error());
  if (verb == "create") return credentials_create(*args, *conn);
  if (verb == "list") {
    return list_table(*conn, "/v1/admin/credentials", "credentials",
                      {"ID", "KIND", "SCOPE", "STATE", "EXPIRES", "ADMIN", "LABEL"},
                      {"id", "kind", "scope", "state", "expires_at", "admin", "label"}, "no credentials");
  }
  return revoke(*args, *conn, "/v1/admin/credentials", pos[1], "credential");
}

}  // namespace

PAWCTL_COMMAND("token", "token create [--ttl 1h] [--label NAME] | list | revoke ID   enrollment tokens; token verify FILE|-   result tokens, offline", token);
PAWCTL_COMMAND("rp-credential", "rp-credential create [--label NAME] [--expire 90d]  credential for health queries",
               rp_credential);
PAWCTL_COMMAND("credentials",
               "credentials create --scope S [--expire 90d] [--label L] | list | revoke ID   admin and relying-party credentials",
               credentials);

}  // namespace pawctl

// pawctl admin add|invite|invitations|list|remove, login, logout: admins who sign in with a
// FIDO2 key instead of holding a bearer credential (docs/pawctl.md "Signing
// in with a FIDO2 key"). The key is reached through libfido2 with the
// platform library's code (paw/platform/fido.h), as paw-agent does.
#include <ctime>
#include <iostream>

#include "admin_client.h"
#include "admin_session.h"
#include "command.h"
#include "paw/attest/admin_fido.h"
#include "paw/attest/bytes.h"
#include "paw/platform/fido.h"

namespace pawctl {
namespace {

using paw::Bytes;
using paw::Errc;
using paw::make_error;
using paw::json::ObjectPtr;

constexpr const char* kAdminUsage =
    "usage: pawctl admin add NAME [--scope read|devices|policy|full] [--fido-device DEV] | invite NAME [--scope S] "
    "[--expire 15m] | invitations [revoke ID [--yes]] | list | remove NAME [--yes]  [--json] --verifier URL "
    "--ca-file PEM";
constexpr const char* kLoginUsage =
    "usage: pawctl login NAME [--fido-device DEV] [--json] --verifier URL --ca-file PEM";
constexpr const char* kLogoutUsage = "usage: pawctl logout [--json] --verifier URL --ca-file PEM";

bool is_virtual(const std::string& device) { return device.rfind("virtual:", 0) == 0; }

// post_json: call_ok with a JSON body, the answer parsed.
paw::Result<ObjectPtr> post_json(const Connection& c, const std::string& path, const Poco::JSON::Object::Ptr& body) {
  PAW_TRY(HttpAnswer a, call_ok(c, "POST", path, paw::json::stringify(body)));
  return parse_answer(a);
}

paw::Result<Bytes> b64_field(const ObjectPtr& o, const std::string& key) {
  return paw::json::get_b64(o, key, 4096);
}

int admin_add(const paw::Args& args, const Connection& conn, const std::string& name) {
  const std::string scope = args.get_or("scope", "read");
  Poco::JSON::Object::Ptr ask = new Poco::JSON::Object();
  ask->set("name", name);
  auto ch = post_json(conn, "/v1/admin/admins/challenge", ask);
  if (!ch.ok()) return report(ch.error());
  auto challenge = b64_field(*ch, "challenge");
  if (!challenge.ok()) return report(challenge.error());
  paw::platform::FidoDeviceConfig dev{args.get_or("fido-device", ""), 30000};
  paw::platform::FidoEnrollOptions opt;
  opt.rp_id = (*ch)->optValue<std::string>("rp_id", "");
  opt.user_name = name;
  opt.algorithm = paw::attest::kCoseEs256;
  opt.client_data_hash = paw::attest::admin_register_client_data_hash(*challenge, name);
  if (!is_virtual(dev.device)) std::cerr << "pawctl: touch the FIDO2 security key of " << name << std::endl;
  auto made = paw::platform::fido_enroll(dev, opt);
  if (!made.ok()) return report(made.error());
  Poco::JSON::Object::Ptr reg = new Poco::JSON::Object();
  reg->set("name", name);
  reg->set("scope", scope);
  reg->set("challenge", paw::base64(*challenge));
  reg->set("credential_id", paw::base64(made->credential_id));
  reg->set("fmt", made->fmt);
  reg->set("auth_data", paw::base64(made->auth_data));
  reg->set("att_stmt", paw::base64(made->attestation_cbor));
  auto a = call_ok(conn, "POST", "/v1/admin/admins", paw::json::stringify(reg));
  if (!a.ok()) return report(a.error());
  if (conn.json) {
    std::cout << a->body << "\n";
    return 0;
  }
  std::cout << "admin " << name << " added (scope " << scope << ")\n"
            << "next: " << name << " signs in with pawctl login " << name << " --verifier " << conn.verifier
            << " --ca-file PEM\n";
  return 0;
}

// admin_invite: a one-time console link with which NAME registers a key in
// the browser (docs/console.md "Adding an admin from the browser").
int admin_invite(const paw::Args& args, const Connection& conn, const std::string& name) {
  const std::string scope = args.get_or("scope", "read");
  auto ttl = parse_duration(args.get_or("expire", "15m"));
  if (!ttl.ok()) return report(ttl.error());
  Poco::JSON::Object::Ptr ask = new Poco::JSON::Object();
  ask->set("name", name);
  ask->set("scope", scope);
  ask->set("expires_in_seconds", *ttl);
  const std::string body = paw::json::stringify(ask);
  return call_show(conn, "POST", "/v1/admin/admins/invitations", body, [&](const ObjectPtr& o) {
    std::cout << "invitation for " << name << " (scope " << scope << "), valid once until "
              << format_time(o->optValue<std::int64_t>("expires_at", 0)) << ":\n  "
              << o->optValue<std::string>("url", "") << "\n"
              << "next: give " << name << " this link over a channel you trust; opening it registers their "
              << "security key (anyone holding the link can, until it is used or expires)\n"
              << "sent to the wrong person, or leaked? pawctl admin invitations revoke "
              << o->optValue<std::string>("id", "") << "\n";
    return 0;
  });
}

// invitation_row: one invitation; who invited is the person when a FIDO2
// admin did, else the API credential's label and id.
std::vector<std::string> invitation_row(const ObjectPtr& r) {
  std::string by = r->optValue<std::string>("by_admin", "");
  if (by.empty()) {
    by = r->optValue<std::string>("by_name", "") + " (" + r->optValue<std::string>("by", "") + ")";
  }
  return {r->optValue<std::string>("id", ""),
          r->optValue<std::string>("name", ""),
          r->optValue<std::string>("scope", ""),
          format_time(r->optValue<std::int64_t>("created_at", 0)),
          format_time(r->optValue<std::int64_t>("expires_at", 0)),
          printable(by, 160)};
}

// print_invitations: the invitations that could still be used (never their
// links: the verifier does not keep them), for `admin invitations revoke ID`.
int print_invitations(const ObjectPtr& o) {
  return print_rows(o, "invitations", "no pending invitations (pawctl admin invite NAME makes one)",
                    {"ID", "NAME", "SCOPE", "CREATED", "EXPIRES", "INVITED BY"}, invitation_row);
}

std::vector<std::string> admin_row(const ObjectPtr& r) {
  return {r->optValue<std::string>("name", ""), r->optValue<std::string>("scope", ""),
          std::to_string(r->optValue<std::int64_t>("sign_count", 0)),
          format_time(r->optValue<std::int64_t>("created_at", 0)),
          r->optValue<std::string>("created_by", "")};
}

int print_admins(const ObjectPtr& o) {
  return print_rows(o, "admins", "no FIDO2 admins (pawctl admin add NAME)",
                    {"NAME", "SCOPE", "COUNTER", "ADDED", "ADDED BY"}, admin_row);
}

int admin(const std::vector<std::string>& words) {
  auto args = parse_admin_args(words, {"scope", "fido-device", "expire"});
  if (!args.ok()) return report(args.error());
  const auto& pos = args->positional();
  const std::string verb = pos.empty() ? "" : pos[0];
  const bool revoking = verb == "invitations" && pos.size() == 3 && pos[1] == "revoke";
  const bool shape_ok = (verb == "add" && pos.size() == 2) || (verb == "invite" && pos.size() == 2) ||
                        (verb == "invitations" && pos.size() == 1) || revoking ||
                        (verb == "list" && pos.size() == 1) ||
                        (verb == "remove" && pos.size() == 2);
  if (!shape_ok) return fail(kAdminUsage, 2);
  if (pos.size() == 2) {
    if (auto st = check_segment(pos[1], "admin name"); !st.ok()) return report(st.error());
  }
  auto conn = connection_from(*args);
  if (!conn.ok()) return report(conn.error());
  if (verb == "add") return admin_add(*args, *conn, pos[1]);
  if (verb == "invite") return admin_invite(*args, *conn, pos[1]);
  if (verb == "list") return call_show(*conn, "GET", "/v1/admin/admins", "", print_admins);
  if (revoking) return revoke(*args, *conn, "/v1/admin/invitations", pos[2], "invitation");
  if (verb == "invitations") return call_show(*conn, "GET", "/v1/admin/invitations", "", print_invitations);
  if (int rc = confirm(*args, "remove admin " + pos[1] + " and revoke every session of theirs"); rc != 0) return rc;
  return call_show(*conn, "DELETE", "/v1/admin/admins/" + pos[1], "", [&](const ObjectPtr& o) {
    std::cout << "admin " << pos[1] << " removed; " << o->optValue<std::int64_t>("sessions_revoked", 0)
              << " session(s) revoked\n";
    return 0;
  });
}

int login(const std::vector<std::string>& words) {
  auto args = parse_admin_args(words, {"fido-device"});
  if (!args.ok()) return report(args.error());
  const auto& pos = args->positional();
  if (pos.size() != 1) return fail(kLoginUsage, 2);
  const std::string& name = pos[0];
  if (auto st = check_segment(name, "admin name"); !st.ok()) return report(st.error());
  auto conn = public_connection(*args);
  if (!conn.ok()) return report(conn.error());
  auto path = session_path(conn->verifier);
  if (!path.ok()) return report(path.error());
  Poco::JSON::Object::Ptr ask = new Poco::JSON::Object();
  ask->set("name", name);
  auto asked = call(*conn, "POST", "/v1/admin/login/challenge", paw::json::stringify(ask));
  if (asked.ok() && asked->status == 404) {
    return report(make_error(Errc::not_found, "the verifier has no admin " + name +
                                                  " (a full admin adds one: pawctl admin add " + name + ")"));
  }
  if (!asked.ok()) return report(asked.error());
  auto answered = answer_ok("POST", "/v1/admin/login/challenge", *asked);
  if (!answered.ok()) return report(answered.error());
  auto ch = parse_answer(*answered);
  if (!ch.ok()) return report(ch.error());
  auto challenge = b64_field(*ch, "challenge");
  if (!challenge.ok()) return report(challenge.error());
  auto credential_id = b64_field(*ch, "credential_id");
  if (!credential_id.ok()) return report(credential_id.error());
  paw::platform::FidoDeviceConfig dev{args->get_or("fido-device", ""), 30000};
  paw::platform::FidoPresenceOptions opt;
  opt.rp_id = (*ch)->optValue<std::string>("rp_id", "");
  opt.credential_id = *credential_id;
  opt.client_data_hash = paw::attest::admin_login_client_data_hash(*challenge, *credential_id);
  opt.user_presence = true;
  if (!is_virtual(dev.device)) std::cerr << "pawctl: touch your FIDO2 security key" << std::endl;
  auto proof = paw::platform::fido_prove_presence(dev, opt);
  if (!proof.ok()) return report(proof.error());
  Poco::JSON::Object::Ptr body = new Poco::JSON::Object();
  body->set("credential_id", paw::base64(proof->credential_id));
  body->set("challenge", paw::base64(*challenge));
  body->set("auth_data", paw::base64(proof->auth_data));
  body->set("signature", paw::base64(proof->signature));
  auto answer = post_json(*conn, "/v1/admin/login", body);
  if (!answer.ok()) return report(answer.error());
  AdminSession s{conn->verifier, (*answer)->optValue<std::string>("admin", ""),
                 (*answer)->optValue<std::string>("scope", ""), (*answer)->optValue<std::string>("session", ""),
                 (*answer)->optValue<std::int64_t>("expires_at", 0)};
  if (s.secret.empty()) return report(make_error(Errc::malformed, "the verifier's answer holds no session"));
  if (auto st = save_session(*path, s); !st.ok()) return report(st.error());
  if (conn->json) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object();
    o->set("admin", s.admin);
    o->set("scope", s.scope);
    o->set("expires_at", s.expires_at);
    o->set("session_file", *path);
    std::cout << paw::json::stringify(o) << "\n";
    return 0;
  }
  std::cout << "signed in as " << s.admin << " (scope " << s.scope << ") until " << format_time(s.expires_at)
            << "\nsession kept in " << *path << " (mode 0600); pawctl logout ends it\n";
  return 0;
}

int logout(const std::vector<std::string>& words) {
  auto args = parse_admin_args(words, {});
  if (!args.ok()) return report(args.error());
  if (!args->positional().empty()) return fail(kLogoutUsage, 2);
  auto pub = public_connection(*args);
  if (!pub.ok()) return report(pub.error());
  auto path = session_path(pub->verifier);
  if (!path.ok()) return report(path.error());
  auto session = load_session(*path, pub->verifier);
  if (!session.ok()) return report(session.error());
  if (!*session) return report(make_error(Errc::not_found, "not signed in to " + pub->verifier));
  Connection conn = *pub;
  conn.credential = (*session)->secret;
  auto a = call(conn, "POST", "/v1/admin/logout", "{}");
  // The local copy goes whatever the verifier says: an ended session is of no use.
  remove_session(*path);
  if (!a.ok()) return report(a.error());
  if (a->status == 401) {
    std::cout << "the session had already ended; removed " << *path << "\n";
    return 0;
  }
  auto ok = answer_ok("POST", "/v1/admin/logout", *a);
  if (!ok.ok()) return report(ok.error());
  if (conn.json) {
    std::cout << a->body << "\n";
    return 0;
  }
  std::cout << "signed out " << (*session)->admin << "; the session is revoked on every replica\n";
  return 0;
}

}  // namespace

PAWCTL_COMMAND("admin", "admin add NAME [--scope S] [--fido-device DEV] | invite NAME [--scope S] [--expire 15m] | "
               "invitations [revoke ID] | list | remove NAME   admins with FIDO2 keys",
               admin);
PAWCTL_COMMAND("login", "login NAME [--fido-device DEV]   sign in with your FIDO2 key (a short admin session)", login);
PAWCTL_COMMAND("logout", "logout                     end the admin session of pawctl login", logout);

}  // namespace pawctl

// The invitation token (invitation.h): writing it and reading it back,
// bounded and strict. Apart from Service so the fuzz target
// (tests/fuzz/admin_invitation.cpp) links it alone.
#include "invitation.h"

#include <Poco/JSON/Object.h>

#include "paw/attest/digest.h"
#include "paw/attest/json.h"

namespace paw::verifier {
namespace {

constexpr std::string_view kPrefix = "pawinv.";

}  // namespace

Status check_admin_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return make_error(Errc::malformed, "admin name must be 1 to 64 characters");
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return make_error(Errc::malformed, "admin names are [a-z0-9._-]{1,64}");
  }
  return ok_status();
}

std::string invitation_payload(const std::string& name, AdminScope scope, const std::string& by,
                               const std::string& by_name, const std::string& by_admin) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object();
  o->set("name", name);
  o->set("scope", std::string(admin_scope_name(scope)));
  o->set("by", by);
  o->set("by_name", by_name);
  o->set("by_admin", by_admin);
  return json::stringify(o);
}

std::string encode_invitation(ByteView nonce, std::string_view payload) {
  return std::string(kPrefix) + base64url(nonce) + "." + base64url(as_bytes(payload));
}

Result<AdminInvitation> parse_invitation(std::string_view token) {
  if (token.size() > kMaxInvitationSize) return make_error(Errc::too_large, "invitation is too long");
  if (token.substr(0, kPrefix.size()) != kPrefix) return make_error(Errc::malformed, "not an invitation (pawinv.…)");
  token.remove_prefix(kPrefix.size());
  const auto dot = token.find('.');
  if (dot == std::string_view::npos) return make_error(Errc::malformed, "invitation has no payload");
  AdminInvitation out;
  auto nonce = unbase64url(token.substr(0, dot));
  if (!nonce.ok() || nonce->size() != kInvitationNonceSize)
    return make_error(Errc::malformed, "invitation nonce is not 32 bytes of base64url");
  out.nonce = std::move(*nonce);
  auto payload = unbase64url(token.substr(dot + 1));
  if (!payload.ok()) return make_error(Errc::malformed, "invitation payload is not base64url");
  out.payload.assign(payload->begin(), payload->end());
  auto obj = json::parse_object(out.payload, kMaxInvitationSize, 2);
  if (!obj.ok()) return make_error(Errc::malformed, "invitation payload is not a JSON object");
  PAW_CHECK(json::only_keys(*obj, {"name", "scope", "by", "by_name", "by_admin"}, "invitation"));
  auto name = json::get_string(*obj, "name");
  auto scope = json::get_string(*obj, "scope");
  auto by = json::get_string(*obj, "by");
  auto by_name = json::get_string(*obj, "by_name");
  auto by_admin = json::get_string(*obj, "by_admin");
  if (!name.ok() || !scope.ok() || !by.ok() || !by_name.ok() || !by_admin.ok())
    return make_error(Errc::malformed, "invitation payload needs string members name, scope, by, by_name, by_admin");
  out.name = *name;
  PAW_CHECK(check_admin_name(out.name));
  const auto s = admin_scope_from_name(*scope);
  if (!s) return make_error(Errc::malformed, "invitation scope must be read, devices, policy or full");
  out.scope = *s;
  out.by = *by;
  out.by_name = *by_name;
  out.by_admin = *by_admin;
  // One spelling per invitation: base64url with stray low bits in its last
  // character decodes to the same bytes, and is refused rather than read.
  if (encode_invitation(out.nonce, out.payload) != std::string(kPrefix) + std::string(token))
    return make_error(Errc::malformed, "invitation is not in its canonical base64url form");
  return out;
}

std::string invitation_binding(std::string_view payload) { return "admin-invitation\n" + std::string(payload); }

std::string invitation_challenge_binding(ByteView invitation_nonce) {
  return "admin-invite-register\n" + hex(invitation_nonce);
}

std::string invitation_id(ByteView nonce) { return hex(sha256(nonce)).substr(0, 16); }

attest::FidoEnrollmentPolicy admin_key_policy(const std::string& rp_id, const attest::FidoAttestationRoots* roots,
                                              std::int64_t now_s) {
  attest::FidoEnrollmentPolicy policy;
  policy.rp_id = rp_id;
  policy.allow_self_attestation = true;
  policy.allow_none_attestation = true;
  policy.any_aaguid = true;
  policy.algorithms = {attest::kCoseEs256};
  policy.attestation_roots = roots;
  policy.now = now_s;
  return policy;
}

}  // namespace paw::verifier

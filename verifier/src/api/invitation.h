// invitation.h — one-time invitations that let a new admin register a FIDO2
// key in the browser (docs/console.md "Adding an admin from the browser").
//
// A full admin (pawctl admin invite NAME) asks for one; the verifier answers
// a token that the new admin opens as https://CONSOLE/#/invite/TOKEN:
//
//   token = "pawinv." base64url(nonce) "." base64url(payload)
//   payload = {"name","scope","by","by_name","by_admin"} (JSON, as issued)
//   nonce = ChallengeKey::issue(invitation_binding(payload), expires_at)
//
// The nonce's MAC covers the payload and its expiry (challenge.h), so no
// field can be changed or the life extended without the verifier's key; the
// token holds nothing secret but itself. Issuing it stores a record
// (Store::add_invitation: the name, scope, inviter and expiry under
// invitation_id, never the token), which admins list and revoke (GET
// /v1/admin/invitations, POST …/ID/revoke, api_invitations.cpp); a token
// with no record, or a revoked or used one, is refused. Registering uses
// the record (Store::use_invitation: one winner against a revocation or a
// second registration, also across replicas) and burns the nonce
// (Store::use_nonce). The token is in the URL's fragment, which browsers
// never send: it stays out of proxies' and the verifier's request logs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "admin_scope.h"
#include "paw/attest/bytes.h"
#include "paw/attest/error.h"
#include "paw/attest/fido.h"

namespace paw::verifier {

// kMaxInvitationSize bounds a token (a payload of a 64-character name and
// the inviter's ids is well under 600 characters).
inline constexpr std::size_t kMaxInvitationSize = 1024;
inline constexpr std::size_t kInvitationNonceSize = 32;  // ChallengeKey's nonce
// The life of an invitation: 15 minutes unless asked, 1 minute to 1 day.
inline constexpr std::int64_t kInvitationDefaultTtl = 900;
inline constexpr std::int64_t kInvitationMinTtl = 60;
inline constexpr std::int64_t kInvitationMaxTtl = 86400;

// check_admin_name: [a-z0-9._-]{1,64} (a path segment of DELETE /v1/admin/admins/NAME).
Status check_admin_name(const std::string& name);

// AdminInvitation is a token read back; its MAC is not checked yet (that is
// ChallengeKey::check(nonce, invitation_binding(payload), now)).
struct AdminInvitation {
  Bytes nonce;
  std::string payload;  // the exact JSON text the MAC binds
  std::string name;
  AdminScope scope = AdminScope::read;
  std::string by, by_name, by_admin;  // the inviting credential, its label, its admin ("" for an API credential)
};

// invitation_payload is the payload JSON of a new invitation.
std::string invitation_payload(const std::string& name, AdminScope scope, const std::string& by,
                               const std::string& by_name, const std::string& by_admin);
// encode_invitation is the token of |nonce| and |payload|.
std::string encode_invitation(ByteView nonce, std::string_view payload);
// parse_invitation reads a token: Errc::malformed for anything that is not
// "pawinv.<b64url 32 bytes>.<b64url JSON object>" in canonical base64url
// (the one spelling encode_invitation writes) with exactly the payload's
// members, a valid admin name and scope (too_large over kMaxInvitationSize).
Result<AdminInvitation> parse_invitation(std::string_view token);

// invitation_binding is what an invitation's nonce is bound to;
// invitation_challenge_binding what the WebAuthn challenge for registering
// with it is bound to. Neither can be a device id or another binding (they
// hold a newline and their own prefix).
std::string invitation_binding(std::string_view payload);
std::string invitation_challenge_binding(ByteView invitation_nonce);
// invitation_id names an invitation in events and answers (not the token:
// the first 16 hex digits of SHA-256 of its nonce).
std::string invitation_id(ByteView nonce);

// admin_key_policy is what an admin's FIDO2 key must be, for `pawctl admin
// add` and for a browser registration by invitation alike: ES256, user
// presence, any model (the registering or inviting full admin vouches for the
// person; a fleet that pins key models for admins does so with --fido-ca-dir
// roots, |roots|, which count as basic attestation).
attest::FidoEnrollmentPolicy admin_key_policy(const std::string& rp_id, const attest::FidoAttestationRoots* roots,
                                              std::int64_t now_s);

}  // namespace paw::verifier

// routes.cpp — the verifier's route table: every path, the credential it
// needs (Auth, AdminScope), its body limit and its handler (api_*.cpp).
// docs/verifier.md lists the same routes for users.
#include "service.h"

#include "paw/attest/appraisal.h"

namespace paw::verifier {

void Service::build_routes() {
  auto bind = [this](Result<Response> (Service::*fn)(Request&)) {
    return [this, fn](Request& r) { return (this->*fn)(r); };
  };
  constexpr std::size_t k64k = 64u << 10;
  router_.add({"GET", "/v1/info", Auth::none, k64k, bind(&Service::get_info)});
  router_.add({"POST", "/v1/enrollments", Auth::none, kMaxEnrollmentRequestSize,
               bind(&Service::post_enrollment)});
  router_.add({"POST", "/v1/enrollments/{}/activation", Auth::none, k64k, bind(&Service::post_activation)});
  router_.add({"POST", "/v1/challenges", Auth::none, k64k, bind(&Service::post_challenge)});
  router_.add({"POST", "/v1/attestations", Auth::none, kMaxEnvelopeSize, bind(&Service::post_attestation)});
  router_.add({"POST", "/v1/devices/{}/login-key", Auth::none, kMaxLoginKeyAddRequestSize,
               bind(&Service::post_login_key)});
  router_.add({"GET", "/.well-known/jwks.json", Auth::none, k64k, bind(&Service::get_jwks)});
  router_.add({"GET", "/.well-known/paw-device-ca.pem", Auth::none, k64k, bind(&Service::get_device_ca)});
  router_.add({"GET", "/.well-known/paw-ssh-ca.pub", Auth::none, k64k, bind(&Service::get_ssh_ca)});
  router_.add({"GET", "/v1/devices/{}/health", Auth::relying_party, k64k, bind(&Service::get_health)});
  router_.add({"GET", "/v1/authz", Auth::none, k64k, bind(&Service::get_authz)});
  router_.add({"GET", "/metrics", cfg_.metrics_auth ? Auth::admin : Auth::none, k64k, bind(&Service::get_metrics),
               AdminScope::read});
  router_.add({"GET", "/healthz", Auth::none, k64k, bind(&Service::get_healthz)});
  router_.add({"POST", "/v1/admin/tokens", Auth::admin, k64k,
               bind(&Service::admin_create_token), AdminScope::devices});
  router_.add({"GET", "/v1/admin/devices", Auth::admin, k64k,
               bind(&Service::admin_list_devices), AdminScope::read});
  router_.add({"GET", "/v1/admin/devices/{}", Auth::admin, k64k,
               bind(&Service::admin_get_device), AdminScope::read});
  router_.add({"DELETE", "/v1/admin/devices/{}", Auth::admin, k64k,
               bind(&Service::admin_delete_device), AdminScope::devices});
  router_.add({"POST", "/v1/admin/devices/{}/approve", Auth::admin, k64k,
               bind(&Service::admin_approve_device), AdminScope::devices});
  router_.add({"POST", "/v1/admin/devices/{}/revoke", Auth::admin, k64k,
               bind(&Service::admin_revoke_device), AdminScope::devices});
  router_.add({"POST", "/v1/admin/devices/{}/policy", Auth::admin, k64k,
               bind(&Service::admin_assign_policy), AdminScope::devices});
  router_.add({"POST", "/v1/admin/devices/{}/capture", Auth::admin, k64k,
               bind(&Service::admin_capture_policy), AdminScope::policy});
  router_.add({"GET", "/v1/admin/devices/{}/explain", Auth::admin, k64k,
               bind(&Service::admin_explain_device), AdminScope::read});
  router_.add({"GET", "/v1/admin/devices/{}/diff", Auth::admin, k64k, bind(&Service::admin_policy_diff), AdminScope::read});
  router_.add({"GET", "/v1/admin/policies", Auth::admin, k64k,
               bind(&Service::admin_list_policies), AdminScope::read});
  router_.add({"GET", "/v1/admin/policies/{}", Auth::admin, k64k,
               bind(&Service::admin_get_policy), AdminScope::read});
  router_.add({"PUT", "/v1/admin/policies/{}", Auth::admin, kMaxPolicySize,
               bind(&Service::admin_put_policy), AdminScope::policy});
  router_.add({"GET", "/v1/admin/policies/{}/report", Auth::admin, k64k,
               bind(&Service::admin_policy_report), AdminScope::read});
  router_.add({"PUT", "/v1/admin/policies/{}/report", Auth::admin, k64k,
               bind(&Service::admin_attach_report), AdminScope::policy});
  router_.add({"DELETE", "/v1/admin/policies/{}/report", Auth::admin, k64k,
               bind(&Service::admin_detach_report), AdminScope::policy});
  // Learn mode's queue (learn.cpp): reading needs read, deciding changes a policy.
  router_.add({"GET", "/v1/admin/refs/pending", Auth::admin, k64k,
               bind(&Service::admin_list_refs), AdminScope::read});
  router_.add({"POST", "/v1/admin/refs/{}/approve", Auth::admin, k64k,
               bind(&Service::admin_approve_ref), AdminScope::policy});
  router_.add({"POST", "/v1/admin/refs/{}/reject", Auth::admin, k64k,
               bind(&Service::admin_reject_ref), AdminScope::policy});
  router_.add({"POST", "/v1/admin/rp-credentials", Auth::admin, k64k,
               bind(&Service::admin_create_rp_credential), AdminScope::full});
  router_.add({"POST", "/v1/admin/credentials", Auth::admin, k64k,
               bind(&Service::admin_create_credential), AdminScope::full});
  // FIDO2 admins (api_admins.cpp): registration needs full; sign-in is its own proof.
  router_.add({"POST", "/v1/admin/admins/challenge", Auth::admin, k64k,
               bind(&Service::admin_registration_challenge), AdminScope::full});
  router_.add({"POST", "/v1/admin/admins", Auth::admin, k64k, bind(&Service::admin_add), AdminScope::full});
  router_.add({"GET", "/v1/admin/admins", Auth::admin, k64k,
               bind(&Service::admin_list_admins), AdminScope::read});
  router_.add({"DELETE", "/v1/admin/admins/{}", Auth::admin, k64k,
               bind(&Service::admin_remove), AdminScope::full});
  router_.add({"POST", "/v1/admin/login/challenge", Auth::none, k64k,
               bind(&Service::post_admin_login_challenge)});
  router_.add({"POST", "/v1/admin/login", Auth::none, k64k, bind(&Service::post_admin_login)});
  router_.add({"POST", "/v1/admin/logout", Auth::admin, k64k,
               bind(&Service::admin_logout), AdminScope::read});
  router_.add({"GET", "/v1/admin/credentials", Auth::admin, k64k,
               bind(&Service::admin_list_credentials), AdminScope::read});
  router_.add({"POST", "/v1/admin/credentials/{}/revoke", Auth::admin, k64k,
               bind(&Service::admin_revoke_credential), AdminScope::full});
  router_.add({"GET", "/v1/admin/tokens", Auth::admin, k64k,
               bind(&Service::admin_list_tokens), AdminScope::read});
  router_.add({"POST", "/v1/admin/tokens/{}/revoke", Auth::admin, k64k,
               bind(&Service::admin_revoke_token), AdminScope::devices});
  router_.add({"GET", "/v1/admin/events", Auth::admin, k64k,
               bind(&Service::admin_list_events), AdminScope::read});
  router_.add({"POST", "/v1/admin/keys/rotate", Auth::admin, k64k,
               bind(&Service::admin_rotate_keys), AdminScope::full});
  router_.add({"POST", "/v1/admin/ca/rotate", Auth::admin, k64k,
               bind(&Service::admin_rotate_ca), AdminScope::full});
  router_.add({"POST", "/v1/admin/ssh-ca/rotate", Auth::admin, k64k,
               bind(&Service::admin_rotate_ssh_ca), AdminScope::full});
  add_console_routes();  // GET /, /console/… and the WebAuthn sign-in (console.cpp)
  add_invitation_routes();  // admin invitations, browser key registration (console_invite.cpp)
}

}  // namespace paw::verifier

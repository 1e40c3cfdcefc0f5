// device_page.h — `pawctl devices show ID` for people: one page with the
// device's state, the reasons and their fixes, its last attestation, its
// FIDO2 key, TPM keys, policy and owner, from GET /v1/admin/devices/{id}.
#pragma once

#include <cstdint>
#include <ostream>

#include "paw/attest/json.h"

namespace pawctl {

// print_device_page renders |device| (the verifier's answer) on |out| as of
// unix second |now|. Every text the verifier sent is stripped of control
// characters; a field that is missing or of another type prints "—". Times
// are RFC 3339 UTC with how long ago. Never throws on odd input.
void print_device_page(std::ostream& out, const paw::json::ObjectPtr& device, std::int64_t now);

}  // namespace pawctl

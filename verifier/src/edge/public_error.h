// public_error.h — what an unauthenticated caller learns about a refusal.
//
// Error details are written for people who run the verifier: they may hold
// the PCR values a replay computed, the quoted ones, parser offsets, chain
// details. Handed to whoever sent the request, they would teach an attacker
// what the verifier expected. So answers on the routes without credentials
// carry the reason code (errc_name, what agents and scripts key on) and a
// fixed sentence for it; the detail goes to the log (and, for failures about
// a device, to its events, which only admins read).
#pragma once

#include "paw/attest/error.h"

namespace paw::verifier {

// public_error returns |e| with its detail replaced by the fixed sentence for its code.
Error public_error(const Error& e);

}  // namespace paw::verifier

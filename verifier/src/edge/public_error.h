// public_error.h — what an unauthenticated caller learns about a refusal.
//
// Error details are written for people who run the verifier: they may hold
// the PCR values a replay computed, the quoted ones, parser offsets, chain
// details. Handed to whoever sent the request, they would teach an attacker
// what the verifier expected. So answers on the routes without credentials
// carry the reason code (errc_name, what agents and scripts key on) and a
// fixed sentence for it; the detail goes to the log (and, for failures about
// a device, to its events, which only admins read).
//
// A code may stand for more than one thing: `revoked` is a device's (an agent
// attesting, a result token at /v1/authz) or an admin invitation's (its link
// opened in the console). The sentence names what the refusing route is about,
// so the person holding a revoked invitation is not told about a device; on a
// route that is about neither it says only that something was revoked. The
// route names no value of the request, so the sentence is still fixed.
#pragma once

#include <string_view>

#include "paw/attest/error.h"

namespace paw::verifier {

// public_error returns |e| with its detail replaced by the fixed sentence for
// its code on route |route| (the route's pattern, e.g. "/console/invitation/register").
Error public_error(const Error& e, std::string_view route);

}  // namespace paw::verifier

// Fuzz target: the enrollment request parser (POST /v1/enrollments body, untrusted).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "paw/attest/appraisal.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto req = paw::parse_enrollment_request(text);
  if (req.ok()) {
    // Whatever parses must serialize and parse back to the same request.
    auto again = paw::parse_enrollment_request(paw::serialize_enrollment_request(*req));
    if (!again.ok()) __builtin_trap();
    const bool same = again->token.equals(req->token.view()) && again->ek_cert == req->ek_cert &&
                      again->ek_public == req->ek_public && again->ak_public == req->ak_public &&
                      again->fido == req->fido && again->host == req->host && again->pcrs == req->pcrs &&
                      again->event_log == req->event_log;
    if (!same) __builtin_trap();
  }
  return 0;
}

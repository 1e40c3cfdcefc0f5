// ima_internal.h — helpers shared by the IMA parser and replay.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "eventlog_internal.h"
#include "paw/attest/ima.h"

namespace paw {

// ima_template_fields lists the field ids of a template name or custom
// descriptor ("ima-sig" → d-ng, n-ng, sig); empty when unknown.
std::vector<std::string> ima_template_fields(std::string_view name);

// ima_template_hash writes the template hash of |e| with |h|'s algorithm.
bool ima_template_hash(Hasher& h, const ImaEntry& e, std::uint8_t* out);

}  // namespace paw

// paw/attest/reasons.h — the one wire form of a reason list, used by every
// writer and reader: the verifier's answers, events and device rows, the
// result token's claims, the appraisal record, the agent's answer parsing and
// its state file:
//   [{"code": "<reason code>", "message": "<text>", "grace_until": <unix s, only when graced>}]
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "paw/attest/error.h"
#include "paw/attest/json.h"
#include "paw/attest/result_token.h"

namespace paw {

// kMaxReasons bounds a decoded list (an appraisal gives one reason per code,
// a few dozen at most).
inline constexpr std::size_t kMaxReasons = 256;

// reasons_to_json encodes |reasons| (grace_until only when non-zero).
json::ArrayPtr reasons_to_json(const std::vector<ResultReason>& reasons);

// reasons_from_json decodes strictly: every entry an object with a string
// code and message, an optional integer grace_until, no other member, at
// most kMaxReasons entries. Errc::malformed naming |what| (e.g. "reasons").
Result<std::vector<ResultReason>> reasons_from_json(const json::ArrayPtr& array, std::string_view what);

// reasons_from_text decodes a stored list (its JSON text, as in a device row).
Result<std::vector<ResultReason>> reasons_from_text(std::string_view text, std::string_view what);

}  // namespace paw

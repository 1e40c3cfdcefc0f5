// paw/attest/limits.h — size limits shared by the parsers and the evidence
// envelope, in one place so every component refuses the same inputs.
#pragma once

#include <cstddef>

namespace paw {

// kMaxEventLogSize bounds a binary_bios_measurements log, as parsed and as
// carried in evidence (real logs are tens of KiB; servers a few hundred).
inline constexpr std::size_t kMaxEventLogSize = 2u << 20;
// kMaxImaLogSize bounds a binary_runtime_measurements list carried in evidence.
inline constexpr std::size_t kMaxImaLogSize = 6u << 20;

}  // namespace paw

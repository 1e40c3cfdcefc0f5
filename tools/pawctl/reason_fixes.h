// reason_fixes.h — what an operator does about each verdict reason: the
// "how to fix it" column of docs/policy.md "Reasons", for the pages pawctl
// prints (devices show). The verifier sends the code and the sentence saying
// what happened; the fix is the same for every device, so it lives here.
#pragma once

#include <string>
#include <string_view>

namespace pawctl {

// reason_fix returns the fix for reason |code|, or a pointer to docs/policy.md
// for a code this pawctl does not know (a newer verifier).
std::string reason_fix(std::string_view code);

}  // namespace pawctl

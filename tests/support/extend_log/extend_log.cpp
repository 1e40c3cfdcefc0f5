// extend_log.cpp — see extend_log.h. The library paw_extend_log exists only in
// builds with paw_platform (tests/support/CMakeLists.txt).
#include "extend_log.h"

#include <algorithm>
#include <cstring>

#include "paw/attest/eventlog.h"
#include "paw/platform/tpm.h"

namespace paw::test {

Result<std::size_t> extend_event_log(platform::Tpm& tpm, ByteView log) {
  PAW_TRY(const EventLog parsed, parse_event_log(log));
  PAW_TRY(const PcrSelection active, platform::active_pcr_selection(tpm));
  std::size_t extends = 0;
  for (const Event& e : parsed.events()) {
    if (e.type == ev::kNoAction) {
      // PFP 1.05, 10.4.5.3: "StartupLocality\0" then the locality byte.
      constexpr char kSig[] = "StartupLocality";
      if (e.pcr == 0 && e.data.size() == sizeof(kSig) + 1 && std::memcmp(e.data.data(), kSig, sizeof(kSig)) == 0 &&
          e.data[sizeof(kSig)] != 0)
        return make_error(Errc::unsupported, "log starts at locality " + std::to_string(e.data[sizeof(kSig)]) +
                                                 ": PCR0's initial value cannot be reproduced");
      continue;
    }
    if (e.pcr == kNoPcr) continue;
    for (const auto& bank : active) {
      const ByteView d = parsed.digest(e, bank.bank);
      if (d.empty()) continue;
      PAW_CHECK(platform::extend_pcr(tpm, e.pcr, bank.bank, d));
      ++extends;
    }
  }
  return extends;
}

}  // namespace paw::test

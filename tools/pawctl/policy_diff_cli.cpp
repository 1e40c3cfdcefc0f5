// policy_diff_cli.cpp — `pawctl policy diff DEVICE [--against SET]` over
// GET /v1/admin/devices/{id}/diff.
#include "policy_diff_cli.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <iostream>
#include <regex>

#include "command.h"
#include "paw/attest/json.h"

namespace pawctl {
namespace {

std::string field(const paw::json::ObjectPtr& o, const std::string& key, std::size_t max = 96) {
  const std::string v = printable(o->optValue<std::string>(key, ""), max);
  return v.empty() ? "-" : v;
}

std::string short_digest(const std::string& v) { return v.size() <= 16 ? v : v.substr(0, 16) + "..."; }

// side prints one side of a change: digest, what it measured, and whether
// the data was proven.
void side(const char* label, const paw::json::ObjectPtr& e) {
  if (e.isNull()) {
    std::cout << "  " << label << "-\n";
    return;
  }
  std::cout << "  " << label << "event " << e->optValue<std::int64_t>("index", 0) << ", "
            << field(e, "alg", 8) << ":" << short_digest(field(e, "digest", 128)) << "  " << field(e, "subject", 200)
            << (e->optValue<bool>("data_verified", true) ? "" : "  (data does not match its digest: unproven)")
            << "\n";
}

// print_diff: the PCR values and the events that differ, for people.
int print_diff(const paw::json::ObjectPtr& o) {
  const std::string set = field(o, "against", 64);
  std::cout << "device " << field(o, "device_id") << " (policy " << field(o, "policy") << ", attested "
            << format_time(o->optValue<std::int64_t>("device_attested_at", 0)) << ") against "
            << (set == "reference" ? std::string("the policy's reference") : "reference set " + set)
            << " (captured from " << field(o, "captured_from") << ", attested "
            << format_time(o->optValue<std::int64_t>("reference_attested_at", 0)) << ")\n";
  auto pcrs = o->getArray("pcrs");
  if (!pcrs.isNull() && pcrs->size() != 0) {
    Table t({"PCR", "REFERENCE", "DEVICE"});
    for (std::size_t i = 0; i < pcrs->size(); ++i) {
      auto p = pcrs->getObject(static_cast<unsigned>(i));
      if (p.isNull()) continue;
      t.add({field(p, "bank", 8) + ":" + std::to_string(p->optValue<std::int64_t>("index", 0)),
             field(p, "reference", 128), field(p, "device", 128)});
    }
    t.print();
  } else {
    std::cout << "every PCR value of the set matches the device's last quote\n";
  }
  auto changes = o->getArray("changes");
  const std::size_t n = changes.isNull() ? 0 : changes->size();
  std::cout << n << " event(s) differ" << (n == 0 ? "" : ":") << "\n";
  for (std::size_t i = 0; i < n; ++i) {
    auto ch = changes->getObject(static_cast<unsigned>(i));
    if (ch.isNull()) continue;
    std::cout << field(ch, "change", 16) << " PCR " << ch->optValue<std::int64_t>("pcr", 0) << " "
              << field(ch, "type", 64) << " (" << field(ch, "key", 96) << ")\n";
    side("reference: ", ch->getObject("reference"));
    side("device:    ", ch->getObject("device"));
  }
  if (o->optValue<bool>("reference_truncated", false) || o->optValue<bool>("device_truncated", false)) {
    std::cout << "(a log had more events than paw keeps; events past the limit are not compared)\n";
  }
  return 0;
}

}  // namespace

int policy_diff(const Connection& c, const std::string& device_id,
                const std::optional<std::string>& against) {
  if (auto st = check_segment(device_id, "device id"); !st.ok()) return report(st.error());
  std::string path = "/v1/admin/devices/" + device_id + "/diff";
  if (against) {
    // Set names are [a-z0-9._-]{1,64} (docs/policy.md): nothing to escape.
    if (!std::regex_match(*against, std::regex("[a-z0-9._-]{1,64}"))) {
      return fail("policy diff: --against names a reference set ([a-z0-9._-]{1,64}) or \"reference\"", 2);
    }
    path += "?against=" + *against;
  }
  return call_show(c, "GET", path, "", print_diff);
}

}  // namespace pawctl

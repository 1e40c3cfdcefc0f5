#include "policy_check_cli.h"

#include <chrono>
#include <iostream>
#include <iterator>

#include "command.h"
#include "paw/attest/bytes.h"
#include "paw/attest/json.h"
#include "paw/attest/policy.h"

namespace pawctl {

paw::Result<std::string> read_policy_text(const std::string& file) {
  if (file != "-") {
    PAW_TRY(paw::Bytes data, paw::read_file(file, paw::kMaxPolicySize));
    return std::string(data.begin(), data.end());
  }
  std::string text;
  char buf[65536];
  while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) {
    text.append(buf, static_cast<std::size_t>(std::cin.gcount()));
    if (text.size() > paw::kMaxPolicySize) {
      return paw::make_error(paw::Errc::too_large, "standard input is larger than a policy may be (8 MiB)");
    }
  }
  if (std::cin.bad()) return paw::make_error(paw::Errc::io_error, "cannot read standard input");
  return text;
}

void print_findings(std::ostream& out, const std::vector<paw::Finding>& findings) {
  for (const auto& f : findings) out << paw::format_finding(f) << "\n";
}

int policy_check(const std::string& file, bool json) {
  auto text = read_policy_text(file);
  if (!text.ok()) return fail("cannot read policy " + file + ": " + text.error().detail, 2);
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  const auto findings = paw::check_policy_document(*text, now);
  const bool errors = paw::has_errors(findings);
  if (json) {
    std::cout << paw::json::stringify(paw::findings_to_json(findings)) << "\n";
    return errors ? 1 : 0;
  }
  print_findings(std::cout, findings);
  std::size_t n_errors = 0;
  for (const auto& f : findings) n_errors += f.severity == paw::Severity::error ? 1 : 0;
  const std::string shown_name = file == "-" ? std::string("standard input") : file;
  if (findings.empty()) {
    std::cout << shown_name << ": policy ok\n";
  } else {
    std::cout << shown_name << ": " << n_errors << " error(s), " << findings.size() - n_errors
              << " warning(s)"
              << (errors ? "; `pawctl policy set` would refuse it (docs/policy.md, Check findings)" : "")
              << "\n";
  }
  return errors ? 1 : 0;
}

}  // namespace pawctl

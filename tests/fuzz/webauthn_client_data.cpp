// Fuzz target: the console's WebAuthn sign-in input before any signature is
// checked (verifier/src/api/webauthn.h, console.h): clientDataJSON parsing and
// its type/origin checks, the console-origin rule, and the Cookie header
// reader that finds the session. Input: clientDataJSON; its first line is
// also tried as a console-origin and as a Cookie header.
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/console.h"
#include "api/webauthn.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const paw::ByteView in(data, size);
  auto cd = paw::verifier::parse_webauthn_client_data(in);
  if (cd.ok()) {
    (void)paw::verifier::check_webauthn_client_data(*cd, "webauthn.get", "https://paw.example:8443");
    if (cd->challenge.size() > 128) __builtin_trap();  // the parser's bound
  }
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string line = text.substr(0, text.find('\n'));
  (void)paw::verifier::check_console_origin(line, "paw.example");
  const std::string v = paw::verifier::cookie_value(line, "paw_session");
  if (v.size() > 512) __builtin_trap();
  return 0;
}

// fido_fixtures.h — the FIDO2 fixtures captured from the virtual
// authenticator (tests/data/fido/, see its README.md), as the parser and
// verifier tests read them.
#pragma once

#include <doctest/doctest.h>

#include <string>

#include "paw/attest/bytes.h"
#include "paw/attest/json.h"
#include "test_data.h"

namespace paw::test {

// fido_fixture is tests/data/fido/|name|, whole.
inline Bytes fido_fixture(const std::string& name) { return load(source_path("tests/data/fido/" + name)); }

// fido_fixture_json is the JSON object in tests/data/fido/|name|.
inline json::ObjectPtr fido_fixture_json(const std::string& name) {
  const Bytes b = fido_fixture(name);
  auto o = json::parse_object(std::string(b.begin(), b.end()), 1 << 16);
  REQUIRE(o.ok());
  return *o;
}

// json_b64 is |o|'s base64 member |key|, decoded.
inline Bytes json_b64(const json::ObjectPtr& o, const std::string& key) {
  auto v = json::get_b64(o, key, 1 << 16);
  REQUIRE(v.ok());
  return *v;
}

}  // namespace paw::test

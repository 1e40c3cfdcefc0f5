// policy_login_test.cpp — the "login" section (token_binding) and
// fido.login_presence_max_age_seconds: defaults, strict parsing, and the
// upgrade rule for documents stored before the field existed.
#include <doctest/doctest.h>

#include "paw/attest/policy.h"

namespace paw {

TEST_CASE("policy: login.token_binding defaults to pop and round-trips") {
  CHECK(default_policy().login.token_binding == TokenBinding::pop);
  auto p = parse_policy(R"({"name":"default"})");
  REQUIRE(p.ok());
  CHECK(p->login.token_binding == TokenBinding::pop);
  CHECK(p->fido.login_presence_max_age_seconds == 0);
  auto b = parse_policy(R"({"name":"legacy","login":{"token_binding":"bearer"},"fido":{"login_presence_max_age_seconds":300}})");
  REQUIRE(b.ok());
  CHECK(b->login.token_binding == TokenBinding::bearer);
  CHECK(b->fido.login_presence_max_age_seconds == 300);
  auto again = parse_policy(serialize_policy(*b));
  REQUIRE(again.ok());
  CHECK(*again == *b);
  CHECK(serialize_policy(*p).find(R"("login":{"token_binding":"pop"})") != std::string::npos);
}

TEST_CASE("policy: bad login sections are refused") {
  CHECK(!parse_policy(R"({"name":"x","login":{"token_binding":"mtls"}})").ok());
  CHECK(!parse_policy(R"({"name":"x","login":{"token_binding":true}})").ok());
  CHECK(!parse_policy(R"({"name":"x","login":{"binding":"pop"}})").ok());
  CHECK(!parse_policy(R"({"name":"x","login":"pop"})").ok());
  CHECK(!parse_policy(R"({"name":"x","fido":{"login_presence_max_age_seconds":-1}})").ok());
  CHECK(!parse_policy(R"({"name":"x","fido":{"login_presence_max_age_seconds":2592001}})").ok());
}

TEST_CASE("policy: a stored document without \"login\" predates PoP and stays bearer") {
  auto old = parse_stored_policy(R"({"name":"default","version":3})");
  REQUIRE(old.ok());
  CHECK(old->login.token_binding == TokenBinding::bearer);
  // every document stored since has the field, and keeps what it says
  auto pop = parse_stored_policy(serialize_policy(default_policy()));
  REQUIRE(pop.ok());
  CHECK(pop->login.token_binding == TokenBinding::pop);
  auto explicit_pop = parse_stored_policy(R"({"name":"default","login":{}})");
  REQUIRE(explicit_pop.ok());
  CHECK(explicit_pop->login.token_binding == TokenBinding::pop);
}

}  // namespace paw

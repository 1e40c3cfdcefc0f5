// SeedDatabase (paw/verifier/seed.h), the benchmarks' way into a verifier
// database: copies of a device land as real rows the Store reads back, the
// key it hands out is the current one, and misuse is refused.
#include "paw/verifier/seed.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "store/store.h"
#include "store_test_util.h"
#include "test_data.h"

namespace paw::verifier {

TEST_CASE("seed: copies of a device are rows the Store reads back, with the names given") {
  test::TempDir dir;
  const std::string url = "sqlite:" + (dir / "paw.db").string();
  {
    auto s = open_store(url);
    REQUIRE(s.ok());
    StoredDevice d = seed_device(**s, "tmpl");
    d.ek_hash = "ee";
    d.revision = 0;
    REQUIRE((*s)->update_device(d).ok());
  }
  auto db = SeedDatabase::open(url);
  REQUIRE(db.ok());
  CHECK((*db)->add_copy("early").code() == Errc::internal);  // no template yet
  CHECK((*db)->use_template("nope").code() == Errc::not_found);
  REQUIRE((*db)->use_template("tmpl").ok());
  REQUIRE((*db)->add_copy("c1", "seed").ok());
  REQUIRE((*db)->add_copy("c2", "", "ff").ok());
  CHECK(!(*db)->add_copy("c1").ok());  // the id is taken

  auto ids = (*db)->device_ids();
  REQUIRE(ids.ok());
  std::sort(ids->begin(), ids->end());
  CHECK(*ids == std::vector<std::string>{"c1", "c2", "tmpl"});

  auto s = open_store(url);
  REQUIRE(s.ok());
  auto c1 = (*s)->get_device("c1");
  auto c2 = (*s)->get_device("c2");
  REQUIRE((c1.ok() && c1->has_value() && c2.ok() && c2->has_value()));
  CHECK((*c1)->label == "seed");
  CHECK((*c1)->ek_hash == "ee");
  CHECK((*c1)->policy == "default");
  CHECK((*c1)->status == DeviceStatus::enrolled);
  CHECK((*c2)->label == "label-tmpl");
  CHECK((*c2)->ek_hash == "ff");
}

TEST_CASE("seed: the signing key handed out is the newest current one") {
  test::TempDir dir;
  const std::string url = "sqlite:" + (dir / "paw.db").string();
  auto db = SeedDatabase::open(url);
  REQUIRE(db.ok());
  CHECK((*db)->current_signing_key_pem().code() == Errc::not_found);
  auto s = open_store(url);
  REQUIRE(s.ok());
  REQUIRE((*s)->add_signing_key({"k1", "{}", "PEM-1", 1, 0}).ok());
  REQUIRE((*s)->add_signing_key({"k2", "{}", "PEM-2", 2, 0}).ok());
  REQUIRE((*s)->retire_signing_key("k2", 3).ok());
  auto pem = (*db)->current_signing_key_pem();
  REQUIRE(pem.ok());
  CHECK(*pem == "PEM-1");
  CHECK(SeedDatabase::open("postgres://x").code() == Errc::config_error);
}

}  // namespace paw::verifier

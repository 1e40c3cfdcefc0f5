// ima_test.cpp — IMA lists from tests/data replay to the shipped PCR10
// values in every bank; ASCII and binary agree; every rejection path names
// the entry; the allowlist reports every file it does not allow.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "eventlog_builder.h"
#include "paw/attest/ima.h"
#include "test_data.h"

using namespace paw;
using paw::test::load;
using paw::test::test_data;

namespace {

const std::string kIbm = "ibmtss/utils/";
const std::string kKeylime = "keylime/test/data/create-runtime-policy/";

std::string load_text(const std::string& rel) {
  const Bytes b = load(test_data(rel));
  return std::string(b.begin(), b.end());
}

// kvt_pcr10 reads imakvtpcr10.txt: four " PCR 10: xx xx …" lines, SHA-1/256/384/512.
PcrValues kvt_pcr10() {
  std::istringstream in(load_text(kIbm + "imakvtpcr10.txt"));
  PcrValues out;
  const HashAlg order[] = {HashAlg::sha1, HashAlg::sha256, HashAlg::sha384, HashAlg::sha512};
  std::string line;
  std::size_t i = 0;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string hexs;
    for (char c : line.substr(colon + 1)) {
      if (c != ' ') hexs.push_back(c);
    }
    auto v = unhex(hexs);
    REQUIRE(v.ok());
    REQUIRE(i < 4);
    out[order[i]][10] = *v;
    ++i;
  }
  REQUIRE(i == 4);
  return out;
}

void put32(Bytes& b, std::size_t v) { test::put32(b, static_cast<std::uint32_t>(v)); }

// binary_entry builds one binary-list entry with a SHA-1 template hash.
Bytes binary_entry(const std::string& name, const Bytes& data, bool violation = false) {
  Bytes b;
  put32(b, 10);
  const Bytes th = violation ? Bytes(20, 0) : *digest(HashAlg::sha1, data);
  b.insert(b.end(), th.begin(), th.end());
  put32(b, name.size());
  b.insert(b.end(), name.begin(), name.end());
  put32(b, data.size());
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

Bytes ng_data(const std::string& alg, const Bytes& d, const std::string& path, const Bytes* extra = nullptr) {
  Bytes field = to_bytes(alg + ":");
  field.push_back(0);
  field.insert(field.end(), d.begin(), d.end());
  Bytes b;
  put32(b, field.size());
  b.insert(b.end(), field.begin(), field.end());
  put32(b, path.size() + 1);
  b.insert(b.end(), path.begin(), path.end());
  b.push_back(0);
  if (extra != nullptr) {
    put32(b, extra->size());
    b.insert(b.end(), extra->begin(), extra->end());
  }
  return b;
}

// binary_error parses |b| as a binary list and returns the error detail ("" if it parses).
std::string binary_error(const Bytes& b) {
  auto r = parse_ima_binary(b);
  return r.ok() ? std::string() : r.error().detail;
}

Bytes extend(HashAlg alg, const Bytes& pcr, const Bytes& value) {
  Bytes cat = pcr;
  cat.insert(cat.end(), value.begin(), value.end());
  return *digest(alg, cat);
}

}  // namespace

TEST_CASE("IBM IMA lists replay to the shipped PCR10 in all four banks") {
  const PcrValues want = kvt_pcr10();
  for (const char* name : {"sha1.log", "sha256.log", "sha384.log", "sha512.log"}) {
    CAPTURE(name);
    const Bytes bytes = load(test_data(kIbm + name));
    auto log = parse_ima_list(bytes);  // template-hash size guessed from the first entry
    REQUIRE_MESSAGE(log.ok(), log.error().what());
    CHECK(log->entries().size() == 362);
    CHECK(log->entries()[0].path == "boot_aggregate");
    CHECK(log->entries()[0].template_name == "ima-sig");
    CHECK(log->entries()[0].file_hash_alg == "sha256");
    auto pcrs = replay_ima(*log);
    REQUIRE_MESSAGE(pcrs.ok(), pcrs.error().what());
    CHECK(*pcrs == want);
  }
  const Bytes b256 = load(test_data(kIbm + "sha256.log"));
  auto log = parse_ima_binary(b256, HashAlg::sha256);
  REQUIRE(log.ok());
  CHECK(log->template_hash_alg() == HashAlg::sha256);
  // Read with the wrong template-hash size the list does not parse.
  CHECK(parse_ima_binary(b256, HashAlg::sha1).code() == Errc::ima_malformed);
  std::size_t signed_entries = 0;
  for (const auto& e : log->entries()) signed_entries += e.signature.empty() ? 0 : 1;
  CHECK(signed_entries > 0);
}

TEST_CASE("the same list in ASCII replays to the same PCR10") {
  const Bytes bytes = load(test_data(kIbm + "sha1.log"));
  auto bin = parse_ima_list(bytes);
  REQUIRE(bin.ok());
  std::string text;
  for (const auto& e : bin->entries()) {
    text += std::to_string(e.pcr) + " " + hex(e.template_hash) + " " + e.template_name + " " + e.file_hash_alg + ":" +
            hex(e.file_digest) + " " + e.path;
    if (!e.signature.empty()) text += " " + hex(e.signature);
    text += "\n";
  }
  auto ascii = parse_ima_ascii(text);
  REQUIRE_MESSAGE(ascii.ok(), ascii.error().what());
  CHECK(ascii->ascii());
  REQUIRE(ascii->entries().size() == 362);
  auto a = replay_ima(*ascii);
  REQUIRE_MESSAGE(a.ok(), a.error().what());
  CHECK(*a == kvt_pcr10());
  // An edited file digest in the ASCII list no longer matches its template hash.
  const auto pos = text.find('\n') + 1 + 60;  // inside line 2's file digest
  std::string edited = text;
  edited[pos] = edited[pos] == '0' ? '1' : '0';
  auto bad = parse_ima_ascii(edited);
  REQUIRE(bad.ok());
  auto r = replay_ima(*bad);
  CHECK(r.code() == Errc::ima_malformed);
  CHECK(r.error().detail.find("entry 1 at line 2") != std::string::npos);
}

TEST_CASE("custom template descriptors decode (ibmtss imatest.log)") {
  const Bytes bytes = load(test_data(kIbm + "imatest.log"));
  auto log = parse_ima_list(bytes);
  REQUIRE_MESSAGE(log.ok(), log.error().what());
  CHECK(log->entries().size() == 17);
  std::set<std::string> names;
  for (const auto& e : log->entries()) names.insert(e.template_name);
  CHECK(names.count("d-ng|sig") == 1);
  CHECK(names.count("n-ng|d-ng") == 1);
  CHECK(names.count("ima") == 1);
  for (const auto& e : log->entries()) {
    if (e.template_name == "n-ng|d-ng") {
      CHECK(e.path == "boot_aggregate");
      CHECK(e.file_hash_alg == "sha1");
    }
  }
  CHECK(replay_ima(*log).ok());
}

TEST_CASE("Keylime's ASCII lists: SHA-1/256/384/512 template hashes replay, SM3 and fake ones are refused") {
  for (const char* alg : {"sha1", "sha256", "sha384", "sha512"}) {
    CAPTURE(alg);
    const std::string text = load_text(kKeylime + "ima-log-" + alg);
    auto log = parse_ima_ascii(text);
    REQUIRE_MESSAGE(log.ok(), log.error().what());
    CHECK(log->entries().size() == 2);
    CHECK(log->entries()[1].path == "/data");
    CHECK(log->entries()[1].file_hash_alg == alg);
    auto r = replay_ima(*log);
    REQUIRE_MESSAGE(r.ok(), r.error().what());
    // Recompute by hand: extend the logged SHA-1 template hashes.
    Bytes pcr(20, 0);
    for (const auto& e : log->entries()) {
      pcr = extend(HashAlg::sha1, pcr, e.violation ? Bytes(20, 0xFF) : Bytes(e.template_hash.begin(), e.template_hash.end()));
    }
    CHECK(r->at(HashAlg::sha1).at(10) == pcr);
  }
  for (const char* alg : {"sm3_256", "unknown"}) {
    CAPTURE(alg);
    const std::string text = load_text(kKeylime + "ima-log-" + alg);
    auto log = parse_ima_ascii(text);
    REQUIRE(log.ok());
    auto r = replay_ima(*log);
    CHECK(r.code() == Errc::ima_malformed);
    CHECK(r.error().detail.find("entry 1 at line 2") != std::string::npos);
  }
}

TEST_CASE("a violation extends all-ones, template ima hashes the padded name") {
  const Bytes d1 = sha256(as_bytes("one"));
  Bytes list = binary_entry("ima-ng", ng_data("sha256", d1, "/bin/one"));
  {
    const Bytes v = binary_entry("ima-ng", ng_data("sha256", Bytes(32, 0), "/tmp/x"), true);
    list.insert(list.end(), v.begin(), v.end());
  }
  // Template "ima": SHA-1 digest, u32 name length, name; hashed as digest || name padded to 256.
  const Bytes d3 = *digest(HashAlg::sha1, as_bytes("three"));
  const std::string n3 = "/bin/three";
  Bytes padded = d3;
  padded.insert(padded.end(), n3.begin(), n3.end());
  padded.resize(20 + 256, 0);
  const Bytes th3 = *digest(HashAlg::sha1, padded);
  {
    Bytes e;
    put32(e, 10);
    e.insert(e.end(), th3.begin(), th3.end());
    put32(e, 3);
    e.insert(e.end(), {'i', 'm', 'a'});
    e.insert(e.end(), d3.begin(), d3.end());
    put32(e, n3.size());
    e.insert(e.end(), n3.begin(), n3.end());
    list.insert(list.end(), e.begin(), e.end());
  }
  auto log = parse_ima_binary(list);
  REQUIRE_MESSAGE(log.ok(), log.error().what());
  REQUIRE(log->entries().size() == 3);
  CHECK(log->entries()[1].violation);
  CHECK(log->entries()[2].path == "/bin/three");
  auto r = replay_ima(*log, {HashAlg::sha1, HashAlg::sha256});
  REQUIRE_MESSAGE(r.ok(), r.error().what());
  for (HashAlg alg : {HashAlg::sha1, HashAlg::sha256}) {
    const std::size_t n = hash_size(alg);
    Bytes pcr(n, 0);
    pcr = extend(alg, pcr, *digest(alg, ng_data("sha256", d1, "/bin/one")));
    pcr = extend(alg, pcr, Bytes(n, 0xFF));
    pcr = extend(alg, pcr, *digest(alg, padded));
    CHECK(r->at(alg).at(10) == pcr);
  }
}

TEST_CASE("IMA binary mutations are refused with the entry named") {
  const Bytes real = load(test_data(kIbm + "sha1.log"));
  auto full = parse_ima_binary(real);
  REQUIRE(full.ok());
  SUBCASE("every truncation of the first three entries") {
    const std::size_t end = full->entries()[3].offset;
    std::set<std::size_t> starts;
    for (std::size_t i = 0; i < 4; ++i) starts.insert(full->entries()[i].offset);
    for (std::size_t n = 1; n < end; ++n) {
      CAPTURE(n);
      auto r = parse_ima_binary(ByteView(real).first(n));
      if (starts.count(n) != 0) {
        CHECK(r.ok());
      } else {
        REQUIRE_FALSE(r.ok());
        CHECK(r.code() == Errc::ima_malformed);
        CHECK(r.error().detail.rfind("entry ", 0) == 0);
      }
    }
  }
  SUBCASE("a flipped byte in a path breaks the template hash") {
    Bytes b = real;
    const auto& e = full->entries()[5];
    REQUIRE(e.fields.size() == 3);
    const std::size_t at = static_cast<std::size_t>(e.fields[1].data.data() - real.data()) + 1;  // the path's 2nd byte
    b[at] ^= 0x01;
    auto log = parse_ima_binary(b);
    REQUIRE(log.ok());
    auto r = replay_ima(*log);
    CHECK(r.code() == Errc::ima_malformed);
    CHECK(r.error().detail.find("entry 5 at offset " + std::to_string(e.offset)) != std::string::npos);
  }
  SUBCASE("template name length 0 and 256") {
    Bytes b = real;
    b[24] = 0;  // entry 0: u32 PCR, 20-byte template hash, then the name length
    CHECK(parse_ima_binary(b).error().detail == "entry 0 at offset 0: template name length 0");
    b[25] = 1;
    CHECK(parse_ima_binary(b).error().detail == "entry 0 at offset 0: template name length 256");
  }
  SUBCASE("template data longer than the list") {
    Bytes b = binary_entry("ima-ng", ng_data("sha256", Bytes(32, 1), "/x"));
    b.pop_back();
    auto r = parse_ima_binary(b);
    CHECK(r.error().detail.find("runs past the list") != std::string::npos);
  }
  SUBCASE("field count does not fit the template") {
    const Bytes sig{1, 2, 3};
    CHECK(binary_error(binary_entry("ima-ng", ng_data("sha256", Bytes(32, 1), "/x", &sig))).find("template ima-ng has 3 fields, want 2") != std::string::npos);
  }
  SUBCASE("d-ng without its algorithm prefix, or with a wrong size") {
    Bytes data;
    put32(data, 32);
    data.insert(data.end(), 32, 0x11);
    put32(data, 3);
    data.insert(data.end(), {'/', 'x', 0});
    CHECK(binary_error(binary_entry("ima-ng", data)).find("prefix") != std::string::npos);
    CHECK(binary_error(binary_entry("ima-ng", ng_data("sha256", Bytes(20, 1), "/x"))).find(
              "sha256 digest of 20 bytes") != std::string::npos);
  }
  SUBCASE("field length past the template data") {
    Bytes data = ng_data("sha256", Bytes(32, 1), "/x");
    data[0] = 200;
    CHECK(binary_error(binary_entry("ima-ng", data)).find("field length") != std::string::npos);
  }
  SUBCASE("empty and oversized") {
    CHECK(parse_ima_list(ByteView{}).code() == Errc::ima_malformed);
    const Bytes big(kMaxImaLogSize + 1, 0x31);
    CHECK(parse_ima_list(big).code() == Errc::too_large);
  }
}

TEST_CASE("IMA ASCII mutations are refused with the line named") {
  const std::string good = load_text(kKeylime + "ima-log-sha256");
  REQUIRE(parse_ima_ascii(good).ok());
  CHECK(parse_ima_ascii("10 zz ima-ng sha256:00 /x\n").error().detail.find("line 1: template hash is not hex") !=
        std::string::npos);
  CHECK(parse_ima_ascii("x0 " + std::string(40, '0') + " ima-ng sha256:00 /x\n").error().detail.find("PCR") !=
        std::string::npos);
  CHECK(parse_ima_ascii("10 " + std::string(40, '0') + " ima-ng sha256 /x\n").error().detail.find("prefix") !=
        std::string::npos);
  CHECK(parse_ima_ascii("10 " + std::string(40, '0') + " foo sha256:00 /x\n").error().detail.find("cannot be read") !=
        std::string::npos);
  CHECK(parse_ima_ascii("10 " + std::string(40, '0') + " ima-ng\n").error().detail.find("fewer than five") !=
        std::string::npos);
  const std::string mixed = good + "10 " + std::string(64, '0') + " ima-ng sha256:" + std::string(64, '0') + " /y\n";
  CHECK(parse_ima_ascii(mixed).error().detail.find("line 3: template hash size changes") != std::string::npos);
  CHECK(parse_ima_ascii("\n\n").code() == Errc::ima_malformed);
}

TEST_CASE("the allowlist reports every measured file it does not allow") {
  const Bytes bytes = load(test_data(kIbm + "sha1.log"));
  auto log = parse_ima_list(bytes);
  REQUIRE(log.ok());
  // An allowlist made from the list itself allows everything.
  std::string flat = "# generated\n";
  for (const auto& e : log->entries()) flat += hex(e.file_digest) + "  " + e.path + "\n";
  auto allow = parse_ima_allowlist(flat);
  REQUIRE_MESSAGE(allow.ok(), allow.error().what());
  CHECK(check_ima_allowlist(*log, *allow).empty());
  CHECK(ima_allowlist_status({}).ok());

  const ImaEntry& victim = log->entries()[7];
  ImaAllowlist less = *allow;
  less.digests.erase(victim.path);
  auto findings = check_ima_allowlist(*log, less);
  REQUIRE_FALSE(findings.empty());
  CHECK(findings[0].entry == 7);
  CHECK(findings[0].reason == "not in allowlist");
  auto st = ima_allowlist_status(findings);
  CHECK(st.code() == Errc::ima_not_allowed);
  CHECK(st.error().detail.find(victim.path) != std::string::npos);

  ImaAllowlist other = *allow;
  other.digests[victim.path] = {Bytes(32, 0xAB)};
  findings = check_ima_allowlist(*log, other);
  REQUIRE_FALSE(findings.empty());
  CHECK(findings[0].reason == "digest not allowed");
  CHECK(findings[0].digest == "sha256:" + hex(victim.file_digest));

  // An exclude (anchored at the start, like re.match) skips the path.
  REQUIRE(add_ima_excludes(less, "# comment\n" + victim.path + "$\n").ok());
  CHECK(check_ima_allowlist(*log, less).size() < findings.size() + 1);
  for (const auto& f : check_ima_allowlist(*log, less)) CHECK(f.path != victim.path);
  CHECK(add_ima_excludes(less, "(\n").code() == Errc::malformed);
}

TEST_CASE("Keylime runtime policies and allowlists") {
  const std::string text = load_text(kKeylime + "ima-log-sha256");
  auto log = parse_ima_ascii(text);
  REQUIRE(log.ok());
  auto policy = parse_ima_allowlist(load_text(kKeylime + "policy-sha256"));
  REQUIRE_MESSAGE(policy.ok(), policy.error().what());
  CHECK(policy->digests.count("/base_policy_data") == 1);
  auto findings = check_ima_allowlist(*log, *policy);
  REQUIRE(findings.size() == 1);  // boot_aggregate is skipped; /data is not in this policy
  CHECK(findings[0].path == "/data");
  CHECK(findings[0].reason == "not in allowlist");

  auto flat = parse_ima_allowlist(load_text(kKeylime + "allowlist-sha256"));
  REQUIRE(flat.ok());
  REQUIRE(flat->digests.count("data") == 1);
  CHECK(hex(*flat->digests.at("data").begin()) == hex(log->entries()[1].file_digest));

  const std::string with_excludes = R"({"digests": {"/data": ["96d7fae8adb7286a419a88f78c13d35fb782d63df654b7db56f154765698b754"]}, "excludes": ["/tmp/.*"]})";
  auto p = parse_ima_allowlist(with_excludes);
  REQUIRE(p.ok());
  CHECK(check_ima_allowlist(*log, *p).empty());
  CHECK(p->excluded("/tmp/a"));
  CHECK_FALSE(p->excluded("/var/tmp/a"));

  CHECK(parse_ima_allowlist("{\"digests\": [1]}").code() == Errc::malformed);
  CHECK(parse_ima_allowlist("{\"digests\": {\"/x\": [\"zz\"]}}").code() == Errc::malformed);
  CHECK(parse_ima_allowlist("{\"excludes\": [\"(\"]}").code() == Errc::malformed);
  CHECK(parse_ima_allowlist("{not json").code() == Errc::malformed);
  CHECK(parse_ima_allowlist("abcd\n").error().detail.find("line 1 has no path") != std::string::npos);
  CHECK(parse_ima_allowlist("xyz /bin/x\n").error().detail.find("line 1") != std::string::npos);
}

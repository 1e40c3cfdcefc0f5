// Integration: the EK kept between attestations as a saved context
// (paw/platform/ek_cache.h) on a live swtpm — used without CreatePrimary when
// it is the EK, refused (and the EK re-created) when the TPM was reset or
// cleared, and when an attacker or another tool put another object's context,
// a wrong Name, another EK type or junk in ek.ctx.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <tss2/tss2_mu.h>

#include <fstream>

#include "paw/attest/tpm.h"
#include "paw/platform/ak.h"
#include "paw/platform/ek_cache.h"
#include "paw/platform/parse.h"
#include "swtpm.h"
#include "test_data.h"

using namespace paw;
using namespace paw::platform;

namespace {

Bytes read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_bytes(const std::filesystem::path& p, ByteView b, unsigned mode = 0600) {
  std::filesystem::remove(p);
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  REQUIRE(::chmod(p.c_str(), mode) == 0);
}

OpenedEk open_ok(Tpm& tpm, EkType t, const std::filesystem::path& dir) {
  auto ek = open_ek(tpm, t, dir);
  REQUIRE_MESSAGE(ek.ok(), ek.error().what());
  return std::move(ek).value();
}

// context_of saves |handle|'s context as ESAPI marshals it (what ek.ctx holds).
Bytes context_of(Tpm& tpm, ESYS_TR handle) {
  TPMS_CONTEXT* ctx = nullptr;
  REQUIRE(Esys_ContextSave(tpm.esys(), handle, &ctx) == TSS2_RC_SUCCESS);
  Bytes out(sizeof(TPMS_CONTEXT) + 16);
  size_t off = 0;
  REQUIRE(Tss2_MU_TPMS_CONTEXT_Marshal(ctx, out.data(), out.size(), &off) == TSS2_RC_SUCCESS);
  Esys_Free(ctx);
  out.resize(off);
  return out;
}

}  // namespace

TEST_CASE("ek cache: the second open loads the saved EK without CreatePrimary - same EK, the AK loads under it") {
  auto sw = test::Swtpm::start();
  test::TempDir state;
  const auto dir = state.path();
  AkBlob blob;
  Bytes name;
  Bytes pub;
  {
    auto tpm = Tpm::open(sw->tcti());
    REQUIRE(tpm.ok());
    // A fresh CreatePrimary passes the same check a saved context must pass
    // (template, Name, endorsement-hierarchy qualified name, ESAPI metadata).
    auto fresh = create_ek(*tpm, EkType::rsa2048);
    REQUIRE(fresh.ok());
    auto checked = check_ek_object(*tpm, fresh->handle.get(), EkType::rsa2048, fresh->name);
    CHECK_MESSAGE(checked.ok(), checked.error().what());
    // ... and a wrong Name fails it.
    Bytes other_name = fresh->name;
    other_name.back() ^= 1;
    CHECK(check_ek_object(*tpm, fresh->handle.get(), EkType::rsa2048, other_name).code() == Errc::conflict);
    fresh->handle.reset();

    OpenedEk first = open_ok(*tpm, EkType::rsa2048, dir);
    CHECK(first.origin == EkOrigin::created);
    CHECK(first.note.empty());
    CHECK(test::mode_of(dir / kEkContextFile) == 0600);
    CHECK(first.ek.name == fresh->name);
    name = first.ek.name;
    pub = first.ek.public_tpm2b;
    auto b = create_ak(*tpm, first.ek, AkAlg::ecc_p256);
    REQUIRE(b.ok());
    blob = *b;
  }
  const Bytes saved = read_bytes(dir / kEkContextFile);
  for (int round = 0; round < 3; ++round) {  // every later attestation, each its own TPM connection
    auto tpm = Tpm::open(sw->tcti());
    REQUIRE(tpm.ok());
    OpenedEk again = open_ok(*tpm, EkType::rsa2048, dir);
    CHECK(again.origin == EkOrigin::cached);
    CHECK(again.note.empty());
    CHECK(again.ek.name == name);
    CHECK(again.ek.public_tpm2b == pub);
    auto ak = load_ak(*tpm, again.ek, blob);
    CHECK_MESSAGE(ak.ok(), ak.error().what());
  }
  CHECK(read_bytes(dir / kEkContextFile) == saved);  // loading does not rewrite it

  // A reboot (TPM Reset): the TPM refuses the old context; the EK is re-created, the same key.
  sw->restart();
  {
    auto tpm = Tpm::open(sw->tcti());
    REQUIRE(tpm.ok());
    OpenedEk after = open_ok(*tpm, EkType::rsa2048, dir);
    CHECK(after.origin == EkOrigin::created);
    CHECK(after.note.find("TPM2_ContextLoad") != std::string::npos);
    CHECK_FALSE(after.foreign);  // a reboot is no attack
    CHECK(after.ek.name == name);
    after.ek.handle.reset();
    CHECK(open_ok(*tpm, EkType::rsa2048, dir).origin == EkOrigin::cached);
  }
}

TEST_CASE("ek cache: after tpm2_clear the saved EK is not used and the enrolled AK still fails to load") {
  auto sw = test::Swtpm::start();
  test::TempDir state;
  const auto dir = state.path();
  AkBlob blob;
  {
    auto tpm = Tpm::open(sw->tcti());
    REQUIRE(tpm.ok());
    OpenedEk ek = open_ok(*tpm, EkType::rsa2048, dir);
    auto b = create_ak(*tpm, ek.ek, AkAlg::ecc_p256);
    REQUIRE(b.ok());
    blob = *b;
  }
  std::string out;
  REQUIRE_MESSAGE(test::run_command({"tpm2_clear", "-T", sw->tcti(), "-c", "p"}, &out) == 0, out);
  auto tpm = Tpm::open(sw->tcti());
  REQUIRE(tpm.ok());
  OpenedEk ek = open_ok(*tpm, EkType::rsa2048, dir);
  CHECK(ek.origin == EkOrigin::created);  // no stale object from before the clear
  CHECK(ek.note.find("TPM2_ContextLoad") != std::string::npos);
  CHECK_FALSE(ek.foreign);
  // What an attestation does next: the AK made before the clear does not load,
  // exactly as with a fresh CreatePrimary before the cache existed.
  CHECK(load_ak(*tpm, ek.ek, blob).code() == Errc::tpm_error);
}

TEST_CASE("ek cache: another object's context, a wrong Name, another EK type, junk or a loose file are not used") {
  auto sw = test::Swtpm::start();
  test::TempDir state;
  const auto dir = state.path();
  auto tpm = Tpm::open(sw->tcti());
  REQUIRE(tpm.ok());
  Bytes ek_name;
  {
    OpenedEk ek = open_ok(*tpm, EkType::rsa2048, dir);
    ek_name = ek.ek.name;
  }
  const Bytes good = read_bytes(dir / kEkContextFile);
  auto good_file = parse_ek_context_file(good);
  REQUIRE(good_file.ok());

  auto expect_recreated = [&](const char* why, bool foreign = false) {
    INFO(why);
    OpenedEk ek = open_ok(*tpm, EkType::rsa2048, dir);
    CHECK(ek.origin == EkOrigin::created);
    CHECK_FALSE(ek.note.empty());
    CHECK(ek.foreign == foreign);
    CHECK(ek.ek.name == ek_name);
    // ... and the file is the genuine EK's again.
    ek.ek.handle.reset();
    CHECK(open_ok(*tpm, EkType::rsa2048, dir).origin == EkOrigin::cached);
  };

  SUBCASE("the EK template as a primary of the owner hierarchy, under its own Name") {
    // What root (or another tool) can make: an object with the EK's template
    // and a real saved context, but not the EK.
    const TPM2B_PUBLIC tpl = ek_template(EkType::rsa2048);
    const TPM2B_SENSITIVE_CREATE sens{};
    const TPM2B_DATA outside{};
    const TPML_PCR_SELECTION pcrs{};
    ESYS_TR h = ESYS_TR_NONE;
    REQUIRE(Esys_CreatePrimary(tpm->esys(), ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sens,
                               &tpl, &outside, &pcrs, &h, nullptr, nullptr, nullptr, nullptr) == TSS2_RC_SUCCESS);
    TpmObject owned(tpm->esys(), h);
    TPM2B_NAME* n = nullptr;
    REQUIRE(Esys_TR_GetName(tpm->esys(), h, &n) == TSS2_RC_SUCCESS);
    EkContextFile f;
    f.type = static_cast<std::uint8_t>(EkType::rsa2048);
    f.name.assign(n->name, n->name + n->size);
    Esys_Free(n);
    f.context = context_of(*tpm, h);
    owned.reset();
    write_bytes(dir / kEkContextFile, encode_ek_context_file(f));
    OpenedEk ek = open_ok(*tpm, EkType::rsa2048, dir);
    CHECK(ek.origin == EkOrigin::created);
    CHECK(ek.note.find("not a primary object of the endorsement hierarchy") != std::string::npos);
    CHECK(ek.foreign);
    CHECK(ek.ek.name == ek_name);
  }
  SUBCASE("the genuine EK context under another Name") {
    EkContextFile f = *good_file;
    f.name.back() ^= 0x01;
    write_bytes(dir / kEkContextFile, encode_ek_context_file(f));
    expect_recreated("wrong Name", true);
  }
  SUBCASE("the AK's context in the EK's place") {
    OpenedEk ek = open_ok(*tpm, EkType::rsa2048, dir);
    auto blob = create_ak(*tpm, ek.ek, AkAlg::ecc_p256);
    REQUIRE(blob.ok());
    auto ak = load_ak(*tpm, ek.ek, *blob);
    REQUIRE(ak.ok());
    EkContextFile f = *good_file;
    f.name = ak->name;
    f.context = context_of(*tpm, ak->handle.get());
    ak->handle.reset();
    ek.ek.handle.reset();
    write_bytes(dir / kEkContextFile, encode_ek_context_file(f));
    expect_recreated("AK context", true);
  }
  SUBCASE("a context saved for another EK type") {
    OpenedEk p384 = open_ok(*tpm, EkType::ecc_p384, dir);  // the file said rsa2048
    CHECK(p384.origin == EkOrigin::created);
    CHECK(p384.note.find("another EK type") != std::string::npos);
    p384.ek.handle.reset();
    CHECK(open_ok(*tpm, EkType::ecc_p384, dir).origin == EkOrigin::cached);
  }
  SUBCASE("junk, a truncated file, trailing bytes") {
    write_bytes(dir / kEkContextFile, as_bytes("not a context"));
    expect_recreated("junk");
    write_bytes(dir / kEkContextFile, ByteView(good.data(), good.size() - 7));
    expect_recreated("truncated");
    Bytes longer = good;
    longer.push_back(0);
    write_bytes(dir / kEkContextFile, longer);
    expect_recreated("trailing byte");
  }
  SUBCASE("a file others may read") {
    write_bytes(dir / kEkContextFile, good, 0644);
    expect_recreated("mode 0644");
    CHECK(test::mode_of(dir / kEkContextFile) == 0600);
  }
}

TEST_CASE("ek cache file: encode and parse round trip, bounds") {
  EkContextFile f;
  f.type = 2;
  f.name = Bytes(34, 0xaa);
  f.context = Bytes(3000, 0x55);
  const Bytes enc = encode_ek_context_file(f);
  auto back = parse_ek_context_file(enc);
  REQUIRE(back.ok());
  CHECK(back->type == 2);
  CHECK(back->name == f.name);
  CHECK(back->context == f.context);
  for (std::size_t cut = 0; cut < enc.size(); cut += 97)
    CHECK_FALSE(parse_ek_context_file(ByteView(enc.data(), cut)).ok());
  Bytes bad_version = enc;
  bad_version[8] = 2;
  CHECK(parse_ek_context_file(bad_version).code() == Errc::malformed);
  f.name = Bytes(kMaxEkNameSize + 1, 1);
  CHECK(parse_ek_context_file(encode_ek_context_file(f)).code() == Errc::malformed);
  f.name = Bytes(34, 1);
  f.context = Bytes(kMaxEkContextSize + 1, 1);
  CHECK(parse_ek_context_file(encode_ek_context_file(f)).code() == Errc::malformed);
  f.context.clear();
  CHECK(parse_ek_context_file(encode_ek_context_file(f)).code() == Errc::malformed);
}

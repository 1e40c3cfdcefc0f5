// quote_test.cpp — verify_quote against swtpm quotes (tpm2-tools), the genuine
// GCE / cmc / Windows-on-GCE quotes, and one mutation per rejection path.
#include <doctest/doctest.h>

#include <functional>

#include "paw/attest/quote.h"
#include "tpm_test_util.h"

using namespace paw;
using namespace paw::test;

namespace {

// The nonce make-fixtures.sh passed to tpm2_quote -q.
const Bytes kNonce = {0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18};

struct SwtpmQuote {
  TpmPublic ak;
  Bytes msg, sig;
  PcrValues pcrs;
};

SwtpmQuote swtpm_quote(const std::string& ak, const std::string& name) {
  return {must_public(fixture("ak_" + ak + ".pub")), fixture("quote_" + name + ".msg"),
          fixture("quote_" + name + ".sig"), must_pcrs(fixture("quote_" + name + ".pcrs"))};
}

// remarshal decodes |attest|, lets |edit| change one field, and marshals it again.
Bytes remarshal(ByteView attest, const std::function<void(TPMS_ATTEST&)>& edit) {
  TPMS_ATTEST a{};
  std::size_t off = 0;
  REQUIRE(Tss2_MU_TPMS_ATTEST_Unmarshal(attest.data(), attest.size(), &off, &a) == TSS2_RC_SUCCESS);
  edit(a);
  std::uint8_t buf[sizeof(TPMS_ATTEST)];
  off = 0;
  REQUIRE(Tss2_MU_TPMS_ATTEST_Marshal(&a, buf, sizeof(buf), &off) == TSS2_RC_SUCCESS);
  return Bytes(buf, buf + off);
}

// resigned verifies |attest| mutated by |edit| and signed by a software key.
Errc resigned(const SwtpmQuote& q, const std::function<void(TPMS_ATTEST&)>& edit) {
  SoftSigner signer;
  const Bytes msg = remarshal(q.msg, edit);
  const Bytes sig = signer.sign(msg);
  return verify_quote(signer.pub(), msg, sig, kNonce, q.pcrs).code();
}

}  // namespace

TEST_CASE("swtpm quotes made with tpm2-tools verify (RSASSA / ECDSA / RSAPSS, sha1 and sha256 banks)") {
  struct Case {
    const char* ak;
    const char* name;
    SigScheme scheme;
    std::size_t pcr_count;
  };
  for (const Case& c : {Case{"rsa", "rsa_sha256", SigScheme::rsassa, 6}, Case{"rsa", "rsa_sha1_sha256", SigScheme::rsassa, 5},
                        Case{"ecc", "ecc_sha256", SigScheme::ecdsa, 3}, Case{"ecc", "ecc_sha1", SigScheme::ecdsa, 2},
                        Case{"pss", "pss_sha256", SigScheme::rsapss, 3}}) {
    CAPTURE(c.name);
    const auto q = swtpm_quote(c.ak, c.name);
    auto v = verify_quote(q.ak, q.msg, q.sig, kNonce, q.pcrs);
    REQUIRE_MESSAGE(v.ok(), v.error().what());
    CHECK(v->scheme() == c.scheme);
    CHECK(v->signing_hash() == HashAlg::sha256);
    std::size_t n = 0;
    for (const auto& e : v->selection()) n += e.indices.size();
    CHECK(n == c.pcr_count);
    CHECK(v->pcrs() == q.pcrs);
    CHECK(v->qualifying_data() == kNonce);
    CHECK(v->clock_info().safe);
    // The same quote checks with the PEM the AK was exported as.
    auto pem = parse_pem_public_key(fixture(std::string("ak_") + c.ak + ".pem"));
    REQUIRE(pem.ok());
    CHECK(verify_quote(pem->get(), q.msg, q.sig, kNonce, q.pcrs).ok());
  }
}

TEST_CASE("a sha1-bank quote signed with sha256 needs the sha256 digest of the sha1 PCRs") {
  const auto q = swtpm_quote("ecc", "ecc_sha1");
  auto a = parse_attest(q.msg);
  REQUIRE(a.ok());
  REQUIRE(a->pcr_select.size() == 1);
  CHECK(a->pcr_select[0].bank == HashAlg::sha1);
  CHECK(a->pcr_digest.size() == 32);
  CHECK(quote_pcr_digest(HashAlg::sha256, a->pcr_select, q.pcrs).value() == a->pcr_digest);
  CHECK(quote_pcr_digest(HashAlg::sha1, a->pcr_select, q.pcrs).value() != a->pcr_digest);
}

TEST_CASE("genuine GCE vTPM quotes (sha1/sha256/sha384 banks / RSASSA-SHA256) verify") {
  for (const char* name : {"gce-cos-85-nonce9009", "gce-cos-85-no-nonce"}) {
    CAPTURE(name);
    auto j = load_json(test_data(std::string("go-tpm-tools/decoded/") + name + ".decoded.json"));
    auto ak = parse_tpmt_public(hexb(j->getValue<std::string>("ak_pub_TPMT_PUBLIC_hex")));
    REQUIRE(ak.ok());
    const Bytes nonce = hexb(j->getValue<std::string>("nonce"));
    auto quotes = j->getArray("quotes");
    REQUIRE(quotes->size() == 3);
    for (std::size_t i = 0; i < quotes->size(); ++i) {
      auto qj = quotes->getObject(static_cast<unsigned>(i));
      const auto bank = hash_from_name(qj->getValue<std::string>("pcr_bank"));
      REQUIRE(bank.has_value());
      PcrValues pcrs;
      auto pj = qj->getObject("pcrs");
      for (const auto& [k, v] : *pj) pcrs[*bank][static_cast<std::uint32_t>(std::stoul(k))] = hexb(v.toString());
      const Bytes msg = hexb(qj->getValue<std::string>("TPMS_ATTEST_hex"));
      const Bytes sig = hexb(qj->getValue<std::string>("TPMT_SIGNATURE_hex"));
      auto v = verify_quote(*ak, msg, sig, nonce, pcrs);
      REQUIRE_MESSAGE(v.ok(), v.error().what());
      CHECK(v->signing_hash() == HashAlg::sha256);
      CHECK(v->clock_info().reset_count == 10);
      CHECK(v->firmware_version() == 0x2016051100162800ull);
      // Digesting with the bank's hash instead would be wrong for sha1/sha384 banks.
      if (*bank != HashAlg::sha256) {
        auto a = parse_attest(msg);
        CHECK(quote_pcr_digest(*bank, a->pcr_select, pcrs).value() != a->pcr_digest);
      }
    }
  }
}

TEST_CASE("Fraunhofer cmc quote: valid / and its invalid signature / nonce / PCR4 variants fail") {
  auto j = load_json(test_data("cmc/cmc_tpm_quote_vector.json"));
  const std::string cert_pem = j->getValue<std::string>("ak_cert_pem");
  UniquePtr<BIO, BIO_free> bio(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
  UniquePtr<X509, X509_free> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  REQUIRE(cert != nullptr);
  const EVP_PKEY* key = X509_get0_pubkey(cert.get());
  PcrValues pcrs;
  auto fin = j->getObject("pcr_final_sha256");
  for (const auto& [k, v] : *fin) pcrs[HashAlg::sha256][static_cast<std::uint32_t>(std::stoul(k))] = hexb(v.toString());
  const Bytes msg = hexb(j->getValue<std::string>("TPMS_ATTEST_hex"));
  const Bytes sig = hexb(j->getValue<std::string>("TPMT_SIGNATURE_hex"));
  const Bytes nonce = hexb(j->getValue<std::string>("nonce_hex"));
  auto v = verify_quote(key, msg, sig, nonce, pcrs);
  REQUIRE_MESSAGE(v.ok(), v.error().what());
  CHECK(v->clock_info().clock == 1277099017u);
  CHECK(verify_quote(key, msg, hexb(j->getValue<std::string>("invalid_TPMT_SIGNATURE_hex")), nonce, pcrs).code() ==
        Errc::bad_signature);
  CHECK(verify_quote(key, msg, sig, hexb(j->getValue<std::string>("invalid_nonce_hex")), pcrs).code() ==
        Errc::nonce_mismatch);
  PcrValues bad = pcrs;
  bad[HashAlg::sha256][4] = hexb(j->getValue<std::string>("invalid_pcr4_final_sha256"));
  CHECK(verify_quote(key, msg, sig, nonce, bad).code() == Errc::pcr_digest_mismatch);
}

TEST_CASE("Windows on GCE: a genuine RSASSA-SHA1 quote over 24 sha1 PCRs is refused (signing hash below SHA-256)") {
  auto j = load_json(test_data("go-attestation/attest/testdata/windows_gcp_shielded_vm.json"));
  auto ak = parse_tpmt_public(b64(j->getObject("AK")->getValue<std::string>("Public")));
  REQUIRE(ak.ok());
  auto qj = j->getObject("Quote");
  PcrValues pcrs;
  auto list = j->getObject("Log")->getArray("PCRs");
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto e = list->getObject(static_cast<unsigned>(i));
    REQUIRE(e->getValue<int>("DigestAlg") == 3);  // Go crypto.SHA1
    pcrs[HashAlg::sha1][e->getValue<std::uint32_t>("Index")] = b64(e->getValue<std::string>("Digest"));
  }
  auto v = verify_quote(*ak, b64(qj->getValue<std::string>("Quote")), b64(qj->getValue<std::string>("Signature")),
                        {}, pcrs);
  // Everything else about it is genuine (this test verified it before SHA-1
  // was refused); the AK's own scheme allows SHA-1, which does not make it acceptable.
  CHECK(v.code() == Errc::unsupported);
  CHECK(v.error().detail.find("weaker than SHA-256") != std::string::npos);
  auto sig = parse_signature(b64(qj->getValue<std::string>("Signature")));
  REQUIRE(sig.ok());
  CHECK(sig->hash == HashAlg::sha1);
  CHECK(check_quote_hash(HashAlg::sha256).ok());
  CHECK(check_quote_hash(HashAlg::sha384).ok());
  CHECK(check_quote_hash(HashAlg::sha1).code() == Errc::unsupported);
}

TEST_CASE("every quote rejection path fails with its own Errc") {
  const auto q = swtpm_quote("rsa", "rsa_sha1_sha256");
  REQUIRE(verify_quote(q.ak, q.msg, q.sig, kNonce, q.pcrs).ok());

  SUBCASE("sizes") {
    Bytes big(kMaxAttestSize + 1, 0);
    CHECK(verify_quote(q.ak, big, q.sig, kNonce, q.pcrs).code() == Errc::too_large);
    Bytes bigsig(kMaxSignatureSize + 1, 0);
    CHECK(verify_quote(q.ak, q.msg, bigsig, kNonce, q.pcrs).code() == Errc::too_large);
  }
  SUBCASE("signature: one message byte, one signature byte, wrong key, wrong scheme") {
    Bytes msg = q.msg;
    msg[msg.size() - 1] ^= 0x01;
    CHECK(verify_quote(q.ak, msg, q.sig, kNonce, q.pcrs).code() == Errc::bad_signature);
    Bytes sig = q.sig;
    sig[sig.size() - 7] ^= 0x80;
    CHECK(verify_quote(q.ak, q.msg, sig, kNonce, q.pcrs).code() == Errc::bad_signature);
    const auto other = must_public(fixture("ak_pss.pub"));
    CHECK(verify_quote(other, q.msg, q.sig, kNonce, q.pcrs).code() == Errc::bad_signature);
    // The RSAPSS AK must not accept an RSASSA signature, even from the same key pair type.
    const auto pss = swtpm_quote("pss", "pss_sha256");
    sig = pss.sig;
    sig[1] = 0x14;  // TPM_ALG_RSAPSS -> TPM_ALG_RSASSA (same layout)
    CHECK(verify_quote(pss.ak, pss.msg, sig, kNonce, pss.pcrs).code() == Errc::bad_signature);
    // Hash field changed: the AK's scheme fixes sha256.
    sig = q.sig;
    sig[3] = 0x0c;  // sha256 -> sha384
    auto r = verify_quote(q.ak, q.msg, sig, kNonce, q.pcrs);
    CHECK(r.code() == Errc::bad_signature);
    CHECK(r.error().detail.find("scheme") != std::string::npos);
  }
  SUBCASE("malformed / trailing / unsupported signature") {
    Bytes sig(q.sig.begin(), q.sig.end() - 1);
    CHECK(verify_quote(q.ak, q.msg, sig, kNonce, q.pcrs).code() == Errc::malformed);
    sig = q.sig;
    sig.push_back(0);
    CHECK(verify_quote(q.ak, q.msg, sig, kNonce, q.pcrs).code() == Errc::trailing_data);
    sig = q.sig;
    sig[1] = 0x05;  // TPM_ALG_HMAC
    CHECK(verify_quote(q.ak, q.msg, sig, kNonce, q.pcrs).code() != Errc{});
  }
  SUBCASE("signed but malformed / trailing attest") {
    SoftSigner s;
    Bytes msg(q.msg.begin(), q.msg.end() - 3);
    CHECK(verify_quote(s.pub(), msg, s.sign(msg), kNonce, q.pcrs).code() == Errc::malformed);
    msg = q.msg;
    msg.push_back(0);
    CHECK(verify_quote(s.pub(), msg, s.sign(msg), kNonce, q.pcrs).code() == Errc::trailing_data);
  }
  SUBCASE("re-signed one-field mutations: the control passes, each field fails its check") {
    CHECK(resigned(q, [](TPMS_ATTEST&) {}) == Errc{});
    CHECK(resigned(q, [](TPMS_ATTEST& a) { a.magic ^= 1; }) == Errc::bad_magic);
    CHECK(resigned(q, [](TPMS_ATTEST& a) {
            a.type = TPM2_ST_ATTEST_CERTIFY;
            a.attested.certify = {};
          }) == Errc::bad_type);
    CHECK(resigned(q, [](TPMS_ATTEST& a) { a.extraData.buffer[0] ^= 1; }) == Errc::nonce_mismatch);
    CHECK(resigned(q, [](TPMS_ATTEST& a) { a.attested.quote.pcrSelect.pcrSelections[0].pcrSelect[0] ^= 0x04; }) ==
          Errc::pcr_selection_mismatch);
    CHECK(resigned(q, [](TPMS_ATTEST& a) { a.attested.quote.pcrDigest.buffer[5] ^= 1; }) ==
          Errc::pcr_digest_mismatch);
  }
  SUBCASE("expected nonce differs") {
    Bytes n = kNonce;
    n[0] ^= 1;
    CHECK(verify_quote(q.ak, q.msg, q.sig, n, q.pcrs).code() == Errc::nonce_mismatch);
    CHECK(verify_quote(q.ak, q.msg, q.sig, {}, q.pcrs).code() == Errc::nonce_mismatch);
  }
  SUBCASE("reported PCRs: one missing, one extra, one byte changed") {
    PcrValues p = q.pcrs;
    p[HashAlg::sha1].erase(16);
    auto r = verify_quote(q.ak, q.msg, q.sig, kNonce, p);
    CHECK(r.code() == Errc::pcr_selection_mismatch);
    CHECK(r.error().detail.find("sha1:16") != std::string::npos);
    p = q.pcrs;
    p[HashAlg::sha256][7] = Bytes(32, 0);
    CHECK(verify_quote(q.ak, q.msg, q.sig, kNonce, p).code() == Errc::pcr_selection_mismatch);
    p = q.pcrs;
    p[HashAlg::sha256][16][31] ^= 1;
    CHECK(verify_quote(q.ak, q.msg, q.sig, kNonce, p).code() == Errc::pcr_digest_mismatch);
    p = q.pcrs;
    p[HashAlg::sha256][16].pop_back();
    CHECK(verify_quote(q.ak, q.msg, q.sig, kNonce, p).code() == Errc::malformed);
  }
}

TEST_CASE("tpm2-tools PCR file: bounds and trailing bytes") {
  const Bytes f = fixture("quote_rsa_sha1_sha256.pcrs");
  REQUIRE(f.size() == 132 + 4 + 532);
  auto p = parse_tpm2_tools_pcrs(f);
  REQUIRE(p.ok());
  CHECK(p->at(HashAlg::sha1).size() == 3);
  CHECK(p->at(HashAlg::sha256).size() == 2);
  CHECK(parse_tpm2_tools_pcrs(ByteView(f).first(f.size() - 1)).code() == Errc::malformed);
  Bytes t = f;
  t.push_back(0);
  CHECK(parse_tpm2_tools_pcrs(t).code() == Errc::trailing_data);
  Bytes m = f;
  m[132] = 17;  // 17 digest lists
  CHECK(parse_tpm2_tools_pcrs(m).code() == Errc::malformed);
  m = f;
  m[136] = 9;  // 9 digests in one list
  CHECK(parse_tpm2_tools_pcrs(m).code() == Errc::malformed);
  m = f;
  m[0] = 17;  // 17 banks
  CHECK(parse_tpm2_tools_pcrs(m).code() == Errc::malformed);
}

// command_verify.cpp — `pawctl verify-quote` and `pawctl verify-ek`: check a
// TPM quote or an EK certificate from the files tpm2-tools writes, without
// paw's agent. Exit 0 and one summary line when valid; exit 1 and
// "<check>: <detail>" when not; exit 2 for usage errors.
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "command.h"
#include "paw/attest/cli.h"
#include "paw/attest/ekcert.h"
#include "paw/attest/quote.h"
#include "paw/attest/tpm.h"

namespace pawctl {
namespace {

constexpr const char* kQuoteUsage =
    "verify-quote --ak FILE --message FILE --signature FILE [--pcrs FILE] [--nonce HEX] [--pcr-bank sha256]";
constexpr const char* kEkUsage = "verify-ek --ca-dir DIR CERT [--ek-pub FILE] [--at UNIX_SECONDS]";

int failed(const paw::Error& e) {
  std::cerr << "pawctl: FAILED " << paw::errc_name(e.code) << ": " << e.detail << "\n";
  return 1;
}

paw::Result<paw::Bytes> load(const std::string& path) {
  auto r = paw::read_file(path, 1u << 20);
  if (!r.ok()) return paw::make_error(r.code(), path + ": " + r.error().detail);
  return r;
}

bool looks_pem(const paw::Bytes& b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size()).find("-----BEGIN") !=
         std::string_view::npos;
}

// Ak is either a TPM public area (scheme restrictions checkable) or a bare PEM key.
struct Ak {
  std::optional<paw::TpmPublic> pub;
  paw::EvpPkeyPtr key;
};

paw::Result<Ak> load_ak(const std::string& path) {
  PAW_TRY(const paw::Bytes raw, load(path));
  Ak ak;
  if (looks_pem(raw)) {
    PAW_TRY(ak.key, paw::parse_pem_public_key(raw));
    return ak;
  }
  auto pub = paw::parse_public(raw);  // `tpm2_createak -u` (TPM2B_PUBLIC)
  if (!pub.ok()) pub = paw::parse_tpmt_public(raw);  // a bare TPMT_PUBLIC
  if (!pub.ok()) return paw::make_error(pub.code(), "AK " + path + ": " + pub.error().detail);
  ak.pub = std::move(pub).value();
  return ak;
}

std::string selection_text(const paw::PcrSelection& sel) {
  std::ostringstream out;
  for (std::size_t i = 0; i < sel.size(); ++i) {
    out << (i ? "+" : "") << paw::hash_name(sel[i].bank) << ":";
    for (std::size_t j = 0; j < sel[i].indices.size(); ++j) out << (j ? "," : "") << sel[i].indices[j];
  }
  return out.str();
}

std::string clock_text(const paw::ClockInfo& c, std::uint64_t fw) {
  std::ostringstream out;
  out << "clock=" << c.clock << " resetCount=" << c.reset_count << " restartCount=" << c.restart_count
      << " safe=" << (c.safe ? "yes" : "no") << " firmware=0x" << std::hex << fw;
  return out.str();
}

// verify_without_pcrs runs the checks that need no PCR values (signature, magic,
// type, nonce) when --pcrs is absent; the PCR digest stays unchecked and we say so.
int verify_without_pcrs(const Ak& ak, const paw::Bytes& msg, const paw::Bytes& sig, const paw::Bytes& nonce) {
  if (msg.size() > paw::kMaxAttestSize || sig.size() > paw::kMaxSignatureSize) {
    return failed(paw::make_error(paw::Errc::too_large, "sizes: message or signature too large"));
  }
  auto s = paw::parse_signature(sig);
  if (!s.ok()) return failed(s.error());
  auto v = ak.pub ? paw::verify_signature(*ak.pub, msg, *s) : paw::verify_signature(ak.key.get(), msg, *s);
  if (!v.ok()) return failed(v.error());
  auto a = paw::parse_attest(msg);
  if (!a.ok()) return failed(a.error());
  if (a->magic != paw::kTpmGeneratedValue) return failed({paw::Errc::bad_magic, "magic: not TPM_GENERATED_VALUE"});
  if (a->type != paw::kStAttestQuote) return failed({paw::Errc::bad_type, "type: not TPM_ST_ATTEST_QUOTE"});
  if (!paw::ct_equal(a->extra_data, nonce)) {
    return failed({paw::Errc::nonce_mismatch, "qualifying data: extraData differs from --nonce"});
  }
  std::cout << "quote signature OK (PCR values NOT checked: no --pcrs): " << selection_text(a->pcr_select) << " "
            << clock_text(a->clock_info, a->firmware_version) << "\n";
  return 0;
}

int verify_quote_cmd(const std::vector<std::string>& words) {
  auto args = paw::Args::parse(words, {"ak", "message", "signature", "pcrs", "nonce", "pcr-bank"});
  if (!args.ok()) return fail(args.error().detail + "\nusage: pawctl " + kQuoteUsage, 2);
  for (const char* required : {"ak", "message", "signature"}) {
    if (!args->has(required)) return fail(std::string("--") + required + " is required\nusage: pawctl " + kQuoteUsage, 2);
  }
  if (!args->positional().empty()) return fail("unexpected argument " + args->positional()[0], 2);
  auto nonce = paw::unhex(args->get_or("nonce", ""));
  if (!nonce.ok()) return fail("--nonce is not hex", 2);
  std::optional<paw::HashAlg> bank;
  if (args->has("pcr-bank")) {
    bank = paw::hash_from_name(*args->get("pcr-bank"));
    if (!bank) return fail("--pcr-bank must be sha1, sha256, sha384 or sha512", 2);
  }
  auto ak = load_ak(*args->get("ak"));
  if (!ak.ok()) return failed(ak.error());
  auto msg = load(*args->get("message"));
  if (!msg.ok()) return failed(msg.error());
  auto sig = load(*args->get("signature"));
  if (!sig.ok()) return failed(sig.error());
  if (!args->has("pcrs")) return verify_without_pcrs(*ak, *msg, *sig, *nonce);

  auto pcr_file = load(*args->get("pcrs"));
  if (!pcr_file.ok()) return failed(pcr_file.error());
  auto pcrs = paw::parse_tpm2_tools_pcrs(*pcr_file);
  if (!pcrs.ok()) return failed(pcrs.error());
  auto v = ak->pub ? paw::verify_quote(*ak->pub, *msg, *sig, *nonce, *pcrs)
                   : paw::verify_quote(ak->key.get(), *msg, *sig, *nonce, *pcrs);
  if (!v.ok()) return failed(v.error());
  if (bank && v->pcrs().count(*bank) == 0) {
    return failed({paw::Errc::pcr_selection_mismatch,
                   "PCR selection: the quote covers no " + std::string(paw::hash_name(*bank)) + " PCRs"});
  }
  std::cout << "quote OK: " << paw::sig_scheme_name(v->scheme()) << "/" << paw::hash_name(v->signing_hash())
            << " pcrs=" << selection_text(v->selection()) << " nonce=" << paw::hex(v->qualifying_data()) << " "
            << clock_text(v->clock_info(), v->firmware_version()) << "\n";
  return 0;
}

int verify_ek_cmd(const std::vector<std::string>& words) {
  auto args = paw::Args::parse(words, {"ca-dir", "ek-pub", "at"});
  if (!args.ok()) return fail(args.error().detail + "\nusage: pawctl " + kEkUsage, 2);
  if (!args->has("ca-dir") || args->positional().size() != 1) return fail(std::string("usage: pawctl ") + kEkUsage, 2);
  std::optional<std::int64_t> at;
  if (args->has("at")) {
    try {
      at = std::stoll(*args->get("at"));
    } catch (const std::exception&) {
      return fail("--at must be unix seconds", 2);
    }
  }
  auto cas = paw::EkCaStore::load_dir(*args->get("ca-dir"));
  if (!cas.ok()) return failed(cas.error());
  auto cert = load(args->positional()[0]);
  if (!cert.ok()) return failed(cert.error());
  auto ek = paw::verify_ek_certificate(*cert, *cas, at);
  if (!ek.ok()) return failed(ek.error());
  if (args->has("ek-pub")) {
    auto raw = load(*args->get("ek-pub"));
    if (!raw.ok()) return failed(raw.error());
    auto pub = paw::parse_public(*raw);
    if (!pub.ok()) return failed(pub.error());
    auto m = paw::ek_matches_public(*ek, *pub);
    if (!m.ok()) return failed(m.error());
  }
  std::cout << "EK certificate OK: TPM manufacturer=" << ek->tpm.manufacturer << " model=" << ek->tpm.model
            << " version=" << ek->tpm.version << (args->has("ek-pub") ? " (matches --ek-pub)" : "") << "\n";
  for (std::size_t i = 0; i < ek->chain.size(); ++i) {
    std::cout << "  " << i << ": " << (ek->chain[i].empty() ? "(empty subject)" : ek->chain[i]) << "\n";
  }
  if (!ek->reaches_self_signed_root) std::cout << "  (chain ends at a trusted intermediate from the CA folder)\n";
  return 0;
}

}  // namespace

PAWCTL_COMMAND("verify-quote", kQuoteUsage, verify_quote_cmd);
PAWCTL_COMMAND("verify-ek", kEkUsage, verify_ek_cmd);

}  // namespace pawctl

// eventlog_replay.cpp — replaying a parsed event log into PCR values, and
// comparing a replay with quoted PCRs.
#include <openssl/evp.h>

#include <algorithm>
#include <bitset>
#include <cstring>

#include "eventlog_internal.h"
#include "paw/attest/eventlog.h"

namespace paw {
namespace {

// The OpenSSL 3 algorithm objects are fetched once per process: an implicit
// fetch on every EVP_DigestInit would dominate the replay of a small log.
const EVP_MD* fetched_md(HashAlg alg) noexcept {
  static EVP_MD* const kSha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  static EVP_MD* const kSha384 = EVP_MD_fetch(nullptr, "SHA384", nullptr);
  static EVP_MD* const kSha512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
  switch (alg) {
    case HashAlg::sha1: return kSha1;
    case HashAlg::sha256: return kSha256;
    case HashAlg::sha384: return kSha384;
    case HashAlg::sha512: return kSha512;
    default: return nullptr;
  }
}

// PFP 1.05, 10.4.5.3: EV_NO_ACTION data "StartupLocality\0" followed by one byte.
constexpr std::string_view kStartupLocality{"StartupLocality\0", 16};

bool startup_locality(const Event& e, std::uint8_t& locality) {
  if (e.type != ev::kNoAction || e.data.size() != kStartupLocality.size() + 1) return false;
  if (std::memcmp(e.data.data(), kStartupLocality.data(), kStartupLocality.size()) != 0) return false;
  locality = e.data[kStartupLocality.size()];
  return true;
}

}  // namespace

Bytes pcr_reset_value(HashAlg bank, std::uint32_t index) {
  return Bytes(hash_size(bank), (index >= 17 && index <= 22) ? 0xFF : 0x00);
}

Hasher::Hasher(HashAlg alg) noexcept : md_(fetched_md(alg)), ctx_(EVP_MD_CTX_new()), size_(hash_size(alg)) {}

Hasher::~Hasher() { EVP_MD_CTX_free(ctx_); }

// One context reused across calls: OpenSSL 3's one-shot SHA256() fetches the
// algorithm on every call (EVP_Q_digest) and is three times slower.
bool Hasher::hash(ByteView a, ByteView b, std::uint8_t* out) noexcept { return hash_evp(a, b, out); }

bool Hasher::hash_evp(ByteView a, ByteView b, std::uint8_t* out) noexcept {
  unsigned int len = 0;
  return EVP_DigestInit_ex2(ctx_, md_, nullptr) == 1 && EVP_DigestUpdate(ctx_, a.data(), a.size()) == 1 &&
         EVP_DigestUpdate(ctx_, b.data(), b.size()) == 1 && EVP_DigestFinal_ex(ctx_, out, &len) == 1 &&
         len == size_;
}

Result<std::vector<BankReplay>> replay_event_log_banks(const EventLog& log) {
  std::vector<BankReplay> out;
  for (const HashAlg bank : log.banks()) {
    BankReplay br;
    br.bank = bank;
    Hasher h(bank);
    if (!h.ok()) return make_error(Errc::internal, "no OpenSSL digest for " + std::string(hash_name(bank)));
    const std::size_t size = h.size();
    std::array<HashBuf, kPcrCount> pcrs{};
    std::bitset<kPcrCount> covered;
    for (const Event& e : log.events()) {
      if (e.pcr == kNoPcr) continue;  // not a PCR: trailing EV_NO_ACTION on laptops
      if (e.pcr >= kPcrCount) {
        return make_error(Errc::eventlog_malformed,
                          eventlog_where(e.index, e.offset) + ": PCR index " + std::to_string(e.pcr));
      }
      if (e.type == ev::kNoAction) {
        std::uint8_t locality = 0;
        if (e.pcr == 0 && startup_locality(e, locality)) {
          if (covered[0]) {
            return make_error(Errc::eventlog_malformed,
                              eventlog_where(e.index, e.offset) + ": StartupLocality after PCR0 was extended");
          }
          pcrs[0].fill(0);
          pcrs[0][size - 1] = locality;
          covered[0] = true;
        }
        continue;  // EV_NO_ACTION is never extended (PFP 1.05, 10.4.1)
      }
      if (!br.complete) continue;  // keep walking: a later event may still be malformed
      const ByteView d = log.digest(e, bank);
      if (d.size() != size) {
        // The bank cannot be replayed: report it rather than guess what the TPM extended.
        br.complete = false;
        br.first_missing = e.index;
        continue;
      }
      HashBuf next;
      if (!h.hash(ByteView(pcrs[e.pcr].data(), size), d, next.data())) {
        return make_error(Errc::internal, "digest failed");
      }
      pcrs[e.pcr] = next;
      covered[e.pcr] = true;
    }
    if (br.complete) {
      for (std::uint32_t i = 0; i < kPcrCount; ++i) {
        if (covered[i]) br.values.emplace(i, Bytes(pcrs[i].begin(), pcrs[i].begin() + static_cast<std::ptrdiff_t>(size)));
      }
    }
    out.push_back(std::move(br));
  }
  return out;
}

Result<PcrValues> replay_event_log(const EventLog& log) {
  PAW_TRY(std::vector<BankReplay> banks, replay_event_log_banks(log));
  PcrValues out;
  for (auto& b : banks) {
    if (b.complete) out[b.bank] = std::move(b.values);
  }
  return out;
}

bool PcrComparison::all_agree() const noexcept {
  if (!named_missing.empty()) return false;
  return std::all_of(judged.begin(), judged.end(), [](const PcrJudgement& j) { return j.agree; });
}

Status PcrComparison::status() const {
  if (all_agree()) return ok_status();
  std::string detail;
  for (const auto& j : judged) {
    if (j.agree) continue;
    if (!detail.empty()) detail += "; ";
    detail += std::string(hash_name(j.pcr.bank)) + " PCR" + std::to_string(j.pcr.index) +
              (j.replayed ? " replays to " + hex(j.expected)
                          : " is never extended by the log (reset value " + hex(j.expected) + ")") +
              " but the quote has " + hex(j.quoted);
  }
  for (const auto& m : named_missing) {
    if (!detail.empty()) detail += "; ";
    detail += std::string(hash_name(m.bank)) + " PCR" + std::to_string(m.index) + " is required but not quoted";
  }
  return make_error(Errc::eventlog_replay_mismatch, detail);
}

PcrComparison compare_pcrs(const PcrValues& replayed, const PcrValues& quoted, const std::set<std::uint32_t>& named) {
  PcrComparison out;
  for (const auto& [bank, qbank] : quoted) {
    const auto rit = replayed.find(bank);
    std::set<std::uint32_t> indices = named;
    if (rit != replayed.end()) {
      for (const auto& [index, value] : rit->second) indices.insert(index);
    }
    for (const std::uint32_t index : indices) {
      const auto qit = qbank.find(index);
      const bool is_named = named.count(index) != 0;
      if (qit == qbank.end()) {
        (is_named ? out.named_missing : out.not_quoted).push_back({bank, index});
        continue;
      }
      PcrJudgement j;
      j.pcr = {bank, index};
      const Bytes* value = nullptr;
      if (rit != replayed.end()) {
        if (auto vit = rit->second.find(index); vit != rit->second.end()) value = &vit->second;
      }
      j.expected = value ? *value : pcr_reset_value(bank, index);
      j.replayed = value != nullptr;
      j.quoted = qit->second;
      j.agree = ct_equal(j.expected, j.quoted);
      out.judged.push_back(std::move(j));
    }
  }
  // Banks the log replays but the quote lacks are reported, never judged.
  for (const auto& [bank, rbank] : replayed) {
    if (quoted.count(bank) != 0) continue;
    for (const auto& [index, value] : rbank) out.not_quoted.push_back({bank, index});
  }
  return out;
}

}  // namespace paw

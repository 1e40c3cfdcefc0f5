// paw/attest/ima.h — the Linux IMA runtime measurement list: parse (binary and
// ASCII), replay into PCR10 per bank, and check against an allowlist policy.
//
// Formats (Linux security/integrity/ima/ima_fs.c, ima_template_lib.c):
//  binary  /sys/kernel/security/ima/binary_runtime_measurements[_<alg>]: per
//          entry u32 PCR, template hash (20 bytes for the plain file, the
//          bank's size for the _<alg> files), u32 name length + template name,
//          then u32 length + template data (for template "ima": a raw SHA-1
//          digest and a u32-length-prefixed name, no total length). Little-endian
//          (ima_canonical_fmt, and native order on every PAW).
//  ASCII   ascii_runtime_measurements: "PCR template-hash template-name fields…".
// Templates: ima (d|n), ima-ng (d-ng|n-ng), ima-sig (d-ng|n-ng|sig), ima-buf
// (d-ng|n-ng|buf), ima-modsig, evm-sig, and custom descriptors such as
// "d-ng|sig". A violation (ToMToU, open-writers) has an all-zero template hash
// and extends 0xFF… into every bank.
//
// Lifetime: entries of a binary list view the caller's buffer (it must outlive
// the ImaLog); entries of an ASCII list own their decoded bytes. ImaEntry is
// move-only so that views into its own storage stay valid.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "paw/attest/bytes.h"
#include "paw/attest/digest.h"
#include "paw/attest/limits.h"  // kMaxImaLogSize
#include "paw/attest/pcr.h"

namespace paw {

// kImaPcr is the PCR IMA extends by default (CONFIG_IMA_MEASURE_PCR_IDX).
inline constexpr std::uint32_t kImaPcr = 10;

// ImaField is one field of an entry's template data.
struct ImaField {
  std::string id;  // "d-ng", "n-ng", "sig", "buf", …, or "?" when the template is unknown
  ByteView data;   // without its length prefix
};

struct ImaEntry {
  ImaEntry() = default;
  ImaEntry(ImaEntry&&) noexcept = default;
  ImaEntry& operator=(ImaEntry&&) noexcept = default;
  ImaEntry(const ImaEntry&) = delete;
  ImaEntry& operator=(const ImaEntry&) = delete;

  std::size_t index = 0;   // 0-based entry number
  std::size_t offset = 0;  // byte offset (binary) or 1-based line number (ASCII)
  std::uint32_t pcr = kImaPcr;
  ByteView template_hash;  // as logged
  std::string template_name;
  // template_data is what the kernel hashed for the template hash, except for
  // template "ima" (digest || name padded to 256 bytes is hashed; see
  // ima_template_hash). For ASCII lists it is rebuilt from the fields.
  ByteView template_data;
  std::vector<ImaField> fields;
  // Decoded from the fields (empty when absent):
  std::string file_hash_alg;  // "sha256" ("sha1" for the "ima" template's d field)
  ByteView file_digest;
  std::string path;           // n-ng / n (the file name, or an ima-buf label)
  ByteView signature;         // sig
  ByteView buffer;            // buf
  bool violation = false;     // all-zero template hash

 private:
  friend class ImaParser;
  Bytes owned_;  // ASCII: storage the views above point into
};

class ImaLog {
 public:
  [[nodiscard]] const std::vector<ImaEntry>& entries() const noexcept { return entries_; }
  [[nodiscard]] bool ascii() const noexcept { return ascii_; }
  // template_hash_alg is the algorithm of the logged template hashes (by size).
  [[nodiscard]] HashAlg template_hash_alg() const noexcept { return template_hash_alg_; }

 private:
  friend class ImaParser;
  std::vector<ImaEntry> entries_;
  bool ascii_ = false;
  HashAlg template_hash_alg_ = HashAlg::sha1;
};

// parse_ima_binary parses a binary list whose template hashes are of
// |template_hash_alg| (SHA-1 for binary_runtime_measurements). Fails with
// Errc::too_large, Errc::ima_malformed (short entry, template name over 255
// bytes, field lengths that do not add up, bad d-ng digest) naming the entry
// and byte offset. Checks nothing cryptographic: replay_ima does.
Result<ImaLog> parse_ima_binary(ByteView list, HashAlg template_hash_alg = HashAlg::sha1);
Result<ImaLog> parse_ima_binary(Bytes&& list, HashAlg = HashAlg::sha1) = delete;

// parse_ima_ascii parses an ASCII list. The template hash size gives its
// algorithm (20: SHA-1, 32: SHA-256, 48: SHA-384, 64: SHA-512; all lines must
// agree). The template data is rebuilt from the fields (templates whose first
// fields are d/d-ng and n/n-ng; others are Errc::ima_malformed). Like the
// binary parser it checks no hash: replay_ima does.
Result<ImaLog> parse_ima_ascii(std::string_view text);

// parse_ima_list takes ASCII if the first byte is a digit, binary otherwise;
// for binary without |template_hash_alg| the size is guessed from the first
// entry (binary_runtime_measurements is SHA-1, the _sha256 files SHA-256, …).
Result<ImaLog> parse_ima_list(ByteView list, std::optional<HashAlg> template_hash_alg = std::nullopt);
Result<ImaLog> parse_ima_list(Bytes&& list, std::optional<HashAlg> = std::nullopt) = delete;

// replay_ima extends every entry into its PCR (normally 10) for each bank in
// |banks| (empty: SHA-1, SHA-256, SHA-384, SHA-512). For the log's own
// template-hash algorithm the logged hash is extended; for other banks the
// template hash is recomputed with the bank's algorithm from the template data
// (as the kernel does for each active bank). A violation extends 0xFF….
// Before extending, every non-violation logged hash is checked against its
// template data (Errc::ima_malformed naming the entry): this is what catches
// an edited file digest or path. Errc::unsupported for a bank OpenSSL cannot
// hash (SM3). Result: every PCR touched, per bank.
Result<PcrValues> replay_ima(const ImaLog& log, const std::vector<HashAlg>& banks = {});

// ImaAllowlist maps a path to the file digests allowed for it (raw bytes, any
// algorithm), and holds exclude patterns (ECMAScript regular expressions,
// anchored at the start of the path like Python's re.match).
struct ImaAllowlist {
  std::map<std::string, ByteSet> digests;
  std::vector<std::string> exclude_patterns;
  std::vector<std::regex> excludes;  // compiled exclude_patterns
  // excluded says whether |path| matches an exclude pattern.
  [[nodiscard]] bool excluded(const std::string& path) const;
};

// parse_ima_allowlist reads either Keylime's JSON runtime policy
// ({"digests": {path: [hex, …]}, "excludes": [regex, …], …}) or the flat
// "hexdigest  path" line format (with optional "#" comments). Fails with
// Errc::malformed naming the line/key, Errc::too_large over 64 MiB.
Result<ImaAllowlist> parse_ima_allowlist(std::string_view text);
// add_ima_excludes adds exclude patterns (one regex a line, "#" comments).
Status add_ima_excludes(ImaAllowlist& list, std::string_view text);

// ImaFinding is one entry the allowlist does not allow.
struct ImaFinding {
  std::size_t entry = 0;
  std::string path;
  std::string digest;  // "sha256:<hex>"
  std::string reason;  // "not in allowlist", "digest not allowed", "violation"
};

// check_ima_allowlist returns every entry the allowlist does not allow (in log
// order). boot_aggregate (it is a PCR digest, not a file) and excluded paths
// are skipped; a violation entry is always a finding unless excluded.
std::vector<ImaFinding> check_ima_allowlist(const ImaLog& log, const ImaAllowlist& list);
// ima_allowlist_status is ok or Errc::ima_not_allowed listing the findings (first 20).
Status ima_allowlist_status(const std::vector<ImaFinding>& findings);

}  // namespace paw

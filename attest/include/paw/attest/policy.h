// paw/attest/policy.h — appraisal policy documents: named, versioned JSON.
//
// A policy says what a healthy workstation looks like. The verifier keeps
// policies by name (the one named "default" applies to devices without an
// assignment); every PUT of a policy raises its version. Policies are parsed
// strictly (unknown fields refused, sizes and counts limited) because they
// arrive over the admin API.
//
// JSON form (every field optional on input except "name"; absent fields take
// the defaults shown, which are those of default_policy()):
//
//   {
//     "name": "default",                       // [a-z0-9._-]{1,64}
//     "schema": 1,                             // document schema (kPolicySchema); absent = 1,
//                                              //   any other value is refused (docs/policy.md)
//     "version": 1,                            // 1..2^31-1, raised by the service on update
//     "pcrs": {
//       "required": {"sha256": [0, 2, 4, 7]},  // PCRs the quote must cover and that must
//                                              //   equal their reference value
//       "reference": {"sha256": {"7": "<hex>"}},// admin-set reference values (win over pins)
//       "reference_sets": [                    // more references, each a whole set with an
//         {"name": "bios-1.22",                //   optional end (unix seconds, 0 = none):
//          "not_after": 1767225600,            //   a device matches if ALL values of one
//          "values": {"sha256": {"0": "<hex>"}}}//   live set (or of "reference") match
//       ],
//       "pin_on_enroll": true                  // capture references from the first
//                                              //   verified attestation (see appraisal.h)
//     },
//     "secure_boot_required": true,            // event log must show SecureBoot enabled
//     "boot_applications": ["<hex sha256>"],   // allowed EV_EFI_BOOT_SERVICES_APPLICATION
//                                              //   digests; empty = any
//     "boot": {                                // rules over PCR 7 / PCR 8 events (BootRules);
//       "authorities": ["<hex sha256>"],       //   absent or empty = no rule
//       "kernel_cmdline": {"required": ["lockdown=integrity"], "forbidden": ["init="]},
//       "dbx": {"required": ["<hex sha256>"]},
//       "secure_boot_owners": {"pk": ["<hex sha256 of a DER certificate>"], "kek": [...]},
//       "min_sbat": {"date": "2023012900", "components": {"shim": 2, "grub": 3}}
//     },
//     "event_log_required": true,
//     "ima": {"required": false,               // true: the evidence must carry an IMA log;
//                                              //   or a list (ImaRequirement): the log is
//                                              //   required AND must show each of these
//                                              //   measured since boot with a listed digest:
//             // "required": [{"path": "/usr/bin/falcon-sensor", "digests": ["sha256:<hex>"]}],
//             "allowlist": ["<hex file digest>"]},
//     "fido": {
//       "required": true, "user_presence": true, "user_verification": false,
//       "aaguid_allowlist": ["<uuid or 32 hex>"],  // empty = any model
//       "allow_zero_counter": false,           // accept authenticators whose signCount stays 0
//       "allow_self_attestation": false,       // packed attestation without x5c
//       "allow_none_attestation": false,       // fmt "none"
//       "login_presence_max_age_seconds": 0    // step-up: PoP /v1/authz passes only
//                                              //   within this many seconds of an
//                                              //   attestation whose FIDO2 assertion had
//                                              //   user presence; 0 = off
//     },
//     "login": {"token_binding": "pop"},       // "pop": /v1/authz needs proof of the
//                                              //   token's cnf key (DPoP); "bearer": the
//                                              //   token alone (migration). Absent in a
//                                              //   document stored before this field
//                                              //   existed: "bearer" (parse_stored_policy)
//     "max_attestation_age_seconds": 3600,     // device becomes stale after this
//     "token_ttl_seconds": 600,                // result-token lifetime (60..86400)
//     "host": {"disk_encryption_required": true, "os_release_allowlist": []},
//     "reboot": {"allow": true},               // false: a TPM reset since the last
//                                              //   attestation makes the verdict unhealthy
//     "ek": {"allow_tofu": false},             // enroll without an EK certificate
//     "require_admin_approval": false,
//     "enforcement": {                         // graded verdicts (grace.h)
//       "grace": {"pcr_mismatch": "72h"}       // reason → how long it is tolerated
//     },                                       //   ("90s", "30m", "72h", "7d" or seconds)
//     "learn": {"min_devices": 3}              // learn mode (LearnPolicy); absent = off
//   }
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "paw/attest/bytes.h"
#include "paw/attest/digest.h"
#include "paw/attest/error.h"
#include "paw/attest/json.h"
#include "paw/attest/pcr.h"
#include "paw/attest/sbat.h"

namespace paw {

// Limits for policy documents arriving over the admin API.
inline constexpr std::size_t kMaxPolicySize = 8u << 20;          // JSON text
inline constexpr std::size_t kMaxPolicyNameSize = 64;
inline constexpr std::size_t kMaxBootApplications = 4096;
inline constexpr std::size_t kMaxImaAllowlist = 200000;
inline constexpr std::size_t kMaxAaguids = 1024;
inline constexpr std::size_t kMaxOsReleases = 256;
inline constexpr std::size_t kMaxReferenceSets = 64;
inline constexpr std::size_t kMaxBootAuthorities = 256;
inline constexpr std::size_t kMaxCmdlineItems = 64;       // each of required / forbidden
inline constexpr std::size_t kMaxCmdlineItemSize = 256;
inline constexpr std::size_t kMaxDbxRequired = 4096;
inline constexpr std::size_t kMaxOwnerCerts = 64;  // per variable in "boot.secure_boot_owners"
inline constexpr std::size_t kMaxKnownImages = 4096;  // "boot.images"
inline constexpr std::size_t kMaxImageLabelSize = 256;  // package / file of a "boot.images" entry
inline constexpr std::size_t kMaxImaRequired = 256;          // "ima.required" entries
inline constexpr std::size_t kMaxImaRequiredDigests = 64;    // digests of one entry
inline constexpr std::size_t kMaxImaPathSize = 4096;         // PATH_MAX
inline constexpr std::int64_t kMinTokenTtl = 60;
inline constexpr std::int64_t kMaxTokenTtl = 86400;
inline constexpr std::int64_t kMaxAttestationAge = 30 * 86400;
inline constexpr std::string_view kDefaultPolicyName = "default";
// kPolicySchema is the schema of the policy document this code reads and
// writes. Documents stored before "schema" existed have none and are schema 1.
inline constexpr std::int64_t kPolicySchema = 1;

// ReferenceSet is one named set of admin reference values with an optional
// end: a fleet keeps the old firmware's set while the new one rolls out
// (`pawctl policy capture ID --add --name bios-1.22 --expire 14d`).
struct ReferenceSet {
  std::string name;            // [a-z0-9._-]{1,64}, unique within the policy
  std::int64_t not_after = 0;  // unix seconds after which it no longer matches; 0 = never ends
  PcrValues values;            // subset of PcrPolicy::required
  bool operator==(const ReferenceSet&) const = default;
};

// PcrPolicy names the PCRs that matter and what they must hold.
struct PcrPolicy {
  // required: per bank, the indices the quote must cover; each must equal its
  // reference (admin-set |reference| first, else the device's pinned value).
  std::map<HashAlg, std::set<std::uint32_t>> required;
  // reference: admin-set values (subset of |required|; hash_size(bank) bytes each).
  PcrValues reference;
  // sets: more reference sets. The PCRs are judged against ONE set — the
  // first of |reference| (when not empty) and the live |sets| whose values
  // all equal the quoted ones; PCRs that set does not name fall back to pins.
  std::vector<ReferenceSet> sets;
  // pin_on_enroll: a required PCR without an admin reference is pinned from the
  // device's first fully verified, otherwise healthy attestation.
  bool pin_on_enroll = true;
  bool operator==(const PcrPolicy&) const = default;
};

// ImaRequirement is one entry of "ima.required": a file (an executable, a
// kernel module, an ima-buf label) that must have been measured since boot,
// with one of |digests|. Judged only over IMA entries extended into PCR 10
// whose replay equals the quoted PCR 10 (appraisal_ima_rules.cpp).
struct ImaRequirement {
  std::string path;                // exactly as IMA logs it: 1..4096 bytes, no control characters
  std::set<std::string> digests;   // "<alg>:<lowercase hex>" (ima_digest_canonical), 1..64 of them
  bool operator==(const ImaRequirement&) const = default;
};

// ImaPolicy: if |required|, evidence must carry an IMA log; if |allowlist| is
// non-empty, every measured file digest must be in it; every entry of
// |required_files| must be measured (JSON: "required" is then that list, and
// |required| is true).
struct ImaPolicy {
  bool required = false;
  ByteSet allowlist;   // file data digests (any IMA hash algorithm)
  std::vector<ImaRequirement> required_files;   // non-empty needs |required|
  bool operator==(const ImaPolicy&) const = default;
};

// FidoPolicy: the owner's FIDO2 key at enrollment and on every attestation.
struct FidoPolicy {
  bool required = true;
  bool user_presence = true;
  bool user_verification = false;
  ByteSet aaguid_allowlist;     // 16-byte AAGUIDs; empty = any
  bool allow_zero_counter = false;      // some keys never count; off = frozen counter fails
  bool allow_self_attestation = false;
  bool allow_none_attestation = false;
  // Step-up presence at login: 0 = off; else a login (PoP /v1/authz,
  // credentials) needs an attestation with user presence this recent.
  std::int64_t login_presence_max_age_seconds = 0;
  bool operator==(const FidoPolicy&) const = default;
};

// HostPolicy: requirements on the agent-reported (and quote-covered) host facts.
struct HostPolicy {
  bool disk_encryption_required = true;
  std::vector<std::string> os_release_allowlist;   // exact PRETTY_NAME values; empty = any
  bool operator==(const HostPolicy&) const = default;
};

// Enforcement says how long a reason may be tolerated before it denies
// login (grace.h: which reasons may be graced, and how a verdict is graded).
struct Enforcement {
  std::map<std::string, std::int64_t> grace;   // reason code → seconds (1 .. kMaxGraceSeconds)
  bool operator==(const Enforcement&) const = default;
};

// KnownImage is one boot image whose Authenticode digest an admin recorded
// from a package (pawctl refs import-deb): the digest identifies the image in
// a verified event log; package, version and file say what it is.
struct KnownImage {
  Bytes sha256;         // Authenticode SHA-256 (pe.h), as PCR 4 events carry it
  std::string kind;     // "kernel" | "boot_loader"
  std::string package;  // Debian package name ("linux-image-6.1.0-18-amd64")
  std::string version;  // its Version (deb-version(7): "6.1.76-1")
  std::string file;     // path inside the package ("boot/vmlinuz-6.1.0-18-amd64"), a label
  bool operator==(const KnownImage&) const = default;
};

// BootRules judge the boot by what was measured rather than by the resulting
// PCR values, so a kernel or shim update signed by the same authority needs no
// policy change. Each rule reads its facts only from events of a PCR the
// quote binds (check_policy_bindings makes the policy require that PCR) and
// names the event that decided it in its reason.
struct BootRules {
  // authorities: SHA-256 of the variable data of every PCR 7
  // EV_EFI_VARIABLE_AUTHORITY event (a db entry's EFI_SIGNATURE_DATA: owner
  // GUID and certificate; shim's own: the certificate) —
  // the db entry (or shim's vendor / MOK certificate) that verified a boot
  // application — as `pawctl eventlog facts` prints them. Non-empty: every
  // such event must be in the set (boot_authority_not_allowed), and a boot
  // application outside "boot_applications" is then allowed when all
  // authorities are (with Secure Boot on). Needs PCR 7.
  ByteSet authorities;
  // cmdline_required / cmdline_forbidden: whole whitespace-separated tokens
  // of every kernel command line measured in PCR 8 (grub's "kernel_cmdline:",
  // systemd-boot's load options). An item ending in '=' matches every token
  // that starts with it ("init=" forbids any init=...). Needs PCR 8.
  std::vector<std::string> cmdline_required;
  std::vector<std::string> cmdline_forbidden;
  // dbx_required: SHA-256 image digests the measured dbx must revoke
  // (dbx_outdated otherwise). Needs PCR 7.
  ByteSet dbx_required;
  // owner_pk / owner_kek ("secure_boot_owners"): SHA-256 fingerprints of the
  // X.509 certificates (DER) the measured PK / KEK may hold; when a list is
  // not empty, every entry of every PCR 7 measurement of that variable must
  // be one of them and it must be measured (secure_boot_keys_unexpected,
  // never graced). Needs PCR 7.
  ByteSet owner_pk;
  ByteSet owner_kek;
  // images ("images"): boot images known by package and version. Alone they
  // judge nothing; min_kernel reads them.
  std::vector<KnownImage> images;
  // min_kernel ("min_kernel"): a Debian version. Every PCR 4 boot
  // application must be one of |images| (or in the policy's
  // "boot_applications"), at least one a kernel, and every kernel at least
  // this version (kernel_outdated; kernel_unknown when an application is not
  // known or no kernel is measured). The version is the measured image's, by
  // digest, never what the workstation says it runs. Needs PCR 4.
  std::string min_kernel;
  // min_sbat ("min_sbat": {"date": "2023012900", "components": {"shim": 2}}):
  // shim's revocation level (sbat.h). EVERY SbatLevel that PCR 7 measures
  // must carry at least this datestamp and these component generations
  // (sbat_outdated), and Secure Boot must be proven on with at least one
  // SbatLevel measured (sbat_unknown). Needs PCR 7.
  SbatMinimum min_sbat;
  [[nodiscard]] bool empty() const noexcept {
    return authorities.empty() && cmdline_required.empty() && cmdline_forbidden.empty() && dbx_required.empty() &&
           owner_pk.empty() && owner_kek.empty() && images.empty() && min_kernel.empty() && min_sbat.empty();
  }
  // known_image returns the entry of |images| with digest |sha256|, or nullptr.
  [[nodiscard]] const KnownImage* known_image(ByteView sha256) const noexcept;
  bool operator==(const BootRules&) const = default;
};

// TokenBinding is how /v1/authz accepts a result token.
enum class TokenBinding {
  pop,     // with proof of the token's cnf key (DPoP, RFC 9449; later the client certificate, RFC 8705)
  bearer,  // the token alone (migration from before login keys)
};
// token_binding_name: "pop" | "bearer".
std::string_view token_binding_name(TokenBinding b) noexcept;

// LoginPolicy: how logins present the result token.
struct LoginPolicy {
  TokenBinding token_binding = TokenBinding::pop;
  bool operator==(const LoginPolicy&) const = default;
};

// LearnPolicy (JSON "learn": {"min_devices": N}): learn mode. A boot
// application (PCR 4) or IMA file digest (PCR 10) that the policy's
// non-empty allowlist does not hold, seen in verified evidence of at least N
// distinct devices of this policy that are otherwise healthy, is queued for
// an admin (pawctl refs pending / approve / reject). Nothing is ever allowed
// without an admin. 0 = off (absent); 1 .. kMaxLearnMinDevices.
struct LearnPolicy {
  std::int64_t min_devices = 0;
  [[nodiscard]] bool on() const noexcept { return min_devices > 0; }
  bool operator==(const LearnPolicy&) const = default;
};
inline constexpr std::int64_t kMaxLearnMinDevices = 1000000;

// Policy is one parsed, validated policy document.
struct Policy {
  std::string name = std::string(kDefaultPolicyName);
  std::int64_t version = 1;
  PcrPolicy pcrs;
  bool secure_boot_required = true;
  ByteSet boot_applications;    // SHA-256 Authenticode digests; empty = any
  BootRules boot;               // JSON "boot": rules over PCR 7 / PCR 8 events
  bool event_log_required = true;
  ImaPolicy ima;
  FidoPolicy fido;
  std::int64_t max_attestation_age_seconds = 3600;
  std::int64_t token_ttl_seconds = 600;
  HostPolicy host;
  bool reboot_allowed = true;          // JSON "reboot": {"allow": ...}
  bool ek_allow_tofu = false;          // JSON "ek": {"allow_tofu": ...}
  bool require_admin_approval = false;
  Enforcement enforcement;             // no grace by default: every reason denies at once
  LoginPolicy login;                   // JSON "login": {"token_binding": ...}
  LearnPolicy learn;                   // JSON "learn": {"min_devices": N}; absent = off
  bool operator==(const Policy&) const = default;
};

// default_policy returns the built-in "default" policy, version 1: PoP tokens, sha256 PCRs
// 0, 2, 4, 7 required and pinned on enroll, Secure Boot and event log
// required, FIDO2 with user presence, disk encryption required, 1 h stale
// threshold, 10 min tokens, reboots allowed, no TOFU, no admin approval.
Policy default_policy();

// validate_policy checks a policy built in code (parse_policy calls it):
// name syntax, version range, PCR indices < kPcrCount, reference values
// sized for their bank and listed in |required|, digest sizes (boot
// applications 32 bytes, AAGUIDs 16), TTL/age ranges, list limits.
// Errc::malformed naming the first problem.
Status validate_policy(const Policy& policy);

// check_policy_bindings refuses, when a policy is SET (admin API PUT, pawctl
// policy set), a policy asking for an event-log fact without requiring the
// PCR that binds it: "secure_boot_required" needs PCR 7 and a
// "boot_applications" allowlist needs PCR 4, "boot.authorities" and
// "boot.dbx" need PCR 7, "boot.kernel_cmdline" needs PCR 8 and
// "boot.min_kernel" needs PCRs 4 and 7, "boot.min_sbat" PCR 7, in
// "pcrs.required" of a bank of SHA-256 or stronger (so the quote must carry it; the appraisal then reads
// those facts only from events of a PCR the quote binds). Errc::malformed
// with the fix. Not part of validate_policy: a policy stored before this
// rule still loads (its verdicts say "Secure Boot state unknown" when PCR 7
// is not bound).
Status check_policy_bindings(const Policy& policy);

// parse_policy parses a policy document strictly: Errc::too_large over
// kMaxPolicySize, Errc::malformed for bad JSON, unknown fields, wrong types or
// anything validate_policy refuses.
Result<Policy> parse_policy(std::string_view json_text);
Result<Policy> policy_from_json(const json::ObjectPtr& obj);
// parse_stored_policy parses a document the verifier stored earlier. Every
// document stored since "login" existed has it (serialize_policy writes every
// field), so one without it predates proof-of-possession and keeps working as
// it did: token_binding "bearer". Documents arriving over the admin API go
// through parse_policy, where an absent "login" means "pop".
Result<Policy> parse_stored_policy(std::string_view json_text);

// serialize_policy writes the full document (all fields, compact JSON; an
// empty "boot.min_sbat" is left out, as it would be a lint warning);
// parse_policy(serialize_policy(p)) == p.
std::string serialize_policy(const Policy& policy);
json::ObjectPtr policy_to_json(const Policy& policy);
// known_image_to_json writes one "boot.images" entry as the policy holds it
// (pawctl refs import-deb --json prints the same objects).
json::ObjectPtr known_image_to_json(const KnownImage& image);

// boot_rules_from_json reads the "boot" object strictly (unknown fields,
// wrong types, non-hex or non-SHA-256 digests, bad command-line items
// refused); boot_rules_to_json writes every field. validate_boot_rules:
// sizes and limits, command-line items of 1 to 256 printable ASCII characters
// without whitespace, no item twice, no required item that a forbidden one
// matches. Errc::malformed / too_large. (policy_boot.cpp)
Result<BootRules> boot_rules_from_json(const json::ObjectPtr& obj);
json::ObjectPtr boot_rules_to_json(const BootRules& rules);
Status validate_boot_rules(const BootRules& rules);
// cmdline_item_matches: |token| (one whitespace-separated word of a kernel
// command line) is |item|, or starts with it when |item| ends in '='.
bool cmdline_item_matches(std::string_view item, std::string_view token) noexcept;

// ima_required_from_json reads the array form of "ima.required" strictly
// (entries {"path", "digests"}, nothing else; digests "<alg>:<hex>" with alg
// sha1, sha224, sha256, sha384, sha512 or sm3 and the hex that algorithm's
// size; no path twice); ima_required_to_json writes it back.
// validate_ima_policy: the limits above, canonical digests, and
// |required_files| only with |required|. Errc::malformed / too_large.
// (policy_ima.cpp)
Result<std::vector<ImaRequirement>> ima_required_from_json(const json::ArrayPtr& arr);
json::ArrayPtr ima_required_to_json(const std::vector<ImaRequirement>& required);
Status validate_ima_policy(const ImaPolicy& ima);
// ima_digest_canonical reads "<alg>:<hex>" (any case) into the canonical
// "<alg>:<lowercase hex>", or says what is wrong with it (Errc::malformed).
Result<std::string> ima_digest_canonical(std::string_view text);

// parse_aaguid reads "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" or 32 hex digits.
Result<Bytes> parse_aaguid(std::string_view text);
// format_aaguid writes the dashed UUID form (lowercase).
std::string format_aaguid(ByteView aaguid);

}  // namespace paw

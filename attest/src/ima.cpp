// ima.cpp — parsing IMA runtime measurement lists (binary and ASCII).
#include "paw/attest/ima.h"

#include <algorithm>
#include <cstring>

#include "eventlog_internal.h"
#include "ima_internal.h"

namespace paw {
namespace {

// IMA_TEMPLATE_NAME_LEN_MAX and IMA_EVENT_NAME_LEN_MAX (security/integrity/ima/ima.h).
constexpr std::uint32_t kMaxTemplateName = 255;
constexpr std::uint32_t kMaxEventName = 255;
// A template's data is a few KiB at most (a signature, a buffer such as a key).
constexpr std::uint32_t kMaxTemplateData = 1u << 20;
constexpr std::size_t kSha1Size = 20;

Error bad(std::size_t index, std::size_t offset, bool ascii, const std::string& what) {
  return make_error(Errc::ima_malformed, "entry " + std::to_string(index) + (ascii ? " at line " : " at offset ") +
                                             std::to_string(offset) + ": " + what);
}

bool is_field_id(std::string_view id) {
  static constexpr std::string_view kIds[] = {"d",      "n",        "d-ng",  "d-ngv2",     "n-ng",
                                              "sig",    "buf",      "d-modsig", "modsig",  "evmsig",
                                              "iuid",   "igid",     "imode", "xattrnames", "xattrlengths",
                                              "xattrvalues"};
  return std::find(std::begin(kIds), std::end(kIds), id) != std::end(kIds);
}

std::string_view text_of(ByteView b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

std::optional<std::string> alg_for_size(std::size_t size) {
  switch (size) {
    case 16: return "md5";
    case 20: return "sha1";
    case 32: return "sha256";
    case 48: return "sha384";
    case 64: return "sha512";
    default: return std::nullopt;
  }
}

}  // namespace

std::vector<std::string> ima_template_fields(std::string_view name) {
  if (name == "ima") return {"d", "n"};
  if (name == "ima-ng") return {"d-ng", "n-ng"};
  if (name == "ima-ngv2") return {"d-ngv2", "n-ng"};
  if (name == "ima-sig") return {"d-ng", "n-ng", "sig"};
  if (name == "ima-sigv2") return {"d-ngv2", "n-ng", "sig"};
  if (name == "ima-buf") return {"d-ng", "n-ng", "buf"};
  if (name == "ima-modsig") return {"d-ng", "n-ng", "sig", "d-modsig", "modsig"};
  if (name == "evm-sig") {
    return {"d-ng", "n-ng", "evmsig", "xattrnames", "xattrlengths", "xattrvalues", "iuid", "igid", "imode"};
  }
  // A custom descriptor names its fields: "d-ng|sig".
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t bar = std::min(name.find('|', start), name.size());
    const std::string_view id = name.substr(start, bar - start);
    if (!is_field_id(id)) return {};
    out.emplace_back(id);
    start = bar + 1;
  }
  return out;
}

// ImaParser fills entries; a friend of ImaEntry/ImaLog.
class ImaParser {
 public:
  // decode splits |e.template_data| into fields and decodes them.
  static Status decode(ImaEntry& e, bool ascii) {
    if (e.template_name == "ima") return decode_ima(e, ascii);
    const std::vector<std::string> ids = ima_template_fields(e.template_name);
    Reader r(e.template_data);
    while (!r.done()) {
      ImaField f;
      if (!r.u32le_prefixed(f.data)) return bad(e.index, e.offset, ascii, "template field length runs past the data");
      const std::size_t i = e.fields.size();
      f.id = i < ids.size() ? ids[i] : "?";
      e.fields.push_back(std::move(f));
    }
    if (!ids.empty() && e.fields.size() != ids.size()) {
      return bad(e.index, e.offset, ascii,
                 "template " + e.template_name + " has " + std::to_string(e.fields.size()) + " fields, want " +
                     std::to_string(ids.size()));
    }
    for (const ImaField& f : e.fields) PAW_CHECK(decode_field(e, f, ascii));
    return ok_status();
  }

  // Template "ima" (binary): 20-byte SHA-1 digest, u32 name length, name (no NUL).
  static Status decode_ima(ImaEntry& e, bool ascii) {
    Reader r(e.template_data);
    ImaField d{"d", {}}, n{"n", {}};
    if (!r.bytes(kSha1Size, d.data) || !r.u32le_prefixed(n.data) || !r.done()) {
      return bad(e.index, e.offset, ascii, "template ima data is not digest + name");
    }
    if (n.data.size() > kMaxEventName) return bad(e.index, e.offset, ascii, "template ima name over 255 bytes");
    e.file_hash_alg = "sha1";
    e.file_digest = d.data;
    e.path = std::string(text_of(n.data));
    e.fields.push_back(std::move(d));
    e.fields.push_back(std::move(n));
    return ok_status();
  }

  static Status decode_field(ImaEntry& e, const ImaField& f, bool ascii) {
    if (f.id == "d-ng" || f.id == "d-ngv2") {
      // "<alg>:\0<digest>" ("ima:<alg>:\0" / "verity:<alg>:\0" for d-ngv2).
      const auto nul = std::find(f.data.begin(), f.data.end(), std::uint8_t{0});
      if (nul == f.data.end() || nul == f.data.begin() || *(nul - 1) != ':') {
        return bad(e.index, e.offset, ascii, f.id + " field lacks its \"<alg>:\\0\" prefix");
      }
      std::string prefix(f.data.begin(), nul - 1);
      if (f.id == "d-ngv2") {
        const auto colon = prefix.find(':');
        if (colon == std::string::npos) return bad(e.index, e.offset, ascii, "d-ngv2 field lacks its type");
        prefix = prefix.substr(colon + 1);
      }
      e.file_hash_alg = prefix;
      e.file_digest = f.data.subspan(static_cast<std::size_t>(nul - f.data.begin()) + 1);
      if (auto known = hash_from_name(prefix); known && hash_size(*known) != e.file_digest.size()) {
        return bad(e.index, e.offset, ascii,
                   prefix + " digest of " + std::to_string(e.file_digest.size()) + " bytes");
      }
    } else if (f.id == "d") {
      e.file_digest = f.data;
      e.file_hash_alg = alg_for_size(f.data.size()).value_or("unknown");
    } else if (f.id == "n-ng" || f.id == "n") {
      ByteView name = f.data;
      if (!name.empty() && name.back() == 0) name = name.first(name.size() - 1);
      e.path = std::string(text_of(name));
    } else if (f.id == "sig") {
      e.signature = f.data;
    } else if (f.id == "buf") {
      e.buffer = f.data;
    }
    return ok_status();
  }

  static Status binary_entry(Reader& r, std::size_t hash_size_bytes, ImaEntry& e) {
    ByteView name;
    std::uint32_t name_len = 0;
    if (!r.u32le(e.pcr) || !r.bytes(hash_size_bytes, e.template_hash) || !r.u32le(name_len)) {
      return bad(e.index, e.offset, false, "truncated entry header");
    }
    if (name_len == 0 || name_len > kMaxTemplateName) {
      return bad(e.index, e.offset, false, "template name length " + std::to_string(name_len));
    }
    if (!r.bytes(name_len, name)) return bad(e.index, e.offset, false, "truncated template name");
    e.template_name = std::string(text_of(name));
    const std::size_t start = r.offset();
    if (e.template_name == "ima") {
      ByteView d, n;
      if (!r.bytes(kSha1Size, d) || !r.u32le_prefixed(n)) return bad(e.index, e.offset, false, "truncated ima template");
      e.template_data = ByteView(d.data(), r.offset() - start);
    } else {
      std::uint32_t len = 0;
      if (!r.u32le(len)) return bad(e.index, e.offset, false, "truncated template data length");
      if (len > kMaxTemplateData) return bad(e.index, e.offset, false, "template data of " + std::to_string(len) + " bytes");
      if (!r.bytes(len, e.template_data)) {
        return bad(e.index, e.offset, false,
                   "template data of " + std::to_string(len) + " bytes runs past the list");
      }
    }
    e.violation = std::all_of(e.template_hash.begin(), e.template_hash.end(), [](std::uint8_t b) { return b == 0; });
    return decode(e, false);
  }

  static Result<ImaLog> binary(ByteView list, HashAlg alg) {
    if (list.size() > kMaxImaLogSize) return make_error(Errc::too_large, "IMA list of " + std::to_string(list.size()) + " bytes");
    if (list.empty()) return make_error(Errc::ima_malformed, "empty IMA list");
    ImaLog out;
    out.template_hash_alg_ = alg;
    out.entries_.reserve(list.size() / 128 + 1);
    Reader r(list);
    while (!r.done()) {
      ImaEntry e;
      e.index = out.entries_.size();
      e.offset = r.offset();
      PAW_CHECK(binary_entry(r, hash_size(alg), e));
      out.entries_.push_back(std::move(e));
    }
    return out;
  }

  static Result<ImaLog> ascii(std::string_view text);
  static Status ascii_line(std::string_view line, std::size_t index, std::size_t lineno, ImaLog& log);
};

Result<ImaLog> parse_ima_binary(ByteView list, HashAlg template_hash_alg) {
  if (hash_size(template_hash_alg) == 0) return make_error(Errc::unsupported, "unknown template hash algorithm");
  return ImaParser::binary(list, template_hash_alg);
}

Result<ImaLog> parse_ima_ascii(std::string_view text) { return ImaParser::ascii(text); }

// guess_template_hash_alg picks the template-hash size for which the first
// entry's template name length is 1..255 and the name is printable.
std::optional<HashAlg> guess_template_hash_alg(ByteView list) {
  for (const HashAlg alg : {HashAlg::sha1, HashAlg::sha256, HashAlg::sha384, HashAlg::sha512}) {
    Reader r(list);
    std::uint32_t pcr = 0, len = 0;
    ByteView name;
    if (!r.u32le(pcr) || !r.skip(hash_size(alg)) || !r.u32le(len) || len == 0 || len > kMaxTemplateName ||
        !r.bytes(len, name)) {
      continue;
    }
    if (std::all_of(name.begin(), name.end(), [](std::uint8_t c) { return c > 0x20 && c < 0x7F; })) return alg;
  }
  return std::nullopt;
}

Result<ImaLog> parse_ima_list(ByteView list, std::optional<HashAlg> template_hash_alg) {
  if (!list.empty() && list[0] >= '0' && list[0] <= '9') {
    return parse_ima_ascii(text_of(list));
  }
  if (!template_hash_alg) template_hash_alg = guess_template_hash_alg(list);
  if (!template_hash_alg) {
    if (list.empty()) return make_error(Errc::ima_malformed, "empty IMA list");
    return make_error(Errc::ima_malformed, "entry 0 at offset 0: no template hash size gives a template name");
  }
  return parse_ima_binary(list, *template_hash_alg);
}

// --- ASCII ---------------------------------------------------------------

namespace {

void put_u32le(Bytes& b, std::size_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

std::vector<std::string_view> split_spaces(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t sp = line.find(' ', start);
    out.push_back(line.substr(start, sp == std::string_view::npos ? std::string_view::npos : sp - start));
    if (sp == std::string_view::npos) break;
    start = sp + 1;
  }
  return out;
}

Result<Bytes> unhex_field(std::string_view s, const std::string& what) {
  auto b = unhex(s);
  if (!b.ok()) return make_error(Errc::ima_malformed, what + " is not hex");
  return b;
}

}  // namespace

Status ImaParser::ascii_line(std::string_view line, std::size_t index, std::size_t lineno, ImaLog& log) {
  const auto tokens = split_spaces(line);
  auto fail = [&](const std::string& what) { return bad(index, lineno, true, what); };
  if (tokens.size() < 5) return fail("fewer than five fields");
  ImaEntry e;
  e.index = index;
  e.offset = lineno;
  std::uint32_t pcr = 0;
  for (char c : tokens[0]) {
    if (c < '0' || c > '9' || pcr > 1000) return fail("PCR is not a number");
    pcr = pcr * 10 + static_cast<std::uint32_t>(c - '0');
  }
  e.pcr = pcr;
  auto hash = unhex(tokens[1]);
  if (!hash.ok()) return fail("template hash is not hex");
  e.template_name = std::string(tokens[2]);
  const std::vector<std::string> ids = ima_template_fields(e.template_name);
  if (ids.size() < 2 || (ids[0] != "d" && ids[0] != "d-ng") || (ids[1] != "n" && ids[1] != "n-ng")) {
    return fail("template " + e.template_name + " cannot be read from an ASCII list");
  }
  // tokens[3] is the digest; the last |extras| tokens are hex fields (sig, buf, …);
  // the path is what lies between (it may contain spaces).
  const std::size_t extras = ids.size() - 2;
  const std::size_t rest = tokens.size() - 4;  // tokens after the digest
  const std::size_t taken = rest >= 1 + extras ? extras : 0;
  std::string path;
  for (std::size_t i = 4; i < tokens.size() - taken; ++i) {
    if (!path.empty() || i > 4) path += ' ';
    path += tokens[i];
  }
  Bytes data;
  if (e.template_name == "ima") {
    PAW_TRY(Bytes d, unhex_field(tokens[3], "digest"));
    if (d.size() != kSha1Size) return fail("template ima digest is not SHA-1");
    data = d;
    put_u32le(data, path.size());
    data.insert(data.end(), path.begin(), path.end());
  } else {
    Bytes field;
    if (ids[0] == "d-ng") {
      const auto colon = tokens[3].find(':');
      if (colon == std::string_view::npos) return fail("digest lacks its \"<alg>:\" prefix");
      PAW_TRY(Bytes d, unhex_field(tokens[3].substr(colon + 1), "digest"));
      field.assign(tokens[3].begin(), tokens[3].begin() + static_cast<std::ptrdiff_t>(colon + 1));
      field.push_back(0);
      field.insert(field.end(), d.begin(), d.end());
    } else {
      PAW_TRY(Bytes d, unhex_field(tokens[3], "digest"));
      field = d;
    }
    put_u32le(data, field.size());
    data.insert(data.end(), field.begin(), field.end());
    const std::size_t name_len = path.size() + (ids[1] == "n-ng" ? 1 : 0);
    put_u32le(data, name_len);
    data.insert(data.end(), path.begin(), path.end());
    if (ids[1] == "n-ng") data.push_back(0);
    for (std::size_t i = 0; i < extras; ++i) {
      Bytes x;
      if (taken != 0) {
        PAW_TRY(x, unhex_field(tokens[tokens.size() - taken + i], ids[2 + i]));
      }
      put_u32le(data, x.size());
      data.insert(data.end(), x.begin(), x.end());
    }
  }
  e.owned_.reserve(hash->size() + data.size());
  e.owned_ = *hash;
  e.owned_.insert(e.owned_.end(), data.begin(), data.end());
  e.template_hash = ByteView(e.owned_).first(hash->size());
  e.template_data = ByteView(e.owned_).subspan(hash->size());
  e.violation = std::all_of(e.template_hash.begin(), e.template_hash.end(), [](std::uint8_t b) { return b == 0; });
  PAW_CHECK(decode(e, true));
  log.entries_.push_back(std::move(e));
  return ok_status();
}

Result<ImaLog> ImaParser::ascii(std::string_view text) {
  if (text.size() > kMaxImaLogSize) return make_error(Errc::too_large, "IMA list of " + std::to_string(text.size()) + " bytes");
  ImaLog out;
  out.ascii_ = true;
  std::size_t lineno = 0, start = 0;
  std::optional<std::size_t> hash_len;
  while (start < text.size()) {
    const std::size_t nl = text.find('\n', start);
    std::string_view line = text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    start = nl == std::string_view::npos ? text.size() : nl + 1;
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    PAW_CHECK(ascii_line(line, out.entries_.size(), lineno, out));
    const std::size_t len = out.entries_.back().template_hash.size();
    if (hash_len && *hash_len != len) return bad(out.entries_.size() - 1, lineno, true, "template hash size changes");
    hash_len = len;
  }
  if (out.entries_.empty()) return make_error(Errc::ima_malformed, "empty IMA list");
  const auto alg = hash_len == 20 ? std::optional(HashAlg::sha1) : hash_len == 32 ? std::optional(HashAlg::sha256)
                   : hash_len == 48 ? std::optional(HashAlg::sha384) : hash_len == 64 ? std::optional(HashAlg::sha512)
                                                                       : std::nullopt;
  if (!alg) return make_error(Errc::ima_malformed, "template hash of " + std::to_string(*hash_len) + " bytes");
  out.template_hash_alg_ = *alg;
  return out;
}

// ima_template_hash: template "ima" hashes digest || name padded to 256 bytes
// (ima_calc_field_array_hash); every other template hashes its template data.
bool ima_template_hash(Hasher& h, const ImaEntry& e, std::uint8_t* out) {
  if (e.template_name != "ima") return h.hash(e.template_data, {}, out);
  std::array<std::uint8_t, kMaxEventName + 1> name{};
  const ByteView n = e.fields.size() == 2 ? e.fields[1].data : ByteView{};
  std::memcpy(name.data(), n.data(), std::min(n.size(), name.size()));
  const ByteView d = e.fields.empty() ? ByteView{} : e.fields[0].data;
  return h.hash(d, name, out);
}

}  // namespace paw

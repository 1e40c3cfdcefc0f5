// ctap2.cpp — CTAP2 commands of the virtual authenticator (CTAP 2.1 section 6).
// Requests are decoded with libcbor; replies are written in canonical order.
#include <cbor.h>

#include <algorithm>
#include <cstring>

#include "internal.h"
#include "paw/attest/digest.h"
#include "paw/attest/secure.h"

namespace paw::vfido {
namespace {

// CTAP 2.1, 8.2 status codes.
constexpr std::uint8_t kOk = 0x00, kInvalidCommand = 0x01, kInvalidCbor = 0x12, kMissingParameter = 0x14,
                       kCredentialExcluded = 0x19, kUnsupportedAlgorithm = 0x26, kOperationDenied = 0x27,
                       kUnsupportedOption = 0x2b, kInvalidOption = 0x2c, kNoCredentials = 0x2e,
                       kUserActionTimeout = 0x2f, kNotAllowed = 0x30, kPinRequired = 0x36, kOther = 0x7f;
// CTAP 2.1, 6.1 authenticator data flags.
constexpr std::uint8_t kFlagUp = 0x01, kFlagAt = 0x40;

struct CborFree {
  void operator()(cbor_item_t* p) const noexcept { cbor_decref(&p); }
};
using Item = std::unique_ptr<cbor_item_t, CborFree>;

Bytes status(std::uint8_t code) { return Bytes{code}; }

const cbor_item_t* map_get(const cbor_item_t* map, std::uint64_t key) {
  if (map == nullptr || !cbor_isa_map(map)) return nullptr;
  const cbor_pair* pairs = cbor_map_handle(map);
  for (std::size_t i = 0; i < cbor_map_size(map); ++i)
    if (cbor_isa_uint(pairs[i].key) && cbor_get_int(pairs[i].key) == key) return pairs[i].value;
  return nullptr;
}

const cbor_item_t* map_get(const cbor_item_t* map, std::string_view key) {
  if (map == nullptr || !cbor_isa_map(map)) return nullptr;
  const cbor_pair* pairs = cbor_map_handle(map);
  for (std::size_t i = 0; i < cbor_map_size(map); ++i) {
    const cbor_item_t* k = pairs[i].key;
    if (cbor_isa_string(k) && cbor_string_is_definite(k) && cbor_string_length(k) == key.size() &&
        std::memcmp(cbor_string_handle(k), key.data(), key.size()) == 0)
      return pairs[i].value;
  }
  return nullptr;
}

bool get_bytes(const cbor_item_t* item, Bytes& out) {
  if (item == nullptr || !cbor_isa_bytestring(item) || !cbor_bytestring_is_definite(item)) return false;
  out.assign(cbor_bytestring_handle(item), cbor_bytestring_handle(item) + cbor_bytestring_length(item));
  return true;
}

bool get_text(const cbor_item_t* item, std::string& out) {
  if (item == nullptr || !cbor_isa_string(item) || !cbor_string_is_definite(item)) return false;
  out.assign(reinterpret_cast<const char*>(cbor_string_handle(item)), cbor_string_length(item));
  return true;
}

bool get_int(const cbor_item_t* item, std::int64_t& out) {
  if (item == nullptr) return false;
  if (cbor_isa_uint(item)) out = static_cast<std::int64_t>(cbor_get_int(item));
  else if (cbor_isa_negint(item)) out = -1 - static_cast<std::int64_t>(cbor_get_int(item));
  else return false;
  return true;
}

// get_option reads options[name]; |out| keeps its default when absent. False on a non-bool.
bool get_option(const cbor_item_t* options, std::string_view name, bool& out) {
  const cbor_item_t* v = map_get(options, name);
  if (v == nullptr) return true;
  if (!cbor_is_bool(v)) return false;
  out = cbor_get_bool(v);
  return true;
}

// list_ids collects the "id" of each PublicKeyCredentialDescriptor in |list|.
bool list_ids(const cbor_item_t* list, std::vector<Bytes>& out) {
  if (list == nullptr) return true;
  if (!cbor_isa_array(list)) return false;
  cbor_item_t** items = cbor_array_handle(list);
  for (std::size_t i = 0; i < cbor_array_size(list); ++i) {
    Bytes id;
    if (!get_bytes(map_get(items[i], "id"), id)) return false;
    out.push_back(std::move(id));
  }
  return true;
}

// presence_fault answers the fault switches that stand in for a touch.
std::uint8_t presence_fault(const State& st) {
  if (st.has(Fault::deny_touch)) return kOperationDenied;
  if (st.has(Fault::timeout)) return kUserActionTimeout;
  return kOk;
}

Bytes rp_id_hash(const State& st, const std::string& rp_id) {
  return sha256(as_bytes(st.has(Fault::wrong_rp_id_hash) ? rp_id + ".evil" : rp_id));
}

void put_u32be(Bytes& out, std::uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void maybe_corrupt(const State& st, Bytes& sig) {
  if (st.has(Fault::corrupt_signature) && !sig.empty()) sig[sig.size() / 2] ^= 0x01;
}

// attested_auth_data = rpIdHash | flags | signCount | aaguid | credIdLen | credId | COSE key (CTAP 2.1 6.1).
Bytes attested_auth_data(const State& st, const Credential& cred, ByteView cose) {
  Bytes ad = rp_id_hash(st, cred.rp_id);
  ad.push_back(static_cast<std::uint8_t>((st.has(Fault::clear_up) ? 0 : kFlagUp) | kFlagAt));
  put_u32be(ad, cred.counter);
  ad.insert(ad.end(), st.aaguid.begin(), st.aaguid.end());
  ad.push_back(static_cast<std::uint8_t>(cred.id.size() >> 8));
  ad.push_back(static_cast<std::uint8_t>(cred.id.size()));
  ad.insert(ad.end(), cred.id.begin(), cred.id.end());
  ad.insert(ad.end(), cose.begin(), cose.end());
  return ad;
}

Bytes getinfo_reply(const State& st) {
  CborOut c;
  c.raw(status(kOk));
  c.map(5);
  c.uint(1), c.array(1), c.text("FIDO_2_0");
  c.uint(3), c.bytes(st.aaguid);
  c.uint(4), c.map(3), c.text("rk"), c.boolean(true), c.text("up"), c.boolean(true), c.text("plat"), c.boolean(false);
  c.uint(5), c.uint(2048);
  c.uint(10), c.array(2);
  for (int alg : {-7, -8}) c.map(2), c.text("alg"), c.integer(alg), c.text("type"), c.text("public-key");
  return c.data();
}

// attestation_statement signs authData || clientDataHash as the state's mode says.
Result<Bytes> attestation_statement(const State& st, const Credential& cred, ByteView auth_data, ByteView cdh,
                                    std::string& fmt) {
  Bytes signed_data(auth_data.begin(), auth_data.end());
  signed_data.insert(signed_data.end(), cdh.begin(), cdh.end());
  CborOut c;
  if (st.attestation == Attestation::none) {
    fmt = "none";
    c.map(0);
    return c.data();
  }
  fmt = "packed";
  if (st.attestation == Attestation::self) {
    PAW_TRY(Bytes sig, sign(cred.private_key, cred.algorithm, signed_data));
    maybe_corrupt(st, sig);
    c.map(2), c.text("alg"), c.integer(cred.algorithm), c.text("sig"), c.bytes(sig);
    return c.data();
  }
  PAW_TRY(BatchAttestation batch, batch_attestation(st.aaguid));
  PAW_TRY(Bytes sig, sign(batch.key_pkcs8, -7, signed_data));
  maybe_corrupt(st, sig);
  c.map(3), c.text("alg"), c.integer(-7), c.text("sig"), c.bytes(sig), c.text("x5c"), c.array(1), c.bytes(batch.cert_der);
  return c.data();
}

}  // namespace

Bytes Ctap2::handle(ByteView request) {
  if (request.empty()) return status(kInvalidCommand);
  StateLock lock(path_);  // another process may be using the same key
  auto st = load_state(path_);
  if (!st.ok()) return status(kOther);
  bool dirty = false;
  Bytes reply;
  switch (request[0]) {  // CTAP 2.1, 6: authenticator API command bytes
    case 0x01: reply = make_credential(*st, request.subspan(1), dirty); break;
    case 0x02: reply = get_assertion(*st, request.subspan(1), dirty); break;
    case 0x04: reply = getinfo_reply(*st); break;
    case 0x07: reply = reset(*st, dirty); break;
    case 0x08: reply = get_next_assertion(*st, dirty); break;
    default: return status(kInvalidCommand);
  }
  if (request[0] != 0x02 && request[0] != 0x08) pending_.clear();  // getNextAssertion follows getAssertion only
  if (dirty && !save_state(path_, *st).ok()) return status(kOther);
  return reply;
}

Bytes Ctap2::make_credential(State& st, ByteView cbor, bool& dirty) {
  cbor_load_result res{};
  Item req(cbor_load(cbor.data(), cbor.size(), &res));
  if (!req || res.error.code != CBOR_ERR_NONE || res.read != cbor.size() || !cbor_isa_map(req.get()))
    return status(kInvalidCbor);
  Bytes cdh, user_id;
  std::string rp_id;
  if (!get_bytes(map_get(req.get(), 1u), cdh) || !get_text(map_get(map_get(req.get(), 2u), "id"), rp_id) ||
      !get_bytes(map_get(map_get(req.get(), 3u), "id"), user_id))
    return status(kMissingParameter);
  // pubKeyCredParams: the first algorithm paw supports wins.
  const cbor_item_t* params = map_get(req.get(), 4u);
  if (params == nullptr || !cbor_isa_array(params)) return status(kMissingParameter);
  int alg = 0;
  for (std::size_t i = 0; i < cbor_array_size(params) && alg == 0; ++i) {
    std::int64_t a = 0;
    if (get_int(map_get(cbor_array_handle(params)[i], "alg"), a) && (a == -7 || a == -8)) alg = static_cast<int>(a);
  }
  if (alg == 0) return status(kUnsupportedAlgorithm);
  const cbor_item_t* options = map_get(req.get(), 7u);
  bool rk = false, uv = false, up = true;
  if (!get_option(options, "rk", rk) || !get_option(options, "uv", uv) || !get_option(options, "up", up))
    return status(kInvalidOption);
  if (uv) return status(kUnsupportedOption);          // no built-in user verification
  if (map_get(options, "up") != nullptr) return status(kInvalidOption);  // CTAP 2.1 6.1.2 step 5
  if (map_get(req.get(), 8u) != nullptr || st.has(Fault::pin_required)) return status(kPinRequired);
  std::vector<Bytes> exclude;
  if (!list_ids(map_get(req.get(), 5u), exclude)) return status(kInvalidCbor);
  if (std::uint8_t f = presence_fault(st); f != kOk) return status(f);
  for (const Credential& c : st.credentials)
    for (const Bytes& id : exclude)
      if (c.rp_id == rp_id && ct_equal(c.id, id)) return status(kCredentialExcluded);

  Credential cred;
  cred.algorithm = alg;
  cred.resident = rk;
  cred.rp_id = rp_id;
  cred.user_id = user_id;
  auto id = random_bytes(32);
  auto key = generate_key(alg);
  if (!id.ok() || !key.ok()) return status(kOther);
  cred.id = std::move(id).value();
  cred.private_key = std::move(key).value();
  auto cose = cose_public_key(cred.private_key, alg);
  if (!cose.ok()) return status(kOther);

  const Bytes ad = attested_auth_data(st, cred, *cose);
  std::string fmt;
  auto att = attestation_statement(st, cred, ad, cdh, fmt);
  if (!att.ok()) return status(kOther);
  st.credentials.push_back(std::move(cred));
  dirty = true;

  CborOut c;
  c.raw(status(kOk));
  c.map(3), c.uint(1), c.text(fmt), c.uint(2), c.bytes(ad), c.uint(3), c.raw(*att);
  return c.data();
}

Bytes Ctap2::assertion_reply(State& st, Credential& cred, bool up, bool with_count, std::size_t count, bool& dirty) {
  if (st.has(Fault::counter_rollback)) {
    if (cred.counter > 0) --cred.counter;
  } else if (!st.has(Fault::counter_frozen)) {
    ++cred.counter;
  }
  dirty = true;
  Bytes ad = rp_id_hash(st, cred.rp_id);
  ad.push_back(up && !st.has(Fault::clear_up) ? kFlagUp : 0);
  put_u32be(ad, cred.counter);
  Bytes signed_data = ad;
  signed_data.insert(signed_data.end(), pending_cdh_.begin(), pending_cdh_.end());
  auto sig = sign(cred.private_key, cred.algorithm, signed_data);
  if (!sig.ok()) return status(kOther);
  maybe_corrupt(st, *sig);

  CborOut c;
  c.raw(status(kOk));
  const bool with_user = cred.resident && !cred.user_id.empty();
  c.map(3 + (with_user ? 1 : 0) + (with_count ? 1 : 0));
  c.uint(1), c.map(2), c.text("id"), c.bytes(cred.id), c.text("type"), c.text("public-key");
  c.uint(2), c.bytes(ad);
  c.uint(3), c.bytes(*sig);
  if (with_user) c.uint(4), c.map(1), c.text("id"), c.bytes(cred.user_id);
  if (with_count) c.uint(5), c.uint(count);
  return c.data();
}

Bytes Ctap2::get_assertion(State& st, ByteView cbor, bool& dirty) {
  pending_.clear();
  cbor_load_result res{};
  Item req(cbor_load(cbor.data(), cbor.size(), &res));
  if (!req || res.error.code != CBOR_ERR_NONE || res.read != cbor.size() || !cbor_isa_map(req.get()))
    return status(kInvalidCbor);
  std::string rp_id;
  Bytes cdh;
  if (!get_text(map_get(req.get(), 1u), rp_id) || !get_bytes(map_get(req.get(), 2u), cdh))
    return status(kMissingParameter);
  std::vector<Bytes> allow;
  if (!list_ids(map_get(req.get(), 3u), allow)) return status(kInvalidCbor);
  const cbor_item_t* options = map_get(req.get(), 5u);
  bool up = true, uv = false;
  if (!get_option(options, "up", up) || !get_option(options, "uv", uv)) return status(kInvalidOption);
  if (uv) return status(kUnsupportedOption);
  if (map_get(req.get(), 6u) != nullptr || st.has(Fault::pin_required)) return status(kPinRequired);

  // Matching credentials: those in allowList for this rp, or (no allowList) the discoverable ones.
  std::vector<Bytes> matches;
  for (const Credential& c : st.credentials) {
    if (c.rp_id != rp_id) continue;
    bool ok = allow.empty() ? c.resident
                            : std::any_of(allow.begin(), allow.end(), [&](const Bytes& id) { return ct_equal(id, c.id); });
    if (ok) matches.push_back(c.id);
  }
  if (matches.empty()) return status(kNoCredentials);
  if (up)
    if (std::uint8_t f = presence_fault(st); f != kOk) return status(f);
  if (!allow.empty()) matches.resize(1);  // CTAP 2.1 6.2.2: with an allowList, one assertion
  pending_cdh_ = cdh;
  pending_up_ = up;
  auto it = std::find_if(st.credentials.begin(), st.credentials.end(),
                         [&](const Credential& c) { return ct_equal(c.id, matches[0]); });
  const std::size_t count = matches.size();
  pending_.assign(matches.begin() + 1, matches.end());
  return assertion_reply(st, *it, up, count > 1, count, dirty);
}

Bytes Ctap2::get_next_assertion(State& st, bool& dirty) {
  if (pending_.empty()) return status(kNotAllowed);
  Bytes id = pending_.front();
  pending_.erase(pending_.begin());
  auto it = std::find_if(st.credentials.begin(), st.credentials.end(),
                         [&](const Credential& c) { return ct_equal(c.id, id); });
  if (it == st.credentials.end()) return status(kNoCredentials);
  return assertion_reply(st, *it, pending_up_, false, 0, dirty);
}

Bytes Ctap2::reset(State& st, bool& dirty) {
  if (std::uint8_t f = presence_fault(st); f != kOk) return status(f);
  st.credentials.clear();
  dirty = true;
  return status(kOk);
}

}  // namespace paw::vfido

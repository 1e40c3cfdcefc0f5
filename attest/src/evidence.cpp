#include "paw/attest/evidence.h"

#include <charconv>

#include "paw/attest/digest.h"

namespace paw {
namespace {

std::string body_text(ByteView bytes) { return {reinterpret_cast<const char*>(bytes.data()), bytes.size()}; }

Result<std::uint32_t> parse_index(const std::string& key) {
  std::uint32_t index = 0;
  const char* end = key.data() + key.size();
  auto [ptr, ec] = std::from_chars(key.data(), end, index);
  // Canonical decimal only: "07" or "+7" would let two keys name one PCR.
  if (ec != std::errc{} || ptr != end || key.empty() || (key.size() > 1 && key[0] == '0')) {
    return make_error(Errc::malformed, "PCR index \"" + key + "\" is not a decimal number");
  }
  return index;
}

Result<FidoPresence> fido_from_json(const json::ObjectPtr& obj) {
  PAW_CHECK(json::only_keys(obj, {"credential_id", "auth_data", "signature", "client_data_hash"}, "fido"));
  FidoPresence f;
  PAW_TRY(f.credential_id, json::get_b64(obj, "credential_id", 1024));
  PAW_TRY(f.auth_data, json::get_b64(obj, "auth_data", 4096));
  PAW_TRY(f.signature, json::get_b64(obj, "signature", 1024));
  PAW_TRY(f.client_data_hash, json::opt_b64(obj, "client_data_hash", 32));
  if (f.client_data_hash && f.client_data_hash->size() != 32) {
    return make_error(Errc::malformed, "fido.client_data_hash must be 32 bytes");
  }
  return f;
}

}  // namespace

json::ObjectPtr pcrs_to_json(const PcrValues& pcrs) {
  json::ObjectPtr out = new Poco::JSON::Object();
  for (const auto& [alg, bank] : pcrs) {
    json::ObjectPtr b = new Poco::JSON::Object();
    for (const auto& [index, value] : bank) b->set(std::to_string(index), hex(value));
    out->set(std::string(hash_name(alg)), b);
  }
  return out;
}

Result<PcrValues> pcrs_from_json(const json::ObjectPtr& obj) {
  PcrValues out;
  for (const auto& [name, value] : *obj) {
    const auto alg = hash_from_name(name);
    if (!alg) return make_error(Errc::unsupported, "unknown PCR bank \"" + name + "\"");
    PAW_TRY(json::ObjectPtr bank, json::get_object(obj, name));
    PcrBank& dst = out[*alg];
    for (const auto& [key, ignored] : *bank) {
      PAW_TRY(std::uint32_t index, parse_index(key));
      PAW_TRY(Bytes v, json::get_hex(bank, key, 64));
      dst[index] = std::move(v);
    }
  }
  PAW_CHECK(validate_pcr_values(out));
  return out;
}

json::ObjectPtr host_to_json(const HostFacts& host) {
  json::ObjectPtr o = new Poco::JSON::Object();
  o->set("os_release", host.os_release);
  o->set("kernel", host.kernel);
  if (host.disk_encrypted) o->set("disk_encrypted", *host.disk_encrypted);
  if (host.secure_boot) o->set("secure_boot", *host.secure_boot);
  return o;
}

Result<HostFacts> host_from_json(const json::ObjectPtr& obj) {
  PAW_CHECK(json::only_keys(obj, {"os_release", "kernel", "disk_encrypted", "secure_boot"}, "host"));
  HostFacts h;
  PAW_TRY(h.os_release, json::get_string(obj, "os_release"));
  PAW_TRY(h.kernel, json::get_string(obj, "kernel"));
  PAW_TRY(h.disk_encrypted, json::opt_bool(obj, "disk_encrypted"));
  PAW_TRY(h.secure_boot, json::opt_bool(obj, "secure_boot"));
  if (h.os_release.size() > 256 || h.kernel.size() > 256) return make_error(Errc::too_large, "host facts too long");
  return h;
}

Bytes serialize_body(const EvidenceBody& body) {
  json::ObjectPtr o = new Poco::JSON::Object();
  o->set("version", kEvidenceVersion);
  o->set("device_id", body.device_id);
  o->set("nonce", hex(body.nonce));
  o->set("pcrs", pcrs_to_json(body.pcrs));
  if (body.event_log) o->set("event_log", base64(*body.event_log));
  if (body.ima_log) o->set("ima_log", base64(*body.ima_log));
  if (body.fido) {
    json::ObjectPtr f = new Poco::JSON::Object();
    f->set("credential_id", base64(body.fido->credential_id));
    f->set("auth_data", base64(body.fido->auth_data));
    f->set("signature", base64(body.fido->signature));
    if (body.fido->client_data_hash) f->set("client_data_hash", base64(*body.fido->client_data_hash));
    o->set("fido", f);
  }
  if (body.login_key_signature) o->set("login_key_signature", base64(*body.login_key_signature));
  o->set("host", host_to_json(body.host));
  o->set("agent_version", body.agent_version);
  return to_bytes(json::stringify(o));
}

Result<EvidenceBody> parse_body(ByteView bytes) {
  PAW_TRY(json::ObjectPtr o, json::parse_object(body_text(bytes), kMaxBodySize));
  PAW_CHECK(json::only_keys(o, {"version", "device_id", "nonce", "pcrs", "event_log", "ima_log", "fido", "host",
                                "agent_version", "login_key_signature"},
                            "evidence body"));
  PAW_TRY(std::int64_t version, json::get_int(o, "version"));
  if (version != kEvidenceVersion) {
    return make_error(Errc::unsupported, "evidence version " + std::to_string(version));
  }
  EvidenceBody b;
  PAW_TRY(b.device_id, json::get_string(o, "device_id"));
  if (b.device_id.empty() || b.device_id.size() > kMaxDeviceIdSize) {
    return make_error(Errc::malformed, "device_id must have 1 to 128 characters");
  }
  PAW_TRY(b.nonce, json::get_hex(o, "nonce", kNonceSize));
  if (b.nonce.size() != kNonceSize) return make_error(Errc::malformed, "nonce must be 32 bytes");
  PAW_TRY(json::ObjectPtr pcrs, json::get_object(o, "pcrs"));
  PAW_TRY(b.pcrs, pcrs_from_json(pcrs));
  PAW_TRY(b.event_log, json::opt_b64(o, "event_log", kMaxEventLogSize));
  PAW_TRY(b.ima_log, json::opt_b64(o, "ima_log", kMaxImaLogSize));
  if (o->has("fido") && !o->isNull("fido")) {
    PAW_TRY(json::ObjectPtr f, json::get_object(o, "fido"));
    PAW_TRY(FidoPresence fido, fido_from_json(f));
    b.fido = std::move(fido);
  }
  PAW_TRY(b.login_key_signature, json::opt_b64(o, "login_key_signature", kMaxTpmStructSize));
  PAW_TRY(json::ObjectPtr host, json::get_object(o, "host"));
  PAW_TRY(b.host, host_from_json(host));
  PAW_TRY(b.agent_version, json::get_string(o, "agent_version"));
  if (b.agent_version.size() > 64) return make_error(Errc::malformed, "agent_version too long");
  return b;
}

Envelope envelope_for(const EvidenceBody& body, Bytes body_bytes, Bytes attest, Bytes signature) {
  return Envelope{std::move(body_bytes), std::move(attest), std::move(signature), body.device_id, body.nonce};
}

std::string serialize_envelope(const Envelope& env) {
  json::ObjectPtr o = new Poco::JSON::Object();
  if (!env.device_id.empty()) o->set("device_id", env.device_id);
  if (!env.nonce.empty()) o->set("nonce", hex(env.nonce));
  o->set("body", base64(env.body));
  json::ObjectPtr q = new Poco::JSON::Object();
  q->set("attest", base64(env.attest));
  q->set("signature", base64(env.signature));
  o->set("quote", q);
  return json::stringify(o);
}

Result<Envelope> parse_envelope(std::string_view json_text) {
  PAW_TRY(json::ObjectPtr o, json::parse_object(json_text, kMaxEnvelopeSize, 4));
  PAW_CHECK(json::only_keys(o, {"device_id", "nonce", "body", "quote"}, "evidence envelope"));
  Envelope env;
  PAW_TRY(auto device_id, json::opt_string(o, "device_id"));
  PAW_TRY(auto nonce, json::opt_string(o, "nonce"));
  if (device_id.has_value() != nonce.has_value()) {
    return make_error(Errc::malformed, "evidence envelope: device_id and nonce come together");
  }
  if (device_id) {
    if (device_id->empty() || device_id->size() > kMaxDeviceIdSize) {
      return make_error(Errc::malformed, "evidence envelope: device_id must have 1 to 128 characters");
    }
    env.device_id = std::move(*device_id);
    PAW_TRY(env.nonce, json::get_hex(o, "nonce", kNonceSize));
    if (env.nonce.size() != kNonceSize) return make_error(Errc::malformed, "evidence envelope: nonce must be 32 bytes");
  }
  PAW_TRY(env.body, json::get_b64(o, "body", kMaxBodySize));
  PAW_TRY(json::ObjectPtr q, json::get_object(o, "quote"));
  PAW_CHECK(json::only_keys(q, {"attest", "signature"}, "quote"));
  PAW_TRY(env.attest, json::get_b64(q, "attest", kMaxTpmStructSize));
  PAW_TRY(env.signature, json::get_b64(q, "signature", kMaxTpmStructSize));
  return env;
}

Bytes qualifying_data(ByteView body_bytes) { return sha256(body_bytes); }

}  // namespace paw

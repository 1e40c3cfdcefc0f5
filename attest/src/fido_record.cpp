// fido_record.cpp — client-data hashes (docs/protocol.md) and the stored-credential record.
#include <openssl/evp.h>

#include "paw/attest/digest.h"
#include "paw/attest/fido.h"
#include "paw/attest/json.h"

namespace paw::attest {
namespace {

Bytes domain_hash(std::string_view label, std::initializer_list<ByteView> parts) {
  Bytes msg(label.begin(), label.end());
  msg.push_back(0x00);
  for (ByteView p : parts) msg.insert(msg.end(), p.begin(), p.end());
  return sha256(msg);
}

}  // namespace

Bytes fido_presence_client_data_hash(ByteView nonce, std::string_view device_id) {
  return domain_hash("paw/v1/presence", {nonce, as_bytes(device_id)});
}

Bytes fido_enrollment_client_data_hash(std::string_view token, ByteView ak_public) {
  const Bytes t = sha256(as_bytes(token));
  const Bytes a = sha256(ak_public);
  return fido_enrollment_client_data_hash_from_digests(t, a);
}

Bytes fido_enrollment_client_data_hash_from_digests(ByteView token_sha256, ByteView ak_public_sha256) {
  return domain_hash("paw/v1/enroll", {token_sha256, ak_public_sha256});
}

std::string serialize_fido_credential(const FidoStoredCredential& cred) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(true);
  o->set("version", 1);
  o->set("credential_id", base64(cred.credential_id));
  o->set("algorithm", cred.algorithm);
  o->set("public_key", base64(cred.public_key));
  o->set("sign_count", static_cast<std::int64_t>(cred.sign_count));
  o->set("aaguid", hex(cred.aaguid));
  o->set("fmt", cred.fmt);
  o->set("attestation_type", cred.attestation_type);
  return json::stringify(o);
}

Result<FidoStoredCredential> parse_fido_credential(std::string_view text) {
  PAW_TRY(json::ObjectPtr o, json::parse_object(text, 16384, 2));
  PAW_CHECK(json::only_keys(o, {"version", "credential_id", "algorithm", "public_key", "sign_count", "aaguid", "fmt",
                                "attestation_type"},
                            "fido credential"));
  PAW_TRY(std::int64_t version, json::get_int(o, "version"));
  if (version != 1) return make_error(Errc::unsupported, "fido credential version");
  FidoStoredCredential c;
  PAW_TRY(c.credential_id, json::get_b64(o, "credential_id", kFidoMaxCredentialId));
  PAW_TRY(std::int64_t alg, json::get_int(o, "algorithm"));
  if (alg != kCoseEs256 && alg != kCoseEdDsa) return make_error(Errc::unsupported, "fido credential algorithm");
  c.algorithm = static_cast<int>(alg);
  PAW_TRY(c.public_key, json::get_b64(o, "public_key", 1024));
  PAW_TRY(std::int64_t count, json::get_int(o, "sign_count"));
  if (count < 0 || count > 0xffffffffLL) return make_error(Errc::malformed, "fido credential sign_count");
  c.sign_count = static_cast<std::uint32_t>(count);
  PAW_TRY(c.aaguid, json::get_hex(o, "aaguid", 16));
  PAW_TRY(c.fmt, json::get_string(o, "fmt"));
  PAW_TRY(c.attestation_type, json::get_string(o, "attestation_type"));
  if (c.credential_id.empty() || c.aaguid.size() != 16)
    return make_error(Errc::malformed, "fido credential id or aaguid");
  return c;
}

Status check_fido_counter(std::uint32_t stored, std::uint32_t reported, bool allow_zero_counter) {
  // WebAuthn L2, 6.1.1: a counter that does not grow may mean a cloned authenticator.
  if (reported > stored) return ok_status();
  if (reported == 0 && stored == 0 && allow_zero_counter) return ok_status();  // a key without a counter
  if (reported == stored)
    return make_error(Errc::fido_counter_frozen, "signCount stayed at " + std::to_string(reported) + " (possible clone)");
  return make_error(Errc::fido_counter_rollback, "signCount went back from " + std::to_string(stored) + " to " +
                                                     std::to_string(reported) + " (possible clone)");
}

}  // namespace paw::attest

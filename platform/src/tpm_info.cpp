// tpm_info.cpp — TPM2_GetCapability: properties, algorithms, banks.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstdio>
#include <sstream>

#include "paw/attest/json.h"
#include "paw/platform/tpm.h"
#include "tpm_internal.h"

namespace paw::platform {
namespace {

std::string alg_name(TPM2_ALG_ID id) {
  switch (id) {  // TPM 2.0 Part 2, 6.3 TPM_ALG_ID (the ones worth naming)
    case TPM2_ALG_RSA: return "rsa";
    case TPM2_ALG_TDES: return "tdes";
    case TPM2_ALG_SHA1: return "sha1";
    case TPM2_ALG_HMAC: return "hmac";
    case TPM2_ALG_AES: return "aes";
    case TPM2_ALG_MGF1: return "mgf1";
    case TPM2_ALG_KEYEDHASH: return "keyedhash";
    case TPM2_ALG_XOR: return "xor";
    case TPM2_ALG_SHA256: return "sha256";
    case TPM2_ALG_SHA384: return "sha384";
    case TPM2_ALG_SHA512: return "sha512";
    case TPM2_ALG_NULL: return "null";
    case TPM2_ALG_SM3_256: return "sm3_256";
    case TPM2_ALG_SM4: return "sm4";
    case TPM2_ALG_RSASSA: return "rsassa";
    case TPM2_ALG_RSAES: return "rsaes";
    case TPM2_ALG_RSAPSS: return "rsapss";
    case TPM2_ALG_OAEP: return "oaep";
    case TPM2_ALG_ECDSA: return "ecdsa";
    case TPM2_ALG_ECDH: return "ecdh";
    case TPM2_ALG_ECDAA: return "ecdaa";
    case TPM2_ALG_SM2: return "sm2";
    case TPM2_ALG_ECSCHNORR: return "ecschnorr";
    case TPM2_ALG_ECMQV: return "ecmqv";
    case TPM2_ALG_KDF1_SP800_56A: return "kdf1_sp800_56a";
    case TPM2_ALG_KDF2: return "kdf2";
    case TPM2_ALG_KDF1_SP800_108: return "kdf1_sp800_108";
    case TPM2_ALG_ECC: return "ecc";
    case TPM2_ALG_SYMCIPHER: return "symcipher";
    case TPM2_ALG_CAMELLIA: return "camellia";
    case TPM2_ALG_SHA3_256: return "sha3_256";
    case TPM2_ALG_SHA3_384: return "sha3_384";
    case TPM2_ALG_SHA3_512: return "sha3_512";
    case TPM2_ALG_CMAC: return "cmac";
    case TPM2_ALG_CTR: return "ctr";
    case TPM2_ALG_OFB: return "ofb";
    case TPM2_ALG_CBC: return "cbc";
    case TPM2_ALG_CFB: return "cfb";
    case TPM2_ALG_ECB: return "ecb";
    default: {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "0x%04x", id);
      return buf;
    }
  }
}

// chars4 renders a property holding 4 ASCII bytes (big-endian), dropping NULs.
std::string chars4(std::uint32_t v) {
  std::string s;
  for (int shift = 24; shift >= 0; shift -= 8) {
    const char c = static_cast<char>((v >> shift) & 0xff);
    if (c != '\0') s += c;
  }
  return s;
}

Result<detail::EsysPtr<TPMS_CAPABILITY_DATA>> get_cap(Tpm& tpm, TPM2_CAP cap, UINT32 prop, UINT32 count) {
  TPMS_CAPABILITY_DATA* raw = nullptr;
  TPMI_YES_NO more = TPM2_NO;
  const TSS2_RC rc = detail::call_with_retry([&] {
    return Esys_GetCapability(tpm.esys(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, cap, prop, count, &more, &raw);
  });
  if (rc != TSS2_RC_SUCCESS) return tpm_error("TPM2_GetCapability", rc);
  return detail::EsysPtr<TPMS_CAPABILITY_DATA>(raw);
}

}  // namespace

Result<TpmInfo> tpm_info(Tpm& tpm) {
  TpmInfo info;
  PAW_TRY(auto props, get_cap(tpm, TPM2_CAP_TPM_PROPERTIES, TPM2_PT_FIXED, TPM2_MAX_TPM_PROPERTIES));
  std::uint32_t fw1 = 0;
  std::uint32_t fw2 = 0;
  std::string vendor[4];
  const TPML_TAGGED_TPM_PROPERTY& list = props->data.tpmProperties;
  for (UINT32 i = 0; i < list.count && i < TPM2_MAX_TPM_PROPERTIES; ++i) {
    const std::uint32_t v = list.tpmProperty[i].value;
    switch (list.tpmProperty[i].property) {
      case TPM2_PT_FAMILY_INDICATOR: info.family = chars4(v); break;
      case TPM2_PT_REVISION: info.revision = v; break;
      case TPM2_PT_YEAR: info.spec_year = v; break;
      case TPM2_PT_DAY_OF_YEAR: info.spec_day = v; break;
      case TPM2_PT_MANUFACTURER: info.manufacturer_id = v; info.manufacturer = chars4(v); break;
      case TPM2_PT_VENDOR_STRING_1: vendor[0] = chars4(v); break;
      case TPM2_PT_VENDOR_STRING_2: vendor[1] = chars4(v); break;
      case TPM2_PT_VENDOR_STRING_3: vendor[2] = chars4(v); break;
      case TPM2_PT_VENDOR_STRING_4: vendor[3] = chars4(v); break;
      case TPM2_PT_FIRMWARE_VERSION_1: fw1 = v; break;
      case TPM2_PT_FIRMWARE_VERSION_2: fw2 = v; break;
      case TPM2_PT_PCR_COUNT: info.pcr_count = v; break;
      default: break;
    }
  }
  info.firmware_version = (std::uint64_t{fw1} << 32) | fw2;
  info.vendor = vendor[0] + vendor[1] + vendor[2] + vendor[3];
  while (!info.vendor.empty() && info.vendor.back() == ' ') info.vendor.pop_back();

  PAW_TRY(auto algs, get_cap(tpm, TPM2_CAP_ALGS, TPM2_ALG_FIRST, TPM2_MAX_CAP_ALGS));
  for (UINT32 i = 0; i < algs->data.algorithms.count && i < TPM2_MAX_CAP_ALGS; ++i)
    info.algorithms.push_back(alg_name(algs->data.algorithms.algProperties[i].alg));

  PAW_TRY(const PcrSelection banks, active_pcr_selection(tpm));
  for (const auto& b : banks) info.active_banks.push_back(b.bank);
  return info;
}

std::string tpm_info_json(const TpmInfo& info) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(true);
  o->set("manufacturer", info.manufacturer);
  char id[16];
  std::snprintf(id, sizeof(id), "0x%08x", info.manufacturer_id);
  o->set("manufacturer_id", std::string(id));
  o->set("vendor", info.vendor);
  char fw[32];
  std::snprintf(fw, sizeof(fw), "%u.%u.%u.%u", static_cast<unsigned>(info.firmware_version >> 48),
                static_cast<unsigned>((info.firmware_version >> 32) & 0xffff),
                static_cast<unsigned>((info.firmware_version >> 16) & 0xffff),
                static_cast<unsigned>(info.firmware_version & 0xffff));
  o->set("firmware_version", std::string(fw));
  o->set("family", info.family);
  o->set("revision", static_cast<Poco::UInt64>(info.revision));
  o->set("spec_year", static_cast<Poco::UInt64>(info.spec_year));
  o->set("spec_day", static_cast<Poco::UInt64>(info.spec_day));
  o->set("pcr_count", static_cast<Poco::UInt64>(info.pcr_count));
  Poco::JSON::Array::Ptr banks = new Poco::JSON::Array();
  for (const HashAlg b : info.active_banks) banks->add(std::string(hash_name(b)));
  o->set("active_banks", banks);
  Poco::JSON::Array::Ptr algs = new Poco::JSON::Array();
  for (const auto& a : info.algorithms) algs->add(a);
  o->set("algorithms", algs);
  return json::stringify(o);
}

}  // namespace paw::platform

// device_page.cpp — the page of `pawctl devices show ID` (device_page.h).
//
// The answer is read defensively: a field of another type than expected, or
// absent (an older verifier, a device that never attested), prints "—".
#include "device_page.h"

#include <openssl/bn.h>
#include <openssl/x509.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <ctime>
#include <iomanip>
#include <map>

#include "admin_client.h"
#include "paw/attest/bytes.h"
#include "paw/attest/policy.h"
#include "paw/attest/secure.h"
#include "paw/attest/tpm.h"
#include "reason_fixes.h"

namespace pawctl {
namespace {

using paw::json::ArrayPtr;
using paw::json::ObjectPtr;

constexpr const char* kNone = "\xe2\x80\x94";  // "—"

// --- safe reads: never throw, whatever the verifier sent

ObjectPtr obj(const ObjectPtr& o, const std::string& key) {
  try {
    if (!o.isNull() && o->has(key) && o->isObject(key)) return o->getObject(key);
  } catch (const std::exception&) {
  }
  return {};
}

ArrayPtr arr(const ObjectPtr& o, const std::string& key) {
  try {
    if (!o.isNull() && o->has(key) && o->isArray(key)) return o->getArray(key);
  } catch (const std::exception&) {
  }
  return {};
}

// str is the text at |key| made printable; "" when absent or not a string.
std::string str(const ObjectPtr& o, const std::string& key, std::size_t max = 160) {
  try {
    if (o.isNull() || !o->has(key)) return {};
    const Poco::Dynamic::Var v = o->get(key);
    if (!v.isString()) return {};
    return printable(v.extract<std::string>(), max);
  } catch (const std::exception&) {
    return {};
  }
}

std::int64_t num(const ObjectPtr& o, const std::string& key) {
  try {
    if (o.isNull() || !o->has(key)) return 0;
    const Poco::Dynamic::Var v = o->get(key);
    if (!v.isInteger()) return 0;
    return v.convert<std::int64_t>();
  } catch (const std::exception&) {
    return 0;
  }
}

// flag: 1 true, 0 false, -1 absent or not a boolean.
int flag(const ObjectPtr& o, const std::string& key) {
  try {
    if (o.isNull() || !o->has(key)) return -1;
    const Poco::Dynamic::Var v = o->get(key);
    if (!v.isBoolean()) return -1;
    return v.extract<bool>() ? 1 : 0;
  } catch (const std::exception&) {
    return -1;
  }
}

std::string or_none(const std::string& s) { return s.empty() ? kNone : s; }

// --- times: RFC 3339 UTC, and how far from now

std::string rfc3339(std::int64_t t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  if (gmtime_r(&tt, &tm) == nullptr) return kNone;
  char buf[32];
  if (std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) return kNone;
  return buf;
}

std::string span(std::int64_t d) {
  if (d < 120) return std::to_string(d) + " s";
  if (d < 7200) return std::to_string(d / 60) + " min";
  if (d < 172800) return std::to_string(d / 3600) + " h";
  return std::to_string(d / 86400) + " d";
}

// when renders "2026-12-07T06:10:00Z (12 s ago)", "— " for 0 (never).
std::string when(std::int64_t t, std::int64_t now) {
  if (t <= 0) return kNone;
  const std::int64_t d = now - t;
  return rfc3339(t) + (d >= 0 ? " (" + span(d) + " ago)" : " (in " + span(-d) + ")");
}

void line(std::ostream& out, const std::string& label, const std::string& value) {
  out << "  " << std::left << std::setw(18) << label << value << "\n";
}

// --- keys and certificates

// short_hex: the first 16 hex digits and the size ("0a1b2c3d4e5f6071… (64 bytes)").
std::string short_hex(const paw::Bytes& b) {
  if (b.empty()) return kNone;
  const std::string h = paw::hex(b);
  return (h.size() > 16 ? h.substr(0, 16) + "\xe2\x80\xa6" : h) + " (" + std::to_string(b.size()) + " bytes)";
}

std::string tpm_key_type(const std::string& b64) {
  auto der = paw::unbase64(b64);
  if (b64.empty() || !der.ok()) return kNone;
  auto pub = paw::parse_public(*der);
  if (!pub.ok()) return "unreadable (" + pub.error().detail + ")";
  if (pub->is_rsa()) return "RSA " + std::to_string(pub->pub.parameters.rsaDetail.keyBits);
  if (pub->is_ecc()) {
    switch (pub->pub.parameters.eccDetail.curveID) {
      case TPM2_ECC_NIST_P256: return "ECC NIST P-256";
      case TPM2_ECC_NIST_P384: return "ECC NIST P-384";
      case TPM2_ECC_NIST_P521: return "ECC NIST P-521";
      default: return "ECC curve " + std::to_string(pub->pub.parameters.eccDetail.curveID);
    }
  }
  return "type " + std::to_string(pub->pub.type);
}

// cert_summary: "issuer CN=…, serial 0A1B…, valid until …" of a DER certificate.
std::string cert_summary(const std::string& b64, std::int64_t now) {
  auto der = paw::unbase64(b64);
  if (!der.ok()) return "unreadable";
  const unsigned char* p = der->data();
  paw::UniquePtr<X509, X509_free> cert(d2i_X509(nullptr, &p, static_cast<long>(der->size())));
  if (!cert) return "unreadable";
  std::string issuer = kNone;
  paw::UniquePtr<BIO, BIO_free> bio(BIO_new(BIO_s_mem()));
  if (bio && X509_NAME_print_ex(bio.get(), X509_get_issuer_name(cert.get()), 0, XN_FLAG_RFC2253) >= 0) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    if (n > 0) issuer = printable(std::string(data, static_cast<std::size_t>(n)), 200);
  }
  std::string serial = kNone;
  paw::UniquePtr<BIGNUM, BN_free> bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
  if (bn) {
    if (char* h = BN_bn2hex(bn.get()); h != nullptr) {
      serial = h;
      OPENSSL_free(h);
    }
  }
  std::string until;
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &tm) == 1) until = ", valid until " + when(timegm(&tm), now);
  return "issuer " + issuer + ", serial " + serial + until;
}

std::string aaguid_text(const std::string& hex_aaguid) {
  auto g = paw::unhex(hex_aaguid);
  if (hex_aaguid.empty() || !g.ok() || g->size() != 16) return or_none(printable(hex_aaguid, 64));
  const bool zero = std::all_of(g->begin(), g->end(), [](std::uint8_t b) { return b == 0; });
  return paw::format_aaguid(*g) + (zero ? " (all zeros: the key does not name its model)" : "");
}

std::string cose_name(std::int64_t alg) {
  switch (alg) {
    case -7: return "ES256";
    case -8: return "EdDSA";
    case -257: return "RS256";
    default: return alg == 0 ? std::string(kNone) : "COSE " + std::to_string(alg);
  }
}

// --- sections

// reason_codes joins the codes of a reason array ("a, b").
std::string reason_codes(const ArrayPtr& reasons) {
  std::string out;
  for (std::size_t i = 0; !reasons.isNull() && i < reasons->size(); ++i) {
    ObjectPtr r = reasons->getObject(static_cast<unsigned>(i));
    if (r.isNull()) continue;
    out += (out.empty() ? "" : ", ") + or_none(str(r, "code", 64));
  }
  return out;
}

// verdict_since: when the current run of a non-healthy verdict began, the
// earliest first sighting of a reason it still has (the device state's
// reason_first_seen); 0 when unknown.
std::int64_t verdict_since(const ObjectPtr& d) {
  ObjectPtr seen = obj(obj(d, "state"), "reason_first_seen");
  if (seen.isNull()) return 0;
  std::int64_t first = 0;
  for (const auto& [code, ignored] : *seen) {
    const std::int64_t t = num(seen, code);
    if (t > 0 && (first == 0 || t < first)) first = t;
  }
  return first;
}

std::string login_line(const ObjectPtr& d, std::int64_t now) {
  const std::string status = str(d, "status", 32);
  const std::string verdict = str(d, "last_verdict", 32);
  if (status == "revoked") return "refused: the device is revoked (it comes back only by enrolling again)";
  if (status == "pending" || status == "stale") return "refused: the device is " + status + " (" + reason_fix(status) + ")";
  if (verdict == "healthy") return "allowed (each relying party also checks how recent the attestation is)";
  if (verdict == "warning") {
    const std::int64_t until = num(obj(d, "last_appraisal"), "grace_until");
    const std::string codes = reason_codes(arr(d, "last_reasons"));
    if (until > now) {
      return "allowed until " + when(until, now) + " because " + or_none(codes) +
             (codes.find(',') != std::string::npos ? " are" : " is") + " inside the grace the policy gives";
    }
    if (until > 0) return "refused since " + when(until, now) + ": the grace ended (grace_expired)";
    return "allowed inside a grace (its end is not recorded)";
  }
  if (verdict.empty() || verdict == "none") return "refused: the device has not attested yet";
  return "refused: verdict " + verdict;
}

void state_section(std::ostream& out, const ObjectPtr& d, std::int64_t now) {
  out << "\nState\n";
  line(out, "status", or_none(str(d, "status", 32)));
  const std::string verdict = str(d, "last_verdict", 32);
  std::string v = or_none(verdict);
  if (verdict == "healthy") {
    v += " at the last attestation";
  } else if (const std::int64_t since = verdict_since(d); since > 0) {
    v += " since " + when(since, now);
  }
  line(out, "verdict", v);
  line(out, "login", login_line(d, now));
  line(out, "last attested", when(num(d, "last_attested_at"), now));
  line(out, "last healthy", when(num(d, "last_healthy_at"), now));
  line(out, "last presence", when(num(d, "last_presence_at"), now));
}

void reasons_section(std::ostream& out, const ObjectPtr& d, std::int64_t now) {
  out << "\nReasons\n";
  ArrayPtr reasons = arr(d, "last_reasons");
  if (reasons.isNull() || reasons->size() == 0) {
    out << "  none\n";
    return;
  }
  for (std::size_t i = 0; i < reasons->size(); ++i) {
    ObjectPtr r = reasons->getObject(static_cast<unsigned>(i));
    if (r.isNull()) continue;
    const std::string code = str(r, "code", 64);
    out << "  " << or_none(code) << ": " << or_none(str(r, "message", 1024)) << "\n";
    if (const std::int64_t until = num(r, "grace_until"); until != 0) {
      out << "    graced until " << when(until, now) << "\n";
    }
    out << "    fix: " << reason_fix(code) << "\n";
  }
}

// secure_boot_text: the Secure Boot state of an attestation |a|. The event
// log's (its SecureBoot variable in PCR 7, bound by the quote: "secure_boot")
// comes first; the agent's own reading of the variable (host "secure_boot")
// stands in where no log proves it, and is named where it disagrees.
std::string secure_boot_text(const ObjectPtr& a, const ObjectPtr& host) {
  const int log = flag(a, "secure_boot");
  const int agent = flag(host, "secure_boot");
  const auto on = [](int v) { return std::string(v == 1 ? "on" : "off"); };
  if (log >= 0) {
    if (agent >= 0 && agent != log) return on(log) + " (event log; the agent read " + on(agent) + ")";
    return on(log) + " (event log)";
  }
  if (agent >= 0) return on(agent) + " (the agent's reading)";
  return kNone;
}

void attestation_section(std::ostream& out, const ObjectPtr& d, std::int64_t now) {
  out << "\nLast attestation\n";
  ObjectPtr a = obj(d, "last_appraisal");
  if (a.isNull()) {
    out << "  none yet (paw-agent attest on the workstation)\n";
    return;
  }
  line(out, "at", when(num(a, "attested_at"), now));
  line(out, "verdict", or_none(str(a, "verdict", 32)));
  line(out, "judged by policy", or_none(str(a, "policy", 80)));
  line(out, "reasons", or_none(reason_codes(arr(a, "reasons"))));
  line(out, "notes", or_none(reason_codes(arr(a, "notes"))));
  ObjectPtr host = obj(a, "host");
  if (!host.isNull()) {
    const int disk = flag(host, "disk_encrypted");
    line(out, "host", or_none(str(host, "os_release", 80)) + ", kernel " + or_none(str(host, "kernel", 80)) +
                          ", disk encrypted " + (disk < 0 ? kNone : disk ? "yes" : "no") + ", Secure Boot " +
                          secure_boot_text(a, host));
  }
  line(out, "history", "pawctl events --device " + or_none(str(d, "device_id", 64)) +
                           "; rule by rule: pawctl policy explain ID");
}

void fido_section(std::ostream& out, const ObjectPtr& d) {
  out << "\nFIDO2 key\n";
  ObjectPtr f = obj(obj(d, "record"), "fido");
  if (f.isNull()) {
    out << "  none enrolled\n";
    return;
  }
  const std::string type = str(f, "attestation_type", 32);
  std::string model = aaguid_text(str(f, "aaguid", 64));
  if (type == "self" || type == "none") model += " (unproven: " + type + " attestation)";
  line(out, "model (AAGUID)", model);
  auto id = paw::unbase64(str(f, "credential_id", 2048));
  line(out, "credential id", id.ok() ? short_hex(*id) : std::string(kNone));
  line(out, "attestation", or_none(type));
  line(out, "algorithm", cose_name(num(f, "algorithm")));
  ObjectPtr st = obj(d, "state");
  line(out, "signature count", st.isNull() ? std::string(kNone) : std::to_string(num(st, "fido_sign_count")));
}

void tpm_section(std::ostream& out, const ObjectPtr& d, std::int64_t now) {
  out << "\nTPM\n";
  ObjectPtr rec = obj(d, "record");
  if (rec.isNull()) {
    out << "  " << kNone << "\n";
    return;
  }
  const int tofu = flag(rec, "ek_tofu");
  line(out, "EK", tpm_key_type(str(rec, "ek_public", 1u << 16)) +
                      (tofu == 1   ? ", trusted on first use (no certificate chain to a TPM vendor)"
                       : tofu == 0 ? ", certificate chains to a TPM vendor root"
                                   : ""));
  const std::string cert = str(rec, "ek_cert", 1u << 16);
  line(out, "EK certificate", cert.empty() ? std::string("none") : cert_summary(cert, now));
  auto ak_name = paw::unhex(str(rec, "ak_name", 200));
  line(out, "AK", tpm_key_type(str(rec, "ak_public", 1u << 16)) + ", name " +
                      (ak_name.ok() ? short_hex(*ak_name) : std::string(kNone)));
  ObjectPtr key = obj(rec, "login_key");
  line(out, "login key", key.isNull() ? std::string("none (paw-agent enroll --add-login-key adds one)")
                                      : "jkt " + or_none(str(key, "jkt", 64)) + ", certified by the AK " +
                                            when(num(key, "added_at"), now));
}

void policy_section(std::ostream& out, const ObjectPtr& d) {
  out << "\nPolicy\n";
  const std::string assigned = str(d, "policy", 80);
  const std::string judged = str(obj(d, "last_appraisal"), "policy", 80);
  line(out, "assigned", or_none(assigned));
  std::string j = or_none(judged);
  if (!judged.empty() && judged.substr(0, judged.find('@')) != assigned) {
    j += " (the assigned policy judges from the next attestation)";
  }
  line(out, "judged by", j);
}

}  // namespace

void print_device_page(std::ostream& out, const ObjectPtr& d, std::int64_t now) {
  out << "Device " << or_none(str(d, "device_id", 64)) << "\n";
  line(out, "owner", or_none(str(d, "owner", 128)));
  line(out, "label", or_none(str(d, "label", 256)));
  line(out, "enrolled", when(num(d, "created_at"), now));
  line(out, "updated", when(num(d, "updated_at"), now));
  state_section(out, d, now);
  reasons_section(out, d, now);
  attestation_section(out, d, now);
  fido_section(out, d);
  tpm_section(out, d, now);
  policy_section(out, d);
}

}  // namespace pawctl

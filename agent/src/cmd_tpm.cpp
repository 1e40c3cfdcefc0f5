// cmd_tpm.cpp — `paw-agent tpm info`: what the TPM is, and which EK
// certificates it holds (JSON on stdout).
#include <Poco/JSON/Array.h>

#include <cstdio>

#include "config.h"
#include "dispatch.h"
#include "paw/attest/json.h"
#include "paw/platform/ek.h"

namespace paw::agent {

int cmd_tpm(const std::vector<std::string>& words) {
  auto args = Args::parse(words, {"tcti", "config"});
  if (!args.ok()) return fail(args.error().what(), 2);
  if (args->positional() != std::vector<std::string>{"info"}) return fail("usage: paw-agent tpm info [--tcti T]", 2);
  auto cfg = resolve_tpm_config(*args);
  if (!cfg.ok()) return fail(cfg.error().what());
  auto tpm = platform::Tpm::open(cfg->tcti);
  if (!tpm.ok()) return fail(tpm.error().what());
  auto info = platform::tpm_info(*tpm);
  if (!info.ok()) return fail(info.error().what());
  auto certs = platform::read_ek_certs(*tpm);
  if (!certs.ok()) return fail(certs.error().what());
  auto obj = json::parse_object(platform::tpm_info_json(*info), 1 << 20);
  if (!obj.ok()) return fail(obj.error().what());
  Poco::JSON::Array::Ptr list = new Poco::JSON::Array();
  for (const auto& c : *certs) {
    Poco::JSON::Object::Ptr e = new Poco::JSON::Object(true);
    char idx[16];
    std::snprintf(idx, sizeof(idx), "0x%08x", c.nv_index);
    e->set("nv_index", std::string(idx));
    e->set("template", c.type ? std::string(platform::ek_type_name(*c.type)) : std::string("unsupported"));
    e->set("der_size", static_cast<Poco::UInt64>(c.der.size()));
    e->set("nv_size", static_cast<Poco::UInt64>(c.stored.size()));
    list->add(e);
  }
  (*obj)->set("ek_certificates", list);
  (*obj)->set("tcti", cfg->tcti);
  std::printf("%s\n", json::stringify(*obj).c_str());
  return 0;
}

}  // namespace paw::agent

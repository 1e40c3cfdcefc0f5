// ima_replay.cpp — replaying an IMA list into PCR values per bank.
#include <array>
#include <cstring>
#include <map>

#include "ima_internal.h"

namespace paw {

Result<PcrValues> replay_ima(const ImaLog& log, const std::vector<HashAlg>& banks_in) {
  const std::vector<HashAlg> banks =
      banks_in.empty() ? std::vector<HashAlg>{HashAlg::sha1, HashAlg::sha256, HashAlg::sha384, HashAlg::sha512}
                       : banks_in;
  const HashAlg native = log.template_hash_alg();
  // The logged template hashes must be the hashes of the template data (as
  // logged, or as rebuilt from an ASCII line): otherwise banks would disagree
  // and an edited file digest would go unnoticed.
  {
    Hasher h(native);
    if (!h.ok()) return make_error(Errc::unsupported, "cannot hash " + std::string(hash_name(native)));
    for (const ImaEntry& e : log.entries()) {
      if (e.violation) continue;
      HashBuf buf;
      if (!ima_template_hash(h, e, buf.data())) return make_error(Errc::internal, "digest failed");
      if (std::memcmp(buf.data(), e.template_hash.data(), e.template_hash.size()) != 0) {
        return make_error(Errc::ima_malformed, "entry " + std::to_string(e.index) +
                                                   (log.ascii() ? " at line " : " at offset ") +
                                                   std::to_string(e.offset) +
                                                   ": template hash does not match the template data");
      }
    }
  }
  PcrValues out;
  for (const HashAlg bank : banks) {
    Hasher h(bank);
    if (!h.ok()) return make_error(Errc::unsupported, "cannot replay the " + std::string(hash_name(bank)) + " bank");
    const std::size_t size = h.size();
    std::map<std::uint32_t, HashBuf> pcrs;
    HashBuf ones;
    ones.fill(0xFF);
    for (const ImaEntry& e : log.entries()) {
      if (e.pcr >= kPcrCount) {
        return make_error(Errc::ima_malformed, "entry " + std::to_string(e.index) + ": PCR " + std::to_string(e.pcr));
      }
      HashBuf value;
      if (e.violation) {
        value = ones;  // ima_add_violation: the PCR gets 0xFF.., the list 0x00..
      } else if (bank == native) {
        std::memcpy(value.data(), e.template_hash.data(), size);
      } else if (!ima_template_hash(h, e, value.data())) {
        return make_error(Errc::internal, "digest failed");
      }
      auto [it, fresh] = pcrs.try_emplace(e.pcr);
      if (fresh) it->second.fill(0);
      HashBuf next;
      if (!h.hash(ByteView(it->second.data(), size), ByteView(value.data(), size), next.data())) {
        return make_error(Errc::internal, "digest failed");
      }
      it->second = next;
    }
    PcrBank& b = out[bank];
    for (const auto& [index, v] : pcrs) b.emplace(index, Bytes(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(size)));
  }
  return out;
}

}  // namespace paw

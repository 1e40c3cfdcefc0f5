// enroll_identity.cpp — one enrolled device id per TPM.
//
// A TPM is known by its EK. Without this check a revoked workstation could
// enroll again with any fresh token and come back under a new id, and one TPM
// could hold several ids at once (an attacker keeping a spare identity). So an
// EK that an existing device holds (whatever its status, revoked included) is
// refused, unless an admin issued the token with --replace: then the old
// devices are revoked when the new one is activated, and both steps are
// audited (token creation as an admin call, `device_replaced` events).
// Deleting the old device (pawctl devices delete) also frees the EK.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "service.h"
#include "util.h"

namespace paw::verifier {

Result<std::string> ek_hash_of(const DeviceRecord& rec) {
  PAW_TRY(TpmPublic ek, parse_public(rec.ek_public));
  // The key itself (type and public key material), not the marshalled area:
  // the same EK read with other attribute bits is still the same TPM.
  Bytes id;
  id.push_back(static_cast<std::uint8_t>(ek.pub.type >> 8));
  id.push_back(static_cast<std::uint8_t>(ek.pub.type & 0xff));
  if (ek.is_rsa()) {
    const auto& n = ek.pub.unique.rsa;
    id.insert(id.end(), n.buffer, n.buffer + n.size);
  } else if (ek.is_ecc()) {
    const auto& p = ek.pub.unique.ecc;
    id.insert(id.end(), p.x.buffer, p.x.buffer + p.x.size);
    id.insert(id.end(), p.y.buffer, p.y.buffer + p.y.size);
  } else {
    return make_error(Errc::unsupported, "EK is neither RSA nor ECC");
  }
  return sha256_hex(ByteView(id));
}

Result<std::vector<std::string>> Service::ek_identity_check(const std::string& ek_hash, bool may_replace,
                                                            const std::string& remote, const std::string& owner) {
  PAW_TRY(std::vector<StoredDevice> holders, store_->find_devices_by_ek(ek_hash));
  std::vector<std::string> ids;
  bool other_owner = false;
  Poco::JSON::Array::Ptr list = new Poco::JSON::Array();
  for (const auto& d : holders) {
    ids.push_back(d.id);
    other_owner = other_owner || d.owner != owner;
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object();
    o->set("device_id", d.id);
    o->set("status", std::string(device_status_name(d.status)));
    list->add(o);
  }
  if (ids.empty() || may_replace) return ids;
  Poco::JSON::Object::Ptr ev = new Poco::JSON::Object();
  // A TPM enrolled to one person does not move to another without an admin's --replace.
  ev->set("reason", other_owner ? "ek_enrolled_to_another_owner" : "ek_already_enrolled");
  ev->set("owner", owner);
  ev->set("ek_hash", ek_hash);
  ev->set("devices", list);
  ev->set("remote", remote);
  record_event("enrollment_refused", ids.front(), json::stringify(ev));
  return make_error(Errc::conflict, "this TPM (EK) is already enrolled as device " + ids.front() + " (" +
                                        std::string(device_status_name(holders.front().status)) +
                                        (other_owner ? ", owner " + (holders.front().owner.empty() ? std::string("none")
                                                                                                   : holders.front().owner)
                                                     : std::string()) +
                                        "): delete that device or enroll with a token made with --replace");
}

Status Service::backfill_ek_hashes() {
  PAW_TRY(std::vector<StoredDevice> devices, store_->list_devices());
  std::size_t filled = 0;
  for (auto& d : devices) {
    if (!d.ek_hash.empty()) continue;
    auto rec = parse_device_record(d.record_json);
    if (!rec.ok()) continue;
    auto h = ek_hash_of(*rec);
    if (!h.ok()) continue;
    d.ek_hash = *h;
    // Compare-and-swap: a row another replica changed meanwhile is filled at its next start.
    if (store_->update_device(d).ok()) ++filled;
  }
  if (filled > 0) log_line("info", "EK identities filled in for devices enrolled before migration 5",
                           {{"count", std::to_string(filled)}});
  return ok_status();
}

}  // namespace paw::verifier

// seed.cpp — SeedDatabase (paw/verifier/seed.h): the benchmarks' narrow way
// into a verifier database, over the Store.
#include "paw/verifier/seed.h"

#include "store.h"

namespace paw::verifier {

SeedDatabase::SeedDatabase(std::unique_ptr<Store> store) : store_(std::move(store)) {}
SeedDatabase::~SeedDatabase() = default;

Result<std::unique_ptr<SeedDatabase>> SeedDatabase::open(const std::string& url) {
  PAW_TRY(auto store, open_store(url));
  return std::unique_ptr<SeedDatabase>(new SeedDatabase(std::move(store)));
}

Result<std::vector<std::string>> SeedDatabase::device_ids() {
  PAW_TRY(auto devices, store_->list_devices());
  std::vector<std::string> ids;
  ids.reserve(devices.size());
  for (auto& d : devices) ids.push_back(std::move(d.id));
  return ids;
}

Result<std::string> SeedDatabase::current_signing_key_pem() {
  PAW_TRY(auto keys, store_->list_signing_keys());
  const SigningKeyRecord* current = nullptr;
  for (const auto& k : keys) {
    if (k.retired_at == 0) current = &k;  // the newest current key wins, as Keyring::load
  }
  if (current == nullptr) return make_error(Errc::not_found, "no current signing key in the database");
  return current->private_pem;
}

Status SeedDatabase::use_template(const std::string& id) {
  PAW_TRY(auto d, store_->get_device(id));
  if (!d) return make_error(Errc::not_found, "no device " + id);
  template_ = std::make_unique<const StoredDevice>(std::move(*d));
  return ok_status();
}

Status SeedDatabase::add_copy(const std::string& id, const std::string& label, const std::string& ek_hash) {
  if (!template_) return make_error(Errc::internal, "add_copy before use_template");
  StoredDevice d = *template_;
  d.id = id;
  if (!label.empty()) d.label = label;
  if (!ek_hash.empty()) d.ek_hash = ek_hash;
  d.revision = 0;
  return store_->add_device(d);
}

}  // namespace paw::verifier

// device_cache.h — parsed device rows for the attestation hot path.
//
// An attestation needs the device's record (AK, FIDO2 credential, references)
// and its state (counter, pins, clock) parsed from JSON. DeviceCache keeps
// them parsed, keyed by device id and stamped with the row's revision. It
// decides nothing: the service asks the store for the row's current
// (status, revision) on every attestation and uses an entry only when its
// revision is that one, so a change by an admin, the fleet watcher or
// another replica (each bumps the revision) is never missed. The write of an
// attestation is a compare-and-swap on the revision, which stays the guard.
// Bounded: when full, an arbitrary entry is dropped.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "paw/attest/appraisal.h"
#include "store/store.h"

namespace paw::verifier {

struct CachedDevice {
  StoredDevice stored;   // the row as read (revision = stored.revision)
  DeviceRecord record;   // parse_device_record(stored.record_json)
  DeviceState state;     // parse_device_state(stored.state_json)
};

class DeviceCache {
 public:
  explicit DeviceCache(std::size_t capacity) : capacity_(capacity) {}

  // get returns the entry for |id| iff it was stored at |revision|.
  std::shared_ptr<const CachedDevice> get(const std::string& id, std::int64_t revision) const {
    std::lock_guard lock(mu_);
    auto it = map_.find(id);
    if (it == map_.end() || it->second->stored.revision != revision) return nullptr;
    return it->second;
  }

  void put(std::shared_ptr<const CachedDevice> d) {
    if (capacity_ == 0) return;
    std::lock_guard lock(mu_);
    if (map_.size() >= capacity_ && map_.find(d->stored.id) == map_.end()) map_.erase(map_.begin());
    const std::string id = d->stored.id;
    map_[id] = std::move(d);
  }

  void erase(const std::string& id) {
    std::lock_guard lock(mu_);
    map_.erase(id);
  }

  std::size_t size() const {
    std::lock_guard lock(mu_);
    return map_.size();
  }

 private:
  std::size_t capacity_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const CachedDevice>> map_;
};

}  // namespace paw::verifier

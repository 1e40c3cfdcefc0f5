// login_cache.cpp — TokenCache and PolicyCache (see login_cache.h).
#include "login_cache.h"

#include <openssl/sha.h>

#include <cstring>

namespace paw::verifier {

TokenCache::TokenCache(std::size_t capacity) : per_shard_((capacity + kShards - 1) / kShards) {}

std::size_t TokenCache::DigestHash::operator()(const Digest& d) const noexcept {
  // The key is already a SHA-256: any 8 of its bytes are a good hash.
  std::size_t h;
  std::memcpy(&h, d.data() + 8, sizeof h);
  return h;
}

Result<std::shared_ptr<const ResultClaims>> TokenCache::verify(const Keyring& keys, std::string_view token,
                                                               std::int64_t now, std::string_view issuer) {
  // Oversized tokens are refused before any hashing (verify_result_token's error).
  if (token.size() > kMaxResultTokenSize) return make_error(Errc::too_large, "token exceeds size limit");
  const Keyring::VerifySet set = keys.verify_set();
  Digest key;
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), key.data());
  Shard& shard = shards_[key[0] % kShards];
  if (per_shard_ != 0) {
    std::lock_guard lock(shard.mu);
    auto it = shard.index.find(key);
    if (it != shard.index.end()) {
      const Entry& e = *it->second;
      // Exactly verify_result_token's window with no leeway: iat <= now < exp.
      // The issuer too, so a hit answers exactly what a verify would.
      if (e.generation == set.generation && e.claims->iat <= now && now < e.claims->exp &&
          (issuer.empty() || e.claims->iss == issuer)) {
        shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
        hits_.fetch_add(1, std::memory_order_relaxed);
        return e.claims;
      }
      // Expired, or verified under keys that changed since: verify again.
      shard.lru.erase(it->second);
      shard.index.erase(it);
    }
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  if (!set.jwks) return make_error(Errc::internal, "no keys loaded");
  PAW_TRY(ResultClaims claims, verify_result_token(token, *set.jwks, now, issuer, 0));
  auto shared = std::make_shared<const ResultClaims>(std::move(claims));
  if (per_shard_ != 0) {
    std::lock_guard lock(shard.mu);
    if (shard.index.find(key) == shard.index.end()) {
      shard.lru.push_front(Entry{key, shared, set.generation});
      shard.index.emplace(key, shard.lru.begin());
      while (shard.lru.size() > per_shard_) {
        shard.index.erase(shard.lru.back().key);
        shard.lru.pop_back();
      }
    }
  }
  return shared;
}

std::size_t TokenCache::size() const {
  std::size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.lru.size();
  }
  return n;
}

std::shared_ptr<const Policy> PolicyCache::get(const std::string& name, std::int64_t version) const {
  std::lock_guard lock(mu_);
  auto it = map_.find({name, version});
  return it == map_.end() ? nullptr : it->second;
}

void PolicyCache::put(const std::string& name, std::int64_t version, std::shared_ptr<const Policy> p) {
  std::lock_guard lock(mu_);
  if (map_.size() >= kMaxEntries) map_.clear();  // policies are few; a flood of versions only costs re-parsing
  map_[{name, version}] = std::move(p);
}

}  // namespace paw::verifier

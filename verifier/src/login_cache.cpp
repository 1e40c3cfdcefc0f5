// login_cache.cpp — TokenCache and PolicyCache (see login_cache.h).
#include "login_cache.h"

#include <openssl/sha.h>

#include <cstring>
#include <iterator>
#include <mutex>
#include <shared_mutex>

namespace paw::verifier {

TokenCache::TokenCache(std::size_t capacity) : per_shard_((capacity + kShards - 1) / kShards) {}

std::size_t TokenCache::DigestHash::operator()(const Digest& d) const noexcept {
  // The key is already a SHA-256: any 8 of its bytes are a good hash.
  std::size_t h;
  std::memcpy(&h, d.data() + 8, sizeof h);
  return h;
}

TokenCache::Digest TokenCache::digest_of(std::string_view token) {
  thread_local std::string last;
  thread_local Digest last_digest{};
  if (!last.empty() && token == last) return last_digest;
  Digest d;
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), d.data());
  last.assign(token);
  last_digest = d;
  return d;
}

bool TokenCache::holds(const Keyring& keys, std::string_view token, std::int64_t now,
                       std::string_view issuer) const {
  if (per_shard_ == 0 || token.size() > kMaxResultTokenSize) return false;
  const std::uint64_t generation = keys.verify_set().generation;
  const Digest key = digest_of(token);
  const Shard& shard = shards_[key[0] % kShards];
  std::shared_lock lock(shard.mu);
  auto it = shard.index.find(key);
  return it != shard.index.end() && counts(*it->second, generation, now, issuer);
}

Result<std::shared_ptr<const ResultClaims>> TokenCache::verify(const Keyring& keys, std::string_view token,
                                                               std::int64_t now, std::string_view issuer) {
  // Oversized tokens are refused before any hashing (verify_result_token's error).
  if (token.size() > kMaxResultTokenSize) return make_error(Errc::too_large, "token exceeds size limit");
  const Keyring::VerifySet set = keys.verify_set();
  const Digest key = digest_of(token);
  Shard& shard = shards_[key[0] % kShards];
  if (per_shard_ != 0) {
    std::shared_ptr<const ResultClaims> stale;
    {
      std::shared_lock lock(shard.mu);
      auto it = shard.index.find(key);
      if (it != shard.index.end()) {
        const Entry& e = *it->second;
        // The issuer too, so a hit answers exactly what a verify would.
        if (counts(e, set.generation, now, issuer)) {
          e.used.store(true, std::memory_order_relaxed);
          hits_.fetch_add(1, std::memory_order_relaxed);
          return e.claims;
        }
        stale = e.claims;
      }
    }
    if (stale) {
      // Expired, or verified under keys that changed since: drop it (unless
      // another thread replaced it meanwhile) and verify again.
      std::unique_lock lock(shard.mu);
      auto it = shard.index.find(key);
      if (it != shard.index.end() && it->second->claims == stale) {
        shard.lru.erase(it->second);
        shard.index.erase(it);
      }
    }
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  if (!set.jwks) return make_error(Errc::internal, "no keys loaded");
  PAW_TRY(ResultClaims claims, verify_result_token(token, *set.jwks, now, issuer, 0));
  auto shared = std::make_shared<const ResultClaims>(std::move(claims));
  if (per_shard_ != 0) {
    std::unique_lock lock(shard.mu);
    auto it = shard.index.find(key);
    if (it != shard.index.end()) {  // a stale entry (or another thread's): this one is fresh
      shard.lru.erase(it->second);
      shard.index.erase(it);
    }
    shard.lru.emplace_front(key, shared, set.generation);
    shard.index.emplace(key, shard.lru.begin());
    // Over the bound: drop the oldest entry not hit since it was last
    // looked at; a hit one moves to the front once (second chance). Every
    // entry looked at loses its mark, so this ends within two rounds.
    while (shard.lru.size() > per_shard_) {
      auto last = std::prev(shard.lru.end());
      if (last->used.exchange(false, std::memory_order_relaxed)) {
        shard.lru.splice(shard.lru.begin(), shard.lru, last);
        continue;
      }
      shard.index.erase(last->key);
      shard.lru.pop_back();
    }
  }
  return shared;
}

std::size_t TokenCache::size() const {
  std::size_t n = 0;
  for (const auto& s : shards_) {
    std::shared_lock lock(s.mu);
    n += s.lru.size();
  }
  return n;
}

std::shared_ptr<const Policy> PolicyCache::get(const std::string& name, std::int64_t version) const {
  std::shared_lock lock(mu_);
  auto it = map_.find({name, version});
  return it == map_.end() ? nullptr : it->second;
}

void PolicyCache::put(const std::string& name, std::int64_t version, std::shared_ptr<const Policy> p) {
  std::unique_lock lock(mu_);
  if (map_.size() >= kMaxEntries) map_.clear();  // policies are few; a flood of versions only costs re-parsing
  map_[{name, version}] = std::move(p);
}

}  // namespace paw::verifier

// login_cache.h — the login path's caches (GET /v1/authz, the health query).
//
// Every login asks the verifier, mostly with a token it has seen before
// (the agent renews its token every few minutes; each of the user's
// requests carries it). What may be remembered between requests and what
// may not:
//
//  - TokenCache: that a token's ES256 signature verified and what its
//    claims are. Keyed by the token's SHA-256; an entry counts until the
//    token's exp and only while the keyring's key set is the one that
//    verified it (Keyring::generation: a rotation, here or — at the next
//    reload — at another replica, invalidates every entry). Only tokens
//    whose signature verified enter, so junk tokens cost a failed verify
//    and no memory. Bounded: 16 shards, each a list evicted oldest first, sparing once an entry hit since (CLOCK).
//  - PolicyCache: parsed policies by (name, version); a stored policy's
//    version is bumped by every change, and the version is read from the
//    database with the device's admission state on every request.
//  - Nothing about devices. The device's admission state (Store::
//    device_admission) is read from the database on every request, so a
//    revocation or rejection written by any replica holds at the next login.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "keys.h"
#include "paw/attest/policy.h"
#include "paw/attest/result_token.h"

namespace paw::verifier {

class TokenCache {
 public:
  static constexpr std::size_t kShards = 16;
  explicit TokenCache(std::size_t capacity);

  // verify answers like Keyring::verify (same errors, no leeway), from the
  // cache when this token verified before under the current key set and is
  // still within [iat, exp); otherwise verifies it and, when it verified,
  // remembers it.
  Result<std::shared_ptr<const ResultClaims>> verify(const Keyring& keys, std::string_view token, std::int64_t now,
                                                     std::string_view issuer);

  // holds: verify would answer |token| from the cache now (no signature
  // check). The edge answers only such logins on its reactor; a token it has
  // not verified before goes to a worker (service.cpp runs_inline).
  [[nodiscard]] bool holds(const Keyring& keys, std::string_view token, std::int64_t now,
                           std::string_view issuer) const;
  [[nodiscard]] std::size_t size() const;
  [[nodiscard]] std::uint64_t hits() const noexcept { return hits_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t misses() const noexcept { return misses_.load(std::memory_order_relaxed); }

 private:
  using Digest = std::array<std::uint8_t, 32>;
  // digest_of: the SHA-256 of |token|. The reactor asks holds() and then
  // verify() about the same login on the same thread: the second call
  // reuses the first's digest (a compare instead of a hash).
  static Digest digest_of(std::string_view token);
  struct DigestHash {
    std::size_t operator()(const Digest& d) const noexcept;
  };
  struct Entry {
    Entry(const Digest& k, std::shared_ptr<const ResultClaims> c, std::uint64_t g)
        : key(k), claims(std::move(c)), generation(g) {}
    Digest key;
    std::shared_ptr<const ResultClaims> claims;
    std::uint64_t generation;
    // used: hit since it was last looked at for eviction (second chance).
    // A hit only sets it, under the shard's shared lock, so concurrent
    // logins with cached tokens never wait for each other.
    mutable std::atomic<bool> used{false};
  };
  // counts: entry |e| answers for a token now (verify_result_token's window
  // with no leeway, iat <= now < exp; the key set and issuer that verified it).
  static bool counts(const Entry& e, std::uint64_t generation, std::int64_t now, std::string_view issuer) {
    return e.generation == generation && e.claims->iat <= now && now < e.claims->exp &&
           (issuer.empty() || e.claims->iss == issuer);
  }
  struct Shard {
    mutable std::shared_mutex mu;
    std::list<Entry> lru;  // newest first; eviction from the back, sparing used entries once
    std::unordered_map<Digest, std::list<Entry>::iterator, DigestHash> index;
  };

  std::size_t per_shard_;
  std::array<Shard, kShards> shards_;
  std::atomic<std::uint64_t> hits_{0};
  std::atomic<std::uint64_t> misses_{0};
};

class PolicyCache {
 public:
  // Readers share the lock: every login reads, a policy change writes.
  static constexpr std::size_t kMaxEntries = 256;
  // get is the parsed policy |name| at |version|, or nullptr.
  std::shared_ptr<const Policy> get(const std::string& name, std::int64_t version) const;
  void put(const std::string& name, std::int64_t version, std::shared_ptr<const Policy> p);

 private:
  mutable std::shared_mutex mu_;
  std::map<std::pair<std::string, std::int64_t>, std::shared_ptr<const Policy>> map_;
};

}  // namespace paw::verifier

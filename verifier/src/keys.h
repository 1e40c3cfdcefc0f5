// keys.h — the result-token signing keys: one current, retired ones kept in
// the JWKS until every token they signed has expired.
#pragma once

#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "paw/attest/result_token.h"
#include "store/store.h"

namespace paw::verifier {

class Keyring {
 public:
  explicit Keyring(Store& store) : store_(store) {}

  // ensure_key creates and stores a first key if the store has none.
  Status ensure_key(std::int64_t now);
  // load reads the keys from the store (current = newest with retired_at == 0).
  Status load();
  // sign signs |claims| with the current key.
  Result<std::string> sign(const ResultClaims& claims) const;
  // jwks returns the JWKS document of the current and not yet dropped keys.
  std::string jwks() const;
  // verify checks a result token against the keys in the ring.
  Result<ResultClaims> verify(std::string_view token, std::int64_t now, std::string_view issuer) const;
  // rotate makes a new current key, retires the old one at |now| and drops
  // keys retired before now - overlap. Returns the new kid.
  Result<std::string> rotate(std::int64_t now, std::int64_t overlap);
  std::string current_kid() const;
  // VerifySet is the verification keys with their generation, which load()
  // bumps whenever the set of keys changes (rotation here, or a reload that
  // sees another replica's rotation): what TokenCache stamps entries with.
  struct VerifySet {
    std::shared_ptr<const Jwks> jwks;
    std::uint64_t generation = 0;
  };
  VerifySet verify_set() const;

 private:
  Store& store_;
  mutable std::shared_mutex mu_;
  std::shared_ptr<const SigningKey> current_;
  std::vector<std::string> public_jwks_;
  std::shared_ptr<const Jwks> verify_set_;
  std::uint64_t generation_ = 0;
};

}  // namespace paw::verifier

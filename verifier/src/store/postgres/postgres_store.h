// postgres_store.h — the PostgreSQL Store (postgres_store.cpp), for several
// verifier replicas sharing one database.
#pragma once

#include <memory>
#include <string>

#include "store/store.h"

namespace paw::verifier {

// postgres_connection_string turns "postgresql://[user[:password]@][host][:port][/dbname][?key=value&…]"
// (percent-encoded as in libpq URIs; query keys are libpq keywords such as
// sslmode, sslrootcert, sslcert, sslkey, connect_timeout, application_name)
// into a libpq "key='value' …" string. Errc::config_error for a malformed URL.
Result<std::string> postgres_connection_string(const std::string& url);

// open_postgres_store connects (pooled, up to |max_sessions| connections),
// applies pending migrations under a transaction-level advisory lock (replicas
// starting together apply each migration once) and returns the store.
// Errc::config_error for a bad URL, Errc::storage_error when unreachable.
Result<std::unique_ptr<Store>> open_postgres_store(const std::string& url, int max_sessions = 64);

// kEventWriterLock is the advisory lock every transaction that inserts an
// event holds (shared) from before it takes the event's id until it ends;
// Store::settle_events takes it exclusively ("paw" "evnt").
inline constexpr std::int64_t kEventWriterLock = 0x7061770065766e74;

}  // namespace paw::verifier

// store_sql.h — SQL that the SQLite and PostgreSQL stores share word for word.
//
// Written once with `?` placeholders; for PostgreSQL they become $1, $2, ….
// Each function runs on a Poco::Data session the caller leased and throws on
// database errors (the stores' guarded() turns those into storage_error).
#pragma once

#include <Poco/Data/Session.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace paw::verifier::sql {

enum class Dialect { sqlite, postgres };

// placeholders rewrites `?` to `$1`, `$2`, … for PostgreSQL (the shared
// statements have no `?` inside string literals).
std::string placeholders(Dialect d, std::string_view sql);

std::int64_t last_event_id(Poco::Data::Session& s);
// purge_events deletes up to |limit| events older than |before|, oldest first: how many.
std::int64_t purge_events(Poco::Data::Session& s, Dialect d, std::int64_t before, std::int64_t limit);
// The webhook cursor lease (store.h: claim_webhook, advance_webhook, release_webhook).
std::optional<std::int64_t> claim_webhook(Poco::Data::Session& s, Dialect d, const std::string& url,
                                          const std::string& owner, std::int64_t now, std::int64_t lease_until,
                                          std::int64_t start_after);
bool advance_webhook(Poco::Data::Session& s, Dialect d, const std::string& url, const std::string& owner,
                     std::int64_t last_event_id);
void release_webhook(Poco::Data::Session& s, Dialect d, const std::string& url, const std::string& owner);

}  // namespace paw::verifier::sql

#include "store_sql.h"

#include <Poco/Data/Statement.h>

#include <vector>

namespace kw = Poco::Data::Keywords;
using Poco::Data::Keywords::into;
using Poco::Data::Keywords::now;

namespace paw::verifier::sql {

std::string placeholders(Dialect d, std::string_view sql) {
  if (d == Dialect::sqlite) return std::string(sql);
  std::string out;
  int n = 0;
  for (char c : sql) {
    if (c == '?') {
      out += "$" + std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

std::int64_t last_event_id(Poco::Data::Session& s) {
  std::int64_t id = 0;
  s << "SELECT COALESCE(MAX(id), 0) FROM events", into(id), now;
  return id;
}

std::int64_t purge_events(Poco::Data::Session& s, Dialect d, std::int64_t before, std::int64_t limit) {
  Poco::Data::Statement del(s);
  del << placeholders(d, "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE time < ? ORDER BY time, id LIMIT ?)"),
      kw::bind(before), kw::bind(limit);
  return static_cast<std::int64_t>(del.execute());
}

std::optional<std::int64_t> claim_webhook(Poco::Data::Session& s, Dialect d, const std::string& url,
                                          const std::string& owner, std::int64_t now_s, std::int64_t lease_until,
                                          std::int64_t start_after) {
  s << placeholders(d, "INSERT INTO webhook_cursors (url, last_event_id, owner, lease_until) VALUES (?, ?, '', 0) "
                       "ON CONFLICT (url) DO NOTHING"),
      kw::bind(url), kw::bind(start_after), now;
  // One winner: free, expired, or already ours.
  Poco::Data::Statement up(s);
  up << placeholders(d, "UPDATE webhook_cursors SET owner = ?, lease_until = ? WHERE url = ? AND "
                        "(owner = ? OR owner = '' OR lease_until < ?)"),
      kw::bind(owner), kw::bind(lease_until), kw::bind(url), kw::bind(owner), kw::bind(now_s);
  if (up.execute() != 1) return std::nullopt;
  std::vector<std::int64_t> last;
  s << placeholders(d, "SELECT last_event_id FROM webhook_cursors WHERE url = ?"), kw::bind(url), into(last), now;
  if (last.empty()) return std::nullopt;
  return last[0];
}

bool advance_webhook(Poco::Data::Session& s, Dialect d, const std::string& url, const std::string& owner,
                     std::int64_t last_event_id) {
  Poco::Data::Statement up(s);
  up << placeholders(d, "UPDATE webhook_cursors SET last_event_id = ? WHERE url = ? AND owner = ?"),
      kw::bind(last_event_id), kw::bind(url), kw::bind(owner);
  return up.execute() == 1;
}

void release_webhook(Poco::Data::Session& s, Dialect d, const std::string& url, const std::string& owner) {
  s << placeholders(d, "UPDATE webhook_cursors SET owner = '', lease_until = 0 WHERE url = ? AND owner = ?"),
      kw::bind(url), kw::bind(owner), now;
}

}  // namespace paw::verifier::sql

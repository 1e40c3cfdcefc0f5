// pawctl events [--last N] [--follow] [--device ID] and pawctl keys rotate.
#include <Poco/JSON/Object.h>
#include <Poco/URI.h>

#include <iostream>

#include "admin_client.h"
#include "command.h"

namespace pawctl {
namespace {

void print_event(const paw::json::ObjectPtr& e) {
  std::string detail;
  if (e->has("detail") && !e->get("detail").isEmpty()) {
    auto d = e->getObject("detail");
    if (!d.isNull()) detail = human_json(d);
  }
  const std::string device = e->optValue<std::string>("device_id", "");
  std::cout << format_time(e->optValue<std::int64_t>("time", 0)) << "  #" << e->optValue<std::int64_t>("id", 0) << "  "
            << e->optValue<std::string>("type", "") << (device.empty() ? "" : "  device=" + device) << "  " << detail
            << std::endl;
}

constexpr const char* kEventsUsage =
    "usage: pawctl events [--last N | --after ID [--limit N]] [--follow] [--device ID] [--json] "
    "--verifier URL --ca-file PEM";

bool is_number(const std::string& s) {
  return !s.empty() && s.size() <= 18 && s.find_first_not_of("0123456789") == std::string::npos;
}

void print_events(const paw::json::ArrayPtr& arr, bool as_json) {
  for (std::size_t i = 0; !arr.isNull() && i < arr->size(); ++i) {
    auto e = arr->getObject(static_cast<unsigned>(i));
    if (e.isNull()) continue;
    if (as_json) std::cout << paw::json::stringify(e) << std::endl;  // one JSON line per event
    else print_event(e);
  }
}

// last_events reads the newest |want| events (order=desc, paging back with
// before=) and prints them oldest first, as tail and journalctl -n do, so
// --follow goes on below them. Returns the follow cursor (the newest id).
paw::Result<std::string> last_events(const Connection& conn, std::int64_t want, const std::string& device_query) {
  Poco::JSON::Array::Ptr got = new Poco::JSON::Array();
  std::int64_t next = 0;
  std::string before;
  while (static_cast<std::int64_t>(got->size()) < want) {
    const std::int64_t page = std::min<std::int64_t>(1000, want - static_cast<std::int64_t>(got->size()));
    std::string path = "/v1/admin/events?order=desc&limit=" + std::to_string(page) + device_query;
    if (!before.empty()) path += "&before=" + before;
    PAW_TRY(auto a, call_ok(conn, "GET", path, "", 15));
    PAW_TRY(auto o, parse_answer(a));
    if (before.empty()) next = o->optValue<std::int64_t>("next", 0);
    auto arr = o->getArray("events");
    for (std::size_t i = 0; !arr.isNull() && i < arr->size(); ++i) got->add(arr->get(static_cast<unsigned>(i)));
    if (!o->has("before")) break;
    before = std::to_string(o->getValue<std::int64_t>("before"));
  }
  Poco::JSON::Array::Ptr oldest_first = new Poco::JSON::Array();
  for (std::size_t i = got->size(); i-- > 0;) oldest_first->add(got->get(static_cast<unsigned>(i)));
  print_events(oldest_first, conn.json);
  return std::to_string(next);
}

int events(const std::vector<std::string>& words) {
  auto args = parse_admin_args(words, {"after", "limit", "device", "last"}, {"follow"});
  if (!args.ok()) return report(args.error());
  if (!args->positional().empty()) return fail(kEventsUsage, 2);
  auto conn = connection_from(*args);
  if (!conn.ok()) return report(conn.error());
  const bool follow = args->has("follow");
  std::string after = args->get_or("after", "0");
  const std::string limit = args->get_or("limit", "100");
  // --device: that device's events only, filtered by the verifier (which
  // checks the id: a bad one is its 400 malformed, reported as such).
  std::string device;
  if (args->has("device")) Poco::URI::encode(args->get_or("device", ""), "&=+#?/%;", device);
  const std::string device_query = args->has("device") ? "&device=" + device : "";
  for (const auto& s : {after, limit}) {
    if (!is_number(s)) return fail("--after and --limit take a number", 2);
  }
  bool first = true;
  if (args->has("last")) {
    // --last N: the newest N (newest-first reads), then --follow from the newest.
    const std::string last = args->get_or("last", "");
    if (args->has("after") || args->has("limit")) return fail("--last cannot be combined with --after or --limit", 2);
    if (!is_number(last) || std::stoll(last) < 1) return fail("--last takes a number of events, 1 or more", 2);
    auto next = last_events(*conn, std::stoll(last), device_query);
    if (!next.ok()) return report(next.error());
    if (!follow) return 0;
    after = *next;
    first = false;  // the reads above were the audited plain read
  }
  // --follow: one plain read (audited), then long polls (not audited each,
  // so following never feeds itself events or trips the rate limit).
  for (;; first = false) {
    std::string path = "/v1/admin/events?after=" + after + "&limit=" + limit + device_query;
    const bool poll = follow && !first;
    if (poll) path += "&wait=25";
    auto a = call_ok(*conn, "GET", path, "", poll ? 40 : 15);
    if (!a.ok()) return report(a.error());
    auto o = parse_answer(*a);
    if (!o.ok()) return report(o.error());
    print_events((*o)->getArray("events"), conn->json);
    after = std::to_string((*o)->optValue<std::int64_t>("next", 0));
    if (!follow) break;
  }
  return 0;
}

int keys(const std::vector<std::string>& words) {
  auto args = parse_admin_args(words, {});
  if (!args.ok()) return report(args.error());
  if (args->positional().size() != 1 || args->positional()[0] != "rotate") {
    return fail("usage: pawctl keys rotate [--yes] [--json] --verifier URL --ca-file PEM", 2);
  }
  return post_rotation(*args, "rotate the result-token signing key", "/v1/admin/keys/rotate", "new signing key ",
                       " (the previous key stays in the JWKS for the overlap period)");
}

}  // namespace

PAWCTL_COMMAND("events", "events [--last N] [--follow] [--device ID] [--after ID] [--limit N]  audit and health events",
               events);
PAWCTL_COMMAND("keys", "keys rotate                                 new result-token signing key", keys);

}  // namespace pawctl

// pawctl events [--follow] [--device ID] and pawctl keys rotate.
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

int events(const std::vector<std::string>& words) {
  auto args = parse_admin_args(words, {"after", "limit", "device"}, {"follow"});
  if (!args.ok()) return report(args.error());
  if (!args->positional().empty()) {
    return fail("usage: pawctl events [--follow] [--device ID] [--after ID] [--limit N] [--json] "
                "--verifier URL --ca-file PEM",
                2);
  }
  auto conn = connection_from(*args);
  if (!conn.ok()) return report(conn.error());
  const bool follow = args->has("follow");
  std::string after = args->get_or("after", "0");
  const std::string limit = args->get_or("limit", "100");
  // --device: that device's events only, filtered by the verifier (which
  // checks the id: a bad one is its 400 malformed, reported as such).
  std::string device;
  if (args->has("device")) Poco::URI::encode(args->get_or("device", ""), "&=+#?/%;", device);
  for (auto s : {after, limit}) {
    if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) {
      return fail("--after and --limit take a number", 2);
    }
  }
  // --follow: one plain read (audited), then long polls (not audited each,
  // so following never feeds itself events or trips the rate limit).
  for (bool first = true;; first = false) {
    std::string path = "/v1/admin/events?after=" + after + "&limit=" + limit;
    if (args->has("device")) path += "&device=" + device;
    const bool poll = follow && !first;
    if (poll) path += "&wait=25";
    auto a = call_ok(*conn, "GET", path, "", poll ? 40 : 15);
    if (!a.ok()) return report(a.error());
    auto o = parse_answer(*a);
    if (!o.ok()) return report(o.error());
    auto arr = (*o)->getArray("events");
    for (std::size_t i = 0; !arr.isNull() && i < arr->size(); ++i) {
      auto e = arr->getObject(static_cast<unsigned>(i));
      if (e.isNull()) continue;
      if (conn->json) std::cout << paw::json::stringify(e) << std::endl;  // one JSON line per event
      else print_event(e);
    }
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

PAWCTL_COMMAND("events", "events [--follow] [--device ID] [--after ID] [--limit N]  audit and health events", events);
PAWCTL_COMMAND("keys", "keys rotate                                 new result-token signing key", keys);

}  // namespace pawctl

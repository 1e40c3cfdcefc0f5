// The one reason-list codec (reasons.h).
#include "paw/attest/reasons.h"

#include <string>

namespace paw {

json::ArrayPtr reasons_to_json(const std::vector<ResultReason>& reasons) {
  json::ArrayPtr a = new Poco::JSON::Array();
  for (const auto& r : reasons) {
    json::ObjectPtr o = new Poco::JSON::Object();
    o->set("code", r.code);
    o->set("message", r.message);
    if (r.grace_until != 0) o->set("grace_until", r.grace_until);
    a->add(o);
  }
  return a;
}

Result<std::vector<ResultReason>> reasons_from_json(const json::ArrayPtr& array, std::string_view what) {
  const std::string name(what);
  if (array.isNull()) return make_error(Errc::malformed, name + " is not an array");
  if (array->size() > kMaxReasons) return make_error(Errc::malformed, name + " holds too many entries");
  std::vector<ResultReason> out;
  out.reserve(array->size());
  for (std::size_t i = 0; i < array->size(); ++i) {
    json::ObjectPtr o = array->getObject(static_cast<unsigned>(i));
    if (o.isNull()) return make_error(Errc::malformed, name + " entries must be objects");
    PAW_CHECK(json::only_keys(o, {"code", "message", "grace_until"}, name));
    ResultReason r;
    PAW_TRY(r.code, json::get_string(o, "code"));
    PAW_TRY(r.message, json::get_string(o, "message"));
    if (o->has("grace_until")) {
      PAW_TRY(r.grace_until, json::get_int(o, "grace_until"));
    }
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<ResultReason>> reasons_from_text(std::string_view text, std::string_view what) {
  // A stored list is small; the bound keeps a corrupted row from costing much.
  PAW_TRY(json::ArrayPtr a, json::parse_array(text, 1 << 20));
  return reasons_from_json(a, what);
}

}  // namespace paw

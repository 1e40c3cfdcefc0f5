#include "paw/attest/json.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <sstream>

namespace paw::json {
namespace {

Error missing(const std::string& key, std::string_view want) {
  return make_error(Errc::malformed, "field \"" + key + "\" must be " + std::string(want));
}

bool present(const ObjectPtr& obj, const std::string& key) { return obj->has(key) && !obj->isNull(key); }

}  // namespace

namespace {
// parse_value parses |text| (at most |max_size| bytes, |max_depth| deep) as one JSON value.
Result<Poco::Dynamic::Var> parse_value(std::string_view text, std::size_t max_size, std::size_t max_depth) {
  if (text.size() > max_size) {
    return make_error(Errc::too_large, "JSON document of " + std::to_string(text.size()) +
                                           " bytes exceeds the limit of " + std::to_string(max_size));
  }
  try {
    Poco::JSON::Parser parser;
    parser.setDepth(max_depth);
    return parser.parse(std::string(text));
  } catch (const Poco::Exception& e) {
    return make_error(Errc::malformed, "invalid JSON: " + e.displayText());
  } catch (const std::exception& e) {
    return make_error(Errc::malformed, std::string("invalid JSON: ") + e.what());
  }
}
}  // namespace

Result<ObjectPtr> parse_object(std::string_view text, std::size_t max_size, std::size_t max_depth) {
  PAW_TRY(Poco::Dynamic::Var v, parse_value(text, max_size, max_depth));
  if (v.type() != typeid(ObjectPtr)) return make_error(Errc::malformed, "JSON document is not an object");
  return v.extract<ObjectPtr>();
}

Result<ArrayPtr> parse_array(std::string_view text, std::size_t max_size, std::size_t max_depth) {
  PAW_TRY(Poco::Dynamic::Var v, parse_value(text, max_size, max_depth));
  if (v.type() != typeid(ArrayPtr)) return make_error(Errc::malformed, "JSON document is not an array");
  return v.extract<ArrayPtr>();
}

Status only_keys(const ObjectPtr& obj, std::initializer_list<std::string_view> allowed, std::string_view where) {
  for (const auto& [key, value] : *obj) {
    bool known = false;
    for (std::string_view a : allowed) known = known || key == a;
    if (!known) return make_error(Errc::malformed, "unknown field \"" + key + "\" in " + std::string(where));
  }
  return ok_status();
}

Result<std::string> get_string(const ObjectPtr& obj, const std::string& key) {
  if (!present(obj, key)) return missing(key, "present");
  const auto v = obj->get(key);
  if (!v.isString()) return missing(key, "a string");
  return v.extract<std::string>();
}

Result<std::int64_t> get_int(const ObjectPtr& obj, const std::string& key) {
  if (!present(obj, key)) return missing(key, "present");
  const auto v = obj->get(key);
  if (!v.isInteger()) return missing(key, "an integer");
  try {
    return v.convert<std::int64_t>();
  } catch (const Poco::Exception&) {
    return missing(key, "an integer in range");
  }
}

Result<bool> get_bool(const ObjectPtr& obj, const std::string& key) {
  if (!present(obj, key)) return missing(key, "present");
  const auto v = obj->get(key);
  if (!v.isBoolean()) return missing(key, "true or false");
  return v.extract<bool>();
}

Result<ObjectPtr> get_object(const ObjectPtr& obj, const std::string& key) {
  if (!present(obj, key)) return missing(key, "present");
  ObjectPtr o = obj->getObject(key);
  if (o.isNull()) return missing(key, "an object");
  return o;
}

Result<ArrayPtr> get_array(const ObjectPtr& obj, const std::string& key) {
  if (!present(obj, key)) return missing(key, "present");
  ArrayPtr a = obj->getArray(key);
  if (a.isNull()) return missing(key, "an array");
  return a;
}

Result<Bytes> get_b64(const ObjectPtr& obj, const std::string& key, std::size_t max_bytes) {
  PAW_TRY(std::string s, get_string(obj, key));
  if (s.size() / 4 * 3 > max_bytes + 2) {
    return make_error(Errc::too_large, "field \"" + key + "\" exceeds " + std::to_string(max_bytes) + " bytes");
  }
  auto r = unbase64(s);
  if (!r.ok()) return make_error(Errc::malformed, "field \"" + key + "\": " + r.error().detail);
  if (r->size() > max_bytes) {
    return make_error(Errc::too_large, "field \"" + key + "\" exceeds " + std::to_string(max_bytes) + " bytes");
  }
  return r;
}

Result<Bytes> get_hex(const ObjectPtr& obj, const std::string& key, std::size_t max_bytes) {
  PAW_TRY(std::string s, get_string(obj, key));
  if (s.size() > 2 * max_bytes) {
    return make_error(Errc::too_large, "field \"" + key + "\" exceeds " + std::to_string(max_bytes) + " bytes");
  }
  auto r = unhex(s);
  if (!r.ok()) return make_error(Errc::malformed, "field \"" + key + "\": " + r.error().detail);
  return r;
}

Result<std::optional<std::string>> opt_string(const ObjectPtr& obj, const std::string& key) {
  if (!present(obj, key)) return std::optional<std::string>{};
  PAW_TRY(std::string s, get_string(obj, key));
  return std::optional<std::string>(std::move(s));
}

Result<std::optional<bool>> opt_bool(const ObjectPtr& obj, const std::string& key) {
  if (!present(obj, key)) return std::optional<bool>{};
  PAW_TRY(bool b, get_bool(obj, key));
  return std::optional<bool>(b);
}

Result<std::optional<Bytes>> opt_b64(const ObjectPtr& obj, const std::string& key, std::size_t max_bytes) {
  if (!present(obj, key)) return std::optional<Bytes>{};
  PAW_TRY(Bytes b, get_b64(obj, key, max_bytes));
  return std::optional<Bytes>(std::move(b));
}

std::string stringify(const ObjectPtr& obj) {
  std::ostringstream out;
  Poco::JSON::Stringifier::condense(obj, out);
  return out.str();
}

std::string stringify(const ArrayPtr& arr) {
  std::ostringstream out;
  Poco::JSON::Stringifier::condense(arr, out);
  return out.str();
}

}  // namespace paw::json

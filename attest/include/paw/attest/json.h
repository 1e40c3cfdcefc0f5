// paw/attest/json.h — strict JSON reading for untrusted input (Poco::JSON
// underneath). Sizes and depth are limited before/while parsing; accessors
// turn absent or mistyped fields into Errc::malformed naming the field; Poco
// exceptions never escape.
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "paw/attest/bytes.h"

namespace paw::json {

using ObjectPtr = Poco::JSON::Object::Ptr;
using ArrayPtr = Poco::JSON::Array::Ptr;

inline constexpr std::size_t kDefaultMaxDepth = 16;

// parse_object parses |text| as one JSON object. Errc::too_large if larger
// than |max_size|, Errc::malformed if not JSON, deeper than |max_depth|, or not an object.
Result<ObjectPtr> parse_object(std::string_view text, std::size_t max_size,
                               std::size_t max_depth = kDefaultMaxDepth);

// parse_array: the same for one JSON array.
Result<ArrayPtr> parse_array(std::string_view text, std::size_t max_size, std::size_t max_depth = kDefaultMaxDepth);

// only_keys fails (Errc::malformed) if |obj| has a key outside |allowed|: unknown
// fields are refused so nothing unsigned or misspelt is silently ignored.
Status only_keys(const ObjectPtr& obj, std::initializer_list<std::string_view> allowed,
                 std::string_view where);

// Required accessors: Errc::malformed naming |key| if absent or of another type.
Result<std::string> get_string(const ObjectPtr& obj, const std::string& key);
Result<std::int64_t> get_int(const ObjectPtr& obj, const std::string& key);
Result<bool> get_bool(const ObjectPtr& obj, const std::string& key);
Result<ObjectPtr> get_object(const ObjectPtr& obj, const std::string& key);
Result<ArrayPtr> get_array(const ObjectPtr& obj, const std::string& key);
// get_b64 / get_hex decode a string field; |max_bytes| bounds the decoded size (Errc::too_large).
Result<Bytes> get_b64(const ObjectPtr& obj, const std::string& key, std::size_t max_bytes);
Result<Bytes> get_hex(const ObjectPtr& obj, const std::string& key, std::size_t max_bytes);

// Optional accessors: nullopt when absent (or JSON null); an error when present but wrong.
Result<std::optional<std::string>> opt_string(const ObjectPtr& obj, const std::string& key);
Result<std::optional<bool>> opt_bool(const ObjectPtr& obj, const std::string& key);
Result<std::optional<Bytes>> opt_b64(const ObjectPtr& obj, const std::string& key, std::size_t max_bytes);

// stringify writes compact JSON (keys in Poco's order: sorted unless preserveInsertionOrder).
std::string stringify(const ObjectPtr& obj);
std::string stringify(const ArrayPtr& arr);

}  // namespace paw::json

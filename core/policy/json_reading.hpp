// Reading JSON an untrusted hand wrote: refuses documents nested too deep
// for nlohmann's recursion, reports members written twice (nlohmann keeps
// one silently) and syntax errors by line and column, and describes values
// for "found ..." in messages. The config loader's guards.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/policy/config.hpp"

namespace permwatch {

// ordered_json keeps members in the order the file wrote them, so problems
// come out in document order, the order an administrator reads the file in.
using Json = nlohmann::ordered_json;

// The document, or nullopt when there is none (too deep, not JSON); either
// way problems found on the way (duplicate members) are appended.
std::optional<Json> parse_json_guarded(std::string_view text, std::vector<ConfigProblem>& problems);

// A string for a message: JSON-quoted, cut at 60 bytes.
std::string json_quote(std::string_view s);
// What the file holds at a place: "the string \"x\"", "an empty array", ...
std::string found(const Json& v);
// JSON Schema's "integer": any number with no fractional part (so 60.0 is
// 60). Values beyond int64 saturate, so that range checks reject them.
std::optional<std::int64_t> integral_value(const Json& v);

}  // namespace permwatch

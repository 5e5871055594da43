// The config loader's "keys" section: key paths, requirements, principals,
// rights and inheritance flags (docs/reference.md "Configuration").
#pragma once

#include <string>
#include <vector>

#include "core/policy/config.hpp"
#include "core/policy/json_reading.hpp"

namespace permwatch::config_reading {

// Reads "keys" at `pointer` into `out`: an array of keys, in which the string
// "auto" may stand once, or "auto" alone (`auto_keys` set for both); each
// problem is appended.
void read_keys(const Json& v, const std::string& pointer, std::vector<KeyPolicy>& out,
               bool& auto_keys, std::vector<ConfigProblem>& problems);
// "comment": a string, ignored.
void read_comment(const Json& v, const std::string& pointer, std::vector<ConfigProblem>& problems);
// "auto_rights": a rights list, as a requirement's "rights".
void read_auto_rights(const Json& v, const std::string& pointer, AccessMask& out,
                      std::vector<ConfigProblem>& problems);
// "auto_rules": [{"resource_type": ..., "require": [...]}, ...].
void read_auto_rules(const Json& v, const std::string& pointer, std::vector<ResourceTypeRule>& out,
                     std::vector<ConfigProblem>& problems);

}  // namespace permwatch::config_reading

// The config loader's "keys" section: key paths, requirements, principals,
// rights and inheritance flags (docs/reference.md "Configuration").
#pragma once

#include <string>
#include <vector>

#include "core/policy/config.hpp"
#include "core/policy/json_reading.hpp"

namespace permwatch::config_reading {

// Reads the "keys" array at `pointer` into `out`; each problem is appended.
void read_keys(const Json& v, const std::string& pointer, std::vector<KeyPolicy>& out,
               std::vector<ConfigProblem>& problems);

}  // namespace permwatch::config_reading

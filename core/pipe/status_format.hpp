// `permwatch status` without --json: the status document (docs/reference.md "Named
// pipe", {"cmd":"status"}) as a short table for a person. Tolerant of missing
// or odd fields: it prints what the service sent.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace permwatch {

// A header line (version, mode, number of keys), one row per key (path,
// state, last check, last repair), then counters and the cluster when present.
std::string format_status_table(const nlohmann::json& status);

}  // namespace permwatch

// Output of `status --cluster` and `check --cluster`: a short table for a
// person, or one JSON document (--json). Every text here came from the
// cluster database and has passed parse_summary (no control characters);
// the cluster's own names are shown as the adapter bounded them.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/cluster/cluster_readiness.hpp"
#include "core/cluster/cluster_view.hpp"
#include "core/policy/json_reading.hpp"

namespace permwatch {

// One row per node: node, cluster state, PermWatch running (heartbeat age),
// mode, keys compliant/drift/error, last repair.
std::string cluster_status_text(const std::string& cluster, const std::vector<NodeView>& nodes);
Json cluster_status_json(const std::string& cluster, const std::vector<NodeView>& nodes,
                         std::chrono::system_clock::time_point now);

// "ready: ..." or "not ready: NODE2, ..." and one line per node, key and reason.
std::string readiness_text(const Readiness& readiness);
Json readiness_json(const std::string& cluster, const Readiness& readiness,
                    std::chrono::system_clock::time_point now);

}  // namespace permwatch

// Every node of the cluster with what its PermWatch published, judged:
// running (fresh heartbeat), stopped (left cleanly), stale, no summary, or
// unreadable. Shared by `status --cluster` and `check --cluster`.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cluster/node_summary.hpp"
#include "core/ports/cluster_view_port.hpp"

namespace permwatch {

enum class NodeHealth { running, stopped, stale, no_summary, unreadable };
std::string_view to_string(NodeHealth health);

struct NodeView {
    ClusterNodeInfo info;
    NodeHealth health = NodeHealth::no_summary;
    std::optional<NodeSummary> summary;     // when it parsed (running, stopped, stale)
    std::optional<double> heartbeat_age_s;  // reader's clock minus the heartbeat
    std::string problem;                    // unreadable: why
};

// A heartbeat is fresh while younger than twice the node's sweep interval.
// Nodes keep their clocks in step (a domain does), but not exactly: a
// heartbeat that seems to come from the future is fresh within the same
// margin, and stale beyond it (a clock far off is itself a fault).
bool heartbeat_fresh(double age_s, int sweep_interval_s);

NodeView judge_node(const ClusterNodeInfo& info, const PublishedText& published,
                    std::chrono::system_clock::time_point now);

// Reads every node's summary through the port (throws ClusterViewError when
// the nodes cannot be enumerated).
std::vector<NodeView> read_cluster_view(ClusterViewPort& port,
                                        std::chrono::system_clock::time_point now);

}  // namespace permwatch

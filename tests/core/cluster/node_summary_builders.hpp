// Summaries as a node publishes them, built in one place for every test that
// writes one into a cluster (fake or simulated) or reads one back.
#pragma once

#include <string>

#include "core/cluster/node_summary.hpp"

namespace permwatch::test {

// A node's summary with no keys yet: enforce mode, a 60 s sweep, its last
// change and its heartbeat both at `heartbeat`.
inline NodeSummary summary_of(const std::string& node, const std::string& version,
                              const std::string& heartbeat) {
    NodeSummary s;
    s.node = node;
    s.version = version;
    s.mode = "enforce";
    s.heartbeat = heartbeat;
    s.time = heartbeat;
    s.sweep_interval_s = 60;
    return s;
}

// A key the node published as checkpointed by `resource` of `group`.
inline PublishedKey checkpointed_key(const std::string& path, KeyState state,
                                     const std::string& resource, const std::string& group) {
    PublishedKey k;
    k.path = path;
    k.state = state;
    k.checkpointed = true;
    k.resource = resource;
    k.group = group;
    return k;
}

}  // namespace permwatch::test

// The pre-flight before a move (`check --cluster [--group G]`): for every
// node that may own the group, is the published state of the group's
// checkpointed keys compliant, and is that node's summary fresh?
//
// Who may own G: its preferred owners and the possible owners of its
// resources (the union); when the cluster names none, every node. A node
// the Cluster service reports down cannot take the group now: it is listed
// as skipped, not as a failure.
// G's checkpointed keys: every key any node published with G as its
// checkpoint's group, plus, on each node, the keys it marked "checkpoint":
// true that no discovered resource covers (those are prepared for every
// failover to that node).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/cluster_view.hpp"

namespace permwatch {

enum class NotReadyReason {
    drift,            // the key's published state is drift or flapping
    key_error,        // the key could not be read or repaired there
    not_watched,      // the node's PermWatch does not publish that key
    stale_heartbeat,  // the summary is older than twice the node's sweep interval
    not_running,      // the node's PermWatch stopped (cleanly)
    no_summary,       // the node never published one
    unreadable,       // what it published could not be read or trusted
};
std::string_view to_string(NotReadyReason reason);

struct NotReady {
    std::string group;
    std::string node;
    std::string key;  // "" when the reason is the node's, not one key's
    NotReadyReason reason = NotReadyReason::drift;
    std::string detail;  // in words: the state, the age, why unreadable
};

struct GroupReadiness {
    std::string group;
    std::vector<std::string> nodes;    // the nodes that may own it, checked
    std::vector<std::string> skipped;  // nodes that may own it but are down
    std::vector<std::string> keys;     // its checkpointed keys known anywhere
};

struct Readiness {
    std::vector<GroupReadiness> groups;
    std::vector<NotReady> problems;
    bool ready() const { return problems.empty(); }
};

Readiness assess_readiness(const std::vector<NodeView>& nodes,
                           const std::vector<GroupOwners>& groups);

}  // namespace permwatch

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
// Keys can only be checked when they are known: a resource of G whose
// checkpoints a node that may own G could not learn (its published
// checkpoints_unknown; one with no group counts for every group), or that
// the node running the check could not read (GroupOwners::unreadable), makes
// G not ready. A group whose resources the cluster reports no checkpoints
// for, with none unknown, has "no checkpointed keys" and is ready as far as
// keys go (its nodes are still checked).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cluster/cluster_view.hpp"

namespace permwatch {

enum class NotReadyReason {
    drift,            // the key's published state is drift or flapping
    key_error,        // the key could not be read or repaired there
    not_watched,      // the node's PermWatch does not publish that key
    stale_heartbeat,  // the summary is older than twice the node's sweep interval
    not_running,      // the node's PermWatch stopped (cleanly)
    no_summary,       // the node never published one
    unreadable,       // what it published could not be read or trusted
    // A resource's checkpoints could not be learned there, so its keys are
    // not known and cannot be checked.
    checkpoints_unknown,
};
std::string_view to_string(NotReadyReason reason);

// The node named for what the node running the check could not read
// itself (GroupOwners::unreadable): the cluster view does not say which
// node that is, and no cluster node can be called this (a node's name has
// no space).
inline constexpr std::string_view kThisNode = "this node";

struct NotReady {
    std::string group;
    std::string node;
    std::string key;  // "" when the reason is the node's, not one key's
    NotReadyReason reason = NotReadyReason::drift;
    std::string detail;    // in words: the state, the age, why unreadable
    std::string resource;  // checkpoints_unknown: whose checkpoints; else ""
};

struct GroupReadiness {
    std::string group;
    std::vector<std::string> nodes;    // the nodes that may own it, checked
    std::vector<std::string> skipped;  // nodes that may own it but are down
    std::vector<std::string> keys;     // its checkpointed keys known anywhere
    // As the node running the check read them from the cluster: the group's
    // resources, and their checkpoints (nullopt when some could not be read).
    std::vector<std::string> resources;
    std::optional<std::size_t> cluster_checkpoints;
    // The cluster reports no checkpoints for its resources, none is unknown
    // and no node published a key for it: nothing to check but its nodes.
    bool no_checkpointed_keys = false;
};

struct Readiness {
    std::vector<GroupReadiness> groups;
    std::vector<NotReady> problems;
    bool ready() const { return problems.empty(); }
};

Readiness assess_readiness(const std::vector<NodeView>& nodes,
                           const std::vector<GroupOwners>& groups);

}  // namespace permwatch

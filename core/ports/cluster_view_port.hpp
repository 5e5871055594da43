// Port: what `status --cluster` and `check --cluster` need from the failover
// cluster: its nodes, every node's published summary (the cluster database,
// PermWatch\Nodes\<node> below the cluster root key), and who may own a
// group and what its resources checkpoint. The Windows adapter is
// service/cluster_database; tests use a fake.
// Every answer comes from the cluster, so every text is bounded by the
// adapter and parsed with guards by the caller.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/ports/cluster_port.hpp"

namespace permwatch {

// The cluster could not be asked (an enumeration or a read failed): the
// commands end with exit 2 and this text.
class ClusterViewError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct ClusterNodeInfo {
    std::string name;
    // The Cluster service's view of the node: "up", "down", "paused",
    // "joining" or "unknown".
    std::string state;
};

struct PublishedText {
    enum class Status { found, none, error };
    Status status = Status::none;
    std::string text;   // found: the summary as stored (UTF-8)
    std::string error;  // error: why it could not be read
};

struct GroupOwners {
    std::string group;
    std::vector<std::string> preferred;  // the group's preferred owners
    std::vector<std::string> possible;   // possible owners of the group's resources (union)
    // What the node running the command learned from the cluster itself
    // about the registry checkpoints of the group's resources, so that a
    // group no node published a key for can be told apart from one whose
    // checkpoints nobody could read.
    std::vector<std::string> resources;  // the group's resources
    // Checkpoints of those resources whose list was read (control code, or
    // the RegSync copy when the control code failed, as the watchdog reads
    // them).
    std::size_t checkpoint_count = 0;
    // Those resources whose checkpoints could not be read here (group set).
    std::vector<UnreadCheckpoints> unreadable;
};

class ClusterViewPort {
public:
    enum class Open { ok, no_cluster, error };
    virtual ~ClusterViewPort() = default;
    // Opens the local cluster; `why` says why not.
    virtual Open open(std::string& why) = 0;
    virtual std::string cluster_name() = 0;
    // Throw ClusterViewError when the cluster cannot be enumerated.
    virtual std::vector<ClusterNodeInfo> nodes() = 0;
    virtual std::vector<std::string> groups() = 0;
    virtual GroupOwners owners(const std::string& group) = 0;
    // The summary `node` published, if any.
    virtual PublishedText read_summary(const std::string& node) = 0;
};

// Port: where this node's summary is written (the watchdog's publisher).
class SummaryStore {
public:
    virtual ~SummaryStore() = default;
    // Writes `text` as `node`'s summary; the error text when it failed.
    virtual std::optional<std::string> write(const std::string& node, const std::string& text) = 0;
};

}  // namespace permwatch

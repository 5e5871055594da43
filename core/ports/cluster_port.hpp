// Port: what the engine needs from the failover cluster. The Windows adapter
// (service/cluster_adapter) loads clusapi.dll at run time; a node without the
// Cluster service is "not available" and PermWatch runs standalone.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace permwatch {

// Where PermWatch learned of a checkpoint.
enum class CheckpointSource {
    control_code,  // CLUSCTL_RESOURCE_GET_REGISTRY_CHECKPOINTS, the API's answer
    regsync,       // HKLM\Cluster\Resources\<id>\RegSync, when the control code failed
    config,        // "checkpoint": true in the config, no resource known
};

// The word `status` shows for a source: "control code", "RegSync", "config".
inline const char* to_string(CheckpointSource source) {
    switch (source) {
        case CheckpointSource::regsync:
            return "RegSync";
        case CheckpointSource::config:
            return "config";
        case CheckpointSource::control_code:
            break;
    }
    return "control code";
}

// One registry checkpoint of one cluster resource.
struct Checkpoint {
    std::string resource;
    std::string group;
    std::string key;  // "HKLM\\..." (the cluster API gives it relative to HKLM)
    CheckpointSource source = CheckpointSource::control_code;
    friend bool operator==(const Checkpoint&, const Checkpoint&) = default;
};

// A resource whose registry checkpoints could not be learned (neither the
// control code nor the RegSync copy answered): any key may be among them.
struct UnreadCheckpoints {
    std::string resource;
    std::string group;
    std::string why;
    friend bool operator==(const UnreadCheckpoints&, const UnreadCheckpoints&) = default;
};

// What "keys": "auto" needs to know of a resource that has checkpoints
// (core/cluster/auto_keys.hpp), learned with them.
struct ResourceFacts {
    std::string resource;
    std::string type;          // CLUSCTL_RESOURCE_GET_RESOURCE_TYPE; "" when not known
    std::string service_name;  // a Generic Service's ServiceName; "" otherwise
    // Why the type or the ServiceName could not be learned; "" when they were.
    std::string problem;
    // This node is one of the resource's possible owners (an empty list
    // means every node), so the restore may run here.
    bool possible_here = true;
    friend bool operator==(const ResourceFacts&, const ResourceFacts&) = default;
};

struct ClusterEvent {
    enum class Kind {
        group_moving_here,        // the group's owner is becoming this node / group pending here
        resource_online_pending,  // the checkpoint restore is about to happen on this node
        resource_online,          // restore done: re-open, re-check
        resource_failed,          // restore (or start) failed: re-open, re-check
        group_elsewhere,          // the group's owner is (becoming) another node
        resources_changed,        // a resource was added or deleted: rediscover checkpoints
        connection_lost,          // notify port broke or reconnected: full resync
    };
    Kind kind = Kind::group_moving_here;
    std::string group;
    std::string resource;
    std::string node;  // the node the group is moving to, when known
    // When the adapter received it (steady clock); unset for events made up
    // by the engine's side. Failover timings start here, queueing included.
    std::optional<std::chrono::steady_clock::time_point> received;
};

class ClusterPort {
public:
    virtual ~ClusterPort() = default;
    // Connects (or reconnects) and subscribes. false: no cluster here (or not
    // reachable now); the caller retries later. `on_event` is called on the
    // adapter's thread: post it to your own.
    virtual bool connect(std::function<void(const ClusterEvent&)> on_event) = 0;
    virtual void disconnect() = 0;
    virtual bool available() const = 0;
    virtual std::string node_name() const = 0;
    // Every resource's registry checkpoints, with the resource's group.
    virtual std::vector<Checkpoint> checkpoints() = 0;
    // The resources whose checkpoints the last checkpoints() call could not
    // learn; empty when it learned them all.
    virtual std::vector<UnreadCheckpoints> unread_checkpoints() const = 0;
    // What the last checkpoints() call learned of each resource that has
    // checkpoints, in no promised order.
    virtual std::vector<ResourceFacts> resource_facts() const = 0;
    // What is in flight towards this node right now, as the events that would
    // have announced it: groups pending with this node as owner
    // (group_moving_here) and resources online-pending here
    // (resource_online_pending). A resync asks this before it re-opens
    // anything, because the notifications of a move made while the
    // connection was down are lost.
    virtual std::vector<ClusterEvent> pending_here() = 0;
};

}  // namespace permwatch

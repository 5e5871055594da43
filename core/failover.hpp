// The failover sequence (DESIGN.md "Failover: what must happen, in order"):
// when a group holding a checkpointed key comes to this node, or its resource
// goes online-pending, (1) check and repair the key now, (2) release every
// handle PermWatch holds inside watched keys until the resource is online or
// failed, (3) then re-open and re-check, because a restore rewrites the key
// without change notifications. A lost cluster connection ends in a full
// resync. Runs on the engine's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/cluster_port.hpp"
#include "core/engine.hpp"

namespace permwatch {

struct FailoverCounters {
    std::uint64_t failovers_prepared = 0;
    std::uint64_t prepare_failures = 0;  // a key not compliant after the prepare repair
    std::uint64_t rechecks = 0;          // step 3 runs
    std::uint64_t resyncs = 0;
    double last_prepare_ms = 0;
};

class FailoverCoordinator {
public:
    FailoverCoordinator(Engine& engine, ClusterPort& cluster, WatchHandles& handles,
                        AlertSink& alerts, Clock& clock);

    // After connect(): learns the node and the checkpoints, checks every key.
    void connected();
    void on_event(const ClusterEvent& event);

    // The checkpoint that covers key `index`, if any (discovered, or
    // "checkpoint": true in the config).
    std::optional<Checkpoint> checkpoint_of(std::size_t index) const;
    const FailoverCounters& counters() const { return counters_; }
    bool handles_released() const { return !pending_.empty(); }
    // The status pipe's "cluster" object.
    nlohmann::ordered_json status() const;

private:
    std::vector<std::size_t> keys_of(const ClusterEvent& event) const;
    void prepare(const ClusterEvent& event);
    void finish(const ClusterEvent& event);
    void resync(const std::string& why);
    void discover();

    Engine& engine_;
    ClusterPort& cluster_;
    WatchHandles& handles_;
    AlertSink& alerts_;
    Clock& clock_;
    std::vector<Checkpoint> checkpoints_;
    std::set<std::string> pending_;  // resources between prepare and online/failed
    std::string last_event_;
    FailoverCounters counters_;
};

// Whether `key` is the checkpointed key or lies inside its subtree.
bool inside_checkpoint(const std::string& key, const std::string& checkpoint_key);

}  // namespace permwatch

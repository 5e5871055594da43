// The failover sequence, in the order the restore needs it:
// when a group holding a checkpointed key comes to this node, or its resource
// goes online-pending, (1) check and repair the key now, (2) release every
// handle PermWatch holds inside watched keys until the resource is online or
// failed, (3) then re-open and re-check, because a restore rewrites the key
// without change notifications. Between (2) and (3) the keys are frozen: the
// engine opens nothing inside the checkpointed subtree. The freeze ends on
// online or failed, when the group's owner becomes another node, or after
// failover_timeout_s. A lost cluster connection ends in a resync that
// prepares whatever is already moving here before it re-opens anything.
// Runs on the engine's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/engine/engine.hpp"
#include "core/engine/event_rate_limit.hpp"
#include "core/ports/cluster_port.hpp"

namespace permwatch {

struct FailoverCounters {
    std::uint64_t failovers_prepared = 0;
    std::uint64_t prepare_failures = 0;  // a key not compliant after the prepare repair
    std::uint64_t rechecks = 0;          // step 3 runs
    std::uint64_t resyncs = 0;
    std::uint64_t timeouts = 0;                 // freezes ended by failover_timeout_s
    std::uint64_t resync_events_held_back = 0;  // losses not raised as 3002 (rate cap)
    double last_prepare_ms = 0;                 // first indication -> repaired and released
};

class FailoverCoordinator {
public:
    using TimePoint = std::chrono::steady_clock::time_point;

    FailoverCoordinator(Engine& engine, ClusterPort& cluster, WatchHandles& handles,
                        AlertSink& alerts, Clock& clock);
    // Called after each discovery, before anything is prepared: the keys
    // learned from the cluster ("keys": "auto") must be in the engine
    // before a group moving here is looked up.
    void after_discovery(std::function<void()> hook) { after_discovery_ = std::move(hook); }

    // After connect(): learns the checkpoints and prepares every group that is
    // already on its way here (the notifications of a move made while no one
    // listened are lost), ends freezes whose failover finished meanwhile, then
    // (unless `first`: the caller checks every key once at start) checks
    // every key that was not just checked.
    void connected(bool first = false);
    void on_event(const ClusterEvent& event);
    // Ends freezes whose failover_timeout_s has passed (event 3003).
    void run_due();
    // When run_due has work next; nullopt when nothing is frozen.
    std::optional<TimePoint> next_due() const;

    // The checkpoint that covers key `index`, if any (discovered, or
    // "checkpoint": true in the config).
    // The one whose root is the key's longest matching prefix.
    std::optional<Checkpoint> checkpoint_of(std::size_t index) const;
    // What the last discovery found, and the resources it could not read.
    const std::vector<Checkpoint>& checkpoints() const { return checkpoints_; }
    const std::vector<UnreadCheckpoints>& unread_checkpoints() const { return unread_; }
    const std::vector<ResourceFacts>& resource_facts() const { return facts_; }
    // Asks the cluster for every checkpoint again (a sweep does, since no
    // notification says that a resource's possible owners changed).
    void rediscover() { discover(); }
    const FailoverCounters& counters() const { return counters_; }
    bool handles_released() const { return !frozen_.empty(); }
    // The last cluster event seen, as text ("" before the first).
    const std::string& last_event() const { return last_event_; }
    // The groups whose failover holds keys frozen now.
    std::vector<std::string> frozen_groups() const;

private:
    // One failover in flight towards this node, from prepare to thaw.
    struct Freeze {
        // A checkpoint key frozen for it, and the resources whose restore
        // writes it: it thaws when each of them is online (or failed), since
        // the Cluster service restores each resource's checkpoints as that
        // resource comes online, one after another. None known (a key the
        // config says is a checkpoint): any resource of the group thaws it.
        struct Root {
            std::string key;
            std::vector<std::string> resources;
        };
        std::vector<Root> roots;
        TimePoint deadline;
    };
    enum class ThawReason { online, failed, elsewhere, timeout, resync };

    // A key of the event's group and a checkpoint root of that group that
    // holds it; a key appears once per such root.
    struct Subtree {
        std::size_t key;
        std::string root;
        std::string resource;  // "" for a key the config says is a checkpoint
    };
    std::vector<Subtree> subtrees_of(const ClusterEvent& event) const;
    void prepare(const ClusterEvent& event);
    // Thaws the group's subtrees (with `resource`: only those whose restore
    // it was waiting for), re-opens handles, then checks each thawed key
    // once (step 3). Returns the keys checked.
    std::vector<std::size_t> thaw(const std::string& group, ThawReason why,
                                  const std::string& resource = "");
    void discover();

    Engine& engine_;
    ClusterPort& cluster_;
    WatchHandles& handles_;
    AlertSink& alerts_;
    Clock& clock_;
    std::vector<Checkpoint> checkpoints_;
    std::vector<UnreadCheckpoints> unread_;
    std::vector<ResourceFacts> facts_;
    std::function<void()> after_discovery_;
    std::map<std::string, Freeze> frozen_;  // by group
    std::string last_event_;
    FailoverCounters counters_;
    // A flapping cluster loses its port again and again: each loss is
    // counted and resynced, but at most 3 raise event 3002 in any 10 minutes.
    EventRateLimit resync_events_{3, std::chrono::minutes(10)};
};

}  // namespace permwatch

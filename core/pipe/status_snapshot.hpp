// What `status` reports, as data: the running watchdog fills one snapshot and
// to_json writes it, the one place the status document's shape is decided
// (docs/reference.md "Named pipe", the status reply).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/engine/engine.hpp"
#include "core/engine/failover.hpp"

namespace permwatch {

struct StatusSnapshot {
    struct ConfigInfo {
        std::string path;
        std::size_t keys = 0;
        int sweep_interval_s = 0;
        int debounce_ms = 0;
        std::string journal;
        int failover_timeout_s = 0;
    };
    struct Key {
        KeyStatus status;
        bool frozen = false;
        std::optional<Checkpoint> checkpoint;
        // A key learned from the cluster ("keys": "auto"): where from, and
        // what it requires and why (status writes each requirement out).
        std::optional<AutoOrigin> origin;
        std::vector<Requirement> require;
        // How it is watched and whether a handle is kept open (docs/design.md
        // "Hold nothing inside a checkpoint"); unset before the watcher starts.
        std::optional<std::string> watch;
        std::optional<bool> held_open;
    };
    struct Cluster {
        bool available = false;
        std::string node;        // when available
        std::string last_event;  // "" when none yet
        FailoverCounters counters;
        bool handles_released = false;
        std::vector<std::string> frozen_groups;
    };
    struct Publish {
        std::uint64_t requests = 0;
        std::uint64_t published = 0;
        std::uint64_t writes = 0;
        std::uint64_t failures = 0;
        std::uint64_t superseded = 0;
        double last_write_ms = 0;
        std::string last_error;  // "" when none
    };
    struct Journal {
        std::string path;
        std::uint64_t unflushed = 0;
        double last_flush_ms = 0;
        std::uint64_t flushes = 0;
        std::uint64_t flush_failures = 0;
        std::string last_flush_error;  // "" when none
    };

    std::string version;
    std::string mode;
    ConfigInfo config;
    std::vector<Key> keys;
    Cluster cluster;
    Publish publish;
    EngineCounters counters;
    Journal journal;
    long open_key_handles = 0;
    std::uint64_t loop_errors = 0;
};

// The keys' part of a snapshot, from the engine and the coordinator.
std::vector<StatusSnapshot::Key> snapshot_keys(const Engine& engine,
                                               const FailoverCoordinator& failover);
// The "cluster" part, from the coordinator and what the cluster port says.
StatusSnapshot::Cluster snapshot_cluster(const FailoverCoordinator& failover, bool available,
                                         const std::string& node);

// The status document (without "ok").
nlohmann::ordered_json to_json(const StatusSnapshot& status);

}  // namespace permwatch

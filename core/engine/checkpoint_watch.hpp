// How the service may hold and watch each key, given the registry
// checkpoints it knows (docs/design.md "Hold nothing inside a checkpoint").
//
// The Cluster service restores a checkpoint at every online of its resource,
// on whichever node, with no warning on a crash failover, and the restore
// fails while any process has a key open inside the checkpointed subtree.
// So a key inside a checkpoint is never held between checks (each check
// opens it, works and closes it), and its real-time watch sits outside every
// checkpoint: on the parent of the outermost checkpoint root that contains
// it, watching that parent's whole subtree. A key outside every checkpoint
// may be held and watched directly.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/policy/config.hpp"
#include "core/ports/cluster_port.hpp"

namespace permwatch {

struct KeyWatchPlan {
    enum class Mode {
        direct,      // outside every checkpoint: held between checks, watched itself
        from_above,  // inside a checkpoint: opened per check, watched from `watch_from`
        sweep_only,  // opened per check, no real-time watch (see plan_key_watches)
    };
    Mode mode = Mode::direct;
    // from_above: the key, outside every checkpoint, whose subtree watch
    // covers this key ("HKLM\\...").
    std::string watch_from;
    // The checkpoint root that decided it (the outermost one containing the
    // key), for status and logs; empty for `direct`.
    std::string checkpoint_root;
    bool held() const { return mode == Mode::direct; }
    friend bool operator==(const KeyWatchPlan&, const KeyWatchPlan&) = default;
};

// One plan per key, in the config's order.
// - "checkpoint": false → direct.
// - Inside a checkpoint (a discovered one, or the key itself when it says
//   "checkpoint": true) → from_above, unless the outermost root lies directly
//   below HKLM (its parent would be the whole hive): sweep_only.
// - "checkpoint": "auto" outside every known checkpoint → direct when
//   `checkpoints_known`, else sweep_only: a cluster node whose checkpoints
//   cannot be read now (the Cluster service not yet up at boot, a resource
//   that does not answer) may restore any of its keys at any moment.
std::vector<KeyWatchPlan> plan_key_watches(const std::vector<KeyPolicy>& keys,
                                           const std::vector<Checkpoint>& checkpoints,
                                           bool checkpoints_known);

// The checkpoint a key belongs to: the one whose root is its longest
// matching prefix (nested checkpoints of two resources); nullopt when none.
std::optional<std::size_t> owning_checkpoint(const std::string& key,
                                             const std::vector<Checkpoint>& checkpoints);

// "in words", for status: "direct", "from HKLM\\... (checkpoint HKLM\\...)",
// "sweep only (...)".
std::string describe(const KeyWatchPlan& plan);

}  // namespace permwatch

#include "core/engine/checkpoint_watch.hpp"

#include "core/security/key_path.hpp"

namespace permwatch {

namespace {

// "HKLM\\A\\B" → "HKLM\\A"; "HKLM\\A" → "" (its parent is the hive itself).
std::string parent_below_hive(const std::string& path) {
    const auto normal = normalize_key_path(path);
    if (!normal) return {};
    const auto slash = normal->rfind('\\');
    if (slash == std::string::npos || slash + 1 <= kHklm.size()) return {};
    return normal->substr(0, slash);
}

}  // namespace

std::optional<std::size_t> owning_checkpoint(const std::string& key,
                                             const std::vector<Checkpoint>& checkpoints) {
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < checkpoints.size(); ++i) {
        if (!inside_checkpoint(key, checkpoints[i].key)) continue;
        if (!best || checkpoints[i].key.size() > checkpoints[*best].key.size()) best = i;
    }
    return best;
}

std::vector<KeyWatchPlan> plan_key_watches(const std::vector<KeyPolicy>& keys,
                                           const std::vector<Checkpoint>& checkpoints,
                                           bool checkpoints_known) {
    std::vector<KeyWatchPlan> plans;
    plans.reserve(keys.size());
    for (const KeyPolicy& key : keys) {
        KeyWatchPlan plan;
        if (key.checkpoint == CheckpointMode::no) {
            plans.push_back(plan);
            continue;
        }
        // The outermost root: a watch on the parent of an inner root would
        // itself be a handle inside the outer checkpoint.
        std::optional<std::string> root;
        for (const Checkpoint& c : checkpoints) {
            if (inside_checkpoint(key.path, c.key) && (!root || c.key.size() < root->size())) {
                root = c.key;
            }
        }
        if (!root && key.checkpoint == CheckpointMode::yes) root = key.path;
        if (root) {
            plan.checkpoint_root = *root;
            plan.watch_from = parent_below_hive(*root);
            plan.mode = plan.watch_from.empty() ? KeyWatchPlan::Mode::sweep_only
                                                : KeyWatchPlan::Mode::from_above;
        } else if (!checkpoints_known) {
            plan.mode = KeyWatchPlan::Mode::sweep_only;
        }
        plans.push_back(std::move(plan));
    }
    return plans;
}

std::string describe(const KeyWatchPlan& plan) {
    switch (plan.mode) {
        case KeyWatchPlan::Mode::direct:
            return "direct";
        case KeyWatchPlan::Mode::from_above:
            return "from " + plan.watch_from + " (checkpoint " + plan.checkpoint_root + ")";
        case KeyWatchPlan::Mode::sweep_only:
            break;
    }
    if (!plan.checkpoint_root.empty()) {
        return "sweep only (checkpoint " + plan.checkpoint_root + " lies directly below HKLM)";
    }
    return "sweep only (the cluster's checkpoints are not known yet)";
}

}  // namespace permwatch

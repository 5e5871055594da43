#include "core/engine/failover.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

#include "core/common/ascii.hpp"
#include "core/engine/checkpoint_watch.hpp"
#include "core/security/key_path.hpp"

namespace permwatch {

FailoverCoordinator::FailoverCoordinator(Engine& engine, ClusterPort& cluster,
                                         WatchHandles& handles, AlertSink& alerts, Clock& clock)
    : engine_(engine), cluster_(cluster), handles_(handles), alerts_(alerts), clock_(clock) {}

void FailoverCoordinator::discover() {
    checkpoints_ = cluster_.checkpoints();
    unread_ = cluster_.unread_checkpoints();
    facts_ = cluster_.resource_facts();
    if (after_discovery_) after_discovery_();
}

std::optional<Checkpoint> FailoverCoordinator::checkpoint_of(std::size_t index) const {
    const KeyPolicy& key = engine_.config().keys.at(index);
    if (key.checkpoint == CheckpointMode::no) return std::nullopt;
    if (const auto owner = owning_checkpoint(key.path, checkpoints_)) return checkpoints_[*owner];
    if (key.checkpoint == CheckpointMode::yes) {
        return Checkpoint{"", "", key.path, CheckpointSource::config};
    }
    return std::nullopt;
}

std::vector<FailoverCoordinator::Subtree> FailoverCoordinator::subtrees_of(
    const ClusterEvent& event) const {
    std::vector<Subtree> out;
    const auto& keys = engine_.config().keys;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        if (keys[i].checkpoint == CheckpointMode::no) continue;
        // Every checkpoint of the event's group that holds the key, not only
        // the one it belongs to: a restore of an outer root rewrites the
        // inner one too, so two resources whose roots overlap are both
        // prepared.
        bool covered = false;
        for (const Checkpoint& c : checkpoints_) {
            if (!inside_checkpoint(keys[i].path, c.key)) continue;
            covered = true;
            if ((!event.group.empty() && c.group == event.group) ||
                (!event.resource.empty() && c.resource == event.resource)) {
                out.push_back({i, c.key, c.resource});
            }
        }
        // A key marked "checkpoint": true that no discovered resource covers
        // is prepared for every failover to this node.
        if (!covered && keys[i].checkpoint == CheckpointMode::yes)
            out.push_back({i, keys[i].path, ""});
    }
    return out;
}

namespace {

std::string group_of(const ClusterEvent& event, const std::vector<Checkpoint>& checkpoints) {
    if (!event.group.empty()) return event.group;
    for (const Checkpoint& c : checkpoints) {
        if (c.resource == event.resource) return c.group;
    }
    return event.resource;
}

std::string format_ms(double ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", ms);
    return buf;
}

}  // namespace

void FailoverCoordinator::connected(bool first) {
    discover();
    // (a) Whatever is moving here now is prepared before anything is opened.
    std::set<std::string> in_flight;
    for (const ClusterEvent& event : cluster_.pending_here()) {
        in_flight.insert(group_of(event, checkpoints_));
        prepare(event);
    }
    // (b) A freeze whose failover ended while no one listened: step 3 now.
    std::vector<bool> checked(engine_.keys().size(), false);
    std::vector<std::string> ended;
    for (const auto& [group, freeze] : frozen_) {
        if (!in_flight.count(group)) ended.push_back(group);
    }
    for (const std::string& group : ended) {
        for (std::size_t i : thaw(group, ThawReason::resync)) checked[i] = true;
    }
    if (first) return;
    // (c) Everything else once (frozen keys are deferred by the engine).
    for (std::size_t i = 0; i < checked.size(); ++i) {
        if (!checked[i]) engine_.check_key_now(i, "drift");
    }
}

void FailoverCoordinator::on_event(const ClusterEvent& event) {
    switch (event.kind) {
        case ClusterEvent::Kind::group_moving_here:
            last_event_ = "group " + event.group + " moving to this node";
            prepare(event);
            break;
        case ClusterEvent::Kind::resource_online_pending:
            last_event_ = "resource " + event.resource + " online-pending";
            prepare(event);
            break;
        case ClusterEvent::Kind::resource_online:
            last_event_ = "resource " + event.resource + " online";
            thaw(group_of(event, checkpoints_), ThawReason::online, event.resource);
            break;
        case ClusterEvent::Kind::resource_failed:
            last_event_ = "resource " + event.resource + " failed";
            thaw(group_of(event, checkpoints_), ThawReason::failed, event.resource);
            break;
        case ClusterEvent::Kind::group_elsewhere:
            // Only news when it ends a freeze: every group on other nodes says so.
            if (frozen_.count(event.group)) {
                last_event_ = "group " + event.group + " owned by " + event.node;
                thaw(event.group, ThawReason::elsewhere);
            }
            break;
        case ClusterEvent::Kind::resources_changed:
            last_event_ = "resources changed";
            discover();
            break;
        case ClusterEvent::Kind::connection_lost:
            last_event_ = "connection lost";
            ++counters_.resyncs;
            // Freezes stay: restores may be in flight. The caller reconnects,
            // and connected() finds out what happened meanwhile.
            if (const auto held = resync_events_.admit(clock_.now())) {
                std::string what = "the cluster notification port was lost";
                if (*held > 0) {
                    what += " (and " + std::to_string(*held) +
                            " more times since the last event 3002, not each raised)";
                }
                alerts_.raise(EventId::cluster_resync, {what});
            }
            counters_.resync_events_held_back = resync_events_.held_back_total();
            break;
    }
}

void FailoverCoordinator::prepare(const ClusterEvent& event) {
    const std::string group = group_of(event, checkpoints_);
    // Once per failover: the group's other indications (owner, group state,
    // each resource's online-pending) find it frozen already.
    if (frozen_.count(group)) return;
    const std::vector<Subtree> covered = subtrees_of(event);
    if (covered.empty()) return;
    std::vector<std::size_t> keys;
    for (const Subtree& s : covered) keys.push_back(s.key);
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    const TimePoint t0 = event.received.value_or(clock_.now());
    // (1) Right now, whatever the debounce or a flapping back-off says.
    for (std::size_t i : keys) engine_.check_key_now(i, "failover", true);
    // (2) Freeze the subtrees, which lets go of every handle inside them.
    Freeze freeze;
    for (const Subtree& covering : covered) {
        const auto root = std::find_if(
            freeze.roots.begin(), freeze.roots.end(),
            [&](const Freeze::Root& r) { return same_key_path(r.key, covering.root); });
        Freeze::Root* r = nullptr;
        if (root == freeze.roots.end()) {
            freeze.roots.push_back({covering.root, {}});
            engine_.freeze(covering.root);
            r = &freeze.roots.back();
        } else {
            r = &*root;
        }
        if (!covering.resource.empty() && std::find(r->resources.begin(), r->resources.end(),
                                                    covering.resource) == r->resources.end()) {
            r->resources.push_back(covering.resource);
        }
    }
    handles_.set_frozen(engine_.frozen_keys());
    const double ms = std::chrono::duration<double, std::milli>(clock_.now() - t0).count();
    freeze.deadline = clock_.now() + std::chrono::seconds(engine_.config().failover_timeout_s);
    frozen_.emplace(group, std::move(freeze));
    counters_.last_prepare_ms = ms;
    ++counters_.failovers_prepared;
    for (std::size_t i : keys) {
        const KeyStatus& s = engine_.keys()[i];
        if (s.state != KeyState::compliant && s.state != KeyState::repaired) {
            // The engine raised 2002 (or 2000) with the reason; count it here.
            ++counters_.prepare_failures;
        }
        alerts_.raise(EventId::failover_prepared, {group, s.path, format_ms(ms)});
    }
}

std::vector<std::size_t> FailoverCoordinator::thaw(const std::string& group, ThawReason why,
                                                   const std::string& resource) {
    const auto it = frozen_.find(group);
    if (it == frozen_.end()) return {};
    std::vector<Freeze::Root>& roots = it->second.roots;
    // The roots this event ends: every one, unless it is one resource's
    // online or failure, which ends the roots waiting for that resource
    // (and any waiting for no resource in particular). A resource whose
    // name is not known ends them all, as the group's first online did.
    const auto ends = [&](Freeze::Root& r) {
        if (resource.empty()) return true;
        auto& waiting = r.resources;
        if (waiting.empty()) return true;
        const auto at = std::find(waiting.begin(), waiting.end(), resource);
        if (at == waiting.end()) return false;
        waiting.erase(at);
        return waiting.empty();
    };
    std::vector<std::size_t> thawed;
    std::vector<Freeze::Root> remaining;
    for (Freeze::Root& r : roots) {
        if (!ends(r)) {
            remaining.push_back(std::move(r));
            continue;
        }
        for (std::size_t i : engine_.thaw(r.key)) thawed.push_back(i);
    }
    const bool none_ended = remaining.size() == roots.size();
    if (remaining.empty()) {
        frozen_.erase(it);
    } else {
        roots = std::move(remaining);
    }
    if (none_ended) return {};  // not a restore this freeze waits for
    std::sort(thawed.begin(), thawed.end());
    thawed.erase(std::unique(thawed.begin(), thawed.end()), thawed.end());
    // Watch first, then check: a change between the two is not missed.
    handles_.set_frozen(engine_.frozen_keys());
    // (3) Once: a restore rewrote the keys without notifications.
    ++counters_.rechecks;
    const bool restored_here = why == ThawReason::online || why == ThawReason::failed;
    for (std::size_t i : thawed) {
        engine_.check_key_now(i, restored_here ? "post_online" : "drift", true);
        const KeyStatus& s = engine_.keys()[i];
        const std::string text = s.path + " (" + std::string(to_string(s.state)) + ")";
        if (why == ThawReason::timeout) {
            alerts_.raise(EventId::failover_timed_out,
                          {group, text, std::to_string(engine_.config().failover_timeout_s)});
        } else {
            alerts_.raise(EventId::checkpoint_rechecked, {text});
        }
    }
    return thawed;
}

void FailoverCoordinator::run_due() {
    const TimePoint now = clock_.now();
    std::vector<std::string> expired;
    for (const auto& [group, freeze] : frozen_) {
        if (freeze.deadline <= now) expired.push_back(group);
    }
    for (const std::string& group : expired) {
        ++counters_.timeouts;
        last_event_ = "group " + group + ": failover wait timed out";
        thaw(group, ThawReason::timeout);
    }
}

std::optional<FailoverCoordinator::TimePoint> FailoverCoordinator::next_due() const {
    std::optional<TimePoint> next;
    for (const auto& [group, freeze] : frozen_) {
        if (!next || freeze.deadline < *next) next = freeze.deadline;
    }
    return next;
}

std::vector<std::string> FailoverCoordinator::frozen_groups() const {
    std::vector<std::string> groups;
    for (const auto& [group, freeze] : frozen_) groups.push_back(group);
    return groups;
}

}  // namespace permwatch

#include "core/failover.hpp"

#include <cstdio>

#include "core/ascii.hpp"

namespace permwatch {

bool inside_checkpoint(const std::string& key, const std::string& checkpoint_key) {
    const auto k = normalize_key_path(key);
    const auto c = normalize_key_path(checkpoint_key);
    return k && c && istarts_with(*k, *c) && (k->size() == c->size() || (*k)[c->size()] == '\\');
}

FailoverCoordinator::FailoverCoordinator(Engine& engine, ClusterPort& cluster,
                                         WatchHandles& handles, AlertSink& alerts, Clock& clock)
    : engine_(engine), cluster_(cluster), handles_(handles), alerts_(alerts), clock_(clock) {}

void FailoverCoordinator::connected() {
    discover();
    engine_.check_all();
}

void FailoverCoordinator::discover() { checkpoints_ = cluster_.checkpoints(); }

std::optional<Checkpoint> FailoverCoordinator::checkpoint_of(std::size_t index) const {
    const KeyPolicy& key = engine_.config().keys.at(index);
    if (key.checkpoint == CheckpointMode::no) return std::nullopt;
    for (const Checkpoint& c : checkpoints_) {
        if (inside_checkpoint(key.path, c.key)) return c;
    }
    if (key.checkpoint == CheckpointMode::yes) return Checkpoint{"", "", key.path};
    return std::nullopt;
}

std::vector<std::size_t> FailoverCoordinator::keys_of(const ClusterEvent& event) const {
    std::vector<std::size_t> keys;
    for (std::size_t i = 0; i < engine_.config().keys.size(); ++i) {
        const auto c = checkpoint_of(i);
        if (!c) continue;
        // A key marked "checkpoint": true without a discovered resource is
        // prepared for every failover to this node.
        const bool unattributed = c->resource.empty() && c->group.empty();
        if (unattributed || (!event.group.empty() && c->group == event.group) ||
            (!event.resource.empty() && c->resource == event.resource)) {
            keys.push_back(i);
        }
    }
    return keys;
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
            finish(event);
            break;
        case ClusterEvent::Kind::resource_failed:
            last_event_ = "resource " + event.resource + " failed";
            finish(event);
            break;
        case ClusterEvent::Kind::resources_changed:
            last_event_ = "resources changed";
            discover();
            break;
        case ClusterEvent::Kind::connection_lost:
            last_event_ = "connection lost";
            resync("the cluster notification port was lost");
            break;
    }
}

void FailoverCoordinator::prepare(const ClusterEvent& event) {
    const std::vector<std::size_t> keys = keys_of(event);
    if (keys.empty()) return;
    const std::string group = group_of(event, checkpoints_);
    const auto t0 = clock_.now();
    // (1) Right now, whatever the debounce or a flapping back-off says.
    for (std::size_t i : keys) engine_.check_key_now(i, "failover", true);
    // (2) Then let go of every handle until the resource is online or failed.
    if (pending_.empty()) handles_.release();
    const bool first = pending_.insert(group).second;
    const double ms = std::chrono::duration<double, std::milli>(clock_.now() - t0).count();
    counters_.last_prepare_ms = ms;
    if (first) ++counters_.failovers_prepared;
    for (std::size_t i : keys) {
        const KeyStatus& s = engine_.keys()[i];
        if (s.state != KeyState::compliant && s.state != KeyState::repaired) {
            // The engine raised 2002 (or 2000) with the reason; count it here.
            ++counters_.prepare_failures;
        }
        alerts_.raise(EventId::failover_prepared, {group, s.path, format_ms(ms)});
    }
}

void FailoverCoordinator::finish(const ClusterEvent& event) {
    const std::string group = group_of(event, checkpoints_);
    if (pending_.erase(group) == 0) return;
    // (3) A restore rewrote the keys without notifications: re-open, re-check.
    if (pending_.empty()) handles_.reacquire();
    ++counters_.rechecks;
    for (std::size_t i : keys_of(event)) {
        engine_.check_key_now(i, "post_online", true);
        const KeyStatus& s = engine_.keys()[i];
        alerts_.raise(EventId::checkpoint_rechecked,
                      {s.path + " (" + std::string(to_string(s.state)) + ")"});
    }
}

void FailoverCoordinator::resync(const std::string& why) {
    ++counters_.resyncs;
    alerts_.raise(EventId::cluster_resync, {why});
    // Nothing is known about the restores in flight: take the handles back,
    // learn the checkpoints again and check everything.
    if (!pending_.empty()) {
        pending_.clear();
        handles_.reacquire();
    }
    discover();
    engine_.check_all();
}

nlohmann::ordered_json FailoverCoordinator::status() const {
    return {{"available", cluster_.available()},
            {"node", cluster_.available() ? nlohmann::ordered_json(cluster_.node_name())
                                          : nlohmann::ordered_json(nullptr)},
            {"last_event", last_event_.empty() ? nlohmann::ordered_json(nullptr)
                                               : nlohmann::ordered_json(last_event_)},
            {"failovers_prepared", counters_.failovers_prepared},
            {"last_prepare_ms", counters_.last_prepare_ms},
            {"prepare_failures", counters_.prepare_failures},
            {"rechecks", counters_.rechecks},
            {"resyncs", counters_.resyncs},
            {"handles_released", handles_released()}};
}

}  // namespace permwatch

#include "core/pipe/status_snapshot.hpp"

#include "core/check/key_report.hpp"

namespace permwatch {

namespace {

using nlohmann::ordered_json;

// A text that may be absent: null rather than "".
ordered_json text_or_null(const std::string& text) {
    return text.empty() ? ordered_json(nullptr) : ordered_json(text);
}

ordered_json to_json(const StatusSnapshot::Key& key) {
    const KeyStatus& s = key.status;
    ordered_json findings = ordered_json::array();
    for (const Finding& f : s.findings) findings.push_back(to_json(f));
    ordered_json out = {{"path", s.path},
                        {"state", to_string(s.state)},
                        {"last_check", text_or_null(s.last_check)},
                        {"last_repair", text_or_null(s.last_repair)},
                        {"findings", std::move(findings)},
                        {"sddl", s.sddl},
                        {"repairs", s.repairs},
                        {"frozen", key.frozen}};
    out["checkpoint"] = key.checkpoint ? ordered_json{{"resource", key.checkpoint->resource},
                                                      {"group", key.checkpoint->group},
                                                      {"source", to_string(key.checkpoint->source)}}
                                       : ordered_json(nullptr);
    out["auto"] = key.origin ? ordered_json(key.origin->resource) : ordered_json(nullptr);
    if (key.origin) {
        ordered_json require = ordered_json::array();
        for (std::size_t i = 0; i < key.require.size(); ++i) {
            const Requirement& r = key.require[i];
            require.push_back(
                {{"principal", r.principal.text()},
                 {"rights", describe_rights(r.rights)},
                 {"subkeys", (r.inherit & ace_flags::container_inherit) != 0},
                 {"because", i < key.origin->because.size() ? key.origin->because[i] : ""}});
        }
        out["auto_group"] = key.origin->group;
        out["require"] = std::move(require);
        out["auto_problem"] = text_or_null(key.origin->problem);
    }
    if (key.watch) out["watch"] = *key.watch;
    if (key.held_open) out["held_open"] = *key.held_open;
    return out;
}

ordered_json to_json(const StatusSnapshot::Cluster& c) {
    return {{"available", c.available},
            {"node", c.available ? ordered_json(c.node) : ordered_json(nullptr)},
            {"last_event", text_or_null(c.last_event)},
            {"failovers_prepared", c.counters.failovers_prepared},
            {"last_prepare_ms", c.counters.last_prepare_ms},
            {"prepare_failures", c.counters.prepare_failures},
            {"rechecks", c.counters.rechecks},
            {"resyncs", c.counters.resyncs},
            {"timeouts", c.counters.timeouts},
            {"resync_events_held_back", c.counters.resync_events_held_back},
            {"handles_released", c.handles_released},
            {"frozen_groups", c.frozen_groups}};
}

ordered_json to_json(const EngineCounters& c) {
    return {{"checks", c.checks},     {"notifications", c.notifications},
            {"sweeps", c.sweeps},     {"drift_found", c.drift_found},
            {"repairs", c.repairs},   {"repair_failures", c.repair_failures},
            {"flapping", c.flapping}, {"deferred", c.deferred},
            {"replans", c.replans}};
}

}  // namespace

std::vector<StatusSnapshot::Key> snapshot_keys(const Engine& engine,
                                               const FailoverCoordinator& failover) {
    std::vector<StatusSnapshot::Key> keys;
    const std::vector<KeyStatus>& status = engine.keys();
    const std::vector<bool>& frozen = engine.frozen_keys();
    keys.reserve(status.size());
    for (std::size_t i = 0; i < status.size(); ++i) {
        StatusSnapshot::Key k;
        k.status = status[i];
        k.frozen = i < frozen.size() && frozen[i];
        k.checkpoint = failover.checkpoint_of(i);
        const KeyPolicy& policy = engine.config().keys[i];
        if (policy.origin) {
            k.origin = policy.origin;
            k.require = policy.require;
        }
        keys.push_back(std::move(k));
    }
    return keys;
}

StatusSnapshot::Cluster snapshot_cluster(const FailoverCoordinator& failover, bool available,
                                         const std::string& node) {
    StatusSnapshot::Cluster c;
    c.available = available;
    if (available) c.node = node;
    c.last_event = failover.last_event();
    c.counters = failover.counters();
    c.handles_released = failover.handles_released();
    c.frozen_groups = failover.frozen_groups();
    return c;
}

ordered_json to_json(const StatusSnapshot& s) {
    ordered_json keys = ordered_json::array();
    for (const StatusSnapshot::Key& k : s.keys) keys.push_back(to_json(k));
    return {{"version", s.version},
            {"mode", s.mode},
            {"config",
             {{"path", s.config.path},
              {"keys", s.config.keys},
              {"sweep_interval_s", s.config.sweep_interval_s},
              {"debounce_ms", s.config.debounce_ms},
              {"journal", s.config.journal},
              {"failover_timeout_s", s.config.failover_timeout_s}}},
            {"keys", std::move(keys)},
            {"cluster", to_json(s.cluster)},
            {"publish",
             {{"requests", s.publish.requests},
              {"published", s.publish.published},
              {"writes", s.publish.writes},
              {"failures", s.publish.failures},
              {"superseded", s.publish.superseded},
              {"last_write_ms", s.publish.last_write_ms},
              {"last_error", text_or_null(s.publish.last_error)}}},
            {"counters", to_json(s.counters)},
            {"journal",
             {{"path", s.journal.path},
              {"unflushed", s.journal.unflushed},
              {"last_flush_ms", s.journal.last_flush_ms},
              {"flushes", s.journal.flushes},
              {"flush_failures", s.journal.flush_failures},
              {"last_flush_error", text_or_null(s.journal.last_flush_error)}}},
            {"open_key_handles", s.open_key_handles},
            {"loop_errors", s.loop_errors}};
}

}  // namespace permwatch

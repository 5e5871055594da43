#include "core/cluster/cluster_view_format.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "core/journal/journal.hpp"

namespace permwatch {

namespace {

struct KeyCounts {
    std::size_t compliant = 0, drift = 0, error = 0;
};

KeyCounts count_keys(const NodeSummary& s) {
    KeyCounts c;
    for (const PublishedKey& k : s.keys) {
        switch (k.state) {
            case KeyState::compliant:
            case KeyState::repaired:
            case KeyState::absent:  // the restore creates it
                ++c.compliant;
                break;
            case KeyState::drift:
            case KeyState::flapping:
                ++c.drift;
                break;
            case KeyState::error:
                ++c.error;
                break;
        }
    }
    return c;
}

// The newest last_repair of any key (UTC texts sort as times).
std::optional<std::string> last_repair(const NodeSummary& s) {
    std::optional<std::string> newest;
    for (const PublishedKey& k : s.keys) {
        if (k.last_repair && (!newest || *k.last_repair > *newest)) newest = k.last_repair;
    }
    return newest;
}

std::string seconds_text(double s) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.0f s", s);
    return buf;
}

std::string health_text(const NodeView& v) {
    switch (v.health) {
        case NodeHealth::running:
            return "running (heartbeat " + seconds_text(*v.heartbeat_age_s) + " ago)";
        case NodeHealth::stopped:
            return "stopped (" + seconds_text(*v.heartbeat_age_s) + " ago)";
        case NodeHealth::stale:
            return "stale (heartbeat " + seconds_text(*v.heartbeat_age_s) + " ago)";
        case NodeHealth::no_summary:
            return "no summary";
        case NodeHealth::unreadable:
            return "unreadable: " + v.problem;
    }
    return "?";
}

Json unknown_json(const std::vector<UnreadCheckpoints>& unknown) {
    Json list = Json::array();
    for (const UnreadCheckpoints& u : unknown)
        list.push_back({{"resource", u.resource}, {"group", u.group}, {"why", u.why}});
    return list;
}

std::string table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width;
    for (const auto& row : rows) {
        width.resize(std::max(width.size(), row.size()), 0);
        for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
    }
    std::string out;
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
        }
        out += line + "\n";
    }
    return out;
}

}  // namespace

std::string cluster_status_text(const std::string& cluster, const std::vector<NodeView>& nodes) {
    std::ostringstream out;
    out << "cluster " << (cluster.empty() ? std::string("?") : cluster) << ", " << nodes.size()
        << (nodes.size() == 1 ? " node" : " nodes") << "\n";
    std::vector<std::vector<std::string>> rows = {
        {"NODE", "CLUSTER", "PERMWATCH", "MODE", "KEYS OK/DRIFT/ERROR", "LAST REPAIR"}};
    for (const NodeView& v : nodes) {
        std::vector<std::string> row = {v.info.name, v.info.state, health_text(v)};
        if (v.summary) {
            const KeyCounts c = count_keys(*v.summary);
            row.push_back(v.summary->mode);
            row.push_back(std::to_string(c.compliant) + "/" + std::to_string(c.drift) + "/" +
                          std::to_string(c.error));
            row.push_back(last_repair(*v.summary).value_or("never"));
        } else {
            row.insert(row.end(), {"-", "-", "-"});
        }
        rows.push_back(std::move(row));
    }
    out << table(rows);
    // Below the table, so that its rows stay as they were: a node that could
    // not learn some resource's checkpoints is not ready to take its group.
    for (const NodeView& v : nodes) {
        if (!v.summary) continue;
        for (const UnreadCheckpoints& u : v.summary->checkpoints_unknown) {
            out << v.info.name << ": checkpoints unknown: resource " << u.resource << ", group "
                << (u.group.empty() ? std::string("not known") : u.group)
                << (u.why.empty() ? std::string() : ": " + u.why) << "\n";
        }
    }
    return out.str();
}

Json cluster_status_json(const std::string& cluster, const std::vector<NodeView>& nodes,
                         std::chrono::system_clock::time_point now) {
    Json list = Json::array();
    for (const NodeView& v : nodes) {
        Json n = {{"node", v.info.name},
                  {"cluster_state", v.info.state},
                  {"permwatch", to_string(v.health)},
                  {"running", v.health == NodeHealth::running}};
        if (v.summary) {
            const KeyCounts c = count_keys(*v.summary);
            const auto repair = last_repair(*v.summary);
            n["heartbeat"] = v.summary->heartbeat;
            n["heartbeat_age_s"] = *v.heartbeat_age_s;
            n["sweep_interval_s"] = v.summary->sweep_interval_s;
            n["version"] = v.summary->version;
            n["mode"] = v.summary->mode;
            n["keys"] = {{"compliant", c.compliant}, {"drift", c.drift}, {"error", c.error}};
            n["last_repair"] = repair ? Json(*repair) : Json(nullptr);
            n["checkpoints_unknown"] = unknown_json(v.summary->checkpoints_unknown);
        } else {
            n["heartbeat"] = nullptr;
            n["problem"] = v.health == NodeHealth::unreadable ? Json(v.problem) : Json(nullptr);
            n["checkpoints_unknown"] = nullptr;  // not known: nothing was read
        }
        list.push_back(std::move(n));
    }
    return {{"ok", true}, {"cluster", cluster}, {"time", format_utc(now)}, {"nodes", list}};
}

std::string readiness_text(const Readiness& r) {
    std::ostringstream out;
    if (r.ready()) {
        std::size_t keys = 0;
        std::vector<std::string> nodes;
        for (const GroupReadiness& g : r.groups) {
            keys += g.keys.size();
            for (const std::string& n : g.nodes)
                if (std::find(nodes.begin(), nodes.end(), n) == nodes.end()) nodes.push_back(n);
        }
        out << "ready: " << r.groups.size() << (r.groups.size() == 1 ? " group" : " groups") << ", "
            << keys << " checkpointed " << (keys == 1 ? "key" : "keys")
            << " compliant and fresh on";
        if (nodes.empty()) out << " no node";
        for (std::size_t i = 0; i < nodes.size(); ++i) out << (i ? ", " : " ") << nodes[i];
        out << "\n";
    } else {
        std::vector<std::string> nodes;
        for (const NotReady& p : r.problems)
            if (std::find(nodes.begin(), nodes.end(), p.node) == nodes.end())
                nodes.push_back(p.node);
        out << "not ready:";
        for (std::size_t i = 0; i < nodes.size(); ++i) out << (i ? ", " : " ") << nodes[i];
        out << "\n";
        std::vector<std::vector<std::string>> rows = {{"  NODE", "GROUP", "KEY", "WHY"}};
        for (const NotReady& p : r.problems) {
            rows.push_back(
                {"  " + p.node, p.group, p.key.empty() ? "-" : p.key,
                 std::string(to_string(p.reason)) + (p.detail.empty() ? "" : ": " + p.detail)});
        }
        out << table(rows);
    }
    for (const GroupReadiness& g : r.groups) {
        if (g.no_checkpointed_keys) {
            out << "group " << g.group
                << ": no checkpointed keys (the cluster reports no registry checkpoints for its "
                << (g.resources.size() == 1 ? "resource" : "resources") << ")\n";
        }
        if (g.skipped.empty()) continue;
        out << "group " << g.group << ": skipped, down:";
        for (std::size_t i = 0; i < g.skipped.size(); ++i) out << (i ? ", " : " ") << g.skipped[i];
        out << "\n";
    }
    return out.str();
}

Json readiness_json(const std::string& cluster, const Readiness& r,
                    std::chrono::system_clock::time_point now) {
    Json groups = Json::array();
    for (const GroupReadiness& g : r.groups) {
        const bool ready = std::none_of(r.problems.begin(), r.problems.end(),
                                        [&](const NotReady& p) { return p.group == g.group; });
        groups.push_back({{"group", g.group},
                          {"ready", ready},
                          {"nodes", g.nodes},
                          {"skipped_down", g.skipped},
                          {"keys", g.keys},
                          {"no_checkpointed_keys", g.no_checkpointed_keys},
                          {"resources", g.resources},
                          {"cluster_checkpoints",
                           g.cluster_checkpoints ? Json(*g.cluster_checkpoints) : Json(nullptr)}});
    }
    Json problems = Json::array();
    for (const NotReady& p : r.problems) {
        problems.push_back({{"node", p.node},
                            {"group", p.group},
                            {"key", p.key.empty() ? Json(nullptr) : Json(p.key)},
                            {"reason", to_string(p.reason)},
                            {"detail", p.detail},
                            {"resource", p.resource.empty() ? Json(nullptr) : Json(p.resource)}});
    }
    return {{"ok", r.ready()},         {"ready", r.ready()}, {"cluster", cluster},
            {"time", format_utc(now)}, {"groups", groups},   {"not_ready", problems}};
}

}  // namespace permwatch

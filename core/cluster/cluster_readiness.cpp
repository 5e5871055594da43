#include "core/cluster/cluster_readiness.hpp"

#include <algorithm>
#include <cstdio>

#include "core/common/ascii.hpp"
#include "core/security/key_path.hpp"

namespace permwatch {

std::string_view to_string(NotReadyReason reason) {
    switch (reason) {
        case NotReadyReason::drift:
            return "drift";
        case NotReadyReason::key_error:
            return "error";
        case NotReadyReason::not_watched:
            return "not watched";
        case NotReadyReason::stale_heartbeat:
            return "stale heartbeat";
        case NotReadyReason::not_running:
            return "not running";
        case NotReadyReason::no_summary:
            return "no summary";
        case NotReadyReason::unreadable:
            return "unreadable";
        case NotReadyReason::checkpoints_unknown:
            return "checkpoints unknown";
    }
    return "unreadable";
}

namespace {

bool contains_name(const std::vector<std::string>& names, std::string_view name) {
    return std::any_of(names.begin(), names.end(),
                       [&](const std::string& n) { return iequals(n, name); });
}

void add_key(std::vector<std::string>& keys, const std::string& path) {
    if (std::none_of(keys.begin(), keys.end(),
                     [&](const std::string& k) { return same_key_path(k, path); })) {
        keys.push_back(path);
    }
}

std::string age_text(double age_s) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.0f s", age_s);
    return buf;
}

NotReady problem(const std::string& group, const std::string& node, const std::string& key,
                 NotReadyReason reason, std::string detail) {
    NotReady p;
    p.group = group;
    p.node = node;
    p.key = key;
    p.reason = reason;
    p.detail = std::move(detail);
    return p;
}

NotReady unknown_problem(const std::string& group, const std::string& node,
                         const UnreadCheckpoints& u, const std::string& who) {
    NotReady p = problem(group, node, "", NotReadyReason::checkpoints_unknown,
                         who + " could not learn the registry checkpoints of resource " +
                             u.resource + (u.why.empty() ? "" : ": " + u.why));
    p.resource = u.resource;
    return p;
}

// The node's own problem, if it has one: then its keys are not looked at.
std::optional<NotReady> node_problem(const NodeView& v, const std::string& group) {
    NotReady p = problem(group, v.info.name, "", NotReadyReason::no_summary, "");
    switch (v.health) {
        case NodeHealth::running:
            return std::nullopt;
        case NodeHealth::no_summary:
            p.detail = "PermWatch has published no summary there";
            return p;
        case NodeHealth::unreadable:
            p.reason = NotReadyReason::unreadable;
            p.detail = v.problem;
            return p;
        case NodeHealth::stopped:
            p.reason = NotReadyReason::not_running;
            p.detail = "PermWatch stopped there";
            if (v.heartbeat_age_s) p.detail += " " + age_text(*v.heartbeat_age_s) + " ago";
            return p;
        case NodeHealth::stale:
            p.reason = NotReadyReason::stale_heartbeat;
            p.detail = "last heartbeat " + age_text(v.heartbeat_age_s.value_or(0)) +
                       " ago; fresh means under " +
                       std::to_string(2 * v.summary->sweep_interval_s) + " s";
            return p;
    }
    return p;
}

}  // namespace

Readiness assess_readiness(const std::vector<NodeView>& nodes,
                           const std::vector<GroupOwners>& groups) {
    Readiness out;
    for (const GroupOwners& g : groups) {
        GroupReadiness gr;
        gr.group = g.group;
        gr.resources = g.resources;
        if (g.unreadable.empty()) gr.cluster_checkpoints = g.checkpoint_count;
        bool unknown = false;
        // What the node running the check could not read: its knowledge of
        // the group is missing, whichever nodes may own it.
        for (const UnreadCheckpoints& u : g.unreadable) {
            out.problems.push_back(
                unknown_problem(g.group, std::string(kThisNode), u, "the node running this check"));
            unknown = true;
        }
        // The group's keys, as any node published them.
        for (const NodeView& v : nodes) {
            if (!v.summary) continue;
            for (const PublishedKey& k : v.summary->keys) {
                if (k.checkpointed && iequals(k.group, g.group)) add_key(gr.keys, k.path);
            }
        }
        const bool anyone = g.preferred.empty() && g.possible.empty();
        for (const NodeView& v : nodes) {
            const std::string& name = v.info.name;
            if (!anyone && !contains_name(g.preferred, name) && !contains_name(g.possible, name))
                continue;
            if (v.info.state == "down") {
                gr.skipped.push_back(name);
                continue;
            }
            gr.nodes.push_back(name);
            if (auto p = node_problem(v, g.group)) {
                out.problems.push_back(std::move(*p));
                continue;
            }
            // Resources of the group (or of no known group) whose checkpoints
            // this node could not learn: it would not prepare those keys.
            for (const UnreadCheckpoints& u : v.summary->checkpoints_unknown) {
                if (!u.group.empty() && !iequals(u.group, g.group)) continue;
                out.problems.push_back(unknown_problem(g.group, name, u, "PermWatch there"));
                unknown = true;
            }
            std::vector<std::string> wanted = gr.keys;
            for (const PublishedKey& k : v.summary->keys) {
                if (k.checkpointed && k.group.empty() && k.resource.empty())
                    add_key(wanted, k.path);
            }
            for (const std::string& path : wanted) {
                const auto it = std::find_if(
                    v.summary->keys.begin(), v.summary->keys.end(),
                    [&](const PublishedKey& k) { return same_key_path(k.path, path); });
                if (it == v.summary->keys.end()) {
                    out.problems.push_back(problem(g.group, name, path, NotReadyReason::not_watched,
                                                   "PermWatch there does not watch this key"));
                    continue;
                }
                switch (it->state) {
                    case KeyState::compliant:
                    case KeyState::repaired:
                    case KeyState::absent:  // a checkpoint the restore creates
                        break;
                    case KeyState::drift:
                    case KeyState::flapping:
                        out.problems.push_back(
                            problem(g.group, name, path, NotReadyReason::drift,
                                    "published state " + std::string(to_string(it->state))));
                        break;
                    case KeyState::error:
                        out.problems.push_back(problem(g.group, name, path,
                                                       NotReadyReason::key_error,
                                                       "published state error"));
                        break;
                }
            }
        }
        gr.no_checkpointed_keys =
            !unknown && gr.cluster_checkpoints == std::size_t{0} && gr.keys.empty();
        out.groups.push_back(std::move(gr));
    }
    return out;
}

}  // namespace permwatch

#include "core/cluster/cluster_view.hpp"

namespace permwatch {

std::string_view to_string(NodeHealth health) {
    switch (health) {
        case NodeHealth::running:
            return "running";
        case NodeHealth::stopped:
            return "stopped";
        case NodeHealth::stale:
            return "stale";
        case NodeHealth::no_summary:
            return "no_summary";
        case NodeHealth::unreadable:
            return "unreadable";
    }
    return "unreadable";
}

bool heartbeat_fresh(double age_s, int sweep_interval_s) {
    const double limit = 2.0 * sweep_interval_s;
    return age_s < limit && age_s > -limit;
}

NodeView judge_node(const ClusterNodeInfo& info, const PublishedText& published,
                    std::chrono::system_clock::time_point now) {
    NodeView v;
    v.info = info;
    switch (published.status) {
        case PublishedText::Status::none:
            v.health = NodeHealth::no_summary;
            return v;
        case PublishedText::Status::error:
            v.health = NodeHealth::unreadable;
            v.problem = published.error;
            return v;
        case PublishedText::Status::found:
            break;
    }
    SummaryRead read = parse_summary(published.text, info.name);
    if (!read.summary) {
        v.health = NodeHealth::unreadable;
        v.problem = read.problem;
        return v;
    }
    v.summary = std::move(read.summary);
    // parse_summary has checked that the heartbeat parses.
    const auto beat = parse_utc(v.summary->heartbeat);
    v.heartbeat_age_s = std::chrono::duration<double>(now - *beat).count();
    if (v.summary->stopped) {
        v.health = NodeHealth::stopped;
    } else if (heartbeat_fresh(*v.heartbeat_age_s, v.summary->sweep_interval_s)) {
        v.health = NodeHealth::running;
    } else {
        v.health = NodeHealth::stale;
    }
    return v;
}

std::vector<NodeView> read_cluster_view(ClusterViewPort& port,
                                        std::chrono::system_clock::time_point now) {
    std::vector<NodeView> out;
    for (const ClusterNodeInfo& node : port.nodes()) {
        out.push_back(judge_node(node, port.read_summary(node.name), now));
    }
    return out;
}

}  // namespace permwatch

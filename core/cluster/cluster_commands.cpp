#include "core/cluster/cluster_commands.hpp"

#include <algorithm>
#include <ostream>

#include "core/cluster/cluster_readiness.hpp"
#include "core/cluster/cluster_view.hpp"
#include "core/cluster/cluster_view_format.hpp"
#include "core/common/ascii.hpp"

namespace permwatch {

namespace {

// 0 when open; else the exit code, with its line on stderr.
int open_cluster(ClusterViewPort& port, std::ostream& err) {
    std::string why;
    switch (port.open(why)) {
        case ClusterViewPort::Open::ok:
            return 0;
        case ClusterViewPort::Open::no_cluster:
            err << "permwatch: no cluster here: " << why << "\n";
            return 4;
        case ClusterViewPort::Open::error:
            break;
    }
    err << "permwatch: the cluster could not be opened: " << why << "\n";
    return 2;
}

}  // namespace

int run_cluster_status(ClusterViewPort& port, bool json, std::ostream& out, std::ostream& err,
                       std::chrono::system_clock::time_point now) {
    if (const int code = open_cluster(port, err)) return code;
    try {
        const std::string cluster = port.cluster_name();
        const std::vector<NodeView> nodes = read_cluster_view(port, now);
        if (json) {
            out << cluster_status_json(cluster, nodes, now).dump(2) << "\n";
        } else {
            out << cluster_status_text(cluster, nodes);
        }
        return 0;
    } catch (const ClusterViewError& e) {
        err << "permwatch: reading the cluster: " << e.what() << "\n";
        return 2;
    }
}

int run_cluster_check(ClusterViewPort& port, const std::optional<std::string>& group, bool json,
                      std::ostream& out, std::ostream& err,
                      std::chrono::system_clock::time_point now) {
    if (const int code = open_cluster(port, err)) return code;
    try {
        const std::string cluster = port.cluster_name();
        std::vector<std::string> names = port.groups();
        if (group) {
            const auto it = std::find_if(names.begin(), names.end(),
                                         [&](const std::string& n) { return iequals(n, *group); });
            if (it == names.end()) {
                err << "permwatch: cluster " << cluster << " has no group '" << *group << "'\n";
                return 2;
            }
            names = {*it};
        }
        std::vector<GroupOwners> owners;
        for (const std::string& name : names) owners.push_back(port.owners(name));
        const std::vector<NodeView> nodes = read_cluster_view(port, now);
        const Readiness readiness = assess_readiness(nodes, owners);
        if (json) {
            out << readiness_json(cluster, readiness, now).dump(2) << "\n";
        } else {
            out << readiness_text(readiness);
        }
        return readiness.ready() ? 0 : 1;
    } catch (const ClusterViewError& e) {
        err << "permwatch: reading the cluster: " << e.what() << "\n";
        return 2;
    }
}

}  // namespace permwatch

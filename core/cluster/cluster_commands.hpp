// `status --cluster [--json]` and `check --cluster [--group G] [--json]`
// (docs/reference.md "Command line"), on any ClusterViewPort: the Windows
// build passes the clusapi adapter, tests a fake.
#pragma once

#include <chrono>
#include <iosfwd>
#include <optional>
#include <string>

#include "core/ports/cluster_view_port.hpp"

namespace permwatch {

// 0, 2 when the cluster cannot be read, 4 when there is no cluster.
int run_cluster_status(ClusterViewPort& port, bool json, std::ostream& out, std::ostream& err,
                       std::chrono::system_clock::time_point now);

// 0 ready, 1 not ready (each node, key and reason named), 2 error (the
// cluster cannot be read, no such group), 4 no cluster.
int run_cluster_check(ClusterViewPort& port, const std::optional<std::string>& group, bool json,
                      std::ostream& out, std::ostream& err,
                      std::chrono::system_clock::time_point now);

}  // namespace permwatch

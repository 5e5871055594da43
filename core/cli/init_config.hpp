// `permwatch init`: an explicit config written from what the cluster says,
// for an administrator who wants to review the list of keys rather than run
// with "keys": "auto". The same rules make it (core/cluster/auto_keys.hpp),
// so the written config guards exactly what "auto" would.
#pragma once

#include <string>
#include <vector>

#include "core/ports/cluster_port.hpp"

namespace permwatch {

struct InitConfig {
    std::string text;  // the config, JSON, ending in a newline; "" on error
    std::size_t keys = 0;
    // Why there is no config: no checkpoint to write, or the text did not
    // load back (each problem as one line).
    std::vector<std::string> errors;
};

// Each key has a "comment" naming its resource and group (and what could not
// be learned), each requirement one saying why it is there; the document's
// own names the cluster and node. `whole_cluster`: every resource's
// checkpoints, not only those of resources this node may own. The text is
// loaded back with the config loader before it is returned.
InitConfig make_init_config(const std::vector<Checkpoint>& checkpoints,
                            std::vector<ResourceFacts> facts, bool whole_cluster,
                            const std::string& cluster, const std::string& node,
                            const std::string& when_utc);

}  // namespace permwatch

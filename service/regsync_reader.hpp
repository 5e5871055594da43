// The RegSync fallback's registry side: a resource's
// registry checkpoints read from the node's local copy of the cluster
// database, HKLM\Cluster\Resources\<resource id>\RegSync, when the cluster
// API cannot give them. Read-only (KEY_READ), one component at a time with
// REG_OPTION_OPEN_LINK so that a symbolic link anywhere on the way is
// refused, never followed out of HKLM\Cluster; counts and sizes bounded
// before anything is read; the values are judged by core/regsync_values.
#pragma once

#include <string>
#include <vector>

namespace permwatch::win {

struct RegSyncRead {
    // Where it looked: "HKLM\\Cluster\\Resources\\<id>\\RegSync".
    std::string where;
    // Empty when the key was read; else why not (missing, a link, denied,
    // an implausible id). Nothing in `keys` then.
    std::string error;
    std::vector<std::string> keys;      // "HKLM\\..." checkpoint keys
    std::vector<std::string> problems;  // values skipped, one line each
};

RegSyncRead read_regsync(const std::string& resource_id);

}  // namespace permwatch::win

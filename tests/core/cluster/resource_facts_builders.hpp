// What the cluster says of its resources and their checkpoints, for the tests
// of "keys": "auto" and of `init`, which build the same small cluster.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/ports/cluster_port.hpp"

namespace permwatch::test {

inline ResourceFacts resource_facts(std::string resource, std::string type,
                                    std::string service_name = "") {
    ResourceFacts f;
    f.resource = std::move(resource);
    f.type = std::move(type);
    f.service_name = std::move(service_name);
    return f;
}

// The keys the resources of TwoGroups checkpoint.
inline const std::string kEs = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeES";
inline const std::string kSql = "HKLM\\SOFTWARE\\Microsoft\\Microsoft SQL Server\\MSSQL16.FCI";
inline const std::string kDisk = "HKLM\\SOFTWARE\\Contoso\\Disk";

// The test cluster of the Wine tests: two groups, three resources (two
// Generic Services with different accounts, one of another type), a
// checkpoint each. `more_exchange_keys`: further keys the Exchange resource
// checkpoints, listed after its first.
struct TwoGroups {
    explicit TwoGroups(const std::vector<std::string>& more_exchange_keys = {}) {
        checkpoints.push_back({"Exchange Event Service", "Exchange Group", kEs});
        for (const std::string& key : more_exchange_keys) {
            checkpoints.push_back({"Exchange Event Service", "Exchange Group", key});
        }
        checkpoints.push_back({"SQL Server", "SQL Group", kSql});
        checkpoints.push_back({"Contoso Disk", "SQL Group", kDisk});
    }
    std::vector<Checkpoint> checkpoints;
    std::vector<ResourceFacts> resources = {
        resource_facts("Exchange Event Service", "Generic Service", "MSExchangeES"),
        resource_facts("SQL Server", "Generic Service", "MSSQLSERVER"),
        resource_facts("Contoso Disk", "Physical Disk"),
    };
};

}  // namespace permwatch::test

// What the cluster says of one resource, for the tests of "keys": "auto" and
// of `init`, which build the same small clusters.
#pragma once

#include <string>
#include <utility>

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

}  // namespace permwatch::test

// A node without the Cluster service: Wine's own clusapi.dll answers
// GetNodeClusterState with "not installed" and stubs nearly everything else
// (calling a stub raises an exception), so this proves the adapter asks first
// and calls nothing more on a node that is not clustered.
#include <gtest/gtest.h>

#include "service/cluster_adapter.hpp"

namespace permwatch {
namespace {

TEST(ClusterStandalone, WinesOwnClusapiMeansNoClusterAndNoCrash) {
    win::Win32Cluster cluster;  // the system's clusapi.dll: Wine's builtin here
    bool called = false;
    EXPECT_FALSE(cluster.connect([&](const ClusterEvent&) { called = true; }));
    EXPECT_FALSE(cluster.available());
    EXPECT_NE(cluster.why_unavailable().find("not running"), std::string::npos)
        << cluster.why_unavailable();
    EXPECT_TRUE(cluster.checkpoints().empty());
    EXPECT_FALSE(called);
    // And again, as the watchdog retries now and then.
    EXPECT_FALSE(cluster.connect([](const ClusterEvent&) {}));
}

}  // namespace
}  // namespace permwatch

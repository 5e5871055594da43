// A node without the Cluster service: Wine's own clusapi.dll answers
// GetNodeClusterState with "not installed" and stubs nearly everything else
// (calling a stub raises an exception), so this proves the adapter asks first
// and calls nothing more on a node that is not clustered.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "core/cli/cli.hpp"
#include "service/cluster_adapter.hpp"
#include "service/cluster_database.hpp"
#include "service/live_commands.hpp"

namespace permwatch {
namespace test_cluster_standalone {

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

// status --cluster and check --cluster on a node without a cluster: exit 4,
// one line, and nothing but GetNodeClusterState called (Wine's other
// exports would raise an exception). The publisher's store says why it
// cannot write instead of writing.
TEST(ClusterStandalone, ClusterCommandsExit4AndPublishingWritesNothing) {
    win::Win32ClusterView view;
    std::string why;
    EXPECT_EQ(view.open(why), ClusterViewPort::Open::no_cluster);
    EXPECT_NE(why.find("not running"), std::string::npos) << why;

    win::Win32SummaryStore store;
    const auto failed = store.write("NODE1", "{}");
    ASSERT_TRUE(failed);
    EXPECT_NE(failed->find("not running"), std::string::npos) << *failed;

    win::Win32LiveCommands live;
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"status", "--cluster"},
          std::vector<std::string>{"status", "--cluster", "--json"},
          std::vector<std::string>{"check", "--cluster"},
          std::vector<std::string>{"check", "--cluster", "--group", "G", "--json"}}) {
        std::ostringstream out, err;
        EXPECT_EQ(run_cli(args, out, err, &live), 4) << args[0] << " " << err.str();
        EXPECT_EQ(out.str(), "");
        const std::string line = err.str();
        EXPECT_NE(line.find("no cluster here"), std::string::npos) << line;
        EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1) << line;
    }
}

}  // namespace test_cluster_standalone
}  // namespace permwatch

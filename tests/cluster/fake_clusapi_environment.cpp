// Installs the FAKE clusapi.dll (it stands in for the Cluster service's
// clusapi.dll, which Wine lacks) in System32 for the whole cluster_tests run
// and puts Wine's own back at the end (tests/cluster/fake_in_system32.hpp).
#include <gtest/gtest.h>

#include "tests/cluster/cluster_test_support.hpp"
#include "tests/cluster/fake_in_system32.hpp"

namespace permwatch::test {
namespace {

class FakeClusapiInSystem32 : public ::testing::Environment {
public:
    void SetUp() override {
        const auto fake = exe_dir() / "clusapi.dll";
        if (!std::filesystem::exists(fake)) return;  // the tests skip
        ASSERT_EQ(put_fake_in_system32(fake), 0u) << "copying " << fake << " to System32";
    }
    void TearDown() override { EXPECT_EQ(restore_system32_clusapi(), 0u); }
};

const auto* const environment = ::testing::AddGlobalTestEnvironment(new FakeClusapiInSystem32);

}  // namespace
}  // namespace permwatch::test

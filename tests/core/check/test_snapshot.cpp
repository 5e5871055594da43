// Snapshots (`check --snapshot`) are files an administrator is handed, so they
// are read with the config's JSON guards (core/json_reading).
#include <gtest/gtest.h>

#include <string>

#include "core/check/snapshot.hpp"

namespace permwatch {
namespace test_snapshot {

TEST(Snapshot, AKeyAndAnAccountAreRead) {
    const SnapshotResult r = load_snapshot(
        R"j({"version":1,"keys":{"HKLM\\SOFTWARE\\A":"O:SYG:SYD:(A;;KA;;;SY)"},"accounts":{}
})j");
    ASSERT_TRUE(r.snapshot) << (r.problems.empty() ? "" : r.problems[0].message);
    ASSERT_NE(r.snapshot->find("HKEY_LOCAL_MACHINE\\software\\a"), nullptr);
}

TEST(Snapshot, NestingTooDeepIsRefusedBeforeParsing) {
    // 100,000 brackets would overflow nlohmann's recursive parser.
    const std::string deep =
        "{\"keys\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
    const SnapshotResult r = load_snapshot(deep);
    EXPECT_FALSE(r.snapshot);
    ASSERT_EQ(r.problems.size(), 1u);
    EXPECT_NE(r.problems[0].message.find("nested more than"), std::string::npos)
        << r.problems[0].message;
}

TEST(Snapshot, AKeyWrittenTwiceIsAProblemNotASilentChoice) {
    const SnapshotResult r =
        load_snapshot(R"j({"version":1,"keys":{"HKLM\\SOFTWARE\\A":"O:SYG:SYD:(A;;KA;;;SY)",)j"
                      R"j("HKLM\\SOFTWARE\\A":"O:SYG:SYD:(A;;KA;;;WD)"},"accounts":{}
})j");
    EXPECT_FALSE(r.snapshot);
    ASSERT_FALSE(r.problems.empty());
    EXPECT_EQ(r.problems[0].pointer, "/keys/HKLM\\SOFTWARE\\A");
}

TEST(Snapshot, ASyntaxErrorNamesItsLineAndColumn) {
    const SnapshotResult r = load_snapshot("{\n  \"version\": 1,\n  \"keys\": {,}\n}");
    EXPECT_FALSE(r.snapshot);
    ASSERT_EQ(r.problems.size(), 1u);
    EXPECT_NE(r.problems[0].message.find("line 3"), std::string::npos) << r.problems[0].message;
}

}  // namespace test_snapshot
}  // namespace permwatch

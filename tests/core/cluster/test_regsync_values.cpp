// The RegSync fallback believes only what looks like a real
// checkpoint value. The service's reading of the key (links, bounded
// buffers) is tested under Wine in tests/cluster/test_regsync_fallback.cpp.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "core/cluster/regsync_values.hpp"

namespace permwatch {
namespace test_regsync_values {

RegSyncValue sz(std::string name, std::string text) {
    RegSyncValue v;
    v.name = std::move(name);
    v.type = kRegSzType;
    v.bytes = (text.size() + 1) * 2;
    v.text = std::move(text);
    return v;
}

bool mentions(const std::vector<std::string>& lines, const std::string& what) {
    for (const auto& l : lines)
        if (l.find(what) != std::string::npos) return true;
    return false;
}

TEST(RegSyncValues, RealValuesBecomeKeysUnderHklmInValueOrder) {
    const auto got = parse_regsync({sz("00000001", "Software\\Example"),
                                    sz("00000002", "SYSTEM\\CurrentControlSet\\Services\\X"),
                                    sz("0000000A", "\\Software\\Leading")},
                                   3);
    EXPECT_EQ(got.keys, (std::vector<std::string>{"HKLM\\Software\\Example",
                                                  "HKLM\\SYSTEM\\CurrentControlSet\\Services\\X",
                                                  "HKLM\\Software\\Leading"}));
    EXPECT_TRUE(got.problems.empty());
}

TEST(RegSyncValues, TheSameKeyTwiceIsOneCheckpoint) {
    const auto got =
        parse_regsync({sz("00000001", "Software\\A"), sz("00000002", "SOFTWARE\\a")}, 2);
    EXPECT_EQ(got.keys, (std::vector<std::string>{"HKLM\\Software\\A"}));
}

TEST(RegSyncValues, PathsOutsideHklmFormAreSkippedAndTold) {
    const std::vector<std::string> hostile = {
        "\\REGISTRY\\USER\\S-1-5-18\\Software",
        "HKEY_CURRENT_USER\\Software\\X",
        "HKLM\\SOFTWARE\\X",
        "HKU\\.DEFAULT",
        "C:\\Windows\\System32",
        "Software\\..\\SAM",
        "Software\\\\Double",
        "Software\\Trailing\\",
        "Cluster\\Resources",
        "",
        std::string("Software\\Bell\x07", 14),
    };
    std::vector<RegSyncValue> values;
    for (std::size_t i = 0; i < hostile.size(); ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "%08zX", i + 1);
        values.push_back(sz(name, hostile[i]));
    }
    const auto got = parse_regsync(values, values.size());
    EXPECT_TRUE(got.keys.empty());
    ASSERT_EQ(got.problems.size(), hostile.size());
    EXPECT_TRUE(mentions(got.problems, "value '00000001' skipped: not a path relative to HKLM"))
        << got.problems[0];
    EXPECT_TRUE(mentions(got.problems, "the cluster database itself"));
    EXPECT_TRUE(mentions(got.problems, "control character"));
    for (const auto& line : got.problems) {
        for (const char c : line) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << line;
    }
}

TEST(RegSyncValues, AHugeValueIsSkippedWithItsSize) {
    RegSyncValue huge;
    huge.name = "00000001";
    huge.type = kRegSzType;
    huge.bytes = 200000;  // the reader did not read it: text stays empty
    const auto got = parse_regsync({huge, sz("00000002", "Software\\Fine")}, 2);
    EXPECT_EQ(got.keys, (std::vector<std::string>{"HKLM\\Software\\Fine"}));
    ASSERT_EQ(got.problems.size(), 1u);
    EXPECT_NE(got.problems[0].find("200000 bytes"), std::string::npos) << got.problems[0];
    // A path just over the limit, even when read, is refused too.
    const auto over = parse_regsync({sz("00000001", "Software\\" + std::string(1100, 'a'))}, 1);
    EXPECT_TRUE(over.keys.empty());
    EXPECT_EQ(over.problems.size(), 1u);
}

TEST(RegSyncValues, OtherNamesAndTypesAreSkipped) {
    RegSyncValue dword;
    dword.name = "00000002";
    dword.type = 4;  // REG_DWORD
    dword.bytes = 4;
    RegSyncValue long_name;
    long_name.name_too_long = true;
    long_name.type = kRegSzType;
    const auto got =
        parse_regsync({sz("Name", "Software\\X"), dword, long_name, sz("1", "Software\\Y")}, 4);
    EXPECT_TRUE(got.keys.empty());
    EXPECT_EQ(got.problems.size(), 4u);
    EXPECT_TRUE(mentions(got.problems, "type 4, not REG_SZ"));
    EXPECT_TRUE(mentions(got.problems, "a name longer than 255"));
}

TEST(RegSyncValues, TooManyValuesMeansNoneIsBelieved) {
    std::vector<RegSyncValue> values = {sz("00000001", "Software\\Fine")};
    const auto got = parse_regsync(values, kMaxRegSyncValues + 1);
    EXPECT_TRUE(got.keys.empty());
    ASSERT_EQ(got.problems.size(), 1u);
    EXPECT_NE(got.problems[0].find("257 values"), std::string::npos) << got.problems[0];
    EXPECT_EQ(parse_regsync(values, kMaxRegSyncValues).keys.size(), 1u);
}

TEST(RegSyncValues, ResourceIdsAreGuidsAndNothingElse) {
    EXPECT_TRUE(plausible_resource_id("8e9e0e2b-1c2d-4e5f-8a9b-0c1d2e3f4a5b"));
    EXPECT_TRUE(plausible_resource_id("{8E9E0E2B-1C2D-4E5F-8A9B-0C1D2E3F4A5B}"));
    EXPECT_FALSE(plausible_resource_id(""));
    EXPECT_FALSE(plausible_resource_id("..\\..\\SOFTWARE"));
    EXPECT_FALSE(plausible_resource_id("abc\\RegSync"));
    EXPECT_FALSE(plausible_resource_id("{}"));
    EXPECT_FALSE(plausible_resource_id("{abc"));
    EXPECT_FALSE(plausible_resource_id(std::string(65, 'a')));
}

}  // namespace test_regsync_values
}  // namespace permwatch

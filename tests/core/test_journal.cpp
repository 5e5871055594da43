#include <gtest/gtest.h>

#include "core/journal.hpp"

namespace permwatch {
namespace {

JournalEntry entry(const std::string& id, const std::string& key, const std::string& before,
                   const std::string& after) {
    return {id, "2026-11-26T04:15:00.123Z", key, "drift", before, after};
}

TEST(Journal, LineRoundTrips) {
    const JournalEntry e =
        entry("000000000001", "HKLM\\SOFTWARE\\A \"quoted\"", "D:", "D:(A;;KA;;;SY)");
    const std::string line = format_journal_line(e);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    const auto parsed = parse_journal(line + "\n");
    ASSERT_EQ(parsed.entries.size(), 1u);
    EXPECT_EQ(parsed.entries[0], e);
    EXPECT_TRUE(parsed.warnings.empty());
}

TEST(Journal, TornLastLineIsSkippedWithAWarning) {
    const std::string good = format_journal_line(entry("000000000001", "HKLM\\A", "D:", "D:P"));
    const std::string torn = format_journal_line(entry("000000000002", "HKLM\\A", "D:P", "D:"));
    const auto parsed = parse_journal(good + "\n" + torn.substr(0, torn.size() / 2));
    ASSERT_EQ(parsed.entries.size(), 1u);
    ASSERT_EQ(parsed.warnings.size(), 1u);
    EXPECT_NE(parsed.warnings[0].find("line 2"), std::string::npos);
    EXPECT_NE(parsed.warnings[0].find("torn"), std::string::npos);
}

TEST(Journal, GarbageLinesAreSkippedNotFatal) {
    const std::string good = format_journal_line(entry("000000000003", "HKLM\\A", "D:", "D:P"));
    const auto parsed = parse_journal("{\"id\":1}\r\nnot json\n\n" + good + "\r\n");
    EXPECT_EQ(parsed.entries.size(), 1u);
    EXPECT_EQ(parsed.warnings.size(), 2u);
}

TEST(Journal, IdsIncreaseAsTextAndNumber) {
    EXPECT_EQ(next_journal_id(std::nullopt), "000000000001");
    EXPECT_EQ(next_journal_id("000000000009"), "000000000010");
    EXPECT_LT(next_journal_id("000000000009"), next_journal_id("000000000010"));
}

TEST(Journal, FormatUtc) {
    const auto t =
        std::chrono::system_clock::time_point(std::chrono::milliseconds(1795666500123LL));
    EXPECT_EQ(format_utc(t), "2026-11-26T04:15:00.123Z");
}

TEST(Rollback, WithoutIdUndoesTheLastWriteOfEachKey) {
    const std::vector<JournalEntry> entries = {entry("1", "HKLM\\A", "A0", "A1"),
                                               entry("2", "HKLM\\B", "B0", "B1"),
                                               entry("3", "HKLM\\A", "A1", "A2")};
    const auto plan = plan_rollback(entries, std::nullopt, std::nullopt);
    ASSERT_TRUE(plan.error.empty());
    ASSERT_EQ(plan.targets.size(), 2u);
    EXPECT_EQ(plan.targets[0].key, "HKLM\\A");
    EXPECT_EQ(plan.targets[0].sddl, "A1");
    EXPECT_EQ(plan.targets[1].sddl, "B0");
    const auto only_a = plan_rollback(entries, std::nullopt, std::string("HKEY_LOCAL_MACHINE\\a"));
    ASSERT_EQ(only_a.targets.size(), 1u);
    EXPECT_EQ(only_a.targets[0].from_id, "3");
}

TEST(Rollback, ToIdRestoresThatEntrysBefore) {
    const std::vector<JournalEntry> entries = {entry("1", "HKLM\\A", "A0", "A1"),
                                               entry("3", "HKLM\\A", "A1", "A2")};
    const auto plan = plan_rollback(entries, std::string("1"), std::nullopt);
    ASSERT_EQ(plan.targets.size(), 1u);
    EXPECT_EQ(plan.targets[0].sddl, "A0");
    EXPECT_FALSE(plan_rollback(entries, std::string("9"), std::nullopt).error.empty());
    EXPECT_FALSE(plan_rollback(entries, std::string("1"), std::string("HKLM\\B")).error.empty());
    EXPECT_FALSE(plan_rollback({}, std::nullopt, std::nullopt).error.empty());
}

}  // namespace
}  // namespace permwatch

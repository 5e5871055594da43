#include <gtest/gtest.h>

#include "core/journal/journal.hpp"
#include "core/security/sddl.hpp"

namespace permwatch {
namespace test_journal {

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

const std::string kA0 = "D:(A;CI;KR;;;BU)";
const std::string kA1 = "D:(A;CI;KA;;;SY)";
const std::string kA2 = "D:P(A;CI;KA;;;SY)";
const std::string kB0 = "D:(A;;KA;;;BA)";
const std::vector<std::string> kPolicy = {"HKLM\\A", "HKEY_LOCAL_MACHINE\\B"};

// The journal as rollback reads it: the entries, one per line.
JournalContents journal_of(const std::vector<JournalEntry>& entries) {
    std::string text;
    for (const JournalEntry& e : entries) text += format_journal_line(e) + "\n";
    return parse_journal(text);
}

TEST(Rollback, WithoutIdUndoesTheLastWriteOfEachKey) {
    const auto journal =
        journal_of({entry("1", "HKLM\\A", kA0, kA1), entry("2", "HKLM\\B", kB0, kA1),
                    entry("3", "HKLM\\A", kA1, kA2)});
    const auto plan = plan_rollback(journal, kPolicy, std::nullopt, std::nullopt);
    ASSERT_TRUE(plan.error.empty()) << plan.error;
    ASSERT_EQ(plan.targets.size(), 2u);
    EXPECT_EQ(plan.targets[0].key, "HKLM\\A");
    EXPECT_EQ(plan.targets[0].sddl, kA1);
    EXPECT_EQ(plan.targets[0].dacl, *parse_sddl(kA1).dacl);
    EXPECT_EQ(plan.targets[1].sddl, kB0);
    const auto only_a =
        plan_rollback(journal, kPolicy, std::nullopt, std::string("HKEY_LOCAL_MACHINE\\a"));
    ASSERT_EQ(only_a.targets.size(), 1u) << only_a.error;
    EXPECT_EQ(only_a.targets[0].from_id, "3");
}

TEST(Rollback, ToIdRestoresThatEntrysBefore) {
    const auto journal =
        journal_of({entry("1", "HKLM\\A", kA0, kA1), entry("3", "HKLM\\A", kA1, kA2)});
    const auto plan = plan_rollback(journal, kPolicy, std::string("1"), std::nullopt);
    ASSERT_EQ(plan.targets.size(), 1u) << plan.error;
    EXPECT_EQ(plan.targets[0].sddl, kA0);
    EXPECT_FALSE(plan_rollback(journal, kPolicy, std::string("9"), std::nullopt).error.empty());
    EXPECT_FALSE(
        plan_rollback(journal, kPolicy, std::string("1"), std::string("HKLM\\B")).error.empty());
    EXPECT_FALSE(
        plan_rollback(JournalContents{}, kPolicy, std::nullopt, std::nullopt).error.empty());
}

// A forged line (the journal stands in for a file someone else wrote) for a
// key the policy does not name is refused, and so is the whole rollback.
TEST(Rollback, AKeyThePolicyDoesNotNameIsRefusedAndNothingIsPlanned) {
    const auto journal =
        journal_of({entry("1", "HKLM\\A", kA0, kA1),
                    entry("2", "HKLM\\SAM\\SAM", "D:(A;CI;KA;;;WD)", "D:(A;CI;KA;;;SY)")});
    const auto plan = plan_rollback(journal, kPolicy, std::nullopt, std::nullopt);
    EXPECT_TRUE(plan.targets.empty());
    EXPECT_EQ(plan.error,
              "journal line 2 (entry 2): the config does not name HKLM\\SAM\\SAM; rollback "
              "writes only its keys; nothing was rolled back");
    EXPECT_FALSE(plan_rollback(journal, kPolicy, std::string("2"), std::nullopt).error.empty());
    EXPECT_FALSE(
        plan_rollback(journal, kPolicy, std::nullopt, std::string("HKLM\\SAM\\SAM")).error.empty());
    // --key A alone is still fine: the forged line is not a target.
    EXPECT_TRUE(
        plan_rollback(journal, kPolicy, std::nullopt, std::string("HKLM\\A")).error.empty());
}

TEST(Rollback, ANonHklmKeyIsRefused) {
    const auto journal = journal_of({entry("1", "HKCU\\A", kA0, kA1)});
    const auto plan = plan_rollback(journal, {"HKCU\\A"}, std::nullopt, std::nullopt);
    EXPECT_NE(plan.error.find("not a key under HKLM"), std::string::npos) << plan.error;
}

// A bad SDDL in any entry stops the rollback before any key is written: a
// plan is handed out only after every target parsed.
TEST(Rollback, AMalformedBeforeAnywhereMeansNoTargetsAtAll) {
    const auto journal = journal_of(
        {entry("1", "HKLM\\A", kA0, kA1), entry("2", "HKLM\\B", "D:(A;;KA;;;NOT-A-SID)", kA1)});
    const auto plan = plan_rollback(journal, kPolicy, std::nullopt, std::nullopt);
    EXPECT_TRUE(plan.targets.empty());
    EXPECT_EQ(
        plan.error.rfind("journal line 2 (entry 2): 'before' is not a security descriptor", 0), 0u)
        << plan.error;
}

TEST(Rollback, AnUnreadableLineIsAnErrorWithItsNumber) {
    const std::string good = format_journal_line(entry("1", "HKLM\\A", kA0, kA1));
    const auto journal = parse_journal(good + "\n{\"id\":\"2\",\"key\":5}\n" + good + "\n");
    const auto plan = plan_rollback(journal, kPolicy, std::nullopt, std::nullopt);
    EXPECT_TRUE(plan.targets.empty());
    EXPECT_EQ(plan.error,
              "journal line 2 cannot be read (not a journal entry); nothing was rolled back");
}

// A torn last line is what a crash during an append leaves: its write was
// never made (journal first), so it is skipped with a warning, not an error.
TEST(Rollback, ATornLastLineIsOnlyAWarning) {
    const std::string good = format_journal_line(entry("1", "HKLM\\A", kA0, kA1));
    const auto journal = parse_journal(good + "\n" + good.substr(0, 20));
    EXPECT_TRUE(journal.unreadable_lines.empty());
    EXPECT_EQ(journal.warnings.size(), 1u);
    EXPECT_TRUE(plan_rollback(journal, kPolicy, std::nullopt, std::nullopt).error.empty());
}

// The plan of rolling HKLM\A back to `before`, its one repair in the journal.
RollbackPlan plan_back_to(const std::string& before) {
    return plan_rollback(journal_of({entry("1", "HKLM\\A", before, kA1)}), kPolicy, std::nullopt,
                         std::nullopt);
}

TEST(Rollback, ANullDaclIsRestoredAsANullDacl) {
    const auto plan = plan_back_to("O:BAD:NO_ACCESS_CONTROL");
    ASSERT_EQ(plan.targets.size(), 1u) << plan.error;
    EXPECT_EQ(plan.targets[0].dacl, (Acl{.is_null = true, .aces = {}})) << "null, and no ACEs";
}

TEST(Rollback, AnAbsentDaclIsRefusedNeverMadeEmpty) {
    const auto plan = plan_back_to("O:BAG:SY");
    EXPECT_TRUE(plan.targets.empty());
    EXPECT_NE(plan.error.find("'before' has no DACL"), std::string::npos) << plan.error;
}

TEST(Rollback, AnEmptyDaclIsWhatTheJournalSaidAndIsRestored) {
    const auto plan = plan_back_to("D:");
    ASSERT_EQ(plan.targets.size(), 1u) << plan.error;
    EXPECT_EQ(plan.targets[0].dacl, Acl{}) << "not null, and no ACEs";
}

TEST(Journal, EntryLinesCountEveryLine) {
    const std::string good = format_journal_line(entry("1", "HKLM\\A", kA0, kA1));
    const auto parsed = parse_journal("\n" + good + "\nnot json\n" + good + "\n");
    EXPECT_EQ(parsed.entry_lines, (std::vector<std::size_t>{2, 4}));
    EXPECT_EQ(parsed.unreadable_lines, (std::vector<std::size_t>{3}));
}

}  // namespace test_journal
}  // namespace permwatch

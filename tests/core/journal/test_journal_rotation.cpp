// Journal rotation, the pure parts (core/journal/journal_rotation.hpp,
// core/journal/journal_reader.hpp): names, the rename order, the size decision, the
// next id found in a rotated file's tail, and rollback reading every file,
// each judged like the live one. The renames themselves run under Wine
// (tests/windows/test_file_journal.cpp, JournalRotation.*).
#include <gtest/gtest.h>

#include <map>

#include "core/journal/journal_reader.hpp"
#include "core/journal/journal_rotation.hpp"
#include "core/security/sddl.hpp"

namespace permwatch {
namespace test_journal_rotation {

const std::string kLive = "C:\\ProgramData\\PermWatch\\journal.jsonl";

std::string line(const std::string& id, const std::string& key = "HKLM\\SOFTWARE\\A",
                 const std::string& before = "D:(A;;KA;;;SY)") {
    return format_journal_line({id, "2026-11-30T08:00:00.000Z", key, "drift", before, "D:"}) + "\n";
}

TEST(JournalRotation, RotatedNamesAppendTheNumberToTheLiveName) {
    EXPECT_EQ(rotated_journal_path(kLive, 1), kLive + ".1");
    EXPECT_EQ(rotated_journal_path(kLive, 5), kLive + ".5");
    EXPECT_EQ(journal_file_name(kLive + ".3"), "journal.jsonl.3");
    EXPECT_EQ(journal_file_name("/tmp/j/journal.jsonl"), "journal.jsonl");
    EXPECT_EQ(journal_file_name("journal.jsonl"), "journal.jsonl");
}

TEST(JournalRotation, FilesAreReadOldestFirstAndTheLiveOneLast) {
    EXPECT_EQ(journal_files_oldest_first(kLive),
              (std::vector<std::string>{kLive + ".5", kLive + ".4", kLive + ".3", kLive + ".2",
                                        kLive + ".1", kLive}));
    EXPECT_EQ(rotated_journals_newest_first(kLive),
              (std::vector<std::string>{kLive + ".1", kLive + ".2", kLive + ".3", kLive + ".4",
                                        kLive + ".5"}));
    EXPECT_EQ(kJournalFilesKept, 5);
    EXPECT_EQ(kDefaultJournalMaxBytes, 10 * 1024 * 1024);
}

// Drop the oldest, shift from the top down, the live file last: no rename
// ever lands on a name that still holds lines, so a crash between two steps
// loses nothing.
TEST(JournalRotation, ThePlanDropsTheOldestThenShiftsDownwardsThenMovesTheLiveFile) {
    const RotationPlan plan = plan_rotation(kLive);
    EXPECT_EQ(plan.drop, kLive + ".5");
    const std::vector<JournalRename> expected = {{kLive + ".4", kLive + ".5"},
                                                 {kLive + ".3", kLive + ".4"},
                                                 {kLive + ".2", kLive + ".3"},
                                                 {kLive + ".1", kLive + ".2"},
                                                 {kLive, kLive + ".1"}};
    EXPECT_EQ(plan.renames, expected);
    // Every target was the source of an earlier step or the dropped file.
    std::vector<std::string> free_names = {plan.drop};
    for (const JournalRename& r : plan.renames) {
        EXPECT_NE(std::find(free_names.begin(), free_names.end(), r.to), free_names.end()) << r.to;
        free_names.push_back(r.from);
    }
    const RotationPlan one = plan_rotation(kLive, 1);
    EXPECT_EQ(one.drop, kLive + ".1");
    EXPECT_EQ(one.renames, (std::vector<JournalRename>{{kLive, kLive + ".1"}}));
}

TEST(JournalRotation, RotatesOnlyWhenTheLineWouldPassTheLimitAndNeverAnEmptyFile) {
    EXPECT_FALSE(should_rotate(0, 200, 4096));
    EXPECT_FALSE(should_rotate(0, 100'000, 4096));  // a long line in a new file stays
    EXPECT_FALSE(should_rotate(3896, 200, 4096));   // exactly full
    EXPECT_TRUE(should_rotate(3897, 200, 4096));
    EXPECT_TRUE(should_rotate(4096, 1, 4096));
    EXPECT_TRUE(should_rotate(5000, 1, 4096));  // a file already past the limit
    EXPECT_FALSE(should_rotate(10 * 1024 * 1024 - 300, 300, kDefaultJournalMaxBytes));
    EXPECT_TRUE(should_rotate(10 * 1024 * 1024 - 299, 300, kDefaultJournalMaxBytes));
    EXPECT_FALSE(should_rotate(UINT64_MAX - 1, 1, 0));  // no limit
}

// The next id after a rotation: the live file is empty, so its tail says
// nothing and the newest rotated file's tail must.
TEST(JournalRotation, ATailGivesTheGreatestIdOfItsCompleteLines) {
    const std::string text = line("000000000041") + line("000000000042");
    JournalTail t = read_journal_tail(text, true);
    EXPECT_EQ(t.last_id, "000000000042");
    EXPECT_FALSE(t.ends_mid_line);
    // A tail that starts mid-file: its first, partial, line is not read.
    t = read_journal_tail(text.substr(10), false);
    EXPECT_EQ(t.last_id, "000000000042");
    t = read_journal_tail(line("000000000043").substr(5), false);
    EXPECT_EQ(t.last_id, std::nullopt);
    // A torn end: the ids before it count, and the next line must start clean.
    t = read_journal_tail(line("000000000044") + R"({"id":"000000000045","ti)", true);
    EXPECT_EQ(t.last_id, "000000000044");
    EXPECT_TRUE(t.ends_mid_line);
    EXPECT_EQ(read_journal_tail("", true).last_id, std::nullopt);
    EXPECT_EQ(greater_id(std::string("000000000009"), std::string("000000000010")), "000000000010");
    EXPECT_EQ(greater_id(std::nullopt, std::string("7")), "7");
    EXPECT_EQ(greater_id(std::string("7"), std::nullopt), "7");
}

// ---------------------------------------------------------------------------
// Reading across files (rollback).

class FakeJournalFiles final : public FileSecurityPort {
public:
    std::map<std::string, std::string> bytes;  // path -> content; absent: missing
    std::map<std::string, std::string> sddl;   // path -> descriptor; absent: missing
    std::vector<std::string> reads;

    ReadFileBytes reader() {
        return [this](const std::string& path) -> std::optional<std::string> {
            reads.push_back(path);
            const auto it = bytes.find(path);
            if (it == bytes.end()) return std::nullopt;
            return it->second;
        };
    }
    FileSecurityRead read(const std::string& path) override {
        const auto it = sddl.find(path);
        if (it == sddl.end()) return {FileSecurityRead::Status::missing, {}, path + " missing"};
        return {FileSecurityRead::Status::ok, parse_sddl(it->second), {}};
    }
    std::string account_name(const Sid& sid) override {
        return sid == Sid(5, {32, 545}) ? "BUILTIN\\Users" : "";
    }
    std::optional<Sid> self() override { return std::nullopt; }
};

const std::string kSafeFolder = "O:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FR;;;BU)";
const std::string kSafeFile = "O:BAD:(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;FR;;;BU)";
const std::string kUsersMayWrite = "O:BAD:(A;ID;FA;;;SY)(A;;FA;;;BU)";

TEST(JournalAcrossFiles, EntriesComeOldestFileFirstAndGapsAreSkipped) {
    FakeJournalFiles f;
    f.bytes[kLive + ".3"] = line("000000000001") + line("000000000002");
    // .2 missing: a crash between two renames leaves a gap.
    f.bytes[kLive + ".1"] = line("000000000003");
    f.bytes[kLive] = line("000000000004");
    const JournalRead r = read_journal_across_files(kLive, f.reader(), nullptr);
    EXPECT_FALSE(r.refused);
    ASSERT_EQ(r.contents.entries.size(), 4u);
    for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(std::stoull(r.contents.entries[i].id), i + 1);
    EXPECT_EQ(
        r.contents.entry_files,
        (std::vector<std::string>{"journal.jsonl.3", "journal.jsonl.3", "journal.jsonl.1", ""}));
    EXPECT_EQ(r.contents.entry_lines, (std::vector<std::size_t>{1, 2, 1, 1}));
    EXPECT_EQ(f.reads, journal_files_oldest_first(kLive));
}

// Each file is parsed alone: a torn end of .1 is not glued to the live file's first line.
TEST(JournalAcrossFiles, ATornEndOfARotatedFileIsSkippedAndNamedByItsFile) {
    FakeJournalFiles f;
    f.bytes[kLive + ".1"] = line("000000000001") + R"({"id":"000000000002","ti)";
    f.bytes[kLive] = line("000000000003");
    const JournalRead r = read_journal_across_files(kLive, f.reader(), nullptr);
    ASSERT_EQ(r.contents.entries.size(), 2u);
    EXPECT_EQ(r.contents.entries[1].id, "000000000003");
    ASSERT_EQ(r.contents.warnings.size(), 1u);
    EXPECT_EQ(r.contents.warnings[0],
              "journal journal.jsonl.1 line 2 is incomplete (torn write); skipped");
    EXPECT_TRUE(r.contents.unreadable_lines.empty());
}

TEST(JournalAcrossFiles, RollbackToAnIdInARotatedFileRestoresItsBefore) {
    FakeJournalFiles f;
    f.bytes[kLive + ".2"] = line("000000000001", "HKLM\\SOFTWARE\\A", "D:(A;;KR;;;BU)");
    f.bytes[kLive + ".1"] = line("000000000002", "HKLM\\SOFTWARE\\B", "D:(A;;KA;;;BA)");
    f.bytes[kLive] = line("000000000003", "HKLM\\SOFTWARE\\A", "D:(A;;KA;;;SY)");
    const JournalRead r = read_journal_across_files(kLive, f.reader(), nullptr);
    const std::vector<std::string> policy = {"HKLM\\SOFTWARE\\A", "HKLM\\SOFTWARE\\B"};
    RollbackPlan plan = plan_rollback(r.contents, policy, std::string("000000000001"), {});
    ASSERT_EQ(plan.error, "");
    ASSERT_EQ(plan.targets.size(), 1u);
    EXPECT_EQ(plan.targets[0].sddl, "D:(A;;KR;;;BU)");
    // Without --to: the last write of each key, wherever it is.
    plan = plan_rollback(r.contents, policy, std::nullopt, {});
    ASSERT_EQ(plan.targets.size(), 2u);
    EXPECT_EQ(plan.targets[0].from_id, "000000000003");
    EXPECT_EQ(plan.targets[1].from_id, "000000000002");
    // Read from the live file alone (before rotation was read), id 1 is gone.
    JournalContents live_only = parse_journal(f.bytes[kLive]);
    plan = plan_rollback(live_only, policy, std::string("000000000001"), {});
    EXPECT_TRUE(plan.targets.empty());
}

TEST(JournalAcrossFiles, AProblemInARotatedFileNamesTheFileAndTheLine) {
    FakeJournalFiles f;
    f.bytes[kLive + ".2"] = line("000000000001") + "{\"id\":\"000000000002\",\"key\":7}\n";
    f.bytes[kLive] = line("000000000003", "HKLM\\SAM\\SAM");
    JournalRead r = read_journal_across_files(kLive, f.reader(), nullptr);
    RollbackPlan plan = plan_rollback(r.contents, {"HKLM\\SOFTWARE\\A"}, std::nullopt, {});
    EXPECT_EQ(plan.error,
              "journal journal.jsonl.2 line 2 cannot be read (not a journal entry); nothing was "
              "rolled back");
    f.bytes[kLive + ".2"] = line("000000000001", "HKLM\\SAM\\SAM");
    f.bytes[kLive] = line("000000000003");
    r = read_journal_across_files(kLive, f.reader(), nullptr);
    plan = plan_rollback(r.contents, {"HKLM\\SOFTWARE\\A"}, std::string("000000000001"), {});
    EXPECT_EQ(plan.error.rfind("journal journal.jsonl.2 line 1 (entry 000000000001): the config "
                               "does not name HKLM\\SAM\\SAM",
                               0),
              0u)
        << plan.error;
    // The live file's lines keep the words they had before rotation existed.
    f.bytes[kLive] = line("000000000003", "HKLM\\SAM\\SAM");
    f.bytes.erase(kLive + ".2");
    r = read_journal_across_files(kLive, f.reader(), nullptr);
    plan = plan_rollback(r.contents, {"HKLM\\SOFTWARE\\A"}, std::nullopt, {});
    EXPECT_EQ(plan.error.rfind("journal line 1 (entry 000000000003)", 0), 0u) << plan.error;
}

// A rotated journal someone untrusted can change is refused like the live
// one, before any file is read (a planted journal.jsonl.3 would otherwise
// feed rollback as SYSTEM).
TEST(JournalAcrossFiles, AnUntrustedRotatedFileIsRefusedAndNothingIsRead) {
    FakeJournalFiles f;
    const std::string folder = "C:\\ProgramData\\PermWatch";
    f.sddl[folder] = kSafeFolder;
    f.sddl[kLive] = kSafeFile;
    f.sddl[kLive + ".1"] = kSafeFile;
    f.sddl[kLive + ".3"] = kUsersMayWrite;
    f.bytes[kLive + ".3"] = line("000000000001");
    f.bytes[kLive + ".1"] = line("000000000002");
    f.bytes[kLive] = line("000000000003");
    const JournalRead r = read_journal_across_files(kLive, f.reader(), &f);
    ASSERT_TRUE(r.refused);
    EXPECT_EQ(r.refused->rfind("refusing journal " + kLive + ".3: the file " + kLive +
                                   ".3: " + "BUILTIN\\Users (S-1-5-32-545) may",
                               0),
              0u)
        << *r.refused;
    EXPECT_TRUE(r.contents.entries.empty());
    EXPECT_TRUE(f.reads.empty()) << f.reads.front();
    // The same files, all trusted: read.
    f.sddl[kLive + ".3"] = kSafeFile;
    const JournalRead ok = read_journal_across_files(kLive, f.reader(), &f);
    EXPECT_FALSE(ok.refused);
    EXPECT_EQ(ok.contents.entries.size(), 3u);
}

}  // namespace test_journal_rotation
}  // namespace permwatch

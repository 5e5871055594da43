// The journal file under Wine: appends that never wait for the flush, ids
// that increase across writers, a torn end that the next line does not glue
// onto. (The slow and failing disk: tests/cluster, SlowDisk.*, with the shim.)
#include <gtest/gtest.h>

#include <windows.h>

#include <fstream>

#include "service/file_journal.hpp"
#include "wine_test_support.hpp"

namespace permwatch {
namespace {

class FileJournalTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir = std::filesystem::temp_directory_path() /
              ("permwatch-journal-" + std::to_string(GetCurrentProcessId()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        path = (dir / "journal.jsonl").string();
    }
    void TearDown() override {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    static JournalEntry entry(const std::string& key) {
        return {"", "2026-11-30T05:00:00.000Z", key, "manual", "D:", "D:(A;;KA;;;SY)"};
    }
    std::filesystem::path dir;
    std::string path;
};

// Two writers on one file (the service and a one-shot `repair`) take turns:
// each id is the one after the file's last, whoever wrote it.
TEST_F(FileJournalTest, IdsIncreaseAcrossTwoWritersOfOneFile) {
    win::FileJournal service(path);
    win::FileJournal oneshot(path);
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i) {
        for (win::FileJournal* j : {&service, &oneshot, &service}) {
            JournalEntry e = entry("HKLM\\SOFTWARE\\K" + std::to_string(i));
            ASSERT_EQ(j->append(e), std::nullopt);
            ids.push_back(e.id);
        }
    }
    ASSERT_TRUE(service.wait_flushed(std::chrono::seconds(30)));
    ASSERT_TRUE(oneshot.wait_flushed(std::chrono::seconds(30)));
    const JournalContents c = win::read_journal_file(path);
    ASSERT_EQ(c.entries.size(), 9u);
    EXPECT_TRUE(c.warnings.empty());
    for (std::size_t i = 0; i < 9; ++i) {
        EXPECT_EQ(c.entries[i].id, ids[i]);
        EXPECT_EQ(std::stoull(ids[i]), i + 1);
    }
}

// A torn end written by someone else (a crash mid-append): the next line
// starts on a fresh line and is read back whole.
TEST_F(FileJournalTest, ALineAfterATornEndStartsClean) {
    win::FileJournal journal(path);
    JournalEntry first = entry("HKLM\\SOFTWARE\\A");
    ASSERT_EQ(journal.append(first), std::nullopt);
    {
        std::ofstream torn(path, std::ios::binary | std::ios::app);
        torn << R"({"id":"000000000002","time":"2026-11-30T05:00:00.000Z","key":"HKLM\\SOFT)";
    }
    JournalEntry next = entry("HKLM\\SOFTWARE\\B");
    ASSERT_EQ(journal.append(next), std::nullopt);
    ASSERT_TRUE(journal.wait_flushed(std::chrono::seconds(30)));
    const JournalContents c = win::read_journal_file(path);
    ASSERT_EQ(c.entries.size(), 2u);
    EXPECT_EQ(c.entries[1].key, "HKLM\\SOFTWARE\\B");
    EXPECT_EQ(c.warnings.size(), 1u);  // the torn line, skipped
    EXPECT_GT(std::stoull(c.entries[1].id), std::stoull(c.entries[0].id));
}

TEST_F(FileJournalTest, StatsCountAppendsUntilTheFlusherCoversThem) {
    win::FileJournal journal(path);
    for (int i = 0; i < 5; ++i) {
        JournalEntry e = entry("HKLM\\SOFTWARE\\K");
        ASSERT_EQ(journal.append(e), std::nullopt);
    }
    ASSERT_TRUE(journal.wait_flushed(std::chrono::seconds(30)));
    const auto stats = journal.flush_stats();
    EXPECT_EQ(stats.unflushed, 0u);
    EXPECT_GE(stats.flushes, 1u);
    EXPECT_LE(stats.flushes, 5u);  // group commit: never more flushes than lines
    EXPECT_EQ(stats.failures, 0u);
    EXPECT_TRUE(stats.last_error.empty());
}

}  // namespace
}  // namespace permwatch

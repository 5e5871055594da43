// The journal file under Wine: appends that never wait for the flush, ids
// that increase across writers, a torn end that the next line does not glue
// onto. (The slow and failing disk: tests/cluster, SlowDisk.*, with the shim.)
#include <gtest/gtest.h>

#include <windows.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "core/journal/journal_reader.hpp"
#include "process_test_support.hpp"
#include "service/file_journal.hpp"
#include "wine_test_support.hpp"

namespace permwatch {
namespace test_file_journal {

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

// ---------------------------------------------------------------------------
// Rotation, with a 4 KiB limit: a line is ~130 bytes, so a
// file holds about 30.

constexpr std::int64_t kSmall = 4096;

// Every file of the journal, oldest first, as rollback reads them.
JournalContents read_all(const std::string& live) {
    return read_journal_across_files(live, win::read_existing_file, nullptr).contents;
}

std::uintmax_t size_of(const std::string& file) {
    std::error_code ec;
    const auto n = std::filesystem::file_size(file, ec);
    return ec ? 0 : n;
}

void expect_ids_one_to(const JournalContents& c, std::uint64_t first, std::uint64_t last) {
    ASSERT_EQ(c.entries.size(), last - first + 1);
    for (std::size_t i = 0; i < c.entries.size(); ++i)
        ASSERT_EQ(std::stoull(c.entries[i].id), first + i) << "entry " << i;
}

TEST_F(FileJournalTest, RotatesBeforeALineWouldPassTheLimitAndIdsGoOn) {
    win::FileJournal journal(path, {}, kSmall);
    for (int i = 0; i < 100; ++i) {
        JournalEntry e = entry("HKLM\\SOFTWARE\\K" + std::to_string(i));
        ASSERT_EQ(journal.append(e), std::nullopt);
        ASSERT_EQ(std::stoull(e.id), static_cast<unsigned long long>(i + 1));
    }
    ASSERT_TRUE(journal.wait_flushed(std::chrono::seconds(30)));
    EXPECT_EQ(journal.flush_stats().unflushed, 0u);
    std::cout << "[ measured ] 100 lines of about " << format_journal_line(entry("K")).size() + 20
              << " bytes, limit " << kSmall << ": " << journal.rotations() << " rotations\n";
    EXPECT_GE(journal.rotations(), 3u);
    EXPECT_LE(journal.rotations(), 5u);  // nothing dropped yet: every line is still there
    for (const std::string& f : journal_files_oldest_first(path)) {
        if (!std::filesystem::exists(f)) continue;
        EXPECT_LE(size_of(f), static_cast<std::uintmax_t>(kSmall)) << f;
        EXPECT_GT(size_of(f), 0u) << f;
    }
    EXPECT_TRUE(std::filesystem::exists(path + ".1"));
    ASSERT_NO_FATAL_FAILURE(expect_ids_one_to(read_all(path), 1, 100));
    EXPECT_TRUE(read_all(path).warnings.empty());
}

TEST_F(FileJournalTest, TheOldestFileIsDroppedAtFive) {
    win::FileJournal journal(path, {}, kSmall);
    std::uint64_t last = 0;
    for (int i = 0; i < 400 && journal.rotations() < 8; ++i) {
        JournalEntry e = entry("HKLM\\SOFTWARE\\K");
        ASSERT_EQ(journal.append(e), std::nullopt);
        last = std::stoull(e.id);
    }
    ASSERT_TRUE(journal.wait_flushed(std::chrono::seconds(30)));
    ASSERT_EQ(journal.rotations(), 8u);
    for (int n = 1; n <= 5; ++n)
        EXPECT_TRUE(std::filesystem::exists(path + "." + std::to_string(n))) << n;
    EXPECT_FALSE(std::filesystem::exists(path + ".6"));
    std::size_t files = 0;
    for (const auto& f : std::filesystem::directory_iterator(dir)) {
        ++files;
        EXPECT_EQ(f.path().filename().string().find(".deleted-"), std::string::npos)
            << f.path().string();
    }
    // The live file, five rotated ones and the writer lock's file, nothing else.
    EXPECT_TRUE(std::filesystem::exists(path + ".lock"));
    EXPECT_EQ(files, 7u);
    // What is kept runs without a gap from the first line of .5 to the last.
    const JournalContents all = read_all(path);
    ASSERT_FALSE(all.entries.empty());
    const std::uint64_t first = std::stoull(all.entries.front().id);
    EXPECT_GT(first, 1u);  // three files' worth were dropped
    ASSERT_NO_FATAL_FAILURE(expect_ids_one_to(all, first, last));
    std::cout << "[ measured ] 8 rotations: ids " << first << "-" << last << " kept of 1-" << last
              << "\n";
}

// The service and a one-shot command, each with its own handles: whoever
// rotates, the other notices under the mutex (its handle is no longer the
// live file) and neither reuses an id nor loses a line. Two threads, so
// the appends really interleave.
TEST_F(FileJournalTest, TwoWritersRotateWithoutReusingAnIdOrLosingALine) {
    constexpr int kEach = 150;
    constexpr std::int64_t kLimit = 10000;  // 5 files of ~72 lines hold all 300: nothing dropped
    win::FileJournal service(path, {}, kLimit);
    win::FileJournal oneshot(path, {}, kLimit);
    std::vector<std::string> ids[2];
    auto writer = [&](win::FileJournal& j, std::vector<std::string>& out) {
        for (int i = 0; i < kEach; ++i) {
            JournalEntry e = entry("HKLM\\SOFTWARE\\K");
            if (j.append(e)) return;
            out.push_back(e.id);
        }
    };
    std::thread a(writer, std::ref(service), std::ref(ids[0]));
    std::thread b(writer, std::ref(oneshot), std::ref(ids[1]));
    a.join();
    b.join();
    ASSERT_EQ(ids[0].size(), static_cast<std::size_t>(kEach));
    ASSERT_EQ(ids[1].size(), static_cast<std::size_t>(kEach));
    for (const auto& own : ids) {
        for (std::size_t i = 1; i < own.size(); ++i) ASSERT_LT(own[i - 1], own[i]);
    }
    ASSERT_TRUE(service.wait_flushed(std::chrono::seconds(30)));
    ASSERT_TRUE(oneshot.wait_flushed(std::chrono::seconds(30)));
    std::cout << "[ measured ] two writers, " << 2 * kEach << " lines, limit " << kLimit
              << ": rotations " << service.rotations() << " + " << oneshot.rotations() << "\n";
    EXPECT_GE(service.rotations() + oneshot.rotations(), 3u);
    EXPECT_LE(service.rotations() + oneshot.rotations(), 5u);
    // In the files, oldest first: 1..300, each once, in order.
    ASSERT_NO_FATAL_FAILURE(expect_ids_one_to(read_all(path), 1, 2 * kEach));
}

// Just rotated (or a crash before the new file's first line): the live file
// is empty and the last id is in journal.jsonl.1. A new writer must go on
// from there, not start again at 1.
TEST_F(FileJournalTest, TheNextIdComesFromTheNewestRotatedFileWhenTheLiveOneIsEmpty) {
    std::ofstream(path + ".2") << format_journal_line(
                                      {"000000000006", "t", "k", "manual", "D:", "D:"})
                               << "\n";
    std::ofstream(path + ".1") << format_journal_line(
                                      {"000000000007", "t", "k", "manual", "D:", "D:"})
                               << "\n";
    std::ofstream(path).flush();  // empty
    {
        win::FileJournal journal(path, {}, kSmall);
        JournalEntry e = entry("HKLM\\SOFTWARE\\A");
        ASSERT_EQ(journal.append(e), std::nullopt);
        EXPECT_EQ(e.id, "000000000008");
    }
    // The same when the live file is missing (a crash between the rename
    // of the live file and the creation of the new one).
    std::filesystem::remove(path + ".2");
    std::filesystem::rename(path + ".1", path + ".2");
    std::filesystem::rename(path, path + ".1");
    win::FileJournal journal(path, {}, kSmall);
    JournalEntry e = entry("HKLM\\SOFTWARE\\A");
    ASSERT_EQ(journal.append(e), std::nullopt);
    EXPECT_EQ(e.id, "000000000009");
}

// A rotated file held open without FILE_SHARE_DELETE cannot be renamed:
// the rotation is given up for now and the line goes to the live file.
TEST_F(FileJournalTest, ARotationThatCannotRenameLosesNoLine) {
    win::FileJournal journal(path, {}, kSmall);
    for (int i = 0; i < 40; ++i) {  // one rotation: .1 exists
        JournalEntry e = entry("HKLM\\SOFTWARE\\K");
        ASSERT_EQ(journal.append(e), std::nullopt);
    }
    ASSERT_EQ(journal.rotations(), 1u);
    HANDLE holder = CreateFileW(std::filesystem::path(path + ".1").c_str(), GENERIC_READ,
                                FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_EXISTING,
                                FILE_ATTRIBUTE_NORMAL, nullptr);
    ASSERT_NE(holder, INVALID_HANDLE_VALUE);
    for (int i = 0; i < 40; ++i) {
        JournalEntry e = entry("HKLM\\SOFTWARE\\K");
        ASSERT_EQ(journal.append(e), std::nullopt);
    }
    const bool blocked = journal.rotations() == 1u;
    std::cout << "[ measured ] a rename of a file open without FILE_SHARE_DELETE "
              << (blocked ? "failed (as on Windows)" : "succeeded (Wine does not enforce it)")
              << "\n";
    CloseHandle(holder);
    ASSERT_TRUE(journal.wait_flushed(std::chrono::seconds(30)));
    ASSERT_NO_FATAL_FAILURE(expect_ids_one_to(read_all(path), 1, 80));
}

// A writer of another process that holds the journal's writer lock (a
// one-shot `repair`, played by journal_actor) keeps an append waiting until
// it is gone: the lock on the lock file excludes across processes, as the
// named mutex did (docs/testing.md (r3)). The append cannot return before
// the holder is killed; no time is asserted.
TEST_F(FileJournalTest, AnAppendWaitsForAWriterOfAnotherProcess) {
    const std::filesystem::path marker = dir / "locked";
    test::ChildProcess holder(test::test_exe_dir() / L"journal_actor.exe",
                              L"lock \"" + win::widen(path) + L"\" \"" + marker.wstring() + L"\"");
    ASSERT_TRUE(holder.started()) << holder.start_error();
    for (int i = 0; i < 600 && !std::filesystem::exists(marker); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_TRUE(std::filesystem::exists(marker)) << "journal_actor did not take the lock";
    win::FileJournal journal(path);
    std::atomic<bool> holder_killed{false};
    std::atomic<bool> returned_before_kill{false};
    std::optional<std::string> error;
    std::thread writer([&] {
        JournalEntry e = entry("HKLM\\SOFTWARE\\K");
        error = journal.append(e);  // the lease-less limit: 30 s
        returned_before_kill = !holder_killed;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    holder_killed = true;
    holder.kill();
    writer.join();
    EXPECT_FALSE(returned_before_kill) << "the append did not wait for the other writer";
    EXPECT_EQ(error, std::nullopt);
    ASSERT_TRUE(journal.wait_flushed(std::chrono::seconds(30)));
    ASSERT_NO_FATAL_FAILURE(expect_ids_one_to(read_all(path), 1, 1));
}

// The id lease (FileJournal::lease_ids): the service's journal keeps the id
// mutex across the appends of one piece of work (an io handler), and the
// watchdog gives it back after each with end_id_lease().
class FileJournalLeaseTest : public FileJournalTest {
protected:
    // Another writer of the file (a one-shot `repair`) on a thread of its
    // own; `waiting` turns true just before it asks for the mutex.
    void start_other_writer() {
        waiting = false;
        other = std::thread([this] {
            win::FileJournal oneshot(path);
            JournalEntry e = entry("HKLM\\SOFTWARE\\Other");
            waiting = true;
            other_error = oneshot.append(e);
            other_id = e.id.empty() ? 0 : std::stoull(e.id);
            oneshot.wait_flushed(std::chrono::seconds(30));
        });
        while (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    // The id's number (ids are zero-padded strings).
    std::uint64_t append(win::FileJournal& journal) {
        JournalEntry e = entry("HKLM\\SOFTWARE\\Service");
        EXPECT_EQ(journal.append(e), std::nullopt);
        return e.id.empty() ? 0 : std::stoull(e.id);
    }
    void TearDown() override {
        if (other.joinable()) other.join();
        FileJournalTest::TearDown();
    }
    std::thread other;
    std::atomic<bool> waiting{false};
    std::optional<std::string> other_error;
    std::uint64_t other_id = 0;
};

// The other writer asks while the service still has appends to make: it gets
// in after end_id_lease(), not between them. Without the lease it would get
// in at the first append after it asked.
TEST_F(FileJournalLeaseTest, AnotherWriterGetsInAfterTheLeaseNotBetweenItsAppends) {
    win::FileJournal service(path);
    // A lease that cannot run out here: on a loaded machine the three appends
    // may take longer than kMaxIdLease, and this test is about the lease, not
    // its limit (the next test is about that).
    service.lease_ids(std::chrono::minutes(1));
    std::vector<std::uint64_t> ids;
    ids.push_back(append(service));
    start_other_writer();
    // Wide margin for it to be blocked on the mutex (no timing asserted).
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ids.push_back(append(service));
    ids.push_back(append(service));
    service.end_id_lease();
    other.join();  // would fail after 30 s if the mutex were still held
    ASSERT_EQ(other_error, std::nullopt);
    EXPECT_EQ(ids, (std::vector<std::uint64_t>{1, 2, 3}));
    EXPECT_EQ(other_id, 4u);
    EXPECT_EQ(append(service), 5u);  // leased again, after the other's line
    service.end_id_lease();
    ASSERT_TRUE(service.wait_flushed(std::chrono::seconds(30)));
    ASSERT_NO_FATAL_FAILURE(expect_ids_one_to(read_all(path), 1, 5));
}

// A service that goes on appending past kMaxIdLease gives the mutex back at
// its next append, and a writer waiting for it goes first.
TEST_F(FileJournalLeaseTest, AppendingPastTheLeaseLimitLetsAWaitingWriterIn) {
    win::FileJournal service(path);
    service.lease_ids();
    std::vector<std::uint64_t> ids;
    ids.push_back(append(service));
    start_other_writer();
    for (int i = 0; i < 4; ++i) {
        std::this_thread::sleep_for(win::FileJournal::kMaxIdLease * 3);
        ids.push_back(append(service));
    }
    other.join();
    service.end_id_lease();
    ASSERT_EQ(other_error, std::nullopt);
    ASSERT_EQ(ids.size(), 5u);
    EXPECT_LT(other_id, ids.back()) << "it waited for the whole lease";
    ASSERT_TRUE(service.wait_flushed(std::chrono::seconds(30)));
    ASSERT_NO_FATAL_FAILURE(expect_ids_one_to(read_all(path), 1, 6));
}

// A second writer on the leasing thread (a Win32 mutex lets its owner in
// again) still reads the ids the other appended: no id is reused.
TEST_F(FileJournalLeaseTest, TwoWritersOnTheLeasingThreadNeverReuseAnId) {
    win::FileJournal service(path);
    win::FileJournal oneshot(path);
    service.lease_ids();
    std::vector<std::uint64_t> ids;
    for (int i = 0; i < 3; ++i) {
        for (win::FileJournal* j : {&service, &oneshot, &service}) ids.push_back(append(*j));
    }
    service.end_id_lease();
    ASSERT_EQ(ids.size(), 9u);
    for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(ids[i], i + 1);
    ASSERT_TRUE(service.wait_flushed(std::chrono::seconds(30)));
    ASSERT_TRUE(oneshot.wait_flushed(std::chrono::seconds(30)));
    ASSERT_NO_FATAL_FAILURE(expect_ids_one_to(read_all(path), 1, 9));
}

// A journal destroyed with its lease held gives the mutex back.
TEST_F(FileJournalLeaseTest, AJournalDestroyedWithItsLeaseGivesTheMutexBack) {
    auto service = std::make_unique<win::FileJournal>(path);
    service->lease_ids();
    EXPECT_EQ(append(*service), 1u);
    service.reset();
    start_other_writer();
    other.join();  // would fail after 30 s if the mutex were still held
    EXPECT_EQ(other_error, std::nullopt);
    EXPECT_EQ(other_id, 2u);
    ASSERT_NO_FATAL_FAILURE(expect_ids_one_to(read_all(path), 1, 2));
}

}  // namespace test_file_journal
}  // namespace permwatch

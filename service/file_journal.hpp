// The journal file: JSON lines appended with WriteFile before the caller
// writes a descriptor, made durable by a flusher thread of its own (group
// commit: one FlushFileBuffers covers every line appended since the last).
// Nothing on the repair or failover path waits for the disk; a stop and the
// one-shot commands wait for the last flush (wait_flushed, the destructor).
#pragma once

#include <windows.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/journal.hpp"

namespace permwatch::win {

class FileJournal final : public Journal {
public:
    // Called on the flusher thread when a flush fails (what, Win32 error), at
    // most once per streak of failures and then once a minute; it is retried.
    using FlushFailed = std::function<void(const std::string& what, unsigned long code)>;

    // Opens (creating the file and its folder if needed). Throws Win32Error.
    explicit FileJournal(const std::string& path, FlushFailed on_flush_failed = {});
    // Waits for the last flush (at most 30 s), then stops the flusher.
    ~FileJournal() override;
    FileJournal(const FileJournal&) = delete;
    FileJournal& operator=(const FileJournal&) = delete;

    std::optional<std::string> append(JournalEntry& entry) override;
    // Waits until every line appended so far is flushed; false on timeout.
    bool wait_flushed(std::chrono::milliseconds timeout);

    struct FlushStats {
        std::uint64_t unflushed = 0;  // lines appended, not yet flushed
        std::uint64_t flushes = 0;
        std::uint64_t failures = 0;
        double last_flush_ms = 0;
        std::string last_error;  // of the last failed flush, "" after a good one
    };
    FlushStats flush_stats() const;

    const std::string& path() const { return path_; }
    // Lines skipped when the existing file was read (a torn last line...).
    const std::vector<std::string>& warnings() const { return warnings_; }

private:
    void flusher();
    // Under id_mutex_: learns the last id (and a torn end) from the file's
    // tail when another process appended since this one did.
    void catch_up();

    std::string path_;
    FlushFailed on_flush_failed_;
    // Two handles on purpose: I/O on a synchronous handle is serialised by
    // Windows, so an append through the flushing handle would wait for the
    // flush. Flushing any handle of the file flushes all of its data.
    HANDLE append_ = INVALID_HANDLE_VALUE;  // FILE_APPEND_DATA: every line at the end
    HANDLE flush_ = INVALID_HANDLE_VALUE;   // GENERIC_WRITE, used only to flush
    // Ids increase across processes (the service and a one-shot `repair`):
    // the next id is taken under a named mutex from the file's tail.
    HANDLE id_mutex_ = nullptr;
    std::uint64_t known_end_ = 0;  // the file's size after this object's last append
    std::optional<std::string> last_id_;
    bool starts_mid_line_ = false;  // the file (or a failed append) ends mid-line
    std::vector<std::string> warnings_;

    mutable std::mutex mutex_;
    std::condition_variable work_;     // appended, or stopping
    std::condition_variable flushed_;  // a flush ended
    std::uint64_t appended_count_ = 0;
    std::uint64_t flushed_count_ = 0;
    bool stopping_ = false;
    FlushStats stats_;
    std::thread thread_;
};

// Reads a journal file; a missing file is an empty journal.
JournalContents read_journal_file(const std::string& path);
// The whole file as bytes; empty when it does not exist.
std::string read_file_bytes(const std::string& path);

}  // namespace permwatch::win

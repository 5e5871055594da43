// The journal file: JSON lines appended with WriteFile before the caller
// writes a descriptor, made durable by a flusher thread of its own (group
// commit: one FlushFileBuffers covers every line appended since the last).
// Nothing on the repair or failover path waits for the disk; a stop and the
// one-shot commands wait for the last flush (wait_flushed, the destructor).
// The first line of a piece of work (an id lease taken: one io handler of
// the service, a burst of repairs) is flushed at once, as is every line of a
// writer without a lease. The piece of work's later lines are flushed
// together kFlushPacing after its last flush started, or as soon as the work
// ends or someone waits for them. A burst then makes one flush every few
// milliseconds instead of one after another (or one a line, when its
// repairs come slower than a flush), each of which cost the burst a wake-up
// and made its appends wait (measured: docs/testing.md (r4)).
//
// Rotation (core/journal/journal_rotation.hpp): an append that would take the live
// file past max_bytes first renames it to journal.jsonl.1 (the older ones
// shift up to .5, the oldest is deleted) and starts a new file, all under the
// journal's writer lock (service/journal_lock.hpp) as the ids are, so the
// service and a one-shot command never rotate at once or reuse an id. Every
// handle is opened with FILE_SHARE_DELETE so that one process can rename a
// file another has open; a writer whose handle no longer is the live file
// (another process rotated it) notices under the lock and reopens. The flush handle of a rotated
// file is not closed until the flusher has flushed it: its lines reach the disk too.
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

#include "core/journal/journal.hpp"
#include "core/journal/journal_rotation.hpp"
#include "service/journal_lock.hpp"
#include "service/unique_handle.hpp"

namespace permwatch::win {

class FileJournal final : public Journal {
public:
    // Called on the flusher thread when a flush fails (what, Win32 error), at
    // most once per streak of failures and then once a minute; it is retried.
    using FlushFailed = std::function<void(const std::string& what, unsigned long code)>;

    // Opens (creating the file and its folder if needed). Throws Win32Error.
    // `max_bytes`: the size past which the live file is rotated.
    explicit FileJournal(const std::string& path, FlushFailed on_flush_failed = {},
                         std::int64_t max_bytes = kDefaultJournalMaxBytes);
    // Waits for the last flush (at most 30 s), then stops the flusher.
    ~FileJournal() override;
    FileJournal(const FileJournal&) = delete;
    FileJournal& operator=(const FileJournal&) = delete;

    std::optional<std::string> append(JournalEntry& entry) override;

    // From now on an append keeps the writer lock for the appends that
    // follow it, until end_id_lease(), which the caller calls on the same
    // thread when its current piece of work is done (the watchdog: after
    // each io handler), or until the first append after kMaxIdLease, which
    // gives it to a one-shot `repair` waiting for it first. A burst of
    // repairs then takes the lock once instead of once a line (wineserver
    // round trips, docs/testing.md (r2)). Every append and end_id_lease()
    // must run on one thread: the lock is held per thread.
    // `longest`: how long a lease may keep the lock (kMaxIdLease unless a
    // test shows the lease itself, free of the machine's speed).
    void lease_ids(std::chrono::milliseconds longest = kMaxIdLease);
    // Gives the writer lock back if an append kept it.
    void end_id_lease();
    static constexpr std::chrono::milliseconds kMaxIdLease{100};

    // Waits until every line appended so far is flushed; false on timeout.
    // A flush held back by the pacing below starts at once; lines the
    // flusher has not started on are flushed by the calling thread itself.
    bool wait_flushed(std::chrono::milliseconds timeout);

    // Inside a piece of work, the least time from the start of one flush to
    // the start of the next: a power loss in a burst loses at most the lines
    // of this long and of the flush in progress.
    static constexpr std::chrono::milliseconds kFlushPacing{5};

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
    // Rotations this object made (not those of other processes).
    std::uint64_t rotations() const;

private:
    void flusher();
    // A flush of every line up to `target` succeeded (by the flusher or a
    // caller of wait_flushed); mutex_ held.
    void flushed_to(std::uint64_t target);
    // Under the lock: learns the last id (and a torn end) from the file's
    // tail when another process appended since this one did, reopening first
    // when another process rotated the file away from under this one.
    void catch_up();
    // Takes the writer lock for one append, or finds it still held from the
    // last one (lease_ids); returns what failed.
    std::optional<std::string> lock_ids();
    // Gives it back after an append, unless it is leased.
    void unlock_ids();
    // Under the lock: the renames of a rotation, then a new live file.
    // Returns what failed; the append then goes on in the live file as it is.
    std::optional<std::string> rotate();
    // Under the lock: new handles on path_ (creating it); the old flush
    // handle goes to the flusher, which flushes it before closing it.
    std::optional<std::string> reopen();
    // Whether append_ is still the file at path_ (no one rotated it away).
    bool handle_is_live_file() const;
    // Under the lock: whether another writer may have rotated since this
    // one last looked (always true when the shared count cannot be read).
    bool maybe_rotated_by_another() const;

    std::string path_;
    FlushFailed on_flush_failed_;
    // Two handles on purpose: I/O on a synchronous handle is serialised by
    // Windows, so an append through the flushing handle would wait for the
    // flush. Flushing any handle of the file flushes all of its data.
    UniqueKernelHandle append_;  // FILE_APPEND_DATA: every line at the end
    UniqueKernelHandle flush_;   // GENERIC_WRITE, used only to flush; under mutex_
    // Flush handles of files rotated away, not yet flushed (under mutex_):
    // only the flusher closes them, after a good flush.
    std::vector<UniqueKernelHandle> retired_;
    std::int64_t max_bytes_;
    std::uint64_t rotations_ = 0;  // under mutex_
    // Ids increase across processes (the service and a one-shot `repair`):
    // the next id is taken under the writer lock from the file's tail.
    JournalLock writer_lock_;
    bool leases_ids_ = false;  // lease_ids() was called
    bool id_lease_held_ = false;
    std::chrono::steady_clock::time_point id_lease_since_;
    std::chrono::milliseconds max_id_lease_ = kMaxIdLease;
    // How many rotations every writer had made at this writer's last look
    // (JournalLock::rotations): while the count has not moved, its handle is
    // still the live file, known without opening the file's name (a
    // wineserver round trip each, and most of an append's cost).
    std::optional<std::uint64_t> rotations_seen_;
    // The writer lock's generation after this writer's last good append
    // (JournalLock::generation): while it has not moved, catch_up has
    // nothing to find.
    std::optional<std::uint64_t> generation_seen_;
    // The file's size after this object's last append; "unknown" after an
    // open, so that the first append reads the tail under the lock.
    static constexpr std::uint64_t kUnknownEnd = UINT64_MAX;
    std::uint64_t known_end_ = kUnknownEnd;
    std::optional<std::string> last_id_;
    bool starts_mid_line_ = false;  // the file (or a failed append) ends mid-line
    std::vector<std::string> warnings_;

    mutable std::mutex mutex_;
    std::condition_variable work_;     // appended, or stopping
    std::condition_variable flushed_;  // a flush ended
    std::uint64_t appended_count_ = 0;
    std::uint64_t flushed_count_ = 0;
    bool stopping_ = false;
    // The flusher waits for a first line (an append then wakes it), or holds
    // a flush back for a piece of work (its end or a waiter wakes it).
    bool flusher_idle_ = false;
    bool flusher_pacing_ = false;
    bool flusher_flushing_ = false;
    // A caller of wait_flushed flushes (the flusher had not started).
    bool waiter_flushing_ = false;
    // The appending writer holds its id lease: a piece of work goes on.
    bool in_work_ = false;
    // Counts the pieces of work (leases taken); the one the last flush
    // started in (0: none).
    std::uint64_t work_number_ = 0;
    std::uint64_t flushed_in_work_ = 0;
    int waiting_ = 0;  // callers of wait_flushed
    std::optional<std::chrono::steady_clock::time_point> last_flush_start_;
    FlushStats stats_;
    std::thread thread_;
};

// Reads a journal file; a missing file is an empty journal.
JournalContents read_journal_file(const std::string& path);
// The whole file as bytes; empty when it does not exist.
std::string read_file_bytes(const std::string& path);
// The same; nullopt when it does not exist. Opened with every share mode, so
// a reader never stops a rotation's rename.
std::optional<std::string> read_existing_file(const std::string& path);

}  // namespace permwatch::win

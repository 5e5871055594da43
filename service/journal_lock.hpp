// The journal's writer lock: one at a time, every PermWatch process that
// writes a journal (the service, a one-shot `repair` or `rollback`) takes the
// next id, appends its line and rotates the file under it.
//
// It is a byte-range lock (LockFileEx) on "<journal>.lock", a file beside the
// journal in the protected data folder, not a named kernel object: any user
// can create a named mutex first (Global\ names included:
// SeCreateGlobalPrivilege is required only for file mappings there) and hold
// it, and every repair would then wait for it and be refused as not
// journaled. Only an account that may open a file in the journal's folder
// can hold this lock, and the lock goes with its process when that dies.
// The same file holds the count of rotations (its first 8 bytes), read and
// written under the lock: a writer that has seen every rotation knows its
// handle is still the live journal without opening the journal's name. Measured under Wine:
// docs/testing.md (r3).
//
// A lock belongs to a handle, not a thread, and a second handle of the same
// process is refused like another process. So every JournalLock of one file
// in a process shares one handle, and the lock is re-entrant per thread and
// handed over in the order threads asked (as a Win32 mutex was: the id lease,
// FileJournal::lease_ids, relies on a waiting writer going first). A writer
// of another process that waits marks the byte after the lock with a shared
// lock; a writer about to take the lock lets it go first.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace permwatch::win {

class JournalLock {
public:
    // Opens (creating it) the lock file of the journal at `journal_path`.
    // Throws Win32Error.
    explicit JournalLock(const std::string& journal_path);
    ~JournalLock();
    JournalLock(const JournalLock&) = delete;
    JournalLock& operator=(const JournalLock&) = delete;

    // Takes the lock for the calling thread (again, when it holds it already),
    // waiting at most `limit`; nullopt when taken, else why not.
    std::optional<std::string> lock(std::chrono::milliseconds limit);
    // Gives back one lock() of the calling thread.
    void unlock();

    // Under the lock: how many rotations every writer of the journal has
    // made; nullopt when the count cannot be read.
    std::optional<std::uint64_t> rotations() const;
    // Under the lock: counts one more rotation; false when it could not be
    // written (then the rotation must not happen: other writers would not
    // know to look).
    bool count_rotation();

    // Under the lock: a number that moves whenever this process takes the
    // lock file's lock anew (a writer of another process may have appended
    // or rotated meanwhile) and whenever a writer of this process says it
    // wrote (wrote()). The same as after a writer's own last append: nobody
    // else has written to the journal since.
    std::uint64_t generation() const;
    // Under the lock: the journal was written to (appended, rotated).
    void wrote();

    const std::string& path() const { return path_; }

    struct Shared;

private:
    std::string path_;
    std::shared_ptr<Shared> shared_;
};

// "<journal>.lock": where a journal's writer lock is.
std::string journal_lock_path(const std::string& journal_path);

}  // namespace permwatch::win

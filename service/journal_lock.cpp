#include "service/journal_lock.hpp"

#include <windows.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "service/unique_handle.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

namespace {

// The lock is one byte far past the end of the 8-byte file, so that the
// count stays readable and writable while it is held (a byte-range lock is
// mandatory on Windows for the bytes it covers). The byte after it is where
// waiting writers of other processes say so.
constexpr DWORD kLockByte = 1u << 20;
constexpr DWORD kWaitingByte = kLockByte + 1;

// How long a writer about to take the lock lets a waiting one of another
// process go first, at most (a waiter takes it within a poll or two).
constexpr std::chrono::milliseconds kLetWaiterInMax{1000};
// Other processes are polled for (Wine does not implement an overlapped
// LockFileEx that waits, and a blocking one cannot be given up).
constexpr DWORD kPollMs = 1;

bool try_lock(HANDLE file, DWORD byte, bool exclusive) {
    OVERLAPPED at{};
    at.Offset = byte;
    const DWORD flags = LOCKFILE_FAIL_IMMEDIATELY | (exclusive ? LOCKFILE_EXCLUSIVE_LOCK : 0);
    return LockFileEx(file, flags, 0, 1, 0, &at) != FALSE;
}

void unlock_byte(HANDLE file, DWORD byte) {
    OVERLAPPED at{};
    at.Offset = byte;
    UnlockFileEx(file, 0, 1, 0, &at);
}

// Does a writer of another process wait for the lock (a shared lock on the
// waiting byte)? One exclusive try tells.
bool another_waits(HANDLE file) {
    if (!try_lock(file, kWaitingByte, true)) return true;
    unlock_byte(file, kWaitingByte);
    return false;
}

std::string folded(const std::string& path) {
    std::string out = path;
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return c == '/' ? '\\' : (c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
    });
    return out;
}

}  // namespace

// One per lock file and process.
struct JournalLock::Shared {
    UniqueKernelHandle file;
    std::mutex m;
    std::condition_variable turn;
    std::thread::id owner;  // none: no thread holds it
    unsigned depth = 0;
    std::deque<std::uint64_t> queue;  // threads waiting, in the order they asked
    std::uint64_t next_ticket = 0;
    bool file_locked = false;                  // this process holds the byte-range lock
    std::atomic<std::uint64_t> generation{0};  // JournalLock::generation
};

namespace {

std::mutex registry_mutex;
std::map<std::string, std::weak_ptr<JournalLock::Shared>>& registry() {
    static std::map<std::string, std::weak_ptr<JournalLock::Shared>> r;
    return r;
}

// The byte-range lock, against the other processes; nullopt when taken.
std::optional<std::string> lock_file(HANDLE file, const std::string& path,
                                     std::chrono::steady_clock::time_point deadline) {
    using clock = std::chrono::steady_clock;
    // A writer of another process that already waits goes first: this one may
    // have given the lock back just now and would otherwise take it again
    // before that one's next poll.
    const auto let_in_until = std::min(deadline, clock::now() + kLetWaiterInMax);
    while (clock::now() < let_in_until && another_waits(file)) Sleep(kPollMs);
    bool marked_waiting = false;
    for (;;) {
        if (try_lock(file, kLockByte, true)) break;
        const DWORD code = GetLastError();
        if (code != ERROR_LOCK_VIOLATION) {
            if (marked_waiting) unlock_byte(file, kWaitingByte);
            return describe("locking the journal's lock file " + path, code);
        }
        if (clock::now() >= deadline) {
            if (marked_waiting) unlock_byte(file, kWaitingByte);
            return std::optional<std::string>("timed out");
        }
        // Fails only while another writer checks for waiters: tried again.
        if (!marked_waiting) marked_waiting = try_lock(file, kWaitingByte, false);
        Sleep(kPollMs);
    }
    if (marked_waiting) unlock_byte(file, kWaitingByte);
    return std::nullopt;
}

}  // namespace

std::string journal_lock_path(const std::string& journal_path) { return journal_path + ".lock"; }

JournalLock::JournalLock(const std::string& journal_path) : path_(journal_lock_path(journal_path)) {
    std::lock_guard lock(registry_mutex);
    auto& slot = registry()[folded(path_)];
    shared_ = slot.lock();
    if (shared_) return;
    auto shared = std::make_shared<Shared>();
    shared->file.reset(CreateFileW(widen(path_).c_str(), GENERIC_READ | GENERIC_WRITE,
                                   FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                                   OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr));
    if (!shared->file) throw Win32Error("opening the journal's lock file " + path_, GetLastError());
    shared_ = shared;
    slot = shared;
}

JournalLock::~JournalLock() {
    std::lock_guard lock(registry_mutex);
    const std::string key = folded(path_);
    shared_.reset();
    auto it = registry().find(key);
    if (it != registry().end() && it->second.expired()) registry().erase(it);
}

std::optional<std::string> JournalLock::lock(std::chrono::milliseconds limit) {
    Shared& s = *shared_;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    const auto me = std::this_thread::get_id();
    std::unique_lock lk(s.m);
    if (s.owner == me) {
        ++s.depth;
        return std::nullopt;
    }
    const std::uint64_t ticket = s.next_ticket++;
    s.queue.push_back(ticket);
    const bool my_turn = s.turn.wait_until(
        lk, deadline, [&] { return s.owner == std::thread::id() && s.queue.front() == ticket; });
    if (!my_turn) {
        s.queue.erase(std::find(s.queue.begin(), s.queue.end(), ticket));
        // Handed over to this thread's turn and nobody else's now: give it back.
        if (s.owner == std::thread::id() && s.queue.empty() && s.file_locked) {
            unlock_byte(s.file.get(), kLockByte);
            s.file_locked = false;
        }
        s.turn.notify_all();
        return "another thread of this process holds it";
    }
    s.queue.pop_front();
    s.owner = me;
    s.depth = 1;
    if (s.file_locked) return std::nullopt;  // handed over by the last thread
    lk.unlock();
    std::optional<std::string> error = lock_file(s.file.get(), path_, deadline);
    lk.lock();
    if (error) {
        s.owner = std::thread::id();
        s.depth = 0;
        s.turn.notify_all();
        return error;
    }
    s.file_locked = true;
    ++s.generation;
    return std::nullopt;
}

void JournalLock::unlock() {
    Shared& s = *shared_;
    std::lock_guard lk(s.m);
    if (s.owner != std::this_thread::get_id() || s.depth == 0) return;
    if (--s.depth > 0) return;
    s.owner = std::thread::id();
    // A thread of this process waits: the byte-range lock goes to it as it
    // is; otherwise other processes may have it.
    if (s.queue.empty()) {
        unlock_byte(s.file.get(), kLockByte);
        s.file_locked = false;
    }
    s.turn.notify_all();
}

std::optional<std::uint64_t> JournalLock::rotations() const {
    // Read from the start through the file pointer (only the lock's owner
    // uses it), not at an OVERLAPPED offset: Wine reports every overlapped
    // call on a file to the wineserver for a completion port it may have,
    // one round trip more for each lock taken anew; a plain read is served
    // in the process.
    LARGE_INTEGER start{};
    if (!SetFilePointerEx(shared_->file.get(), start, nullptr, FILE_BEGIN)) return std::nullopt;
    std::uint64_t count = 0;
    DWORD got = 0;
    if (!ReadFile(shared_->file.get(), &count, sizeof count, &got, nullptr)) return std::nullopt;
    if (got == 0) return 0;  // a new, empty lock file: nobody has rotated yet
    if (got != sizeof count) return std::nullopt;
    return count;
}

bool JournalLock::count_rotation() {
    const std::uint64_t count = rotations().value_or(0) + 1;
    OVERLAPPED at{};
    DWORD written = 0;
    return WriteFile(shared_->file.get(), &count, sizeof count, &written, &at) &&
           written == sizeof count;
}

std::uint64_t JournalLock::generation() const { return shared_->generation.load(); }

void JournalLock::wrote() { ++shared_->generation; }

}  // namespace permwatch::win

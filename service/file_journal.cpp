#include "service/file_journal.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "service/opened_file.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

namespace {

// The id after `id`; a forged id at the top of the range is not wrapped to 1.
std::uint64_t id_number(const std::string& id) { return std::strtoull(id.c_str(), nullptr, 10); }

// Every share mode: a reader or writer never stops another process's rename
// of the file (rotation), nor its appends.
constexpr DWORD kShareAll = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;

UniqueKernelHandle open_for_reading(const std::string& path) {
    return UniqueKernelHandle(CreateFileW(widen(path).c_str(), GENERIC_READ, kShareAll, nullptr,
                                          OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr));
}

// The last 64 KiB of a file (they hold its last complete line: a line is a
// few hundred bytes, the engine never writes one near that size), and
// whether they start at its beginning. nullopt when it cannot be read.
struct Tail {
    std::string bytes;
    std::uint64_t from = 0;
};
std::optional<Tail> read_tail(const std::string& path) {
    const UniqueKernelHandle reader = open_for_reading(path);
    if (!reader) return std::nullopt;
    LARGE_INTEGER size{};
    if (!GetFileSizeEx(reader.get(), &size)) return std::nullopt;
    constexpr std::uint64_t kTail = 64 * 1024;
    const auto end = static_cast<std::uint64_t>(size.QuadPart);
    Tail tail;
    tail.from = end > kTail ? end - kTail : 0;
    tail.bytes.assign(static_cast<std::size_t>(end - tail.from), '\0');
    OVERLAPPED at{};
    at.Offset = static_cast<DWORD>(tail.from);
    at.OffsetHigh = static_cast<DWORD>(tail.from >> 32);
    DWORD got = 0;
    const bool ok =
        tail.bytes.empty() ||
        ReadFile(reader.get(), tail.bytes.data(), static_cast<DWORD>(tail.bytes.size()), &got, &at);
    if (!ok) return std::nullopt;
    tail.bytes.resize(got);
    return tail;
}

struct FileIdentity {
    DWORD volume = 0;
    DWORD high = 0;
    DWORD low = 0;
    friend bool operator==(const FileIdentity&, const FileIdentity&) = default;
};
std::optional<FileIdentity> identity_of(HANDLE file) {
    BY_HANDLE_FILE_INFORMATION info{};
    if (!GetFileInformationByHandle(file, &info)) return std::nullopt;
    FileIdentity id;
    id.volume = info.dwVolumeSerialNumber;
    id.high = info.nFileIndexHigh;
    id.low = info.nFileIndexLow;
    return id;
}

// Before the lock file is made beside the journal.
void make_parent_folders(const std::string& path) {
    const std::filesystem::path p(widen(path));
    std::error_code ec;
    if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
}

bool file_exists(const std::string& path) {
    return GetFileAttributesW(widen(path).c_str()) != INVALID_FILE_ATTRIBUTES;
}

}  // namespace

std::optional<std::string> read_existing_file(const std::string& path) {
    const UniqueKernelHandle file = open_for_reading(path);
    if (!file) return std::nullopt;
    std::string bytes;
    char buffer[64 * 1024];
    DWORD got = 0;
    while (ReadFile(file.get(), buffer, sizeof buffer, &got, nullptr) && got > 0)
        bytes.append(buffer, got);
    return bytes;
}

std::string read_file_bytes(const std::string& path) {
    return read_existing_file(path).value_or(std::string());
}

JournalContents read_journal_file(const std::string& path) {
    return parse_journal(read_file_bytes(path));
}

FileJournal::FileJournal(const std::string& path, FlushFailed on_flush_failed,
                         std::int64_t max_bytes)
    : path_(path),
      on_flush_failed_(std::move(on_flush_failed)),
      max_bytes_(max_bytes),
      writer_lock_((make_parent_folders(path), path)) {
    const std::filesystem::path p(widen(path));
    const std::string bytes = read_file_bytes(path);
    starts_mid_line_ = !bytes.empty() && bytes.back() != '\n';
    JournalContents existing = parse_journal(bytes);
    warnings_ = std::move(existing.warnings);
    // The last id is learnt under the lock at the first append (catch_up),
    // from this file or, when it has none yet, from the newest rotated one.
    // FILE_APPEND_DATA only: every write lands at the end, even if another
    // PermWatch process (a one-shot `repair`) appends at the same time.
    // READ_CONTROL and no link followed at the end: the handle every line
    // goes through is the one judged (its descriptor, its final path), not
    // whatever the name pointed to when the config was loaded.
    append_.reset(CreateFileW(p.c_str(), FILE_APPEND_DATA | FILE_READ_ATTRIBUTES | READ_CONTROL,
                              kShareAll, nullptr, OPEN_ALWAYS,
                              FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr));
    if (!append_) throw Win32Error("opening the journal " + path, GetLastError());
    if (auto refused = refuse_journal_handle(append_.get(), path))
        throw Win32Error(*refused, ERROR_ACCESS_DENIED);
    // FlushFileBuffers needs GENERIC_WRITE; this handle never writes.
    flush_.reset(CreateFileW(p.c_str(), GENERIC_WRITE, kShareAll, nullptr, OPEN_EXISTING,
                             FILE_ATTRIBUTE_NORMAL, nullptr));
    if (!flush_) throw Win32Error("opening the journal " + path + " for flushing", GetLastError());
    thread_ = std::thread([this] { flusher(); });
}

FileJournal::~FileJournal() {
    end_id_lease();  // on the appending thread, as lease_ids() asks
    if (!wait_flushed(std::chrono::seconds(30))) {
        spdlog::error("journal {}: {} line(s) not flushed to disk at exit: {}", path_,
                      flush_stats().unflushed, flush_stats().last_error);
    }
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    work_.notify_all();
    thread_.join();
}

std::uint64_t FileJournal::rotations() const {
    std::lock_guard lock(mutex_);
    return rotations_;
}

bool FileJournal::handle_is_live_file() const {
    const UniqueKernelHandle live(CreateFileW(widen(path_).c_str(), FILE_READ_ATTRIBUTES, kShareAll,
                                              nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL,
                                              nullptr));
    if (!live) return false;  // renamed away, no new one yet
    const auto a = identity_of(live.get());
    const auto b = identity_of(append_.get());
    // When unsure, keep the handle: a line in a rotated file is kept and flushed too.
    return !a || !b || *a == *b;
}

std::optional<std::string> FileJournal::reopen() {
    const std::wstring p = widen(path_);
    UniqueKernelHandle append(CreateFileW(p.c_str(), FILE_APPEND_DATA | FILE_READ_ATTRIBUTES,
                                          kShareAll, nullptr, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL,
                                          nullptr));
    if (!append) return describe("opening the new journal " + path_, GetLastError());
    UniqueKernelHandle flush(CreateFileW(p.c_str(), GENERIC_WRITE, kShareAll, nullptr,
                                         OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr));
    if (!flush)
        return describe("opening the new journal " + path_ + " for flushing", GetLastError());
    // Lines written through the old append handle are the file's data, which
    // flushing any handle of that file covers: the old flush handle goes to
    // the flusher and is closed only after a good flush.
    append_ = std::move(append);
    {
        std::lock_guard lock(mutex_);
        retired_.push_back(std::move(flush_));
        flush_ = std::move(flush);
    }
    work_.notify_one();
    known_end_ = kUnknownEnd;
    return std::nullopt;
}

std::optional<std::string> FileJournal::rotate() {
    // Counted before the first rename: whatever part of it happens, every
    // other writer compares identities at its next append. Not counted, not
    // rotated: another writer would go on appending to a rotated file.
    if (!writer_lock_.count_rotation()) {
        return describe("rotating the journal: counting it in " + writer_lock_.path(),
                        GetLastError());
    }
    const RotationPlan plan = plan_rotation(path_);
    if (file_exists(plan.drop)) {
        // Renamed aside first, then deleted: a process that still has it open
        // (with FILE_SHARE_DELETE) keeps the name of a deleted file alive
        // until it closes it, and that name must not be .5.
        const std::string aside = plan.drop + ".deleted-" + std::to_string(GetCurrentProcessId()) +
                                  "-" + std::to_string(GetTickCount64());
        if (!MoveFileExW(widen(plan.drop).c_str(), widen(aside).c_str(), 0))
            return describe("rotating the journal: setting aside " + plan.drop, GetLastError());
        if (!DeleteFileW(widen(aside).c_str())) {
            spdlog::warn("journal {}: {}", path_,
                         describe("deleting the oldest rotated journal " + aside, GetLastError()));
        }
    }
    for (const JournalRename& r : plan.renames) {
        if (MoveFileExW(widen(r.from).c_str(), widen(r.to).c_str(), 0)) continue;
        const DWORD code = GetLastError();
        // A gap (a rotated file never made, or a crash between two renames)
        // is not an error: there is nothing to shift.
        if (code == ERROR_FILE_NOT_FOUND && r.from != path_) continue;
        return describe("rotating the journal: renaming " + r.from + " to " + r.to, code);
    }
    if (auto error = reopen()) return error;
    known_end_ = 0;  // a new file, made under the lock: nobody else wrote to it
    starts_mid_line_ = false;
    rotations_seen_ = writer_lock_.rotations();
    {
        std::lock_guard lock(mutex_);
        ++rotations_;
    }
    return std::nullopt;
}

bool FileJournal::maybe_rotated_by_another() const {
    return !rotations_seen_ || writer_lock_.rotations() != rotations_seen_;
}

void FileJournal::catch_up() {
    // Another process rotated the file: what it renamed is a rotated journal
    // now, and the live file is a new one (or not there yet).
    if (maybe_rotated_by_another()) {
        const std::optional<std::uint64_t> now = writer_lock_.rotations();
        if (!handle_is_live_file()) {
            if (auto error = reopen()) {
                spdlog::warn("journal {}: {}", path_, *error);
            } else {
                rotations_seen_ = now;
            }
        } else {
            rotations_seen_ = now;
        }
    }
    LARGE_INTEGER size{};
    if (!GetFileSizeEx(append_.get(), &size)) return;  // not flush_: the flusher may be using it
    const auto end = static_cast<std::uint64_t>(size.QuadPart);
    if (end == known_end_) return;  // nobody else appended
    const std::optional<Tail> tail = read_tail(path_);
    if (!tail) return;
    const JournalTail live = read_journal_tail(tail->bytes, tail->from == 0);
    known_end_ = tail->from + tail->bytes.size();
    starts_mid_line_ = live.ends_mid_line;
    std::optional<std::string> found = live.last_id;
    // The live file has no complete line yet (just rotated, or a crash
    // before its first line): the last id is in the newest rotated file.
    for (const std::string& rotated : rotated_journals_newest_first(path_)) {
        if (found) break;
        if (const std::optional<Tail> t = read_tail(rotated))
            found = read_journal_tail(t->bytes, t->from == 0).last_id;
    }
    if (found && (!last_id_ || id_number(*found) > id_number(*last_id_))) last_id_ = found;
}

void FileJournal::lease_ids(std::chrono::milliseconds longest) {
    leases_ids_ = true;
    max_id_lease_ = longest;
}

void FileJournal::end_id_lease() {
    if (!id_lease_held_) return;
    id_lease_held_ = false;
    writer_lock_.unlock();
    bool wake = false;
    {
        std::lock_guard lock(mutex_);
        in_work_ = false;
        wake = flusher_pacing_;
    }
    if (wake) work_.notify_one();  // a flush held back for the work starts now
}

std::optional<std::string> FileJournal::lock_ids() {
    const auto now = std::chrono::steady_clock::now();
    if (id_lease_held_) {
        if (now - id_lease_since_ < max_id_lease_) return std::nullopt;
        // Held for a while (a long sweep repairing many keys): a writer
        // waiting for the lock gets it first (JournalLock serves waiters in
        // turn), then this one goes on.
        end_id_lease();
    }
    // Bounded: only accounts that may open a file in the journal's protected
    // folder can hold it. A one-shot writer holds it for one line, which the
    // service waits for (5 s at most, on the failover path too); the service
    // holds it for one io handler at most, which may be a whole check of a
    // large policy, so a one-shot `repair` or `rollback` waits longer for it.
    const std::chrono::milliseconds limit(leases_ids_ ? 5000 : 30000);
    if (auto why = writer_lock_.lock(limit)) {
        return "the journal " + path_ + " is held by another PermWatch writer (waited " +
               std::to_string(limit.count() / 1000) + " s): " + *why;
    }
    if (leases_ids_) {
        id_lease_held_ = true;
        id_lease_since_ = now;
        std::lock_guard lock(mutex_);
        in_work_ = true;
        ++work_number_;
    }
    return std::nullopt;
}

void FileJournal::unlock_ids() {
    if (!id_lease_held_) writer_lock_.unlock();
}

std::optional<std::string> FileJournal::append(JournalEntry& entry) {
    if (auto error = lock_ids()) return error;
    struct Unlock {
        FileJournal* self;
        ~Unlock() { self->unlock_ids(); }
    } unlock{this};
    // Leased or not, another FileJournal on this thread (the lock lets its
    // holder in again) may have appended meanwhile, and another process
    // whenever the lock was let go. Neither, when the lock's generation is
    // the one this writer's own last append left: the lock was held since
    // and nobody wrote, so the end and the last id are this writer's (two
    // round trips to the wineserver fewer for each line of a burst).
    if (!generation_seen_ || known_end_ == kUnknownEnd ||
        *generation_seen_ != writer_lock_.generation()) {
        catch_up();
    }
    generation_seen_.reset();
    if (last_id_ && id_number(*last_id_) == UINT64_MAX) {
        return "the journal " + path_ + " has no id left after " + *last_id_;
    }
    entry.id = next_journal_id(last_id_);
    const std::string text = format_journal_line(entry) + "\n";
    if (known_end_ != kUnknownEnd && should_rotate(known_end_, text.size(), max_bytes_)) {
        // A rotation that fails (a rotated file held open without
        // FILE_SHARE_DELETE, say) never costs the line: it goes on in the
        // live file, and the next append tries again.
        if (auto error = rotate()) spdlog::warn("journal {}: {}", path_, *error);
    }
    // A torn line (an earlier crash, or a failed append) ends without a
    // newline: start on a fresh line so this entry is not glued to it.
    const std::string line = (starts_mid_line_ ? "\n" : "") + text;
    DWORD written = 0;
    if (!WriteFile(append_.get(), line.data(), static_cast<DWORD>(line.size()), &written,
                   nullptr) ||
        written != line.size()) {
        const DWORD code = GetLastError();
        starts_mid_line_ = starts_mid_line_ || written > 0;
        if (known_end_ != kUnknownEnd) known_end_ += written;
        writer_lock_.wrote();  // the next append of every writer looks again
        return describe("appending to the journal " + path_, code);
    }
    last_id_ = entry.id;
    starts_mid_line_ = false;
    if (known_end_ != kUnknownEnd)
        known_end_ += written;  // another process appended too: catch_up reads again
    writer_lock_.wrote();
    generation_seen_ = writer_lock_.generation();
    bool wake = false;
    {
        std::lock_guard lock(mutex_);
        ++appended_count_;
        wake = flusher_idle_;
    }
    // An idle flusher starts at once; nobody waits for it. A busy one finds
    // this line when its flush ends, with no wake-up to pay for (a
    // cross-thread signal is a wineserver round trip under Wine).
    if (wake) work_.notify_one();
    return std::nullopt;
}

void FileJournal::flusher() {
    using clock = std::chrono::steady_clock;
    auto retry_delay = std::chrono::milliseconds(100);
    std::optional<clock::time_point> last_report;
    std::unique_lock lock(mutex_);
    // Not while a caller of wait_flushed flushes (it leaves what came
    // meanwhile, or a failure, to this thread).
    const auto has_work = [&] {
        return stopping_ ||
               (!waiter_flushing_ && (appended_count_ > flushed_count_ || !retired_.empty()));
    };
    for (;;) {
        if (!has_work()) {
            flusher_idle_ = true;
            work_.wait(lock, has_work);
            flusher_idle_ = false;
        }
        if (stopping_) return;  // the destructor waited for the last flush
        // More lines of a piece of work that has already had a flush and is
        // still going on: gathered for a while, so that a burst is not
        // flushed line by line (nor, when its repairs come slower than a
        // flush, one wake-up a line). The first flush of a piece of work, a
        // waiter, the end of the work and a rotated file go at once.
        if (in_work_ && flushed_in_work_ == work_number_ && waiting_ == 0 && retired_.empty() &&
            last_flush_start_) {
            flusher_pacing_ = true;
            work_.wait_until(lock, *last_flush_start_ + kFlushPacing, [&] {
                return stopping_ || !in_work_ || waiting_ > 0 || !retired_.empty();
            });
            flusher_pacing_ = false;
            if (stopping_) return;
            if (!has_work()) continue;  // a caller of wait_flushed took them
        }
        flusher_flushing_ = true;
        flushed_in_work_ = in_work_ ? work_number_ : 0;
        const std::uint64_t target = appended_count_;  // every line appended so far
        // Lines counted in `target` are in the current file or in a rotated
        // one whose handle is in `retired`: this round flushes all of them.
        std::vector<UniqueKernelHandle> retired = std::move(retired_);
        retired_.clear();
        // Still open after the unlock: a reopen moves it to retired_, and
        // only the flusher closes those.
        const HANDLE current = flush_.get();
        lock.unlock();
        const auto t0 = clock::now();
        last_flush_start_ = t0;
        DWORD code = 0;
        std::vector<UniqueKernelHandle> failed;
        for (UniqueKernelHandle& h : retired) {
            if (FlushFileBuffers(h.get())) {
                h.reset();
            } else {
                code = GetLastError();
                failed.push_back(std::move(h));  // kept for the retry
            }
        }
        bool ok = failed.empty();
        if (!FlushFileBuffers(current)) {
            ok = false;
            code = GetLastError();
        }
        const double ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
        lock.lock();
        flusher_flushing_ = false;
        retired_.insert(retired_.begin(), std::make_move_iterator(failed.begin()),
                        std::make_move_iterator(failed.end()));
        stats_.last_flush_ms = ms;
        if (ok) {
            flushed_to(target);
            retry_delay = std::chrono::milliseconds(100);
            last_report.reset();
            continue;
        }
        ++stats_.failures;
        stats_.last_error = describe("flushing the journal " + path_, code);
        const auto now = clock::now();
        if (on_flush_failed_ && (!last_report || now - *last_report >= std::chrono::minutes(1))) {
            last_report = now;
            lock.unlock();
            on_flush_failed_(path_, code);
            lock.lock();
        }
        // Retry after a pause (longer each time, at most 5 s); a stop ends it.
        work_.wait_for(lock, retry_delay, [&] { return stopping_; });
        retry_delay = std::min(retry_delay * 2, std::chrono::milliseconds(5000));
    }
}

void FileJournal::flushed_to(std::uint64_t target) {
    flushed_count_ = std::max(flushed_count_, target);
    ++stats_.flushes;
    stats_.last_error.clear();
    if (waiting_ > 0) flushed_.notify_all();
}

bool FileJournal::wait_flushed(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    const std::uint64_t target = appended_count_;
    if (flushed_count_ >= target) return true;
    if (!flusher_flushing_ && !waiter_flushing_ && retired_.empty()) {
        // The flusher has not started on these lines (woken by the append
        // but not yet run, on a busy machine, or holding them back for a
        // piece of work): this thread, which would only wait, flushes them
        // itself. The handle stays open meanwhile: a reopen moves it to
        // retired_, which only the flusher closes, after its own flush.
        waiter_flushing_ = true;
        const HANDLE current = flush_.get();
        lock.unlock();
        const auto t0 = std::chrono::steady_clock::now();
        const bool ok = FlushFileBuffers(current) != FALSE;
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count();
        lock.lock();
        waiter_flushing_ = false;
        if (ok) {
            stats_.last_flush_ms = ms;
            flushed_to(target);
        }
        // Lines that came meanwhile, or a failure to report and retry: the
        // flusher's.
        if (appended_count_ > flushed_count_ || !retired_.empty()) work_.notify_one();
        if (ok) return true;
    }
    ++waiting_;
    if (flusher_pacing_) work_.notify_one();  // a flush held back for the work starts now
    const bool done = flushed_.wait_for(lock, timeout, [&] { return flushed_count_ >= target; });
    --waiting_;
    return done;
}

FileJournal::FlushStats FileJournal::flush_stats() const {
    std::lock_guard lock(mutex_);
    FlushStats s = stats_;
    s.unflushed = appended_count_ - flushed_count_;
    return s;
}

}  // namespace permwatch::win

#include "service/file_journal.hpp"

// sddl.h needs windows.h first
#include <sddl.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "service/win32_error.hpp"

namespace permwatch::win {

namespace {

// Global\ so that a user in another session cannot make one first (that takes
// SeCreateGlobalPrivilege), and a DACL for SYSTEM and Administrators only so
// that no one else can open it to hold it and stall PermWatch's repairs.
HANDLE create_id_mutex(const std::string& journal_path) {
    std::uint64_t h = 1469598103934665603ull;  // FNV-1a of the folded path
    for (char c : journal_path) {
        h ^= static_cast<unsigned char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        h *= 1099511628211ull;
    }
    wchar_t name[64];
    swprintf(name, 64, L"Global\\PermWatchJournal-%016llx", static_cast<unsigned long long>(h));
    PSECURITY_DESCRIPTOR sd = nullptr;
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(L"D:P(A;;GA;;;SY)(A;;GA;;;BA)",
                                                              SDDL_REVISION_1, &sd, nullptr)) {
        return nullptr;
    }
    SECURITY_ATTRIBUTES sa{sizeof sa, sd, FALSE};
    HANDLE m = CreateMutexW(&sa, FALSE, name);
    LocalFree(sd);
    return m;
}

// The id after `id`; a forged id at the top of the range is not wrapped to 1.
std::uint64_t id_number(const std::string& id) { return std::strtoull(id.c_str(), nullptr, 10); }

}  // namespace

std::string read_file_bytes(const std::string& path) {
    std::ifstream in(std::filesystem::path(widen(path)), std::ios::binary);
    if (!in) return {};
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

JournalContents read_journal_file(const std::string& path) {
    return parse_journal(read_file_bytes(path));
}

FileJournal::FileJournal(const std::string& path, FlushFailed on_flush_failed)
    : path_(path), on_flush_failed_(std::move(on_flush_failed)) {
    const std::filesystem::path p(widen(path));
    std::error_code ec;
    if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
    const std::string bytes = read_file_bytes(path);
    starts_mid_line_ = !bytes.empty() && bytes.back() != '\n';
    JournalContents existing = parse_journal(bytes);
    warnings_ = std::move(existing.warnings);
    if (!existing.entries.empty()) last_id_ = existing.entries.back().id;
    // FILE_APPEND_DATA only: every write lands at the end, even if another
    // PermWatch process (a one-shot `repair`) appends at the same time.
    append_ = CreateFileW(p.c_str(), FILE_APPEND_DATA | FILE_READ_ATTRIBUTES,
                          FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_ALWAYS,
                          FILE_ATTRIBUTE_NORMAL, nullptr);
    if (append_ == INVALID_HANDLE_VALUE)
        throw Win32Error("opening the journal " + path, GetLastError());
    id_mutex_ = create_id_mutex(path);
    if (!id_mutex_) {
        const DWORD code = GetLastError();
        CloseHandle(append_);
        throw Win32Error("creating the journal's id mutex for " + path, code);
    }
    known_end_ = bytes.size();
    // FlushFileBuffers needs GENERIC_WRITE; this handle never writes.
    flush_ = CreateFileW(p.c_str(), GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr,
                         OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (flush_ == INVALID_HANDLE_VALUE) {
        const DWORD code = GetLastError();
        CloseHandle(append_);
        CloseHandle(id_mutex_);
        throw Win32Error("opening the journal " + path + " for flushing", code);
    }
    thread_ = std::thread([this] { flusher(); });
}

FileJournal::~FileJournal() {
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
    CloseHandle(flush_);
    CloseHandle(append_);
    CloseHandle(id_mutex_);
}

void FileJournal::catch_up() {
    LARGE_INTEGER size{};
    if (!GetFileSizeEx(append_, &size)) return;  // not flush_: the flusher may be using it
    const auto end = static_cast<std::uint64_t>(size.QuadPart);
    if (end == known_end_) return;  // nobody else appended
    // The last 64 KiB hold the last complete line (a line is a few hundred
    // bytes; the engine never writes one near that size).
    constexpr std::uint64_t kTail = 64 * 1024;
    const std::uint64_t from = end > kTail ? end - kTail : 0;
    std::string tail(static_cast<std::size_t>(end - from), '\0');
    HANDLE reader = CreateFileW(widen(path_).c_str(), GENERIC_READ,
                                FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                                OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (reader == INVALID_HANDLE_VALUE) return;
    OVERLAPPED at{};
    at.Offset = static_cast<DWORD>(from);
    at.OffsetHigh = static_cast<DWORD>(from >> 32);
    DWORD got = 0;
    const bool ok = ReadFile(reader, tail.data(), static_cast<DWORD>(tail.size()), &got, &at);
    CloseHandle(reader);
    if (!ok) return;
    tail.resize(got);
    known_end_ = from + got;
    starts_mid_line_ = !tail.empty() && tail.back() != '\n';
    // A tail that starts mid-file starts mid-line: skip to the first full one.
    const std::string_view lines =
        from == 0 ? std::string_view(tail)
                  : std::string_view(tail).substr(std::min(tail.size(), tail.find('\n') + 1));
    const JournalContents c = parse_journal(lines);
    for (const JournalEntry& e : c.entries) {
        if (!last_id_ || id_number(e.id) > id_number(*last_id_)) last_id_ = e.id;
    }
}

std::optional<std::string> FileJournal::append(JournalEntry& entry) {
    // Bounded: only SYSTEM and Administrators can hold it, for one line.
    const DWORD waited = WaitForSingleObject(id_mutex_, 5000);
    if (waited != WAIT_OBJECT_0 && waited != WAIT_ABANDONED) {
        return "the journal " + path_ + " is held by another PermWatch process (5 s)";
    }
    struct Release {
        HANDLE m;
        ~Release() { ReleaseMutex(m); }
    } release{id_mutex_};
    catch_up();
    if (last_id_ && id_number(*last_id_) == UINT64_MAX) {
        return "the journal " + path_ + " has no id left after " + *last_id_;
    }
    entry.id = next_journal_id(last_id_);
    // A torn line (an earlier crash, or a failed append) ends without a
    // newline: start on a fresh line so this entry is not glued to it.
    const std::string line = (starts_mid_line_ ? "\n" : "") + format_journal_line(entry) + "\n";
    DWORD written = 0;
    if (!WriteFile(append_, line.data(), static_cast<DWORD>(line.size()), &written, nullptr) ||
        written != line.size()) {
        const DWORD code = GetLastError();
        starts_mid_line_ = starts_mid_line_ || written > 0;
        known_end_ += written;
        return describe("appending to the journal " + path_, code);
    }
    last_id_ = entry.id;
    starts_mid_line_ = false;
    known_end_ += written;  // when another process appended too, catch_up reads again
    {
        std::lock_guard lock(mutex_);
        ++appended_count_;
    }
    work_.notify_one();  // the flush starts at once; nobody waits for it
    return std::nullopt;
}

void FileJournal::flusher() {
    using clock = std::chrono::steady_clock;
    auto retry_delay = std::chrono::milliseconds(100);
    std::optional<clock::time_point> last_report;
    std::unique_lock lock(mutex_);
    for (;;) {
        work_.wait(lock, [&] { return stopping_ || appended_count_ > flushed_count_; });
        if (stopping_) return;                         // the destructor waited for the last flush
        const std::uint64_t target = appended_count_;  // every line appended so far
        lock.unlock();
        const auto t0 = clock::now();
        const bool ok = FlushFileBuffers(flush_) != 0;
        const DWORD code = ok ? 0 : GetLastError();
        const double ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
        lock.lock();
        stats_.last_flush_ms = ms;
        if (ok) {
            flushed_count_ = target;
            ++stats_.flushes;
            stats_.last_error.clear();
            retry_delay = std::chrono::milliseconds(100);
            last_report.reset();
            flushed_.notify_all();
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

bool FileJournal::wait_flushed(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    const std::uint64_t target = appended_count_;
    return flushed_.wait_for(lock, timeout, [&] { return flushed_count_ >= target; });
}

FileJournal::FlushStats FileJournal::flush_stats() const {
    std::lock_guard lock(mutex_);
    FlushStats s = stats_;
    s.unflushed = appended_count_ - flushed_count_;
    return s;
}

}  // namespace permwatch::win

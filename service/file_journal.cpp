#include "service/file_journal.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "service/win32_error.hpp"

namespace permwatch::win {

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
    append_ = CreateFileW(p.c_str(), FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr,
                          OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (append_ == INVALID_HANDLE_VALUE)
        throw Win32Error("opening the journal " + path, GetLastError());
    // FlushFileBuffers needs GENERIC_WRITE; this handle never writes.
    flush_ = CreateFileW(p.c_str(), GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr,
                         OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (flush_ == INVALID_HANDLE_VALUE) {
        const DWORD code = GetLastError();
        CloseHandle(append_);
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
}

std::optional<std::string> FileJournal::append(JournalEntry& entry) {
    entry.id = next_journal_id(last_id_);
    // A torn line (an earlier crash, or a failed append) ends without a
    // newline: start on a fresh line so this entry is not glued to it.
    const std::string line = (starts_mid_line_ ? "\n" : "") + format_journal_line(entry) + "\n";
    DWORD written = 0;
    if (!WriteFile(append_, line.data(), static_cast<DWORD>(line.size()), &written, nullptr) ||
        written != line.size()) {
        const DWORD code = GetLastError();
        starts_mid_line_ = starts_mid_line_ || written > 0;
        return describe("appending to the journal " + path_, code);
    }
    last_id_ = entry.id;
    starts_mid_line_ = false;
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

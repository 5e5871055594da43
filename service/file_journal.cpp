#include "service/file_journal.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

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

FileJournal::FileJournal(const std::string& path) : path_(path) {
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
    file_ = CreateFileW(p.c_str(), FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr,
                        OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (file_ == INVALID_HANDLE_VALUE)
        throw Win32Error("opening the journal " + path, GetLastError());
}

FileJournal::~FileJournal() {
    if (file_ != INVALID_HANDLE_VALUE) CloseHandle(file_);
}

std::optional<std::string> FileJournal::append(JournalEntry& entry) {
    entry.id = next_journal_id(last_id_);
    // A torn line from an earlier crash ends without a newline: start on a
    // fresh line so this entry is not glued to it.
    const std::string line = (starts_mid_line_ ? "\n" : "") + format_journal_line(entry) + "\n";
    DWORD written = 0;
    if (!WriteFile(file_, line.data(), static_cast<DWORD>(line.size()), &written, nullptr) ||
        written != line.size()) {
        return describe("appending to the journal " + path_, GetLastError());
    }
    if (!FlushFileBuffers(file_)) {
        return describe("flushing the journal " + path_, GetLastError());
    }
    last_id_ = entry.id;
    starts_mid_line_ = false;
    return std::nullopt;
}

}  // namespace permwatch::win

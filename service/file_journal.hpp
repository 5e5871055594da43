// The journal file: JSON lines appended with WriteFile and made durable with
// FlushFileBuffers before the caller writes a descriptor.
#pragma once

#include <windows.h>

#include <memory>
#include <optional>
#include <string>

#include "core/journal.hpp"

namespace permwatch::win {

class FileJournal final : public Journal {
public:
    // Opens (creating the file and its folder if needed). Throws Win32Error.
    explicit FileJournal(const std::string& path);
    ~FileJournal() override;
    FileJournal(const FileJournal&) = delete;
    FileJournal& operator=(const FileJournal&) = delete;

    std::optional<std::string> append(JournalEntry& entry) override;
    const std::string& path() const { return path_; }
    // Lines skipped when the existing file was read (a torn last line...).
    const std::vector<std::string>& warnings() const { return warnings_; }

private:
    std::string path_;
    HANDLE file_ = INVALID_HANDLE_VALUE;
    std::optional<std::string> last_id_;
    bool starts_mid_line_ = false;  // the file ends in a torn line
    std::vector<std::string> warnings_;
};

// Reads a journal file; a missing file is an empty journal.
JournalContents read_journal_file(const std::string& path);
// The whole file as bytes; empty when it does not exist.
std::string read_file_bytes(const std::string& path);

}  // namespace permwatch::win

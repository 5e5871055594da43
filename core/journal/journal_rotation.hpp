// Journal rotation (docs/reference.md "Journal"): which files make up the journal, in
// what order they are read and renamed, and when the live file is full.
// Pure; the renames themselves are service/file_journal.cpp's.
//
// Names: the live file keeps the configured name (by default
// journal.jsonl); rotated files append ".1" (newest) to ".5" (oldest), so
// journal.jsonl.1 ... journal.jsonl.5 sit beside it in the same folder.
//
// Order of a rotation, chosen so that a crash at any step loses no line:
// drop the oldest (.5), shift .4->.5 ... .1->.2, then live->.1, then create
// a new live file. A crash leaves at worst a gap in the numbers (or no live
// file yet), never a file overwritten; readers skip missing files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/journal/journal.hpp"

namespace permwatch {

inline constexpr std::int64_t kDefaultJournalMaxBytes = 10 * 1024 * 1024;
inline constexpr int kJournalFilesKept = 5;  // rotated files, besides the live one

// "C:\d\journal.jsonl", 2 -> "C:\d\journal.jsonl.2"
std::string rotated_journal_path(const std::string& live, int n);

// The last path component: what names a rotated file in messages.
std::string journal_file_name(const std::string& path);

// Every file of the journal, oldest first: .5, .4, .3, .2, .1, the live one.
std::vector<std::string> journal_files_oldest_first(const std::string& live,
                                                    int kept = kJournalFilesKept);

// The rotated files, newest first (.1 ... .5): where the last id is found
// when the live file is empty (just rotated, or a crash before its first line).
std::vector<std::string> rotated_journals_newest_first(const std::string& live,
                                                       int kept = kJournalFilesKept);

// True when appending `line_bytes` to a live file of `live_bytes` would take
// it past `max_bytes`. An empty file is never rotated: every file holds at
// least one line, however long.
bool should_rotate(std::uint64_t live_bytes, std::uint64_t line_bytes, std::int64_t max_bytes);

struct JournalRename {
    std::string from;
    std::string to;
    friend bool operator==(const JournalRename&, const JournalRename&) = default;
};
struct RotationPlan {
    std::string drop;                    // the oldest rotated file, deleted first
    std::vector<JournalRename> renames;  // .4->.5, ..., .1->.2, live->.1, in this order
};
RotationPlan plan_rotation(const std::string& live, int kept = kJournalFilesKept);

// One file's bytes, for parse_journal_files; `exists` false: skipped.
struct JournalFileText {
    std::string path;
    std::string bytes;
    bool exists = true;
};

// Parses the files in the order given (oldest first, the live one last) into
// one JournalContents; lines of a rotated file are named by its file name
// ("journal journal.jsonl.2 line 7"), the live file's as before ("journal
// line 7"). Each file is parsed on its own: a torn end of one is not glued
// to the next one's first line.
JournalContents parse_journal_files(const std::vector<JournalFileText>& oldest_first,
                                    const std::string& live);

// What the end of a journal file says: the greatest id among its complete
// lines and whether it ends mid-line. `tail` is the file's last bytes;
// `from_file_start` false means it starts mid-file, so its first (partial)
// line is skipped.
struct JournalTail {
    std::optional<std::string> last_id;
    bool ends_mid_line = false;
};
JournalTail read_journal_tail(std::string_view tail, bool from_file_start);

// The greater of two ids (by number; nullopt is less than any).
std::optional<std::string> greater_id(const std::optional<std::string>& a,
                                      const std::optional<std::string>& b);

}  // namespace permwatch

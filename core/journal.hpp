// The journal (CONTRACT.md "Journal"): one JSON line per descriptor write,
// appended before the write; made durable by a flusher of its own (group
// commit), which nothing on the repair path waits for. Format and parsing live here; the
// durable file is an adapter in service/.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace permwatch {

struct JournalEntry {
    std::string id;    // unique and increasing within the file
    std::string time;  // "2026-11-26T04:15:00.123Z"
    std::string key;
    std::string reason;  // drift | failover | post_online | rollback | manual
    std::string before;
    std::string after;
    friend bool operator==(const JournalEntry&, const JournalEntry&) = default;
};

// Port: appends an entry (written to the file, the flush follows on another
// thread) and gives it the next id. Returns an error when the line could not
// be appended: the caller must then not write the descriptor.
class Journal {
public:
    virtual ~Journal() = default;
    virtual std::optional<std::string> append(JournalEntry& entry) = 0;
};

std::string format_journal_line(const JournalEntry& entry);  // no newline

struct JournalContents {
    std::vector<JournalEntry> entries;
    std::vector<std::string> warnings;  // lines skipped, e.g. a torn last line
};

// Lines that are not complete entries are skipped with a warning, never fatal.
JournalContents parse_journal(std::string_view text);

// The id after `last` ("1" after none).
std::string next_journal_id(const std::optional<std::string>& last);

// ISO 8601 UTC with milliseconds.
std::string format_utc(std::chrono::system_clock::time_point t);

// What `rollback` restores: without `to_id`, the `before` of the last entry of
// each key (or only of `key`); with it, that entry's `before`. Error text when
// the id or key is not in the journal.
struct RollbackTarget {
    std::string key;
    std::string sddl;
    std::string from_id;
};
struct RollbackPlan {
    std::vector<RollbackTarget> targets;
    std::string error;
};
RollbackPlan plan_rollback(const std::vector<JournalEntry>& entries,
                           const std::optional<std::string>& to_id,
                           const std::optional<std::string>& key);

}  // namespace permwatch

// The journal (docs/reference.md "Journal"): one JSON line per descriptor write,
// appended before the write; made durable by a flusher of its own (group
// commit), which nothing on the repair path waits for. Format and parsing live here; the
// durable file is an adapter in service/.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/security/security_descriptor.hpp"

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
    std::vector<std::size_t> entry_lines;  // the line number of each entry
    // The file of each entry, as parse_journal's `file` named it ("" for the
    // live journal, "journal.jsonl.2" for a rotated one); empty or shorter
    // than `entries` means "".
    std::vector<std::string> entry_files;
    std::vector<std::string> warnings;  // lines skipped, e.g. a torn last line
    // Complete lines that are not entries (a torn last line is not one: the
    // write it was for was never made). rollback refuses to run past them.
    std::vector<std::size_t> unreadable_lines;
    std::vector<std::string> unreadable_files;  // as entry_files, for unreadable_lines
};

// Lines that are not complete entries are skipped with a warning, never fatal.
// `file` names a rotated file in warnings and line references ("journal
// journal.jsonl.2 line 7"); "" (the live journal) keeps "journal line 7".
JournalContents parse_journal(std::string_view text, const std::string& file = {});

// Appends `more` (a newer file) to `into` (core/journal/journal_rotation.hpp reads
// the rotated files oldest first, the live one last).
void append_journal(JournalContents& into, JournalContents&& more);

// The id after `last` ("1" after none).
std::string next_journal_id(const std::optional<std::string>& last);

// ISO 8601 UTC with milliseconds.
std::string format_utc(std::chrono::system_clock::time_point t);

// What `rollback` restores: without `to_id`, the `before` of the last entry of
// each key (or only of `key`); with it, that entry's `before`. The journal
// is not trusted further than it must be: every target is checked before
// anything is written, and any problem is the plan's one error line (and no
// targets): a complete line that is not an entry (named by its number), an
// id or key not in the journal, a key the current policy (`policy_keys`)
// does not name, a `before` that is not SDDL or has no DACL at all (writing
// one would mean an empty DACL, which locks the key). A null DACL
// (D:NO_ACCESS_CONTROL) is restored as a null DACL.
struct RollbackTarget {
    std::string key;
    std::string sddl;
    std::string from_id;
    Acl dacl;  // parsed from `sddl`
};
struct RollbackPlan {
    std::vector<RollbackTarget> targets;
    std::string error;
};
RollbackPlan plan_rollback(const JournalContents& journal,
                           const std::vector<std::string>& policy_keys,
                           const std::optional<std::string>& to_id,
                           const std::optional<std::string>& key);

}  // namespace permwatch

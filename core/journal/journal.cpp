#include "core/journal/journal.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "core/policy/config.hpp"
#include "core/security/key_path.hpp"
#include "core/security/sddl.hpp"

namespace permwatch {

using json = nlohmann::ordered_json;

std::string format_journal_line(const JournalEntry& e) {
    return json{{"id", e.id},         {"time", e.time},     {"key", e.key},
                {"reason", e.reason}, {"before", e.before}, {"after", e.after}}
        .dump();
}

namespace {

// "journal line 7", or "journal journal.jsonl.2 line 7" for a rotated file.
std::string line_ref(const std::string& file, std::size_t line) {
    return "journal " + (file.empty() ? std::string() : file + " ") + "line " +
           std::to_string(line);
}

}  // namespace

JournalContents parse_journal(std::string_view text, const std::string& file) {
    JournalContents out;
    std::size_t line_no = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        const bool complete = end != std::string_view::npos;
        if (!complete) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) continue;
        const std::string where = line_ref(file, line_no);
        try {
            const json j = json::parse(line);
            JournalEntry e;
            for (auto [field, target] : {std::pair{"id", &e.id},
                                         {"time", &e.time},
                                         {"key", &e.key},
                                         {"reason", &e.reason},
                                         {"before", &e.before},
                                         {"after", &e.after}}) {
                *target = j.at(field).get<std::string>();
            }
            out.entries.push_back(std::move(e));
            out.entry_lines.push_back(line_no);
            out.entry_files.push_back(file);
        } catch (const json::exception&) {
            if (complete) {
                out.unreadable_lines.push_back(line_no);
                out.unreadable_files.push_back(file);
            }
            out.warnings.push_back(where + (complete ? " is not a journal entry; skipped"
                                                     : " is incomplete (torn write); skipped"));
        }
    }
    return out;
}

void append_journal(JournalContents& into, JournalContents&& more) {
    // Pad the file lists first: a JournalContents built by hand may leave them short.
    into.entry_files.resize(into.entries.size());
    into.unreadable_files.resize(into.unreadable_lines.size());
    more.entry_files.resize(more.entries.size());
    more.unreadable_files.resize(more.unreadable_lines.size());
    auto move_all = [](auto& to, auto& from) {
        to.insert(to.end(), std::make_move_iterator(from.begin()),
                  std::make_move_iterator(from.end()));
    };
    move_all(into.entries, more.entries);
    move_all(into.entry_lines, more.entry_lines);
    move_all(into.entry_files, more.entry_files);
    move_all(into.warnings, more.warnings);
    move_all(into.unreadable_lines, more.unreadable_lines);
    move_all(into.unreadable_files, more.unreadable_files);
}

std::string next_journal_id(const std::optional<std::string>& last) {
    unsigned long long n = 0;
    if (last) n = std::strtoull(last->c_str(), nullptr, 10);
    char buf[32];
    // Zero-padded so ids sort the same as text and as numbers.
    std::snprintf(buf, sizeof buf, "%012llu", n + 1);
    return buf;
}

std::string format_utc(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count() % 1000;
    const std::time_t secs = system_clock::to_time_t(t);
    std::tm tm{};
#ifdef _WIN32
    gmtime_s(&tm, &secs);
#else
    gmtime_r(&secs, &tm);
#endif
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms));
    return buf;
}

namespace {

bool named_by_policy(const std::string& key, const std::vector<std::string>& policy_keys) {
    return std::any_of(policy_keys.begin(), policy_keys.end(),
                       [&](const std::string& p) { return same_key_path(p, key); });
}

// Checks one target; the error names its journal line and entry.
std::string check_target(RollbackTarget& t, const std::string& line,
                         const std::vector<std::string>& policy_keys) {
    const std::string where = line + " (entry " + t.from_id + ")";
    if (!normalize_key_path(t.key)) return where + ": '" + t.key + "' is not a key under HKLM";
    if (!named_by_policy(t.key, policy_keys))
        return where + ": the config does not name " + t.key + "; rollback writes only its keys";
    SecurityDescriptor sd;
    try {
        sd = parse_sddl(t.sddl);
    } catch (const SddlError& e) {
        return where + ": 'before' is not a security descriptor: " + e.what();
    }
    if (!sd.dacl) {
        return where + ": 'before' has no DACL; restoring it would leave an empty DACL that " +
               "locks " + t.key;
    }
    t.dacl = *sd.dacl;
    return {};
}

}  // namespace

RollbackPlan plan_rollback(const JournalContents& journal,
                           const std::vector<std::string>& policy_keys,
                           const std::optional<std::string>& to_id,
                           const std::optional<std::string>& key) {
    RollbackPlan plan;
    const std::vector<JournalEntry>& entries = journal.entries;
    auto fail = [&](std::string error) {
        plan.targets.clear();
        plan.error = std::move(error) + "; nothing was rolled back";
        return plan;
    };
    if (!journal.unreadable_lines.empty()) {
        const std::string file =
            journal.unreadable_files.empty() ? std::string() : journal.unreadable_files.front();
        return fail(line_ref(file, journal.unreadable_lines.front()) +
                    " cannot be read (not a journal entry)");
    }
    if (key && !named_by_policy(*key, policy_keys))
        return fail("the config does not name " + *key + "; rollback writes only its keys");
    std::vector<std::string> lines;  // of each target
    auto line_of = [&](std::size_t index) {
        const std::size_t line =
            index < journal.entry_lines.size() ? journal.entry_lines[index] : index + 1;
        const std::string file =
            index < journal.entry_files.size() ? journal.entry_files[index] : std::string();
        return line_ref(file, line);
    };
    if (to_id) {
        const auto it = std::find_if(entries.begin(), entries.end(),
                                     [&](const JournalEntry& e) { return e.id == *to_id; });
        if (it == entries.end()) return fail("journal has no entry with id " + *to_id);
        if (key && !same_key_path(it->key, *key))
            return fail("journal entry " + *to_id + " is for " + it->key + ", not " + *key);
        plan.targets.push_back({it->key, it->before, it->id, {}});
        lines.push_back(line_of(static_cast<std::size_t>(it - entries.begin())));
    } else {
        for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
            if (key && !same_key_path(it->key, *key)) continue;
            const bool seen =
                std::any_of(plan.targets.begin(), plan.targets.end(),
                            [&](const RollbackTarget& t) { return same_key_path(t.key, it->key); });
            if (seen) continue;
            plan.targets.push_back({it->key, it->before, it->id, {}});
            lines.push_back(line_of(static_cast<std::size_t>(entries.rend() - it - 1)));
        }
        if (plan.targets.empty())
            return fail(key ? "journal has no entry for " + *key : "journal is empty");
    }
    for (std::size_t i = 0; i < plan.targets.size(); ++i) {
        if (std::string error = check_target(plan.targets[i], lines[i], policy_keys);
            !error.empty())
            return fail(error);
    }
    return plan;
}

}  // namespace permwatch

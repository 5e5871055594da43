#include "core/journal.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "core/config.hpp"

namespace permwatch {

using json = nlohmann::ordered_json;

std::string format_journal_line(const JournalEntry& e) {
    return json{{"id", e.id},         {"time", e.time},     {"key", e.key},
                {"reason", e.reason}, {"before", e.before}, {"after", e.after}}
        .dump();
}

JournalContents parse_journal(std::string_view text) {
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
        const std::string where = "journal line " + std::to_string(line_no);
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
        } catch (const json::exception&) {
            out.warnings.push_back(where + (complete ? " is not a journal entry; skipped"
                                                     : " is incomplete (torn write); skipped"));
        }
    }
    return out;
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

RollbackPlan plan_rollback(const std::vector<JournalEntry>& entries,
                           const std::optional<std::string>& to_id,
                           const std::optional<std::string>& key) {
    RollbackPlan plan;
    if (to_id) {
        const auto it = std::find_if(entries.begin(), entries.end(),
                                     [&](const JournalEntry& e) { return e.id == *to_id; });
        if (it == entries.end()) {
            plan.error = "journal has no entry with id " + *to_id;
        } else if (key && !same_key_path(it->key, *key)) {
            plan.error = "journal entry " + *to_id + " is for " + it->key + ", not " + *key;
        } else {
            plan.targets.push_back({it->key, it->before, it->id});
        }
        return plan;
    }
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
        if (key && !same_key_path(it->key, *key)) continue;
        const bool seen =
            std::any_of(plan.targets.begin(), plan.targets.end(),
                        [&](const RollbackTarget& t) { return same_key_path(t.key, it->key); });
        if (!seen) plan.targets.push_back({it->key, it->before, it->id});
    }
    if (plan.targets.empty()) {
        plan.error = key ? "journal has no entry for " + *key : "journal is empty";
    }
    return plan;
}

}  // namespace permwatch

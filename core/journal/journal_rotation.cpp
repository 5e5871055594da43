#include "core/journal/journal_rotation.hpp"

#include <cstdlib>

namespace permwatch {

std::string rotated_journal_path(const std::string& live, int n) {
    return live + "." + std::to_string(n);
}

std::string journal_file_name(const std::string& path) {
    const std::size_t slash = path.find_last_of("\\/");
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::vector<std::string> journal_files_oldest_first(const std::string& live, int kept) {
    std::vector<std::string> files;
    for (int n = kept; n >= 1; --n) files.push_back(rotated_journal_path(live, n));
    files.push_back(live);
    return files;
}

std::vector<std::string> rotated_journals_newest_first(const std::string& live, int kept) {
    std::vector<std::string> files;
    for (int n = 1; n <= kept; ++n) files.push_back(rotated_journal_path(live, n));
    return files;
}

bool should_rotate(std::uint64_t live_bytes, std::uint64_t line_bytes, std::int64_t max_bytes) {
    if (live_bytes == 0 || max_bytes <= 0) return false;
    const auto max = static_cast<std::uint64_t>(max_bytes);
    return live_bytes >= max || line_bytes > max - live_bytes;
}

RotationPlan plan_rotation(const std::string& live, int kept) {
    RotationPlan plan;
    if (kept < 1) return plan;
    plan.drop = rotated_journal_path(live, kept);
    for (int n = kept - 1; n >= 1; --n)
        plan.renames.push_back({rotated_journal_path(live, n), rotated_journal_path(live, n + 1)});
    plan.renames.push_back({live, rotated_journal_path(live, 1)});
    return plan;
}

JournalContents parse_journal_files(const std::vector<JournalFileText>& oldest_first,
                                    const std::string& live) {
    JournalContents all;
    for (const JournalFileText& f : oldest_first) {
        if (!f.exists) continue;
        const std::string label = f.path == live ? std::string() : journal_file_name(f.path);
        append_journal(all, parse_journal(f.bytes, label));
    }
    return all;
}

JournalTail read_journal_tail(std::string_view tail, bool from_file_start) {
    JournalTail out;
    out.ends_mid_line = !tail.empty() && tail.back() != '\n';
    if (!from_file_start) {
        const std::size_t nl = tail.find('\n');
        tail = nl == std::string_view::npos ? std::string_view() : tail.substr(nl + 1);
    }
    for (const JournalEntry& e : parse_journal(tail).entries)
        out.last_id = greater_id(out.last_id, e.id);
    return out;
}

std::optional<std::string> greater_id(const std::optional<std::string>& a,
                                      const std::optional<std::string>& b) {
    if (!a) return b;
    if (!b) return a;
    return std::strtoull(b->c_str(), nullptr, 10) > std::strtoull(a->c_str(), nullptr, 10) ? b : a;
}

}  // namespace permwatch

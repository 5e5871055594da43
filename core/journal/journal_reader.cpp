#include "core/journal/journal_reader.hpp"

#include "core/journal/journal_rotation.hpp"

namespace permwatch {

JournalRead read_journal_across_files(const std::string& live, const ReadFileBytes& read,
                                      FileSecurityPort* files) {
    JournalRead out;
    const std::vector<std::string> paths = journal_files_oldest_first(live);
    // A rotated journal is as trusted as the live one or nothing is read: a
    // planted journal.jsonl.3 would otherwise feed rollback.
    if (files) {
        for (const std::string& path : paths) {
            if (path == live) continue;
            if (auto refused = refuse_untrusted(FileRole::journal, path, *files)) {
                out.refused = std::move(refused);
                return out;
            }
        }
    }
    std::vector<JournalFileText> texts;
    for (const std::string& path : paths) {
        JournalFileText text;
        text.path = path;
        std::optional<std::string> bytes = read(path);
        text.exists = bytes.has_value();
        if (bytes) text.bytes = std::move(*bytes);
        texts.push_back(std::move(text));
    }
    out.contents = parse_journal_files(texts, live);
    return out;
}

}  // namespace permwatch

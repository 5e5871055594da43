// The repository stands on its own: no comment or document sends a reader to
// a file outside it (docs/reference.md is the user reference, docs/design.md
// the design), and none cites the history of a change (an issue number, a
// session's turn, what the code used to do) instead of saying why. git log
// keeps the history.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

namespace test_repository_hygiene {

namespace fs = std::filesystem;

fs::path repo_root() { return fs::path(PERMWATCH_SOURCE_DIR); }

// What a reader is sent to and cannot open, or history in place of a reason.
struct Citation {
    const char* name;
    std::regex pattern;
};

const std::vector<Citation>& citations() {
    static const std::vector<Citation> list = {
        {"a contract outside the repository", std::regex(R"(CONTRACT\.md)")},
        {"a design note outside the repository", std::regex(R"(DESIGN\.md)")},
        {"a path outside the repository", std::regex(R"(\.\.[/\\]shared)")},
        {"a turn of a session", std::regex(R"(\b[Tt]urn [0-9])")},
        {"an issue number", std::regex(R"(\b[Ii]ssue #?[0-9])")},
        {"an item of an issue", std::regex(R"(\b[Ii]tems? [0-9]+( and [0-9]+)? of (the )?issue)")},
        {"what the code used to do", std::regex(R"(\b[Oo]ld behaviou?r)")},
        {"what something was", std::regex(R"(\((was|formerly|previously) )")},
    };
    return list;
}

// std::regex is slow; a line runs the patterns only when it holds a word one
// of them needs.
bool worth_a_look(const std::string& line) {
    for (const char* word : {"CONTRACT", "DESIGN", "shared", "urn ", "ssue", "behavio", "(was ",
                             "(formerly ", "(previously "})
        if (line.find(word) != std::string::npos) return true;
    return false;
}

bool is_text(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    char buffer[4096];
    in.read(buffer, sizeof buffer);
    for (std::streamsize i = 0; i < in.gcount(); ++i)
        if (buffer[i] == '\0') return false;
    return true;
}

std::vector<fs::path> files_to_read() {
    const fs::path root = repo_root();
    const fs::path self = fs::path("tests") / "core" / "common" / "test_repository_hygiene.cpp";
    std::vector<fs::path> out;
    for (const char* folder : {"core", "service", "tests", "bench", "installer", "scripts", "docs",
                               "cmake", "config", ".ci"}) {
        const fs::path start = root / folder;
        if (!fs::is_directory(start)) continue;
        for (auto it = fs::recursive_directory_iterator(start);
             it != fs::recursive_directory_iterator(); ++it) {
            const std::string name = it->path().filename().string();
            if (it->is_directory() && (name == "build" || name.rfind('.', 0) == 0)) {
                it.disable_recursion_pending();  // build output and tool folders
                continue;
            }
            if (!it->is_regular_file()) continue;
            const fs::path relative = fs::relative(it->path(), root);
            if (relative == self || !is_text(it->path())) continue;
            out.push_back(relative);
        }
    }
    for (const char* file : {"README.md", "CMakeLists.txt", "CMakePresets.json"})
        out.push_back(file);
    return out;
}

TEST(RepositoryHygiene, NoCommentOrDocumentCitesHistoryOrAFileOutsideTheRepository) {
    const std::vector<fs::path> files = files_to_read();
    EXPECT_GT(files.size(), 200u);  // the walk found the tree
    int hits = 0;
    for (const fs::path& relative : files) {
        std::ifstream in(repo_root() / relative);
        int number = 0;
        for (std::string line; std::getline(in, line);) {
            ++number;
            if (!worth_a_look(line)) continue;
            for (const Citation& citation : citations()) {
                if (!std::regex_search(line, citation.pattern)) continue;
                ++hits;
                ADD_FAILURE() << relative.generic_string() << ":" << number << ": " << citation.name
                              << ": " << line;
            }
        }
    }
    EXPECT_EQ(hits, 0) << "say why instead, or point to docs/reference.md or docs/design.md";
}

// The check itself: each kind of citation is caught, and ordinary words are not.
TEST(RepositoryHygiene, ThePatternsCatchCitationsAndNothingElse) {
    const auto caught = [](const std::string& line) {
        if (!worth_a_look(line)) return false;
        for (const Citation& citation : citations())
            if (std::regex_search(line, citation.pattern)) return true;
        return false;
    };
    for (const char* line : {"// see "
                             "CONTRACT"
                             ".md",
                             "# "
                             "DESIGN"
                             ".md \"Rig\"",
                             "`../"
                             "shared/x`",
                             "(Tu"
                             "rn 3)",
                             "// Iss"
                             "ue 11: x",
                             "(iss"
                             "ue #4)",
                             "item 4 of iss"
                             "ue",
                             "the old behavi"
                             "our",
                             "(wa"
                             "s 5 s)"})
        EXPECT_TRUE(caught(line)) << line;
    for (const char* line : {"    return 0;", "docs/design.md", "see docs/reference.md",
                             "a turnover", "the issue is", "in turn, 3 keys"})
        EXPECT_FALSE(caught(line)) << line;
}

}  // namespace test_repository_hygiene

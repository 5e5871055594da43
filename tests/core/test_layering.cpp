// The architecture, checked: core/ is a stack of folders and a file includes
// only from its own folder or one below it. core/ never includes Windows
// headers or anything from service/, tests/ or bench/.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

namespace test_layering {

namespace fs = std::filesystem;

// Lowest first. A folder may include from itself and every folder before it.
const std::vector<std::string> layers = {"common", "security", "policy",  "ports", "journal",
                                         "check",  "engine",   "cluster", "pipe",  "cli"};

int rank_of(const std::string& folder) {
    for (std::size_t i = 0; i < layers.size(); ++i)
        if (layers[i] == folder) return static_cast<int>(i);
    return -1;
}

fs::path core_root() { return fs::path(PERMWATCH_SOURCE_DIR) / "core"; }

std::vector<std::string> includes_of(const fs::path& file) {
    std::ifstream in(file);
    std::vector<std::string> out;
    const std::regex include(R"(^\s*#\s*include\s*[<"]([^">]+)[">])");
    std::smatch match;
    for (std::string line; std::getline(in, line);)
        if (std::regex_search(line, match, include)) out.push_back(match[1]);
    return out;
}

TEST(Layering, EveryCoreFileLivesInAKnownLayer) {
    for (const auto& entry : fs::recursive_directory_iterator(core_root())) {
        if (!entry.is_regular_file() || entry.path().filename() == "CMakeLists.txt") continue;
        const fs::path relative = fs::relative(entry.path(), core_root());
        ASSERT_EQ(std::distance(relative.begin(), relative.end()), 2) << relative;
        EXPECT_GE(rank_of(relative.begin()->string()), 0) << relative;
    }
}

TEST(Layering, EveryIncludePointsDownTheChain) {
    int files = 0;
    for (const auto& entry : fs::recursive_directory_iterator(core_root())) {
        const auto ext = entry.path().extension();
        if (!entry.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) continue;
        ++files;
        const fs::path relative = fs::relative(entry.path(), core_root());
        const int own = rank_of(relative.begin()->string());
        for (const std::string& header : includes_of(entry.path())) {
            EXPECT_EQ(header.find("windows.h"), std::string::npos) << relative;
            for (const char* outside : {"service/", "tests/", "bench/", "installer/"})
                EXPECT_NE(header.rfind(outside, 0), 0u) << relative << " includes " << header;
            if (header.rfind("core/", 0) != 0) continue;
            const std::string folder = header.substr(5, header.find('/', 5) - 5);
            const int theirs = rank_of(folder);
            EXPECT_GE(theirs, 0) << relative << " includes " << header;
            EXPECT_LE(theirs, own) << relative << " (" << layers[own] << ") includes " << header
                                   << ", a layer above it";
        }
    }
    EXPECT_GT(files, 50);  // the walk found the tree
}

}  // namespace test_layering

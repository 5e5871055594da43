// Loading a config only when its file, its folder and its journal's are safe
// (core/policy/trusted_config.hpp), and `validate` saying the same. FakeFiles stands
// in for NTFS as GetNamedSecurityInfo reports it: a map from path to owner
// and DACL. The config is a real file in the temp folder so that it parses.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/cli/cli.hpp"
#include "core/policy/trusted_config.hpp"
#include "core/security/sddl.hpp"
#include "tests/core/test_support.hpp"

namespace permwatch {
namespace test_trusted_config {

const std::string kSafe = "O:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FR;;;BU)";
const std::string kUsersWrite = "O:BAD:(A;OICI;FA;;;SY)(A;CI;0x116;;;BU)";

class FakeFiles final : public FileSecurityPort {
public:
    std::map<std::string, std::string> sddl;  // path -> descriptor; absent: missing
    std::optional<Sid> me;
    std::vector<std::string> reads;

    FileSecurityRead read(const std::string& path) override {
        reads.push_back(path);
        const auto it = sddl.find(path);
        if (it == sddl.end()) return {FileSecurityRead::Status::missing, {}, path + " missing"};
        if (it->second == "error")
            return {FileSecurityRead::Status::error, {}, "Access is denied. (5)"};
        return {FileSecurityRead::Status::ok, parse_sddl(it->second), {}};
    }
    // What open_and_read's one handle reports, as service/opened_file.cpp
    // reads it from Windows: per path, a write handle someone else holds,
    // a reparse point, a final path elsewhere, bytes other than the disk's.
    std::map<std::string, std::string> final_paths;
    std::map<std::string, std::string> handle_bytes;
    std::vector<std::string> held_open, links, opened;

    OpenedFile open_and_read(const std::string& path) override {
        opened.push_back(path);
        OpenedFile out;
        const auto has = [&](const std::vector<std::string>& v) {
            return std::find(v.begin(), v.end(), path) != v.end();
        };
        if (has(held_open)) {
            out.status = OpenedFile::Status::in_use;
            return out;
        }
        out.folder = read(folder_of(path));
        const auto it = sddl.find(path);
        if (out.folder.status == FileSecurityRead::Status::missing || it == sddl.end()) {
            out.status = OpenedFile::Status::missing;
            return out;
        }
        out.sd = parse_sddl(it->second);
        out.reparse_point = has(links);
        out.asked_path = path;
        out.final_path = final_paths.count(path) ? final_paths[path] : "\\\\?\\" + path;
        if (handle_bytes.count(path)) {
            out.bytes = handle_bytes[path];
        } else {
            std::ifstream in(path, std::ios::binary);
            std::stringstream text;
            text << in.rdbuf();
            out.bytes = text.str();
        }
        return out;
    }
    std::string account_name(const Sid& sid) override {
        return sid == Sid(5, {32, 545}) ? "BUILTIN\\Users" : "";
    }
    std::optional<Sid> self() override { return me; }
};

class TrustedConfig : public ::testing::Test {
protected:
    void SetUp() override {
        // One folder per test: ctest runs test cases in parallel processes.
        dir = (std::filesystem::temp_directory_path() /
               ("permwatch-trusted-config-" +
                std::string(::testing::UnitTest::GetInstance()->current_test_info()->name())))
                  .string();
        std::filesystem::create_directories(dir);
        config = dir + "/permwatch.json";
        journal = dir + "/journal.jsonl";
        std::ifstream in(test::source_path("config/examples/minimal.json"));
        std::stringstream text;
        text << in.rdbuf();
        auto doc = nlohmann::json::parse(text.str());
        doc["journal"] = journal;
        std::ofstream(config) << doc.dump();
        files.sddl[dir] = kSafe;
        files.sddl[config] = kSafe;
    }
    std::string dir, config, journal;
    FakeFiles files;
};

TEST_F(TrustedConfig, SafeFilesLoad) {
    const ConfigLoad load = load_trusted_config(config, &files);
    ASSERT_TRUE(load.config);
    EXPECT_FALSE(load.refused);
    EXPECT_TRUE(load.problems.empty());
}

TEST_F(TrustedConfig, AFolderUsersCanAddFilesToIsRefusedBeforeTheFileIsRead) {
    files.sddl[dir] = kUsersWrite;
    const ConfigLoad load = load_trusted_config(config, &files);
    EXPECT_FALSE(load.config);
    ASSERT_TRUE(load.refused);
    EXPECT_EQ(*load.refused,
              "refusing config " + config + ": its folder " + dir +
                  ": BUILTIN\\Users (S-1-5-32-545) may add files, add subfolders; only SYSTEM, "
                  "Administrators, TrustedInstaller and PermWatch's own account may own or "
                  "change it");
    EXPECT_EQ(files.reads, (std::vector<std::string>{dir}));
}

TEST_F(TrustedConfig, AConfigFileOwnedBySomeoneElseIsRefused) {
    files.sddl[config] = "O:S-1-5-21-1-2-3-1105D:(A;;FA;;;SY)";
    const ConfigLoad load = load_trusted_config(config, &files);
    ASSERT_TRUE(load.refused);
    EXPECT_NE(load.refused->find("the file " + config + ": S-1-5-21-1-2-3-1105 owns it"),
              std::string::npos)
        << *load.refused;
}

TEST_F(TrustedConfig, OwnedByTheAccountRunningTheCheckIsAccepted) {
    files.sddl[config] = "O:S-1-5-21-1-2-3-1105D:(A;;FA;;;SY)";
    files.me = Sid::parse("S-1-5-21-1-2-3-1105");
    EXPECT_TRUE(load_trusted_config(config, &files).config);
}

TEST_F(TrustedConfig, AJournalUsersCanWriteIsRefused) {
    files.sddl[journal] = "O:BAD:(A;;FA;;;SY)(A;;FW;;;BU)";
    const ConfigLoad load = load_trusted_config(config, &files);
    EXPECT_FALSE(load.config);
    ASSERT_TRUE(load.refused);
    EXPECT_EQ(load.refused->rfind("refusing journal " + journal + ": the file " + journal, 0), 0u)
        << *load.refused;
}

TEST_F(TrustedConfig, AJournalNotWrittenYetIsJudgedByItsFolder) {
    EXPECT_TRUE(load_trusted_config(config, &files).config);
    EXPECT_EQ(files.reads.back(), journal);
}

TEST_F(TrustedConfig, AMissingConfigFolderIsAReadProblemNotARefusal) {
    const std::string elsewhere = dir + "/gone/permwatch.json";
    const ConfigLoad load = load_trusted_config(elsewhere, &files);
    EXPECT_FALSE(load.refused);
    ASSERT_EQ(load.problems.size(), 1u);
    EXPECT_EQ(describe_problem(elsewhere, load.problems[0]),
              "config " + elsewhere + ": cannot be read");
}

// A journal folder that is not there would be created inheriting from its
// parent, unjudged: refused (the service's data folder is made first).
TEST_F(TrustedConfig, AMissingJournalFolderIsRefused) {
    std::ifstream in(config);
    auto doc = nlohmann::json::parse(in);
    in.close();
    doc["journal"] = dir + "/gone/journal.jsonl";
    std::ofstream(config) << doc.dump();
    const ConfigLoad load = load_trusted_config(config, &files);
    ASSERT_TRUE(load.refused);
    EXPECT_EQ(*load.refused, "refusing journal " + dir + "/gone/journal.jsonl: its folder " + dir +
                                 "/gone does not exist; PermWatch creates only its data folder");
}

// The data folder is the exception: install, the service and the one-shot
// commands create it safe when it is first needed (service/data_folder.hpp).
TEST_F(TrustedConfig, AMissingDataFolderForTheJournalIsNotRefused) {
    set_program_data_folder(dir + "/ProgramData");
    std::ifstream in(config);
    auto doc = nlohmann::json::parse(in);
    in.close();
    doc["journal"] = "%ProgramData%\\PermWatch\\journal.jsonl";
    std::ofstream(config) << doc.dump();
    const ConfigLoad load = load_trusted_config(config, &files);
    set_program_data_folder(std::nullopt);
    EXPECT_FALSE(load.refused) << *load.refused;
    EXPECT_TRUE(load.config);
}

TEST_F(TrustedConfig, AnUnreadableDescriptorIsRefused) {
    files.sddl[dir] = "error";
    auto load = load_trusted_config(config, &files);
    ASSERT_TRUE(load.refused);
    EXPECT_NE(load.refused->find("Access is denied"), std::string::npos) << *load.refused;
}

TEST_F(TrustedConfig, WithoutFileSecurityOnlyValidationRuns) {
    files.sddl[dir] = kUsersWrite;
    EXPECT_TRUE(load_trusted_config(config, nullptr).config);
}

// The kept-open attack: a user who made the folder first opened
// permwatch.json for writing and holds that handle across any reset of the
// DACL. The config is opened sharing only reading, so that open fails while
// the handle is held, and the config is refused, not read. (Wine plays this
// with real files: FileSecurity.AConfigHeldOpenForWritingIsRefused.)
TEST_F(TrustedConfig, AConfigAnotherProcessHoldsOpenForWritingIsRefused) {
    files.held_open.push_back(config);
    const ConfigLoad load = load_trusted_config(config, &files);
    EXPECT_FALSE(load.config);
    ASSERT_TRUE(load.refused);
    EXPECT_EQ(*load.refused, "refusing config " + config +
                                 ": another process holds it open for writing or "
                                 "deleting");
}

// A junction or link on the way (Windows' junctions are not made by Wine 8:
// docs/testing.md (x2)): the handle's final path is elsewhere, so what was
// judged is not the file that was asked for. Natively, on the facts the
// service reads from the handle.
TEST_F(TrustedConfig, AConfigWhoseHandleEndsElsewhereIsRefused) {
    files.final_paths[config] = "\\\\?\\C:\\Users\\mallory\\permwatch.json";
    const ConfigLoad load = load_trusted_config(config, &files);
    EXPECT_FALSE(load.config);
    ASSERT_TRUE(load.refused);
    EXPECT_EQ(*load.refused,
              "refusing config " + config +
                  ": it opens as C:\\Users\\mallory\\permwatch.json (a link or "
                  "junction on the way); PermWatch reads only the path it was given");
}

TEST_F(TrustedConfig, AConfigThatIsAReparsePointIsRefused) {
    files.links.push_back(config);
    const ConfigLoad load = load_trusted_config(config, &files);
    ASSERT_TRUE(load.refused);
    EXPECT_NE(load.refused->find("is a link (a reparse point)"), std::string::npos)
        << *load.refused;
}

// What is parsed is what the judged handle read, not a second read by name:
// the bytes the port returns (one key) differ from the file on disk (the
// shipped example, whatever it holds), and the one-key document is loaded.
TEST_F(TrustedConfig, TheConfigIsParsedFromTheJudgedHandlesBytes) {
    files.handle_bytes[config] =
        R"({"version":1,"keys":[{"path":"HKLM\\SOFTWARE\\ReadThroughTheHandle",)"
        R"("require":[{"principal":"SY","rights":["KEY_READ"]}]}]})";
    const ConfigLoad load = load_trusted_config(config, &files);
    ASSERT_TRUE(load.config) << (load.refused ? *load.refused : "problems");
    ASSERT_EQ(load.config->keys.size(), 1u);
    EXPECT_EQ(load.config->keys[0].path, "HKLM\\SOFTWARE\\ReadThroughTheHandle");
    EXPECT_EQ(files.opened, (std::vector<std::string>{config}));
}

TEST(SameFilePath, PrefixesSlashesAndAsciiCaseDoNotMatterOtherCharactersDo) {
    test::expect_path_comparison(
        same_file_path,
        {{"C:\\ProgramData\\PermWatch\\permwatch.json",
          "\\\\?\\C:\\programdata\\PERMWATCH\\permwatch.json"},
         {"C:/a/b.json", "\\\\?\\C:\\a\\b.json"},
         {"\\\\srv\\share\\b.json", "\\\\?\\UNC\\srv\\share\\b.json"},
         {"C:\\\xC3\x9C\\x", "\\\\?\\C:\\\xC3\x9C\\x"}},
        {{"C:\\a\\b.json", "\\\\?\\D:\\a\\b.json"},
         {"C:\\a\\b.json", "\\\\?\\C:\\a\\b.json.evil"},
         // Ü against ü: Windows may call them the same; refusing is the safe side.
         {"C:\\\xC3\x9C\\x", "C:\\\xC3\xBC\\x"}});
}

TEST_F(TrustedConfig, ValidateRefusesWithOneLineAndExit2) {
    files.sddl[dir] = kUsersWrite;
    std::ostringstream out, err;
    EXPECT_EQ(run_cli({"validate", "--config", config}, out, err, nullptr, &files), 2);
    const std::string text = err.str();
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
    EXPECT_NE(text.find(dir), std::string::npos);
    EXPECT_NE(text.find("S-1-5-32-545"), std::string::npos);
    std::ostringstream out2, err2;
    files.sddl[dir] = kSafe;
    EXPECT_EQ(run_cli({"validate", "--config", config}, out2, err2, nullptr, &files), 0)
        << err2.str();
}

TEST(FolderOf, WindowsAndPosixPaths) {
    EXPECT_EQ(folder_of("C:\\ProgramData\\PermWatch\\permwatch.json"),
              "C:\\ProgramData\\PermWatch");
    EXPECT_EQ(folder_of("C:\\permwatch.json"), "C:\\");
    EXPECT_EQ(folder_of("/tmp/x/permwatch.json"), "/tmp/x");
    EXPECT_EQ(folder_of("permwatch.json"), ".");
}

}  // namespace test_trusted_config
}  // namespace permwatch

// The Win32 side of the data-folder rule under Wine: Win32FileSecurity
// (GetNamedSecurityInfoW, LookupAccountSidW, the token), secure_data_folder
// and the ProgramData known folder. Wine synthesises every file's descriptor
// (owner: the prefix user; DACL: SYSTEM and that user full, Everyone read)
// and keeps none that is set (docs/testing.md (x)), so what is asserted here
// is what Wine gives; the decision itself is tested natively
// (tests/core/test_file_trust.cpp, test_trusted_config.cpp).
#include <windows.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "core/policy/trusted_files.hpp"
#include "service/data_folder.hpp"
#include "service/file_security.hpp"
#include "service/known_folders.hpp"
#include "service/win32_error.hpp"

namespace permwatch {
namespace test_file_security {

class FileSecurity : public ::testing::Test {
protected:
    void SetUp() override {
        dir = std::filesystem::temp_directory_path() /
              ("permwatch-file-security-" +
               std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        file = (dir / "permwatch.json").string();
        std::ofstream(file) << "{}";
    }
    void TearDown() override {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    std::filesystem::path dir;
    std::string file;
    win::Win32FileSecurity files;
};

TEST_F(FileSecurity, ReadsOwnerAndDaclOfAFileAndAFolder) {
    for (const std::string& p : {file, dir.string()}) {
        const FileSecurityRead read = files.read(p);
        ASSERT_EQ(read.status, FileSecurityRead::Status::ok) << p << ": " << read.error;
        ASSERT_TRUE(read.sd.owner) << p;
        ASSERT_TRUE(read.sd.dacl) << p;
        EXPECT_FALSE(read.sd.dacl->aces.empty()) << p;
    }
}

TEST_F(FileSecurity, AMissingFileIsMissing) {
    EXPECT_EQ(files.read((dir / "nope.json").string()).status, FileSecurityRead::Status::missing);
    EXPECT_EQ(files.read((dir / "no-folder" / "x.json").string()).status,
              FileSecurityRead::Status::missing);
}

TEST_F(FileSecurity, SelfIsTheTokenUserAndNamesResolve) {
    const auto self = files.self();
    ASSERT_TRUE(self);
    EXPECT_EQ(self->authority(), 5u);
    EXPECT_EQ(files.account_name(Sid(5, {32, 545})), "BUILTIN\\Users");
}

// Under Wine the owner is the prefix user, which is also the account this
// test runs as: trusted as "self" and nothing else (no env var, no option).
TEST_F(FileSecurity, WinesFilesAreOwnedByTheAccountRunningTheCheck) {
    const FileSecurityRead read = files.read(file);
    ASSERT_EQ(read.status, FileSecurityRead::Status::ok);
    EXPECT_EQ(read.sd.owner, files.self());
    EXPECT_EQ(refuse_untrusted(FileRole::config, file, files), std::nullopt);
    // The same descriptor judged without "self": the prefix user is named.
    EXPECT_FALSE(
        untrusted_accounts(read.sd, FileKind::file, trusted_file_accounts(std::nullopt)).empty());
}

TEST_F(FileSecurity, SecureDataFolderCreatesTheFolderAndTakesOverAnExistingOne) {
    const std::string folder = (dir / "PermWatch").string();
    ASSERT_NO_THROW(win::secure_data_folder(folder, std::nullopt));
    EXPECT_TRUE(std::filesystem::is_directory(folder));
    ASSERT_NO_THROW(win::secure_data_folder(folder, files.self()));  // exists: SetNamedSecurityInfo
    EXPECT_THROW(win::secure_data_folder((dir / "a" / "b").string(), std::nullopt),
                 win::Win32Error);  // the parent must exist
}

TEST(KnownFolders, ProgramDataIsTheShellsFolder) {
    EXPECT_EQ(win::program_data_folder(), "C:\\ProgramData");
}

}  // namespace test_file_security
}  // namespace permwatch

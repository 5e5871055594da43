// `install` refuses to register an executable that someone other than
// SYSTEM, Administrators, TrustedInstaller and the installing administrator
// could replace (core/policy/trusted_executable.hpp, core/policy/file_trust.hpp). Wine
// synthesises every file's descriptor (owner the prefix user, docs/testing.md
// (x)), so a refusal cannot be played with real files there: the cases are
// descriptors written as SDDL as GetNamedSecurityInfo gives them on NTFS
// (C:\ and C:\Program Files with the Windows 10/11 default DACLs, a folder a
// user made under C:\ProgramData, a user's profile), read through a fake.
#include <gtest/gtest.h>

#include <map>

#include "core/policy/trusted_executable.hpp"
#include "core/security/sddl.hpp"

namespace permwatch {
namespace test_trusted_executable {

const std::string kTI = "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464";
const std::string kEve = "S-1-5-21-1-2-3-1105";
const std::string kAdmin = "S-1-5-21-1-2-3-500";

// C:\ on Windows 10/11: Authenticated Users may create folders in it (LC,
// this folder only) and get Modify on what they make (inherit-only).
const std::string kRoot = "O:" + kTI + "D:PAI(A;OICIIO;SDGXGWGR;;;AU)(A;;LC;;;AU)" +
                          "(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)";
// C:\Program Files: TrustedInstaller's, read and execute for Users and the
// app containers, generic-all for CREATOR OWNER on what is made later.
const std::string kProgramFiles =
    "O:" + kTI + "D:PAI(A;;FA;;;" + kTI + ")(A;CIIO;GA;;;" + kTI +
    ")(A;;0x1301bf;;;SY)(A;OICIIO;GA;;;SY)(A;;0x1301bf;;;BA)(A;OICIIO;GA;;;BA)"
    "(A;;0x1200a9;;;BU)(A;OICIIO;GXGR;;;BU)(A;OICIIO;GA;;;CO)(A;;0x1200a9;;;AC)"
    "(A;OICIIO;GXGR;;;AC)";
// A folder an administrator made under it, and the exe copied there: both
// inherit Program Files' ACEs.
const std::string kInstalledFolder =
    "O:BAD:AI(A;ID;FA;;;SY)(A;OICIIOID;GA;;;SY)(A;ID;FA;;;BA)(A;OICIIOID;GA;;;BA)"
    "(A;ID;0x1200a9;;;BU)(A;OICIIOID;GXGR;;;BU)(A;OICIIOID;GA;;;CO)";
const std::string kInstalledExe = "O:BAD:AI(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;0x1200a9;;;BU)";

struct Fake {
    std::map<std::string, std::string> sddl;  // path -> descriptor; absent: missing
    std::map<std::string, std::string> errors;
    ExecutableFacts facts(std::optional<Sid> installer = Sid::parse(kAdmin)) {
        ExecutableFacts f;
        f.read = [this](const std::string& path) {
            FileSecurityRead r;
            if (auto e = errors.find(path); e != errors.end()) {
                r.status = FileSecurityRead::Status::error;
                r.error = e->second;
            } else if (auto it = sddl.find(path); it != sddl.end()) {
                r.sd = parse_sddl(it->second);
            } else {
                r.status = FileSecurityRead::Status::missing;
            }
            return r;
        };
        f.account_name = [](const Sid& sid) -> std::string {
            if (sid.str() == kEve) return "HOST\\eve";
            if (sid.str() == "S-1-5-32-545") return "BUILTIN\\Users";
            if (sid.str() == "S-1-5-11") return "NT AUTHORITY\\Authenticated Users";
            return "";
        };
        f.installer = std::move(installer);
        return f;
    }
};

Fake program_files() {
    Fake fake;
    fake.sddl["C:\\"] = kRoot;
    fake.sddl["C:\\Program Files"] = kProgramFiles;
    fake.sddl["C:\\Program Files\\PermWatch"] = kInstalledFolder;
    fake.sddl["C:\\Program Files\\PermWatch\\permwatch.exe"] = kInstalledExe;
    return fake;
}

TEST(TrustedExecutable, ACopyInProgramFilesIsRegistered) {
    Fake fake = program_files();
    EXPECT_EQ(
        refuse_replaceable_executable("C:\\Program Files\\PermWatch\\permwatch.exe", fake.facts()),
        std::nullopt);
}

// C:\ lets Authenticated Users create folders: that replaces no name on the
// path, so it does not count above the exe's own folder.
TEST(TrustedExecutable, CreatingFoldersInTheRootIsNotReplacingOne) {
    Fake fake = program_files();
    EXPECT_EQ(refuse_replaceable_executable("C:\\Program Files\\PermWatch\\permwatch.exe",
                                            fake.facts(std::nullopt)),
              std::nullopt);
    // Directly in C:\, the same right lets them plant a DLL beside it.
    fake.sddl["C:\\permwatch.exe"] = kInstalledExe;
    const auto why = refuse_replaceable_executable("C:\\permwatch.exe", fake.facts());
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("its folder C:\\: NT AUTHORITY\\Authenticated Users (S-1-5-11) may add "
                        "subfolders"),
              std::string::npos)
        << *why;
}

TEST(TrustedExecutable, AnExeInAUsersFolderIsRefusedNamingThePathAndTheAccount) {
    Fake fake = program_files();
    fake.sddl["C:\\Users"] =
        "O:SYD:PAI(A;OICIIO;GA;;;SY)(A;;FA;;;SY)(A;OICIIO;GA;;;BA)(A;;FA;;;BA)"
        "(A;;0x1200a9;;;BU)(A;OICIIO;GXGR;;;BU)(A;;0x1200a9;;;WD)(A;OICIIO;GXGR;;;WD)";
    fake.sddl["C:\\Users\\eve"] =
        "O:" + kEve + "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;" + kEve + ")";
    fake.sddl["C:\\Users\\eve\\permwatch.exe"] =
        "O:" + kEve + "D:AI(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;FA;;;" + kEve + ")";
    const auto why = refuse_replaceable_executable("C:\\Users\\eve\\permwatch.exe", fake.facts());
    ASSERT_TRUE(why);
    EXPECT_EQ(*why,
              "refusing to register C:\\Users\\eve\\permwatch.exe as the PermWatch service: the "
              "file C:\\Users\\eve\\permwatch.exe: HOST\\eve (S-1-5-21-1-2-3-1105) owns it; "
              "HOST\\eve (S-1-5-21-1-2-3-1105) may write, append, delete, change its DACL, take "
              "ownership; a service runs as LocalSystem, so only SYSTEM, Administrators, "
              "TrustedInstaller and you may own or change its file and the folders above it: "
              "copy permwatch.exe to %ProgramFiles%\\PermWatch and run install from there");
}

// The exe itself is fine, but a user may add files to its folder (a DLL
// that the loader takes before System32's) or delete it and put another.
TEST(TrustedExecutable, AFolderWhereUsersMayAddFilesIsRefused) {
    Fake fake = program_files();
    fake.sddl["C:\\ProgramData"] =
        "O:SYD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICIIO;GA;;;CO)(A;OICI;0x1200a9;;;BU)"
        "(A;CI;0x116;;;BU)";
    fake.sddl["C:\\ProgramData\\Tools"] =
        "O:BAD:AI(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;0x1200a9;;;BU)(A;CIID;0x116;;;BU)";
    fake.sddl["C:\\ProgramData\\Tools\\permwatch.exe"] = kInstalledExe;
    const auto why =
        refuse_replaceable_executable("C:\\ProgramData\\Tools\\permwatch.exe", fake.facts());
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("its folder C:\\ProgramData\\Tools: BUILTIN\\Users (S-1-5-32-545) may add "
                        "files"),
              std::string::npos)
        << *why;
}

// Above the exe's own folder: deleting a child (or the folder itself, or
// changing its DACL) lets one rename a folder on the path and put another.
TEST(TrustedExecutable, AnUpperFolderWhoseChildrenUsersMayDeleteIsRefused) {
    Fake fake = program_files();
    // Adding files (DC: FILE_ADD_FILE) above the exe's folder replaces nothing.
    fake.sddl["C:\\Program Files"] = kProgramFiles + "(A;;DC;;;" + kEve + ")";
    EXPECT_EQ(
        refuse_replaceable_executable("C:\\Program Files\\PermWatch\\permwatch.exe", fake.facts()),
        std::nullopt);
    std::optional<std::string> why;
    fake.sddl["C:\\Program Files"] = kProgramFiles + "(A;;0x40;;;" + kEve + ")";
    why =
        refuse_replaceable_executable("C:\\Program Files\\PermWatch\\permwatch.exe", fake.facts());
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("the folder C:\\Program Files: HOST\\eve (S-1-5-21-1-2-3-1105) may delete "
                        "files in it"),
              std::string::npos)
        << *why;
    fake.sddl["C:\\Program Files"] = kProgramFiles;
    fake.sddl["C:\\"] = kRoot + "(A;;WD;;;" + kEve + ")";
    why =
        refuse_replaceable_executable("C:\\Program Files\\PermWatch\\permwatch.exe", fake.facts());
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("the folder C:\\: HOST\\eve (S-1-5-21-1-2-3-1105) may change its DACL"),
              std::string::npos)
        << *why;
}

TEST(TrustedExecutable, AFolderOwnedBySomeoneElseIsRefused) {
    Fake fake = program_files();
    fake.sddl["C:\\Program Files\\PermWatch"] = "O:" + kEve + kInstalledFolder.substr(4);
    const auto why =
        refuse_replaceable_executable("C:\\Program Files\\PermWatch\\permwatch.exe", fake.facts());
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("its folder C:\\Program Files\\PermWatch: HOST\\eve (S-1-5-21-1-2-3-1105) "
                        "owns it"),
              std::string::npos)
        << *why;
}

// The installing administrator's own account is trusted (it is an
// administrator); anyone else's is not.
TEST(TrustedExecutable, TheInstallingAdministratorIsTrustedNoOneElse) {
    Fake fake = program_files();
    fake.sddl["C:\\Program Files\\PermWatch\\permwatch.exe"] =
        "O:" + kAdmin + "D:(A;;FA;;;" + kAdmin + ")(A;;0x1200a9;;;WD)";
    EXPECT_EQ(refuse_replaceable_executable("C:\\Program Files\\PermWatch\\permwatch.exe",
                                            fake.facts(Sid::parse(kAdmin))),
              std::nullopt);
    EXPECT_TRUE(refuse_replaceable_executable("C:\\Program Files\\PermWatch\\permwatch.exe",
                                              fake.facts(Sid::parse(kEve))));
    // NT SERVICE\PermWatch, trusted for the config, is not for the exe.
    fake.sddl["C:\\Program Files\\PermWatch\\permwatch.exe"] =
        kInstalledExe + "(A;;FA;;;S-1-5-80-5779389-2805270332-644613588-160790857-1539090852)";
    EXPECT_TRUE(
        refuse_replaceable_executable("C:\\Program Files\\PermWatch\\permwatch.exe", fake.facts()));
}

TEST(TrustedExecutable, AnUnreadableOrMissingPartIsRefused) {
    Fake fake = program_files();
    fake.errors["C:\\Program Files"] = "error 5 (Access is denied.)";
    auto why =
        refuse_replaceable_executable("C:\\Program Files\\PermWatch\\permwatch.exe", fake.facts());
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("cannot read the security of the folder C:\\Program Files: error 5"),
              std::string::npos)
        << *why;
    why = refuse_replaceable_executable("D:\\x\\permwatch.exe", fake.facts());
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("the file D:\\x\\permwatch.exe does not exist"), std::string::npos) << *why;
    fake.errors.clear();
    fake.sddl["C:\\Program Files\\PermWatch\\permwatch.exe"] = "O:BAD:NO_ACCESS_CONTROL";
    why =
        refuse_replaceable_executable("C:\\Program Files\\PermWatch\\permwatch.exe", fake.facts());
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("NULL DACL"), std::string::npos) << *why;
}

}  // namespace test_trusted_executable
}  // namespace permwatch

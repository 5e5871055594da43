// The decision "who can change this file or folder" (core/policy/file_trust.hpp)
// on descriptors written as SDDL, as GetNamedSecurityInfo would give them on
// NTFS. Windows' own access check is what each case stands in for.
#include <gtest/gtest.h>

#include "core/policy/file_trust.hpp"
#include "core/security/sddl.hpp"

namespace permwatch {
namespace test_file_trust {

const Sid kUsers(5, {32, 545});
const Sid kMallory(5, {21, 1, 2, 3, 1105});
const std::vector<Sid> kTrusted = trusted_file_accounts(std::nullopt);

std::vector<UntrustedAccount> judge(const std::string& sddl, FileKind kind = FileKind::file) {
    return untrusted_accounts(parse_sddl(sddl), kind, kTrusted);
}

// The SIDs named, in order.
std::vector<std::string> who(const std::vector<UntrustedAccount>& u) {
    std::vector<std::string> out;
    for (const auto& a : u) out.push_back(a.account ? a.account->str() : "(none)");
    return out;
}

TEST(FileTrust, TheSafeDataFolderAndItsFilesAreTrusted) {
    EXPECT_TRUE(
        judge("O:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FR;;;BU)", FileKind::folder).empty());
    EXPECT_TRUE(judge("O:SYD:AI(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;FR;;;BU)").empty());
}

TEST(FileTrust, TrustedInstallerAndTheServiceSidAreTrusted) {
    EXPECT_EQ(trusted_installer_sid().str(),
              "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464");
    EXPECT_EQ(permwatch_service_sid().str(),
              "S-1-5-80-5779389-2805270332-644613588-160790857-1539090852");
    EXPECT_TRUE(judge("O:" + trusted_installer_sid().str() + "D:(A;;FA;;;" +
                      permwatch_service_sid().str() + ")")
                    .empty());
}

TEST(FileTrust, AnOwnerOutsideTheTrustedSetIsNamed) {
    const auto u = judge("O:" + kMallory.str() + "D:(A;;FA;;;SY)");
    ASSERT_EQ(u.size(), 1u);
    EXPECT_EQ(u[0].account, kMallory);
    EXPECT_EQ(u[0].why, "owns it");
}

TEST(FileTrust, NoOwnerIsNotTrusted) {
    const auto u = judge("D:(A;;FA;;;SY)");
    ASSERT_EQ(u.size(), 1u);
    EXPECT_EQ(u[0].account, std::nullopt);
}

TEST(FileTrust, SelfIsTrustedOnlyWhenGiven) {
    const auto sd = parse_sddl("O:" + kMallory.str() + "D:(A;;FA;;;" + kMallory.str() + ")");
    EXPECT_EQ(untrusted_accounts(sd, FileKind::file, kTrusted).size(), 2u);
    EXPECT_TRUE(untrusted_accounts(sd, FileKind::file, trusted_file_accounts(kMallory)).empty());
}

TEST(FileTrust, NullDaclLetsEveryoneWrite) {
    const auto u = judge("O:BAD:NO_ACCESS_CONTROL");
    ASSERT_EQ(u.size(), 1u);
    EXPECT_EQ(u[0].account, everyone_sid());
    EXPECT_NE(u[0].why.find("NULL DACL"), std::string::npos);
}

TEST(FileTrust, AbsentDaclIsTheSameAsNull) {
    EXPECT_EQ(who(judge("O:BA")), (std::vector<std::string>{"S-1-1-0"}));
}

TEST(FileTrust, EmptyDaclLetsNobodyWrite) { EXPECT_TRUE(judge("O:BAD:").empty()); }

TEST(FileTrust, ReadAndExecuteAreHarmless) {
    EXPECT_TRUE(
        judge("O:BAD:(A;;FR;;;BU)(A;;FX;;;WD)(A;;GR;;;AU)(A;;GX;;;WD)(A;;RC;;;WD)").empty());
}

TEST(FileTrust, EachDangerousRightAloneIsEnough) {
    for (const char* right : {"0x2", "0x4", "SD", "WD", "WO", "FW", "FA", "GA", "GW"}) {
        const auto u = judge(std::string("O:BAD:(A;;") + right + ";;;BU)");
        EXPECT_EQ(who(u), (std::vector<std::string>{kUsers.str()})) << right;
    }
}

TEST(FileTrust, WordsNameTheRights) {
    EXPECT_EQ(judge("O:BAD:(A;;0x6;;;BU)")[0].why, "may write, append");
    EXPECT_EQ(judge("O:BAD:(A;;0x6;;;BU)", FileKind::folder)[0].why,
              "may add files, add subfolders");
    EXPECT_EQ(judge("O:BAD:(A;;FA;;;BU)", FileKind::folder)[0].why,
              "may add files, add subfolders, delete files in it, delete, change its DACL, "
              "take ownership");
}

TEST(FileTrust, DeleteChildCountsOnAFolderOnly) {
    EXPECT_TRUE(judge("O:BAD:(A;;0x40;;;BU)").empty());
    EXPECT_EQ(who(judge("O:BAD:(A;;0x40;;;BU)", FileKind::folder)),
              (std::vector<std::string>{kUsers.str()}));
}

TEST(FileTrust, InheritedAcesCountLikeExplicitOnes) {
    EXPECT_EQ(who(judge("O:BAD:AI(A;ID;0x6;;;BU)")), (std::vector<std::string>{kUsers.str()}));
}

// ProgramData's own "Users may add files": CI only, so it is on the folder.
TEST(FileTrust, ProgramDatasUsersAceOnTheFolderIsCaught) {
    const auto u =
        judge("O:SYD:(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;CI;0x116;;;BU)", FileKind::folder);
    EXPECT_EQ(who(u), (std::vector<std::string>{kUsers.str()}));
}

TEST(FileTrust, InheritOnlyAcesDoNotApplyToAFile) {
    EXPECT_TRUE(judge("O:BAD:(A;IO;FA;;;BU)").empty());
}

// OI + IO on a folder: every file PermWatch creates there (a journal) would
// give Users write, so the folder is not trusted.
TEST(FileTrust, ObjectInheritOnlyAcesOnAFolderCountForItsNewFiles) {
    EXPECT_EQ(who(judge("O:BAD:(A;OIIO;FW;;;BU)", FileKind::folder)),
              (std::vector<std::string>{kUsers.str()}));
    EXPECT_TRUE(judge("O:BAD:(A;CIIO;FW;;;BU)", FileKind::folder).empty());
}

TEST(FileTrust, CreatorOwnerAndOwnerRightsAcesMatchNobodyHere) {
    EXPECT_TRUE(
        judge("O:BAD:(A;OICIIO;FA;;;CO)(A;;FA;;;CO)(A;;FA;;;OW)", FileKind::folder).empty());
}

TEST(FileTrust, AnEarlierDenyForTheSameSidTakesRightsAway) {
    EXPECT_TRUE(judge("O:BAD:(D;;FA;;;BU)(A;;FA;;;BU)").empty());
    // Only what the deny names goes: WRITE_DAC stays.
    EXPECT_EQ(judge("O:BAD:(D;;FW;;;BU)(A;;0x40006;;;BU)")[0].why, "may change its DACL");
}

TEST(FileTrust, ADenyAfterTheAllowComesTooLate) {
    EXPECT_EQ(who(judge("O:BAD:(A;;FA;;;BU)(D;;FA;;;BU)")),
              (std::vector<std::string>{kUsers.str()}));
}

TEST(FileTrust, ADenyForEveryoneCoversEveryone) {
    EXPECT_TRUE(judge("O:BAD:(D;;FW;;;WD)(A;;FW;;;BU)").empty());
}

TEST(FileTrust, ADenyForAnotherSidDoesNotHelp) {
    // Users' members are not known here; a deny for Authenticated Users does
    // not match a member of Users who is, say, a service.
    EXPECT_EQ(who(judge("O:BAD:(D;;FA;;;AU)(A;;FA;;;BU)")),
              (std::vector<std::string>{kUsers.str()}));
}

TEST(FileTrust, InheritOnlyDenyOnAFileDoesNotApply) {
    EXPECT_EQ(who(judge("O:BAD:(D;IO;FA;;;BU)(A;;FA;;;BU)")),
              (std::vector<std::string>{kUsers.str()}));
}

TEST(FileTrust, GenericWriteInADenyTakesAwayWriteAndAppend) {
    EXPECT_EQ(judge("O:BAD:(D;;GW;;;BU)(A;;0x80006;;;BU)")[0].why, "may take ownership");
}

TEST(FileTrust, RightsOfOneSidAddUpIntoOneEntry) {
    const auto u = judge("O:BAD:(A;;0x2;;;BU)(A;;0x10000;;;BU)");
    ASSERT_EQ(u.size(), 1u);
    EXPECT_EQ(u[0].why, "may write, delete");
}

TEST(FileTrust, EveryUntrustedAccountIsNamedOwnerFirst) {
    EXPECT_EQ(who(judge("O:" + kMallory.str() + "D:(A;;FW;;;AU)(A;;FA;;;SY)(A;;GA;;;WD)")),
              (std::vector<std::string>{kMallory.str(), "S-1-5-11", "S-1-1-0"}));
}

}  // namespace test_file_trust
}  // namespace permwatch

// Whether PermWatch takes over a data folder that already exists
// (core/policy/data_folder.hpp), decided on the facts service/data_folder.cpp reads
// from the handle it opened without following a link. Wine 8 makes no
// junction (FSCTL_SET_REPARSE_POINT answers 50) and reports every file as
// owned by the prefix user (docs/testing.md (x), (x2)), so a junction and a
// folder a user made first cannot be played there: they are decided here,
// natively, on those facts.
#include <gtest/gtest.h>

#include "core/policy/data_folder.hpp"
#include "core/policy/file_trust.hpp"

namespace permwatch {
namespace test_data_folder {

const std::string kFolder = "C:\\ProgramData\\PermWatch";
const Sid kUser = *Sid::parse("S-1-5-21-1-2-3-1105");

ExistingFolder owned_by(const Sid& owner) {
    ExistingFolder f;
    f.owner = owner;
    return f;
}

TEST(ExistingDataFolder, OwnedBySystemAdministratorsOrTrustedInstallerIsTakenOver) {
    const auto trusted = trusted_file_accounts(local_system_sid());
    for (const Sid& owner : {local_system_sid(), Sid(5, {32, 544}), trusted_installer_sid()}) {
        EXPECT_EQ(refuse_existing_data_folder(kFolder, owned_by(owner), trusted), std::nullopt)
            << owner.str();
    }
}

// Made first by a user, who may hold permwatch.json open for writing across
// any reset of the DACL: refused, never adopted.
TEST(ExistingDataFolder, AFolderAUserMadeFirstIsRefused) {
    const auto refused = refuse_existing_data_folder(kFolder, owned_by(kUser),
                                                     trusted_file_accounts(local_system_sid()));
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->rfind("refusing the data folder C:\\ProgramData\\PermWatch: it is owned by "
                             "S-1-5-21-1-2-3-1105, not by SYSTEM, Administrators or "
                             "TrustedInstaller",
                             0),
              0u)
        << *refused;
}

// A junction in its place: SYSTEM would re-ACL whatever it points to. It is
// refused whoever owns it (a junction to C:\Windows made by an administrator
// is still not a data folder).
TEST(ExistingDataFolder, AJunctionIsRefusedWhoeverOwnsIt) {
    ExistingFolder junction = owned_by(Sid(5, {32, 544}));
    junction.reparse_point = true;
    const auto refused =
        refuse_existing_data_folder(kFolder, junction, trusted_file_accounts(local_system_sid()));
    ASSERT_TRUE(refused);
    EXPECT_NE(refused->find("it is a link (a junction or symbolic link)"), std::string::npos);
}

TEST(ExistingDataFolder, AFileOrAnUnreadableOwnerIsRefused) {
    ExistingFolder file = owned_by(local_system_sid());
    file.is_directory = false;
    const auto trusted = trusted_file_accounts(local_system_sid());
    EXPECT_TRUE(refuse_existing_data_folder(kFolder, file, trusted));
    EXPECT_TRUE(refuse_existing_data_folder(kFolder, ExistingFolder{}, trusted));
}

// The account `install --account` gave the service, and under Wine the
// prefix user every test runs as, own what they made: trusted as "self".
TEST(ExistingDataFolder, TheAccountPermWatchRunsAsIsTrustedAsOwner) {
    EXPECT_EQ(refuse_existing_data_folder(kFolder, owned_by(kUser), trusted_file_accounts(kUser)),
              std::nullopt);
}

}  // namespace test_data_folder
}  // namespace permwatch

// The accounts adapter's group look-up (NetUserGetLocalGroups,
// NetUserGetGroups) under Wine. Wine's netapi32 answers Administrators for
// any user name and fails NetUserGetGroups (docs/testing.md (e2)), so this
// shows the adapter's plumbing and its limits, not which groups Windows
// would give.
#include <gtest/gtest.h>

#include <algorithm>

#include <windows.h>

#include <vector>

#include "service/accounts_adapter.hpp"
#include "service/security_convert.hpp"

namespace permwatch::test {
namespace test_accounts_adapter {

Sid token_user() {
    HANDLE token = nullptr;
    OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token);
    DWORD size = 0;
    GetTokenInformation(token, TokenUser, nullptr, 0, &size);
    std::vector<BYTE> buf(size);
    GetTokenInformation(token, TokenUser, buf.data(), size, &size);
    CloseHandle(token);
    return win::from_psid(reinterpret_cast<TOKEN_USER*>(buf.data())->User.Sid);
}

TEST(AccountsAdapter, AUsersGroupsAreLearnedAndOtherSidsAreNotAsked) {
    win::Win32Accounts accounts;
    const Sid user = token_user();
    const std::vector<Sid> groups = accounts.account_groups(user);
    EXPECT_NE(std::find(groups.begin(), groups.end(), *Sid::parse("S-1-5-32-544")), groups.end())
        << "Wine's NetUserGetLocalGroups names Administrators for the prefix user";
    // Only user accounts (S-1-5-21-...) are asked about: SYSTEM and the
    // service accounts carry no groups to learn this way.
    for (const char* sid : {"S-1-5-18", "S-1-5-19", "S-1-5-32-544"})
        EXPECT_TRUE(accounts.account_groups(*Sid::parse(sid)).empty()) << sid;
    // A SID no account has: LookupAccountSid fails, nothing is guessed.
    EXPECT_TRUE(accounts.account_groups(*Sid::parse("S-1-5-21-1-2-3-1105")).empty());
}

}  // namespace test_accounts_adapter
}  // namespace permwatch::test

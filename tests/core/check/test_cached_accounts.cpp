// The account cache on the failover path: after the first question, answers
// never reach the source (the SCM and the LSA on Windows) until refresh().
#include <gtest/gtest.h>

#include "core/check/cached_accounts.hpp"
#include "tests/fakes/fake_ports.hpp"

namespace permwatch {
namespace test_cached_accounts {

class CountingAccounts final : public AccountResolver {
public:
    fakes::FakeAccounts inner;
    int asked = 0;
    AccountLookup account_sid(std::string_view n) override {
        ++asked;
        return inner.account_sid(n);
    }
    AccountLookup service_account_sid(std::string_view n) override {
        ++asked;
        return inner.service_account_sid(n);
    }
    std::vector<Sid> groups;
    std::vector<Sid> account_groups(const Sid&) override {
        ++asked;
        return groups;
    }
};

// An account's groups are cached like its SID: asked once, renewed only by
// refresh(), never on the failover path.
TEST(CachedAccounts, AnAccountsGroupsAreAnsweredFromTheCacheUntilRefresh) {
    CountingAccounts source;
    const Sid account = *Sid::parse("S-1-5-21-1-2-3-1105");
    source.groups = {*Sid::parse("S-1-5-32-544")};
    CachedAccounts cache(source);
    EXPECT_EQ(cache.account_groups(account), source.groups);
    EXPECT_EQ(source.asked, 1);
    source.groups = {};
    EXPECT_EQ(cache.account_groups(account).size(), 1u);
    EXPECT_EQ(source.asked, 1);
    cache.refresh();
    EXPECT_EQ(source.asked, 2);
    EXPECT_TRUE(cache.account_groups(account).empty());
    EXPECT_EQ(source.asked, 2);
}

TEST(CachedAccounts, SecondQuestionIsAnsweredFromTheCacheUntilRefresh) {
    CountingAccounts source;
    source.inner.services.emplace("MSExchangeSA", *Sid::parse("S-1-5-21-1-2-3-1105"));
    CachedAccounts cache(source);
    EXPECT_EQ(cache.service_account_sid("MSExchangeSA").sid->str(), "S-1-5-21-1-2-3-1105");
    EXPECT_EQ(source.asked, 1);
    // The SCM changes its answer: the cache keeps the old one, without asking.
    source.inner.services.insert_or_assign("MSExchangeSA", *Sid::parse("S-1-5-20"));
    EXPECT_EQ(cache.service_account_sid("MSExchangeSA").sid->str(), "S-1-5-21-1-2-3-1105");
    EXPECT_EQ(source.asked, 1);
    cache.refresh();  // off the failover path
    EXPECT_EQ(source.asked, 2);
    EXPECT_EQ(cache.service_account_sid("MSExchangeSA").sid->str(), "S-1-5-20");
    EXPECT_EQ(source.asked, 2);
}

TEST(CachedAccounts, AFailedAnswerIsCachedAndRenewedOnlyByRefresh) {
    CountingAccounts source;
    CachedAccounts cache(source);
    EXPECT_FALSE(cache.account_sid("CONTOSO\\exch").sid);
    EXPECT_FALSE(cache.account_sid("CONTOSO\\exch").sid);
    EXPECT_EQ(source.asked, 1);
    EXPECT_EQ(cache.account_sid("CONTOSO\\exch").error, "no such account");
    source.inner.names.emplace("CONTOSO\\exch", *Sid::parse("S-1-5-21-9-9-9-500"));
    cache.refresh();
    EXPECT_TRUE(cache.account_sid("CONTOSO\\exch").sid);
    EXPECT_EQ(cache.size(), 1u);
    // Accounts and services are kept apart: the same text asks the other question.
    EXPECT_FALSE(cache.service_account_sid("CONTOSO\\exch").sid);
    EXPECT_EQ(cache.size(), 2u);
}

}  // namespace test_cached_accounts
}  // namespace permwatch

#include <gtest/gtest.h>

#include "core/check/evaluation.hpp"
#include "core/security/service_sid.hpp"
#include "tests/core/test_support.hpp"

namespace permwatch {
namespace test_evaluation {

using test::kinds;
using test::requirement;
using test::unresolved_service_account;
using FK = FindingKind;
constexpr auto CI = ace_flags::container_inherit;
const std::string svc = "S-1-5-21-1-2-3-1105";

std::vector<Finding> eval(const std::string& sddl, const std::vector<ResolvedRequirement>& reqs) {
    return evaluate(parse_sddl(sddl), reqs);
}

TEST(Evaluation, ExactGrantIsCompliant) {
    EXPECT_TRUE(
        eval("D:(A;CI;KA;;;" + svc + ")", {requirement(svc, rights::key_all_access)}).empty());
}

TEST(Evaluation, MissingPrincipalIsMissingRightsOnKeyAndSubkeys) {
    auto f = eval("D:(A;CI;KA;;;SY)", {requirement(svc, rights::key_all_access)});
    ASSERT_EQ(kinds(f), std::vector<FK>{FK::missing_rights});
    EXPECT_EQ(f[0].principal, svc);
    EXPECT_NE(f[0].message.find("on the key and its subkeys"), std::string::npos) << f[0].message;
}

TEST(Evaluation, ComparesBySidNotByAliasSpelling) {
    EXPECT_TRUE(
        eval("D:(A;CI;KA;;;S-1-5-18)", {requirement("S-1-5-18", rights::key_all_access)}).empty());
    EXPECT_TRUE(
        eval("D:(A;CI;KA;;;SY)", {requirement("S-1-5-18", rights::key_all_access)}).empty());
}

TEST(Evaluation, RightsAddUpAcrossAllowAces) {
    EXPECT_TRUE(eval("D:(A;CI;KR;;;" + svc + ")(A;CI;0xd0026;;;" + svc + ")",
                     {requirement(svc, rights::key_all_access)})
                    .empty());
}

TEST(Evaluation, GenericRightsCountAsTheirKeyMapping) {
    EXPECT_TRUE(
        eval("D:(A;CI;GA;;;" + svc + ")", {requirement(svc, rights::key_all_access)}).empty());
    EXPECT_TRUE(eval("D:(A;CI;GR;;;" + svc + ")", {requirement(svc, rights::key_read)}).empty());
    EXPECT_FALSE(eval("D:(A;CI;GR;;;" + svc + ")", {requirement(svc, rights::key_write)}).empty());
    // A requirement written with a generic right means its key mapping.
    EXPECT_TRUE(eval("D:(A;CI;KA;;;" + svc + ")", {requirement(svc, rights::generic_all)}).empty());
}

TEST(Evaluation, WiderGrantSatisfiesNarrowerRequirement) {
    EXPECT_TRUE(eval("D:(A;CI;KA;;;" + svc + ")", {requirement(svc, rights::key_read, 0)}).empty());
}

TEST(Evaluation, InheritOnlyAceDoesNotCoverTheKeyItself) {
    auto f = eval("D:(A;CIIO;KA;;;" + svc + ")", {requirement(svc, rights::key_all_access)});
    ASSERT_EQ(kinds(f), std::vector<FK>{FK::missing_rights});
    EXPECT_NE(f[0].message.find("on the key"), std::string::npos);
    EXPECT_EQ(f[0].message.find("subkeys"), std::string::npos) << f[0].message;
}

TEST(Evaluation, ContainerRequirementNeedsCiWithoutNp) {
    EXPECT_EQ(kinds(eval("D:(A;;KA;;;" + svc + ")", {requirement(svc, rights::key_all_access)})),
              std::vector<FK>{FK::not_inherited});
    EXPECT_EQ(
        kinds(eval("D:(A;CINP;KA;;;" + svc + ")", {requirement(svc, rights::key_all_access)})),
        std::vector<FK>{FK::not_inherited});
    // Key only: an ACE without CI is enough.
    EXPECT_TRUE(
        eval("D:(A;;KA;;;" + svc + ")", {requirement(svc, rights::key_all_access, 0)}).empty());
    // A requirement that itself says NP accepts a CI+NP ACE.
    EXPECT_TRUE(eval("D:(A;CINP;KA;;;" + svc + ")",
                     {requirement(svc, rights::key_all_access, CI | ace_flags::no_propagate)})
                    .empty());
    // Key itself through one ACE, subkeys through an inherit-only one.
    EXPECT_TRUE(eval("D:(A;;KA;;;" + svc + ")(A;CIIO;KA;;;" + svc + ")",
                     {requirement(svc, rights::key_all_access)})
                    .empty());
}

TEST(Evaluation, InheritedAllowCounts) {
    EXPECT_TRUE(
        eval("D:AI(A;CIID;KA;;;" + svc + ")", {requirement(svc, rights::key_all_access)}).empty());
}

TEST(Evaluation, DenyForThePrincipalOrEveryoneIsAFinding) {
    auto own = eval("D:(D;;KW;;;" + svc + ")(A;CI;KA;;;" + svc + ")",
                    {requirement(svc, rights::key_all_access)});
    EXPECT_EQ(kinds(own), std::vector<FK>{FK::blocked_by_deny});
    auto everyone =
        eval("D:(D;;DC;;;WD)(A;CI;KA;;;" + svc + ")", {requirement(svc, rights::key_all_access)});
    ASSERT_EQ(kinds(everyone), std::vector<FK>{FK::blocked_by_deny});
    EXPECT_NE(everyone[0].message.find("Everyone"), std::string::npos);
    // A deny for someone else, or of rights not required, is not a finding.
    EXPECT_TRUE(
        eval("D:(D;;KA;;;BG)(A;CI;KA;;;" + svc + ")", {requirement(svc, rights::key_all_access)})
            .empty());
    EXPECT_TRUE(
        eval("D:(D;;WO;;;" + svc + ")(A;CI;KR;;;" + svc + ")", {requirement(svc, rights::key_read)})
            .empty());
    // An inherit-only deny does not block the key itself when only the key is required.
    EXPECT_TRUE(eval("D:(D;CIIO;KA;;;" + svc + ")(A;;KA;;;" + svc + ")",
                     {requirement(svc, rights::key_all_access, 0)})
                    .empty());
}

// The principal as the policy's {"service_account_of": ...} resolves it.
ResolvedRequirement service_account(const std::string& sid, AccessMask rights) {
    ResolvedRequirement r = requirement(sid, rights);
    r.requirement.principal.kind = Principal::Kind::service_account_of;
    r.requirement.principal.name = "MSExchangeSA";
    return r;
}

// The same, with the service's own SID computed from its name.
ResolvedRequirement service_account_with_sid(const std::string& sid, AccessMask rights) {
    ResolvedRequirement r = service_account(sid, rights);
    r.service_sid = service_sid_of(r.requirement.principal.name);
    return r;
}

// A deny for a group every token of the principal carries.
TEST(Evaluation, DenyForAuthenticatedUsersBlocksEveryLogon) {
    for (const ResolvedRequirement& r :
         {requirement(svc, rights::key_all_access), requirement("S-1-5-18", rights::key_all_access),
          service_account(svc, rights::key_all_access),
          requirement("S-1-5-32-544", rights::key_all_access)}) {
        const std::string sid = r.sid->str();
        auto f = eval("D:(D;;KW;;;AU)(A;CI;KA;;;" + sid + ")", {r});
        ASSERT_EQ(kinds(f), std::vector<FK>{FK::blocked_by_deny}) << sid;
        EXPECT_EQ(f[0].principal, sid);
        EXPECT_NE(f[0].message.find("Authenticated Users"), std::string::npos) << f[0].message;
        // The SID spelled out counts the same as the alias.
        EXPECT_EQ(kinds(eval("D:(D;CI;KW;;;S-1-5-11)(A;CI;KA;;;" + sid + ")", {r})),
                  std::vector<FK>{FK::blocked_by_deny})
            << sid;
        // Rights the requirement does not need are not a finding.
        EXPECT_TRUE(
            eval("D:(D;;WO;;;AU)(A;CI;KR;;;" + sid + ")", {requirement(sid, rights::key_read)})
                .empty())
            << sid;
    }
    // Anonymous and Everyone hold tokens without Authenticated Users.
    for (const char* sid : {"S-1-5-7", "S-1-1-0"}) {
        EXPECT_TRUE(eval(std::string("D:(D;;KW;;;AU)(A;CI;KA;;;") + sid + ")",
                         {requirement(sid, rights::key_all_access)})
                        .empty())
            << sid;
    }
}

TEST(Evaluation, DenyForTheServiceGroupBlocksOnlyAServiceAccount) {
    const std::string denied = "D:(D;;KW;;;SU)(A;CI;KA;;;";
    // The policy says the principal is a service's logon account.
    auto f = eval(denied + svc + ")", {service_account(svc, rights::key_all_access)});
    ASSERT_EQ(kinds(f), std::vector<FK>{FK::blocked_by_deny});
    EXPECT_NE(f[0].message.find("SERVICE (S-1-5-6)"), std::string::npos) << f[0].message;
    EXPECT_NE(f[0].message.find("service_account_of:MSExchangeSA"), std::string::npos)
        << f[0].message;
    // LocalService, NetworkService and service SIDs are service accounts by SID.
    for (const char* sid : {"S-1-5-19", "S-1-5-20",
                            "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"}) {
        EXPECT_EQ(kinds(eval(denied + sid + ")", {requirement(sid, rights::key_all_access)})),
                  std::vector<FK>{FK::blocked_by_deny})
            << sid;
    }
    // A user, a group or SYSTEM named by SID is not known to be a service.
    for (const std::string& sid :
         {svc, std::string("S-1-5-18"), std::string("S-1-5-32-544"), std::string("S-1-5-19-1")}) {
        EXPECT_TRUE(eval(denied + sid + ")", {requirement(sid, rights::key_all_access)}).empty())
            << sid;
    }
    // A deny of rights the requirement does not need is not a finding.
    EXPECT_TRUE(
        eval("D:(D;;WO;;;SU)(A;CI;KR;;;" + svc + ")", {service_account(svc, rights::key_read)})
            .empty());
}

TEST(Evaluation, DenyForGroupsNotInAServiceLogonIsNotCounted) {
    // Interactive and Network are not in a service's logon token.
    for (const char* group : {"IU", "NU", "S-1-5-32-544"}) {
        EXPECT_TRUE(eval(std::string("D:(D;;KW;;;") + group + ")(A;CI;KA;;;" + svc + ")",
                         {service_account(svc, rights::key_all_access)})
                        .empty())
            << group;
    }
}

// Every SID a service logon token carries: a deny for any of them takes the
// rights away. Users, LOCAL, This Organization and ALL SERVICES were not
// counted before, nor the service's own SID or the account's groups.
TEST(Evaluation, DenyForAnySidOfAServiceLogonTokenCounts) {
    const struct {
        const char* sid;
        const char* words;
    } cases[] = {
        {"BU", "Users (S-1-5-32-545)"},
        {"S-1-5-32-545", "Users (S-1-5-32-545)"},
        {"S-1-2-0", "LOCAL (S-1-2-0)"},
        {"S-1-5-15", "This Organization (S-1-5-15)"},
        {"S-1-5-80-0", "ALL SERVICES (S-1-5-80-0)"},
        {"WD", "Everyone"},
        {"AU", "Authenticated Users (S-1-5-11)"},
        {"SU", "SERVICE (S-1-5-6)"},
    };
    for (const auto& c : cases) {
        auto f = eval(std::string("D:(D;;KW;;;") + c.sid + ")(A;CI;KA;;;" + svc + ")",
                      {service_account(svc, rights::key_all_access)});
        ASSERT_EQ(kinds(f), std::vector<FK>{FK::blocked_by_deny}) << c.sid;
        EXPECT_NE(f[0].message.find(c.words), std::string::npos) << f[0].message;
    }
    // Users, LOCAL and This Organization: any logon, a user's too.
    for (const char* sid : {"BU", "S-1-2-0", "S-1-5-15"}) {
        EXPECT_EQ(kinds(eval(std::string("D:(D;;KW;;;") + sid + ")(A;CI;KA;;;" + svc + ")",
                             {requirement(svc, rights::key_all_access)})),
                  std::vector<FK>{FK::blocked_by_deny})
            << sid;
        // Not Everyone's or Anonymous's.
        EXPECT_TRUE(eval(std::string("D:(D;;KW;;;") + sid + ")(A;CI;KA;;;S-1-5-7)",
                         {requirement("S-1-5-7", rights::key_all_access)})
                        .empty())
            << sid;
    }
}

TEST(Evaluation, DenyForTheServicesOwnSidCountsAnotherServicesDoesNot) {
    // MSExchangeSA's service SID, as `sc showsid MSExchangeSA` computes it.
    const std::string own = service_sid_of("MSExchangeSA")->str();
    auto f = eval("D:(D;;KW;;;" + own + ")(A;CI;KA;;;" + svc + ")",
                  {service_account_with_sid(svc, rights::key_all_access)});
    ASSERT_EQ(kinds(f), std::vector<FK>{FK::blocked_by_deny});
    EXPECT_NE(f[0].message.find("the service's own SID (" + own + ")"), std::string::npos)
        << f[0].message;
    // TrustedInstaller's SID is not MSExchangeSA's.
    EXPECT_TRUE(eval("D:(D;;KW;;;S-1-5-80-956008885-3418522649-1831038044-1853292631-"
                     "2271478464)(A;CI;KA;;;" +
                         svc + ")",
                     {service_account_with_sid(svc, rights::key_all_access)})
                    .empty());
}

TEST(Evaluation, DenyForAGroupOfTheAccountCounts) {
    ResolvedRequirement r = requirement(svc, rights::key_all_access);
    r.groups = {*Sid::parse("S-1-5-32-544"), *Sid::parse("S-1-5-21-1-2-3-513")};
    for (const char* group : {"BA", "S-1-5-21-1-2-3-513"}) {
        auto f = eval(std::string("D:(D;;KW;;;") + group + ")(A;CI;KA;;;" + svc + ")", {r});
        ASSERT_EQ(kinds(f), std::vector<FK>{FK::blocked_by_deny}) << group;
        EXPECT_NE(f[0].message.find("(a group of the account)"), std::string::npos) << f[0].message;
    }
    // A group the account is not in.
    EXPECT_TRUE(eval("D:(D;;KW;;;S-1-5-21-1-2-3-512)(A;CI;KA;;;" + svc + ")", {r}).empty());
}

// Object and callback ACEs: read, judged, never the reason a key stays
// unreadable (issue: they made the read throw).
TEST(Evaluation, EveryKindOfDenyCountsAndOnlyAPlainAllowGrants) {
    const std::string guid = "bf967aba-0de6-11d0-a285-00aa003049e2";
    for (const std::string& deny :
         {"(OD;;KW;;;" + svc + ")", "(OD;;KW;" + guid + ";;" + svc + ")",
          "(XD;;KW;;;" + svc + ";(Member_of {SID(BA)}))", "(XD;;KW;;;" + svc + ";(#61727478))",
          "(ZD;;KW;" + guid + ";;" + svc + ";(#61727478))"}) {
        auto f = eval("D:" + deny + "(A;CI;KA;;;" + svc + ")",
                      {requirement(svc, rights::key_all_access)});
        ASSERT_EQ(kinds(f), std::vector<FK>{FK::blocked_by_deny}) << deny;
        EXPECT_NE(f[0].message.find(deny[1] == 'O' ? "object deny" : "conditional deny"),
                  std::string::npos)
            << f[0].message;
    }
    // A conditional allow holds only while its condition does; an object
    // allow only for its object type: neither is counted as granting.
    for (const std::string& allow :
         {"(XA;CI;KA;;;" + svc + ";(Member_of {SID(BA)}))", "(OA;CI;KA;" + guid + ";;" + svc + ")",
          "(ZA;CI;KA;" + guid + ";;" + svc + ";(#61727478))"}) {
        EXPECT_EQ(kinds(eval("D:" + allow, {requirement(svc, rights::key_all_access)})),
                  std::vector<FK>{FK::missing_rights})
            << allow;
    }
    // An audit or label ACE in a DACL grants and denies nothing.
    EXPECT_TRUE(eval("D:(A;CI;KA;;;" + svc + ")(AU;SA;KA;;;" + svc + ")(ML;;0x1;;;LW)",
                     {requirement(svc, rights::key_all_access)})
                    .empty());
}

TEST(Evaluation, GroupMembershipIsNotExpanded) {
    // Administrators hold full control, but the requirement names a user.
    EXPECT_EQ(kinds(eval("D:(A;CI;KA;;;BA)", {requirement(svc, rights::key_all_access)})),
              std::vector<FK>{FK::missing_rights});
}

TEST(Evaluation, NullDaclIsAWarningOnly) {
    auto f = eval("D:NO_ACCESS_CONTROL", {requirement(svc, rights::key_all_access)});
    ASSERT_EQ(kinds(f), std::vector<FK>{FK::null_dacl});
    EXPECT_EQ(f[0].severity, Severity::warning);
    // No DACL section read means the same thing to Windows.
    EXPECT_EQ(kinds(eval("O:SY", {requirement(svc, rights::key_all_access)})),
              std::vector<FK>{FK::null_dacl});
}

TEST(Evaluation, EmptyDaclGrantsNothing) {
    EXPECT_EQ(kinds(eval("D:", {requirement(svc, rights::key_read, 0)})),
              std::vector<FK>{FK::missing_rights});
}

TEST(Evaluation, NonCanonicalDaclIsAFinding) {
    auto f = eval("D:(A;CI;KA;;;" + svc + ")(D;;WO;;;BG)", {requirement(svc, rights::key_read)});
    EXPECT_EQ(kinds(f), std::vector<FK>{FK::non_canonical});
}

TEST(Evaluation, UnresolvedAccountIsReportedWithThePolicyText) {
    const ResolvedRequirement r = unresolved_service_account("MSExchangeSA", rights::key_all_access,
                                                             "service does not exist");
    auto f = eval("D:(A;CI;KA;;;SY)", {r});
    ASSERT_EQ(kinds(f), std::vector<FK>{FK::unresolved_account});
    EXPECT_EQ(f[0].principal, "service_account_of:MSExchangeSA");
    EXPECT_NE(f[0].message.find("service does not exist"), std::string::npos);
}

class FakeAccounts : public AccountResolver {
public:
    AccountLookup account_sid(std::string_view name) override {
        if (name == "CONTOSO\\exadmin") return {Sid::parse("S-1-5-21-1-2-3-1000"), {}};
        return {std::nullopt, "no such account"};
    }
    AccountLookup service_account_sid(std::string_view name) override {
        if (name == "MSExchangeSA") return {Sid::parse(svc), {}};
        return {std::nullopt, "no such service"};
    }
};

TEST(Evaluation, ResolveRequirementsUsesThePort) {
    KeyPolicy key;
    key.path = "HKLM\\SOFTWARE\\X";
    Requirement a, b, c, d;
    a.principal.kind = Principal::Kind::service_account_of;
    a.principal.name = "MSExchangeSA";
    b.principal.kind = Principal::Kind::account_name;
    b.principal.name = "CONTOSO\\exadmin";
    c.principal.kind = Principal::Kind::service_account_of;
    c.principal.name = "Missing";
    d.principal.sid = local_system_sid();
    key.require = {a, b, c, d};
    FakeAccounts accounts;
    auto r = resolve_requirements(key, accounts);
    ASSERT_EQ(r.size(), 4u);
    EXPECT_EQ(r[0].sid, Sid::parse(svc));
    EXPECT_EQ(r[1].sid, Sid::parse("S-1-5-21-1-2-3-1000"));
    EXPECT_FALSE(r[2].sid.has_value());
    EXPECT_EQ(r[2].unresolved_reason, "no such service");
    EXPECT_EQ(r[3].sid, local_system_sid());
}

}  // namespace test_evaluation
}  // namespace permwatch

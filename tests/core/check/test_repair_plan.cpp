#include <gtest/gtest.h>

#include <random>

#include "core/check/repair_plan.hpp"
#include "core/security/canonical_order.hpp"
#include "tests/core/test_support.hpp"

namespace permwatch {
namespace test_repair_plan {

using test::requirement;
using test::unresolved_service_account;
constexpr auto CI = ace_flags::container_inherit;
const std::string svc = "S-1-5-21-1-2-3-1105";
const std::string clus = "S-1-5-21-1-2-3-1106";

std::optional<std::string> planned(const std::string& sddl,
                                   const std::vector<ResolvedRequirement>& reqs) {
    auto plan = plan_repair(parse_sddl(sddl), reqs);
    if (!plan.planned) return std::nullopt;
    return format_sddl(*plan.planned);
}

TEST(RepairPlan, NothingToDoWhenCompliant) {
    auto plan = plan_repair(parse_sddl("O:BAG:SYD:(A;CI;KA;;;" + svc + ")"),
                            {requirement(svc, rights::key_all_access)});
    EXPECT_FALSE(plan.planned.has_value());
    EXPECT_TRUE(plan.complete());
}

TEST(RepairPlan, TheExchangeCaseAddsTheServiceAccounts) {
    // KB Q192493: Setup left the Exchange service account off MSExchangeES.
    const std::string broken =
        "O:BAG:SYD:(A;CI;KR;;;BU)(A;CI;KA;;;BA)(A;CI;KA;;;SY)(A;CIIO;GA;;;CO)";
    EXPECT_EQ(planned(broken, {requirement(svc, rights::key_all_access),
                               requirement(clus, rights::key_all_access),
                               requirement("S-1-5-18", rights::key_all_access)}),
              "O:BAG:SYD:(A;CI;KR;;;BU)(A;CI;KA;;;BA)(A;CI;KA;;;SY)(A;CIIO;GA;;;CO)(A;CI;KA;;;" +
                  svc + ")(A;CI;KA;;;" + clus + ")");
}

TEST(RepairPlan, WidensAnExplicitAllowWithTheSameFlags) {
    EXPECT_EQ(planned("D:(A;CI;KR;;;" + svc + ")", {requirement(svc, rights::key_all_access)}),
              "D:(A;CI;KA;;;" + svc + ")");
    // Different flags: a new ACE, the old one kept.
    EXPECT_EQ(planned("D:(A;;KR;;;" + svc + ")", {requirement(svc, rights::key_all_access)}),
              "D:(A;;KR;;;" + svc + ")(A;CI;KA;;;" + svc + ")");
}

TEST(RepairPlan, NewAceGoesBeforeInheritedAcesAndProtectionIsKept) {
    EXPECT_EQ(planned("D:PAI(A;;KA;;;BA)(A;CIID;KR;;;BU)", {requirement(svc, rights::key_read)}),
              "D:PAI(A;;KA;;;BA)(A;CI;KR;;;" + svc + ")(A;CIID;KR;;;BU)");
}

TEST(RepairPlan, TrimsADenyThatNamesThePrincipal) {
    EXPECT_EQ(planned("D:(D;;KA;;;" + svc + ")(A;CI;KA;;;" + svc + ")",
                      {requirement(svc, rights::key_read)}),
              "D:(D;;DCLCWPSDWDWO;;;" + svc + ")(A;CI;KA;;;" + svc + ")");
    // Emptied: dropped.
    EXPECT_EQ(planned("D:(D;;KR;;;" + svc + ")(A;CI;KA;;;" + svc + ")",
                      {requirement(svc, rights::key_all_access)}),
              "D:(A;CI;KA;;;" + svc + ")");
}

TEST(RepairPlan, KeepsAnUnrelatedEmptyDeny) {
    EXPECT_EQ(planned("D:(D;;;;;BG)", {requirement(svc, rights::key_read, 0)}),
              "D:(D;;;;;BG)(A;;KR;;;" + svc + ")");
}

TEST(RepairPlan, DenyForEveryoneIsNotRepairable) {
    auto plan = plan_repair(parse_sddl("D:(D;;DC;;;WD)(A;CI;KR;;;" + svc + ")"),
                            {requirement(svc, rights::key_all_access)});
    EXPECT_FALSE(plan.planned.has_value());
    ASSERT_EQ(plan.blockers.size(), 1u);
    EXPECT_NE(plan.blockers[0].find("Everyone"), std::string::npos);
}

// PermWatch does not take a deny away from a whole group.
TEST(RepairPlan, DenyForAuthenticatedUsersOrTheServiceGroupIsNotRepairable) {
    ResolvedRequirement service = requirement(svc, rights::key_all_access);
    service.requirement.principal.kind = Principal::Kind::service_account_of;
    service.requirement.principal.name = "MSExchangeSA";
    for (const std::string& sddl :
         {"D:(D;;DC;;;AU)(A;CI;KR;;;" + svc + ")", "D:(D;;DC;;;SU)(A;CI;KR;;;" + svc + ")"}) {
        auto plan = plan_repair(parse_sddl(sddl), {service});
        EXPECT_FALSE(plan.planned.has_value()) << sddl;
        EXPECT_FALSE(plan.complete()) << sddl;
        ASSERT_EQ(plan.blockers.size(), 1u) << sddl;
        EXPECT_NE(plan.blockers[0].find("PermWatch does not change it"), std::string::npos)
            << plan.blockers[0];
    }
    // The same SERVICE deny does not block a principal not known to be a service.
    EXPECT_EQ(planned("D:(D;;DC;;;SU)(A;CI;KR;;;" + svc + ")",
                      {requirement(svc, rights::key_all_access)}),
              "D:(D;;DC;;;SU)(A;CI;KA;;;" + svc + ")");
}

TEST(RepairPlan, InheritedDenyIsNotRepairable) {
    auto plan = plan_repair(parse_sddl("D:AI(D;CIID;KA;;;" + svc + ")"),
                            {requirement(svc, rights::key_all_access)});
    EXPECT_FALSE(plan.planned.has_value());
    EXPECT_FALSE(plan.complete());
}

TEST(RepairPlan, ReordersANonCanonicalDacl) {
    EXPECT_EQ(planned("D:(A;CIID;KR;;;BU)(A;CI;KA;;;" + svc + ")(D;;WO;;;BG)",
                      {requirement(svc, rights::key_all_access)}),
              "D:(D;;WO;;;BG)(A;CI;KA;;;" + svc + ")(A;CIID;KR;;;BU)");
}

TEST(RepairPlan, NullDaclIsLeftAlone) {
    auto plan =
        plan_repair(parse_sddl("D:NO_ACCESS_CONTROL"), {requirement(svc, rights::key_read)});
    EXPECT_FALSE(plan.planned.has_value());
    EXPECT_TRUE(plan.complete());
}

TEST(RepairPlan, UnresolvedAccountBlocksOnlyItself) {
    const ResolvedRequirement unknown =
        unresolved_service_account("MSExchangeSA", rights::key_all_access, "no such service");
    auto plan = plan_repair(parse_sddl("D:(A;CI;KR;;;BU)"),
                            {unknown, requirement("S-1-5-18", rights::key_all_access)});
    ASSERT_TRUE(plan.planned.has_value());
    EXPECT_EQ(format_sddl(*plan.planned), "D:(A;CI;KR;;;BU)(A;CI;KA;;;SY)");
    EXPECT_FALSE(plan.complete());
}

// Property: for generated descriptors and requirements, a plan that says it is
// complete leaves no error finding, keeps every ACE it did not have to trim,
// and is canonical. Bounded and seeded, so it is the same run every time.
TEST(RepairPlan, ApplyingACompletePlanLeavesNoFindings) {
    std::mt19937 rng(192493);
    const std::vector<std::string> sids = {svc,       clus,          "S-1-5-18", "S-1-5-32-544",
                                           "S-1-1-0", "S-1-5-32-545"};
    const std::vector<AccessMask> masks = {rights::key_read,
                                           rights::key_write,
                                           rights::key_all_access,
                                           rights::generic_all,
                                           rights::generic_read,
                                           rights::write_dac,
                                           rights::key_set_value,
                                           0x1,
                                           0xF0000,
                                           0x10000000 | 0x20,
                                           0};
    const std::uint8_t flag_choices[] = {0, 0x02, 0x03, 0x06, 0x0A, 0x0B, 0x12, 0x1A, 0x04, 0x01};
    auto pick = [&](auto& v) { return v[rng() % std::size(v)]; };
    int complete = 0, blocked = 0;
    for (int iteration = 0; iteration < 3000; ++iteration) {
        Acl acl;
        acl.is_protected = rng() % 2;
        acl.auto_inherited = rng() % 2;
        const int n = static_cast<int>(rng() % 7);
        for (int i = 0; i < n; ++i) {
            Ace ace;
            ace.type = rng() % 4 == 0 ? AceType::deny : AceType::allow;
            ace.flags = pick(flag_choices);
            ace.mask = pick(masks);
            ace.sid = *Sid::parse(pick(sids));
            acl.aces.push_back(ace);
        }
        SecurityDescriptor sd;
        sd.owner = Sid::parse("S-1-5-32-544");
        sd.dacl = acl;
        std::vector<ResolvedRequirement> reqs;
        const int r = 1 + static_cast<int>(rng() % 3);
        for (int i = 0; i < r; ++i) {
            const std::uint8_t inherit_choices[] = {0, CI, CI | ace_flags::inherit_only,
                                                    CI | ace_flags::no_propagate};
            AccessMask m = pick(masks);
            if (m == 0) m = rights::key_read;
            reqs.push_back(requirement(sids[rng() % 4], m, pick(inherit_choices)));
        }
        SCOPED_TRACE(format_sddl(sd));
        const RepairPlan plan = plan_repair(sd, reqs);
        if (!plan.complete()) {
            ++blocked;
            EXPECT_FALSE(plan.planned.has_value());
            continue;
        }
        ++complete;
        const SecurityDescriptor after = plan.planned ? *plan.planned : sd;
        for (const Finding& f : evaluate(after, reqs)) {
            EXPECT_NE(f.severity, Severity::error) << f.message;
        }
        ASSERT_TRUE(after.dacl.has_value());
        EXPECT_TRUE(is_canonical(*after.dacl));
        EXPECT_EQ(after.dacl->is_protected, acl.is_protected);
        EXPECT_EQ(after.dacl->auto_inherited, acl.auto_inherited);
        EXPECT_EQ(after.owner, sd.owner);
        // Every allow ACE is kept (possibly widened); inherited ACEs unchanged.
        for (const Ace& before : acl.aces) {
            if (before.is_inherited()) {
                EXPECT_NE(std::find(after.dacl->aces.begin(), after.dacl->aces.end(), before),
                          after.dacl->aces.end());
            } else if (before.type == AceType::allow) {
                EXPECT_TRUE(std::any_of(after.dacl->aces.begin(), after.dacl->aces.end(),
                                        [&](const Ace& a) {
                                            return a.type == AceType::allow &&
                                                   a.flags == before.flags && a.sid == before.sid &&
                                                   (map_generic_to_key_rights(before.mask) &
                                                    ~map_generic_to_key_rights(a.mask)) == 0;
                                        }));
            }
        }
        // The plan survives the trip through SDDL, as it will on the way to Windows.
        EXPECT_EQ(parse_sddl(format_sddl(after)), after);
    }
    // The generator must exercise both outcomes, or the property says little.
    EXPECT_GT(complete, 1000);
    EXPECT_GT(blocked, 100);
}

}  // namespace test_repair_plan
}  // namespace permwatch

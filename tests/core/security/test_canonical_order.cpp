#include <gtest/gtest.h>

#include <algorithm>

#include "core/security/canonical_order.hpp"
#include "core/security/sddl.hpp"

namespace permwatch {
namespace test_canonical_order {

Acl dacl(const char* sddl) { return *parse_sddl(sddl).dacl; }
std::string text(const Acl& acl) { return format_sddl({std::nullopt, std::nullopt, acl}); }

TEST(CanonicalOrder, EmptyAndNullAreCanonical) {
    EXPECT_TRUE(is_canonical(dacl("D:")));
    EXPECT_TRUE(is_canonical(dacl("D:NO_ACCESS_CONTROL")));
}

TEST(CanonicalOrder, RealWindowsDaclsAreCanonical) {
    // Get-Acl of HKLM\SOFTWARE\Datadog\Datadog Agent (DataDog agent's kitchen
    // tests): explicit allows, then inherited ones.
    EXPECT_TRUE(is_canonical(
        dacl("D:AI(A;;KA;;;SY)(A;;KA;;;BA)(A;CIID;KR;;;BU)(A;CIID;KA;;;BA)(A;CIID;KA;;;SY)"
             "(A;CIIOID;KA;;;CO)(A;CIID;KR;;;AC)")));
}

TEST(CanonicalOrder, DetectsEachViolation) {
    EXPECT_FALSE(is_canonical(dacl("D:(A;;KA;;;BA)(D;;KA;;;BG)")));    // allow before deny
    EXPECT_FALSE(is_canonical(dacl("D:(A;ID;KR;;;BU)(A;;KA;;;BA)")));  // inherited first
    EXPECT_FALSE(is_canonical(dacl("D:(D;ID;KA;;;BG)(D;;KA;;;WD)")));  // inherited deny first
    EXPECT_TRUE(is_canonical(dacl("D:(D;;KA;;;BG)(A;;KA;;;BA)(A;ID;KR;;;BU)(D;ID;KA;;;WD)")));
}

TEST(CanonicalOrder, RepairIsStableWithinEachGroup) {
    Acl acl =
        dacl("D:PAI(A;ID;KR;;;BU)(A;;KA;;;SY)(D;;KW;;;BG)(A;;KA;;;BA)(D;ID;KA;;;AN)(D;;KR;;;IU)");
    ASSERT_FALSE(is_canonical(acl));
    Acl fixed = to_canonical(acl);
    EXPECT_TRUE(is_canonical(fixed));
    EXPECT_EQ(text(fixed),
              "D:PAI(D;;KW;;;BG)(D;;KR;;;IU)(A;;KA;;;SY)(A;;KA;;;BA)(A;ID;KR;;;BU)(D;ID;KA;;;AN)");
    // Flags of the ACL are kept.
    EXPECT_TRUE(fixed.is_protected);
    EXPECT_TRUE(fixed.auto_inherited);
    // Already canonical: unchanged.
    EXPECT_EQ(to_canonical(fixed), fixed);
}

TEST(CanonicalOrder, SameMultisetOfAces) {
    Acl acl = dacl("D:(A;;KR;;;BU)(D;;KA;;;BG)(A;OICIID;GA;;;SY)(A;;KA;;;BA)(D;;KW;;;AN)");
    Acl fixed = to_canonical(acl);
    EXPECT_EQ(fixed.aces.size(), acl.aces.size());
    for (const Ace& ace : acl.aces)
        EXPECT_NE(std::find(fixed.aces.begin(), fixed.aces.end(), ace), fixed.aces.end());
    EXPECT_EQ(text(fixed), "D:(D;;KA;;;BG)(D;;KW;;;AN)(A;;KR;;;BU)(A;;KA;;;BA)(A;OICIID;GA;;;SY)");
}

}  // namespace test_canonical_order
}  // namespace permwatch

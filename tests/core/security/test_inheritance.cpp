// What a key passes to its existing subkeys (core/inheritance), checked
// against the descriptors Windows' own propagation leaves on a subkey.
#include <gtest/gtest.h>

#include "core/security/inheritance.hpp"
#include "core/security/sddl.hpp"

namespace permwatch {
namespace test_inheritance {

const std::string svc = "S-1-5-21-1-2-3-1105";

Acl dacl(const std::string& sddl) { return *parse_sddl(sddl).dacl; }

std::optional<std::string> after(const std::string& parent, const std::string& child) {
    const auto next = dacl_inheriting_from(dacl(parent), parse_sddl(child));
    if (!next) return std::nullopt;
    SecurityDescriptor sd = parse_sddl(child);
    sd.dacl = *next;
    return format_sddl(sd);
}

TEST(Inheritance, AContainerInheritAceReachesTheSubkeyAfterItsOwnAces) {
    EXPECT_EQ(after("D:(A;CI;KA;;;" + svc + ")(A;;KR;;;BU)", "O:BAG:SYD:(A;;KR;;;AU)"),
              "O:BAG:SYD:(A;;KR;;;AU)(A;CIID;KA;;;" + svc + ")");
}

TEST(Inheritance, InheritedAcesTheParentNoLongerPassesAreDropped) {
    EXPECT_EQ(after("D:(A;;KA;;;BA)", "O:BAG:SYD:(A;;KR;;;AU)(A;CIID;KA;;;" + svc + ")"),
              "O:BAG:SYD:(A;;KR;;;AU)");
}

TEST(Inheritance, AProtectedSubkeyIsLeftAsItIs) {
    EXPECT_EQ(after("D:(A;CI;KA;;;" + svc + ")", "O:BAG:SYD:P(A;;KR;;;AU)"), std::nullopt);
}

TEST(Inheritance, ASubkeyThatAlreadyInheritsItChangesNothing) {
    EXPECT_EQ(after("D:(A;CI;KA;;;" + svc + ")", "O:BAG:SYD:(A;CIID;KA;;;" + svc + ")"),
              std::nullopt);
}

TEST(Inheritance, ANullDaclIsNotReplaced) {
    EXPECT_EQ(after("D:(A;CI;KA;;;" + svc + ")", "O:BAG:SYD:NO_ACCESS_CONTROL"), std::nullopt);
}

TEST(Inheritance, NoPropagateAppliesToTheSubkeyAndStopsThere) {
    EXPECT_EQ(after("D:(A;CINP;KA;;;" + svc + ")", "O:BAG:SYD:"),
              "O:BAG:SYD:(A;ID;KA;;;" + svc + ")");
}

TEST(Inheritance, CreatorOwnerBecomesTheSubkeysOwnerAndIsCarriedOn) {
    // Windows' default for a key: (A;CIIO;GA;;;CO) leaves the owner full
    // control, mapped to key rights, and the inherit-only original.
    EXPECT_EQ(after("D:(A;CIIO;GA;;;CO)", "O:SYG:SYD:"),
              "O:SYG:SYD:(A;ID;KA;;;SY)(A;CIIOID;GA;;;CO)");
}

TEST(Inheritance, ObjectInheritOnlyIsCarriedInheritOnly) {
    EXPECT_EQ(after("D:(A;OI;KR;;;BU)", "O:BAG:SYD:"), "O:BAG:SYD:(A;OIIOID;KR;;;BU)");
}

TEST(Inheritance, AnAceForTheKeyAloneIsNotPassedDown) {
    EXPECT_FALSE(passes_down_differently(dacl("D:(A;;KR;;;BU)"),
                                         dacl("D:(A;;KR;;;BU)(A;;KA;;;" + svc + ")")));
    EXPECT_TRUE(passes_down_differently(dacl("D:(A;;KR;;;BU)"),
                                        dacl("D:(A;;KR;;;BU)(A;CI;KA;;;" + svc + ")")));
    EXPECT_TRUE(passes_down_differently(dacl("D:(A;CI;KA;;;" + svc + ")"), dacl("D:")));
}

}  // namespace test_inheritance
}  // namespace permwatch

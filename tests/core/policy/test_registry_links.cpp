// Which registry link is followed on the way to a watched key. Decided on
// descriptors: under Wine 8 HKLM\SYSTEM\CurrentControlSet is a plain key, not
// the link it is on Windows (docs/testing.md (k5)), so the accepted case
// cannot be played there; these descriptors stand in for Windows' own.
#include <gtest/gtest.h>

#include "core/policy/registry_links.hpp"
#include "core/security/sddl.hpp"

namespace permwatch {
namespace test_registry_links {

constexpr const char* kCcs = "SYSTEM\\CurrentControlSet";
constexpr const char* kTarget = "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001";
// The link's descriptor on Windows Server: inherited from HKLM\SYSTEM.
const SecurityDescriptor kWindows = parse_sddl(
    "O:SYG:SYD:AI(A;ID;KR;;;BU)(A;CIIOID;GR;;;BU)(A;ID;KA;;;BA)(A;CIIOID;GA;;;BA)"
    "(A;ID;KA;;;SY)(A;CIIOID;GA;;;SY)(A;CIIOID;GA;;;CO)(A;ID;KR;;;AC)(A;CIIOID;GR;;;AC)");

TEST(RegistryLinks, WindowsOwnCurrentControlSetIsFollowed) {
    EXPECT_EQ(refuse_link(kCcs, kTarget, kWindows), std::nullopt);
    EXPECT_EQ(refuse_link("system\\currentcontrolset", "\\Registry\\Machine\\System\\ControlSet002",
                          kWindows),
              std::nullopt);
    // As stored, with its terminating NUL.
    EXPECT_EQ(refuse_link(kCcs, std::string(kTarget) + '\0', kWindows), std::nullopt);
}

TEST(RegistryLinks, AnyOtherLinkIsRefused) {
    EXPECT_TRUE(refuse_link("SOFTWARE\\Vendor\\Current", kTarget, kWindows));
    EXPECT_TRUE(refuse_link("SYSTEM\\CurrentControlSet\\Services\\Foo", kTarget, kWindows));
}

TEST(RegistryLinks, CurrentControlSetPointingElsewhereIsRefused) {
    EXPECT_TRUE(refuse_link(kCcs, "\\REGISTRY\\MACHINE\\SOFTWARE\\Evil", kWindows));
    EXPECT_TRUE(refuse_link(kCcs, "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet01", kWindows));
    EXPECT_TRUE(
        refuse_link(kCcs, "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services", kWindows));
}

TEST(RegistryLinks, ALinkAUserCouldChangeIsRefused) {
    const auto user_may_set = parse_sddl("O:SYG:SYD:(A;;KA;;;SY)(A;;KR;;;BU)(A;;0x2;;;BU)");
    EXPECT_TRUE(refuse_link(kCcs, kTarget, user_may_set));
    const auto user_owns = parse_sddl("O:BUG:SYD:(A;;KA;;;SY)");
    EXPECT_TRUE(refuse_link(kCcs, kTarget, user_owns));
    const auto generic_write = parse_sddl("O:SYG:SYD:(A;;GW;;;AU)");
    EXPECT_TRUE(refuse_link(kCcs, kTarget, generic_write));
    EXPECT_TRUE(refuse_link(kCcs, kTarget, parse_sddl("O:SYG:SYD:NO_ACCESS_CONTROL")));
}

}  // namespace test_registry_links
}  // namespace permwatch

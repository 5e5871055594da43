// SDDL parse/format tests. Sources of the fixtures:
//  [LANMAN]  Get-Acl of the key
//            HKLM\SYSTEM\CurrentControlSet\Services\LanmanServer\DefaultSecurity
//            on Windows 10 / Server 2019, as printed in public
//            PowerShell notes (also the default SDDL of services keys in
//            windows-defender restore scripts).
//  [DDOG]    DataDog/datadog-agent kitchen tests (spec for "the proper
//            permissions on the DataDog registry key"): Get-Acl of
//            HKLM\SOFTWARE\Datadog\Datadog Agent on Windows 2008 and later.
//  [SAMBA]   samba-team/samba python/samba/tests/sddl.py and
//            libcli/security/tests/windows/*.txt, cases run against Windows.
//  [WINE]    wine-mirror/wine dlls/sechost/security.c (print_* and parse_*).
//  [HIVE]    the hive root that Wine's RegLoadKey produces (measured under Wine).
//  [GIST]    "registry SDDLs" write-up (gist.github.com/247arjun) example.
//  [APPX]    HKLM\SOFTWARE\Microsoft and a per-user SOFTWARE key descriptor as
//            quoted in public tooling (RC used as a SID: "KR;;;RC").
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "core/security/sddl.hpp"

namespace permwatch {
namespace test_sddl {

constexpr const char* kCapabilitySid =
    "S-1-15-3-1024-1065365936-1281604716-3511738428-1654721687-432734479-3232135806-4053264122-"
    "3456934681";

std::vector<std::string> windows_written_fixtures() {
    const std::string cap = kCapabilitySid;
    const std::string user = "S-1-5-21-2235310796-1245719842-89684361-1001";
    return {
        // [LANMAN]
        "O:SYG:SYD:AI(A;CIID;KR;;;BU)(A;CIID;KA;;;BA)(A;CIID;KA;;;SY)(A;CIIOID;KA;;;CO)"
        "(A;CIID;KR;;;AC)(A;CIID;KR;;;" +
            cap + ")",
        // The services-key default quoted in PermWatch's brief.
        "O:SYG:SYD:AI(A;CIID;KR;;;BU)(A;CIID;KA;;;BA)(A;CIID;KA;;;SY)(A;CIIOID;GA;;;CO)"
        "(A;CIID;KR;;;AC)",
        // [DDOG] (user SID substituted)
        "O:SYG:SYD:AI(A;;KA;;;SY)(A;;KA;;;BA)(A;;KA;;;" + user +
            ")(A;OICIIO;CCDCLCSWRPWPSDRCWDWOGA;;;" + user +
            ")(A;CIID;KR;;;BU)(A;CIID;KA;;;BA)(A;CIID;KA;;;SY)(A;CIIOID;KA;;;CO)(A;CIID;KR;;;AC)",
        "O:SYG:SYD:AI(A;;KA;;;SY)(A;;KA;;;BA)(A;;KA;;;" + user +
            ")(A;OICIIO;CCDCLCSWRPWPSDRCWDWOGA;;;" + user +
            ")(A;ID;KR;;;BU)(A;CIIOID;GR;;;BU)(A;ID;KA;;;BA)(A;CIIOID;GA;;;BA)(A;ID;KA;;;SY)"
            "(A;CIIOID;GA;;;SY)(A;CIIOID;GA;;;CO)",
        // [HIVE]
        "O:BAG:BAD:(A;CIIO;GR;;;BU)(A;;KA;;;BA)",
        // [GIST]
        "O:BAG:SYD:PAI(A;CI;KA;;;BA)(A;CI;KR;;;AU)(A;CI;KA;;;LS)(A;CI;KA;;;NS)(A;CI;KR;;;IU)"
        "(A;CI;KA;;;SY)",
        // [APPX]
        "O:SYG:SYD:P(A;OICI;KR;;;RC)(A;OICI;KA;;;SY)(A;OICI;KA;;;BA)(A;OICI;KA;;;" + user +
            ")(A;;KR;;;AC)(A;;KR;;;" + cap + ")",
        "O:BAG:SYD:(A;;KA;;;BA)(A;CIID;KR;;;BU)(A;CIID;KA;;;BA)(A;CIID;KA;;;SY)(A;CIIOID;KA;;;CO)"
        "(A;CIID;KR;;;AC)(A;CIID;KR;;;" +
            cap + ")",
        // [SAMBA] canonical.txt (those without SACLs or domain-relative aliases)
        "O:S-1-5-21-1225132014-296224811-2507946102-512G:S-1-5-21-1225132014-296224811-2507946102-"
        "512D:P",
        "D:(A;;GA;;;SY)",
        "D:(A;;GA;;;RU)",
        "D:(A;;GA;;;S-1-3-4294967295-3-4)",
        "D:(A;;GA;;;S-1-5-21-1-2-3-513)",
        "D:(A;;GA;;;S-1-5-21-2447931902-1787058256-3961074038-1201)",
        "O:S-1-2-512D:",
        "D:PARAI(A;;GA;;;SY)",
        "D:P(A;;GA;;;SY)(A;;GX;;;AA)",
        "D:(A;;CC;;;BA)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SY)(A;;LCRPLORC;;;AU)",
        // Null DACL and empty DACL.
        "O:BAG:SYD:NO_ACCESS_CONTROL",
        "D:PNO_ACCESS_CONTROL",
        "D:",
        "",
    };
}

SecurityDescriptor parse(const std::string& s) { return parse_sddl(s); }

TEST(Sddl, WindowsWrittenStringsRoundTripExactly) {
    for (const std::string& s : windows_written_fixtures()) {
        SecurityDescriptor sd;
        ASSERT_NO_THROW(sd = parse(s)) << s;
        EXPECT_EQ(format_sddl(sd), s);
        EXPECT_EQ(parse(format_sddl(sd)), sd) << s;
    }
}

TEST(Sddl, ServicesKeyDefaultReadsAsWindowsMeansIt) {
    SecurityDescriptor sd = parse(windows_written_fixtures()[1]);
    EXPECT_EQ(sd.owner, local_system_sid());
    EXPECT_EQ(sd.group, local_system_sid());
    ASSERT_TRUE(sd.dacl);
    const Acl& acl = *sd.dacl;
    EXPECT_TRUE(acl.auto_inherited);
    EXPECT_FALSE(acl.is_protected);
    EXPECT_FALSE(acl.is_null);
    ASSERT_EQ(acl.aces.size(), 5u);
    EXPECT_EQ(acl.aces[0].type, AceType::allow);
    EXPECT_EQ(acl.aces[0].flags, ace_flags::container_inherit | ace_flags::inherited);
    EXPECT_EQ(acl.aces[0].mask, rights::key_read);
    EXPECT_EQ(acl.aces[0].sid, *Sid::parse("S-1-5-32-545"));
    EXPECT_EQ(acl.aces[1].mask, rights::key_all_access);
    EXPECT_EQ(acl.aces[3].flags,
              ace_flags::container_inherit | ace_flags::inherit_only | ace_flags::inherited);
    EXPECT_EQ(acl.aces[3].mask, rights::generic_all);
    EXPECT_EQ(acl.aces[3].sid, *Sid::parse("S-1-3-0"));
    EXPECT_EQ(acl.aces[4].sid, *Sid::parse("S-1-15-2-1"));
}

// ---- The traps: read no string differently from Windows ----

TEST(SddlTraps, WdAndRcAreRightOrSidByFieldOnly) {
    SecurityDescriptor sd = parse("D:(A;;WD;;;WD)(A;;RC;;;RC)(A;;WDRC;;;RC)");
    const auto& aces = sd.dacl->aces;
    EXPECT_EQ(aces[0].mask, rights::write_dac);
    EXPECT_EQ(aces[0].sid, everyone_sid());
    EXPECT_EQ(aces[1].mask, rights::read_control);
    EXPECT_EQ(aces[1].sid, *Sid::parse("S-1-5-12"));
    EXPECT_EQ(aces[2].mask, rights::write_dac | rights::read_control);
    EXPECT_EQ(format_sddl(sd), "D:(A;;WD;;;WD)(A;;RC;;;RC)(A;;RCWD;;;RC)");
    // Owner and group fields only hold SIDs.
    EXPECT_EQ(parse("O:WDG:RC").owner, everyone_sid());
    EXPECT_EQ(parse("O:WDG:RC").group, *Sid::parse("S-1-5-12"));
}

TEST(SddlTraps, SidEndsWhereTheNextSectionLetterStarts) {
    SecurityDescriptor sd = parse("G:BAD:");
    EXPECT_EQ(sd.group, *Sid::parse("S-1-5-32-544"));
    ASSERT_TRUE(sd.dacl);
    EXPECT_TRUE(sd.dacl->aces.empty());
    EXPECT_FALSE(sd.dacl->is_null);
    EXPECT_FALSE(sd.owner);
    // [SAMBA] "ambiguous 'D'": the D is the DACL, not a hex digit.
    EXPECT_EQ(format_sddl(parse("O:S-1-2-0x200D:")), "O:S-1-2-512D:");
    EXPECT_EQ(format_sddl(parse("O:S-1-2-0x2D:(A;;GA;;;SY)")), "O:S-1-2-2D:(A;;GA;;;SY)");
    EXPECT_EQ(parse("O:BAG:BAD:").owner, *Sid::parse("S-1-5-32-544"));
    EXPECT_EQ(parse("O:S-1-5-21-1-2-3-512G:SY").owner, *Sid::parse("S-1-5-21-1-2-3-512"));
}

TEST(SddlTraps, SubAuthoritiesAboveTwoToThe31AreUnsigned) {
    SecurityDescriptor sd = parse("D:(A;;KA;;;S-1-5-21-2447931902-1787058256-3961074038-1201)");
    EXPECT_EQ(sd.dacl->aces[0].sid.sub_authorities()[3], 3961074038u);
    EXPECT_EQ(parse("O:S-1-5-21-4294967295-1-2-3").owner->sub_authorities()[1], 4294967295u);
}

TEST(SddlTraps, NumericMasksAreReadLikeStrtoulBaseZero) {
    auto mask = [](const std::string& rights) {
        return parse("D:(A;;" + rights + ";;;SY)").dacl->aces[0].mask;
    };
    EXPECT_EQ(mask("0x20019"), 0x20019u);
    EXPECT_EQ(mask("0X20019"), 0x20019u);
    EXPECT_EQ(mask("131097"), 0x20019u);    // decimal
    EXPECT_EQ(mask("0400031"), 0x20019u);   // octal: leading zero
    EXPECT_EQ(mask("01234567"), 0x53977u);  // [SAMBA] octal to hex
    EXPECT_EQ(mask("123456789"), 0x75bcd15u);
    EXPECT_EQ(mask("0"), 0u);
    EXPECT_EQ(mask("00"), 0u);
    EXPECT_EQ(mask("0x0"), 0u);
    EXPECT_EQ(mask("4294967295"), 0xFFFFFFFFu);
    // Overflow saturates, never wraps ([SAMBA] windows_is_weird).
    EXPECT_EQ(mask("0x123456789"), 0xFFFFFFFFu);
    EXPECT_EQ(mask("4294967296"), 0xFFFFFFFFu);
    EXPECT_EQ(mask("4294967297"), 0xFFFFFFFFu);
    EXPECT_EQ(mask("100000000000000000000000"), 0xFFFFFFFFu);
    EXPECT_EQ(mask("077777777777"), 0xFFFFFFFFu);
    EXPECT_EQ(mask("0x00000000000000000000001"), 1u);
    // [SAMBA] numbers come back as Windows writes them.
    const std::pair<const char*, const char*> cases[] = {
        {"D:(A;;123456789;;;SY)", "D:(A;;0x75bcd15;;;SY)"},
        {"D:(A;;01234567;;;SY)", "D:(A;;0x53977;;;SY)"},
        {"D:(A;;16;;;SY)", "D:(A;;RP;;;SY)"},
        {"D:(A;;17;;;SY)", "D:(A;;CCRP;;;SY)"},
        {"D:(A;;0xff;;;SY)", "D:(A;;CCDCLCSWRPWPDTLO;;;SY)"},
        {"D:(A;;0xf01ff;;;SY)", "D:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SY)"},
        {"D:(A;;0xe00f0000;;;SY)", "D:(A;;SDRCWDWOGXGWGR;;;SY)"},
        {"D:(A;;0x123456789;;;SY)", "D:(A;;0xffffffff;;;SY)"},
        {"D:(A;;0x401200a0;;;SY)", "D:(A;;0x401200a0;;;SY)"},
    };
    for (const auto& [in, out] : cases) EXPECT_EQ(format_sddl(parse(in)), out) << in;
}

TEST(SddlTraps, DaclFlagsInAnyOrderAndRepeated) {
    // [SAMBA] non_canonical ACL flags.
    EXPECT_EQ(format_sddl(parse("D:ARPAI(A;;GA;;;SY)")), "D:PARAI(A;;GA;;;SY)");
    EXPECT_EQ(format_sddl(parse("D:AIPAR(A;;GA;;;SY)")), "D:PARAI(A;;GA;;;SY)");
    EXPECT_EQ(format_sddl(parse("D:PARP(A;;GA;;;SY)")), "D:PAR(A;;GA;;;SY)");
    EXPECT_EQ(format_sddl(parse("D:PPPPPPPPPPPP(A;;GA;;;SY)")), "D:P(A;;GA;;;SY)");
    EXPECT_EQ(format_sddl(parse("D:AIAIP")), "D:PAI");
    EXPECT_EQ(format_sddl(parse("D:AIPNO_ACCESS_CONTROL")), "D:PAINO_ACCESS_CONTROL");
}

TEST(SddlTraps, EmptyRightsFieldIsMaskZero) {
    SecurityDescriptor sd = parse("D:(A;;;;;BO)(D;CI;;;;SY)");
    EXPECT_EQ(sd.dacl->aces[0].mask, 0u);
    EXPECT_EQ(sd.dacl->aces[1].mask, 0u);
    EXPECT_EQ(format_sddl(sd), "D:(A;;;;;BO)(D;CI;;;;SY)");
}

TEST(SddlTraps, EmptyDaclIsNotNullDacl) {
    SecurityDescriptor empty = parse("D:");
    SecurityDescriptor null = parse("D:NO_ACCESS_CONTROL");
    SecurityDescriptor none = parse("O:SY");
    ASSERT_TRUE(empty.dacl);
    ASSERT_TRUE(null.dacl);
    EXPECT_FALSE(none.dacl);
    EXPECT_FALSE(empty.dacl->is_null);  // nobody gets anything
    EXPECT_TRUE(null.dacl->is_null);    // everybody gets everything
    EXPECT_NE(empty, null);
    EXPECT_EQ(format_sddl(empty), "D:");
    EXPECT_EQ(format_sddl(null), "D:NO_ACCESS_CONTROL");
    EXPECT_EQ(format_sddl(none), "O:SY");
}

TEST(SddlTraps, AceOrderIsKeptAsWritten) {
    const std::string s = "D:(A;;KA;;;BA)(D;;KA;;;BG)(A;ID;KR;;;BU)(D;;KW;;;AN)";
    SecurityDescriptor sd = parse(s);
    ASSERT_EQ(sd.dacl->aces.size(), 4u);
    EXPECT_EQ(sd.dacl->aces[0].type, AceType::allow);
    EXPECT_EQ(sd.dacl->aces[1].type, AceType::deny);
    EXPECT_EQ(sd.dacl->aces[3].sid, *Sid::parse("S-1-5-7"));
    EXPECT_EQ(format_sddl(sd), s);
}

TEST(SddlTraps, LetterRightsAreExactBits) {
    auto mask = [](const std::string& rights) {
        return parse("D:(A;;" + rights + ";;;SY)").dacl->aces[0].mask;
    };
    // RP|LC|LO|RC is 0x20094, which is not KEY_READ (0x20019).
    EXPECT_EQ(mask("RPLCLORC"), 0x20094u);
    EXPECT_NE(mask("RPLCLORC"), rights::key_read);
    EXPECT_EQ(format_sddl(parse("D:(A;;RPLCLORC;;;AU)")), "D:(A;;LCRPLORC;;;AU)");
    const std::pair<const char*, AccessMask> table[] = {
        {"CC", 0x1},        {"DC", 0x2},        {"LC", 0x4},        {"SW", 0x8},
        {"RP", 0x10},       {"WP", 0x20},       {"DT", 0x40},       {"LO", 0x80},
        {"CR", 0x100},      {"SD", 0x10000},    {"RC", 0x20000},    {"WD", 0x40000},
        {"WO", 0x80000},    {"GA", 0x10000000}, {"GX", 0x20000000}, {"GW", 0x40000000},
        {"GR", 0x80000000}, {"KA", 0xF003F},    {"KR", 0x20019},    {"KX", 0x20019},
        {"KW", 0x20006},    {"FA", 0x1F01FF},   {"FR", 0x120089},   {"FW", 0x120116},
        {"FX", 0x1200A0},
    };
    for (const auto& [code, bits] : table) EXPECT_EQ(mask(code), bits) << code;
    EXPECT_EQ(mask("KRKW"), 0x2001Fu);
}

// ---- Formatting as Windows writes ----

SecurityDescriptor one_ace(AccessMask mask, std::uint8_t flags = 0) {
    Ace ace;
    ace.mask = mask;
    ace.flags = flags;
    ace.sid = local_system_sid();
    Acl acl;
    acl.aces.push_back(ace);
    return {std::nullopt, std::nullopt, acl};
}

TEST(SddlFormat, RightsPreferFullCodesThenBitsThenHex) {
    auto rights_of = [](AccessMask m) {
        std::string s = format_sddl(one_ace(m));
        return s.substr(6, s.size() - 6 - 6);  // between "D:(A;;" and ";;;SY)"
    };
    EXPECT_EQ(rights_of(0x20019), "KR");  // [WINE] KR comes before KX in ace_rights[]
    EXPECT_EQ(rights_of(0x20006), "KW");
    EXPECT_EQ(rights_of(0xF003F), "KA");
    EXPECT_EQ(rights_of(0x1F01FF), "FA");
    EXPECT_EQ(rights_of(0x120089), "FR");
    EXPECT_EQ(rights_of(0x120116), "FW");
    EXPECT_EQ(rights_of(0x1200A0), "FX");
    EXPECT_EQ(rights_of(0x10000000), "GA");
    EXPECT_EQ(rights_of(0x30000000), "GAGX");
    EXPECT_EQ(rights_of(0x20094), "LCRPLORC");
    EXPECT_EQ(rights_of(0x100F003F), "CCDCLCSWRPWPSDRCWDWOGA");
    EXPECT_EQ(rights_of(0x100000), "0x100000");  // SYNCHRONIZE has no code
    EXPECT_EQ(rights_of(0x2001F), "CCDCLCSWRPRC");
    EXPECT_EQ(rights_of(0x0002003F), "CCDCLCSWRPWPRC");
    EXPECT_EQ(rights_of(0xFFFFFFFF), "0xffffffff");
    EXPECT_EQ(rights_of(0xABCDEF00), "0xabcdef00");
    EXPECT_EQ(rights_of(0), "");
}

TEST(SddlFormat, FlagOrdersAreWindows) {
    EXPECT_EQ(format_sddl(one_ace(0x20019, 0x1F)), "D:(A;OICINPIOID;KR;;;SY)");
    EXPECT_EQ(format_sddl(parse("D:(A;IDIOCIOI;KR;;;SY)")), "D:(A;OICIIOID;KR;;;SY)");
    EXPECT_EQ(format_sddl(parse("D:(A;CICI;KR;;;SY)")), "D:(A;CI;KR;;;SY)");
    EXPECT_EQ(format_sddl(parse("D:AIARP")), "D:PARAI");
    // Sections in any order are accepted and written O:, G:, D:.
    EXPECT_EQ(format_sddl(parse("D:(A;;GA;;;SY)G:BAO:SY")), "O:SYG:BAD:(A;;GA;;;SY)");
}

TEST(SddlFormat, SidsAsAliasesElseNumeric) {
    SecurityDescriptor sd;
    sd.owner = *Sid::parse("S-1-5-32-544");
    sd.group = *Sid::parse("S-1-5-21-1-2-3-513");
    EXPECT_EQ(format_sddl(sd), "O:BAG:S-1-5-21-1-2-3-513");
    sd.group = *Sid::parse("S-1-21474836480-32-579");
    EXPECT_EQ(format_sddl(sd), "O:BAG:S-1-0x000500000000-32-579");
    EXPECT_EQ(parse(format_sddl(sd)), sd);
}

TEST(SddlFormat, RefusesWhatADaclCannotHold) {
    SecurityDescriptor sd = one_ace(1);
    sd.dacl->is_null = true;
    EXPECT_THROW(format_sddl(sd), std::invalid_argument);
}

// ---- Every ACE type a DACL can hold ----

// Written as Windows writes them (type codes, lower-case GUIDs, a condition
// in parentheses), read back to the same descriptor. A condition read from a
// key is compiled bytes, shown as "#" and hex.
TEST(SddlAceTypes, ObjectCallbackAndOtherAcesRoundTrip) {
    for (const char* text : {
             "D:(OA;CI;KR;bf967aba-0de6-11d0-a285-00aa003049e2;;WD)",
             "D:(OD;;KW;;bf967aba-0de6-11d0-a285-00aa003049e2;BU)",
             "D:(OD;;KW;;;BU)",
             "D:(XA;;KR;;;WD;(Member_of {SID(BA)}))",
             "D:(XD;CI;KW;;;AU;(#6172747800000000))",
             "D:(XD;;KW;;;AU)",
             "D:(ZA;;KR;bf967aba-0de6-11d0-a285-00aa003049e2;;WD;(#61727478))",
             "D:(ZD;;KR;;;WD;(#61727478))",
             "D:(AU;SAFA;KA;;;WD)",
             "D:(ML;;CC;;;LW)",
             "D:(A;CIFA;KA;;;SY)",
         }) {
        const SecurityDescriptor sd = parse(text);
        EXPECT_EQ(format_sddl(sd), text);
        EXPECT_EQ(parse(format_sddl(sd)), sd) << text;
    }
    const Ace od = parse("D:(OD;;KW;bf967aba-0de6-11d0-a285-00aa003049e2;;BU)").dacl->aces[0];
    EXPECT_EQ(od.type, AceType::deny_object);
    ASSERT_TRUE(od.object_type);
    // Data1 little-endian in the binary layout.
    EXPECT_EQ((*od.object_type)[0], 0xba);
    EXPECT_EQ((*od.object_type)[3], 0xbf);
    EXPECT_EQ((*od.object_type)[15], 0xe2);
    const Ace xd = parse("D:(XD;;KW;;;AU;(#61727478))").dacl->aces[0];
    EXPECT_EQ(xd.type, AceType::deny_callback);
    EXPECT_EQ(xd.application_data, (std::vector<std::uint8_t>{'a', 'r', 't', 'x'}));
    const Ace au = parse("D:(AU;SA;KA;;;WD)").dacl->aces[0];
    EXPECT_EQ(au.type, AceType::other);
    EXPECT_EQ(au.raw_type, 2);
    // A condition with ')' and ';' inside a string.
    EXPECT_EQ(parse("D:(XA;;KR;;;WD;(@User.x == \"a);b\"))").dacl->aces[0].condition,
              "@User.x == \"a);b\"");
}

// ---- Errors: what, and where ----

struct BadCase {
    const char* text;
    std::size_t offset;
    const char* says;
};

TEST(SddlErrors, ClearMessageAtTheRightOffset) {
    const BadCase cases[] = {
        {"S:(AU;SA;CR;;;WD)", 0, "SACL"},
        {"O:BAG:SYD:(A;;KA;;;SY)S:AI", 22, "SACL"},
        {"D:(a;;GA;;;SY)", 3, "ACE type 'a' is not supported"},
        {"D:(;;GA;;;SY)", 3, "expected an ACE type"},
        {"D:((A;;GA;;;SY))", 3, "expected an ACE type"},
        {"D:(A;CIXX;GA;;;SY)", 7, "unknown ACE flag"},
        {"D:(A;C;GA;;;SY)", 5, "two-letter ACE flag"},
        {"D:(A;;GA;abc;;SY)", 9, "only object ACEs"},
        {"D:(A;;GA;;abc;SY)", 10, "only object ACEs"},
        {"D:(OA;;GA;abc;;SY)", 10, "expected a GUID"},
        {"D:(XA;;GA;;;SY;Member_of)", 15, "expected '(' to start the ACE's condition"},
        {"D:(XA;;GA;;;SY;(Member_of)", 26, "expected ')'"},
        {"D:(XA;;GA;;;SY;(#6))", 17, "hex byte pairs"},
        {"D:(QQ;;GA;;;SY)", 3, "ACE type 'QQ' is not supported"},
        {"D:(A;;GA;;;DA)", 11, "relative to a domain"},
        {"D:(A;;GA;;;LG)", 11, "relative to a domain"},
        {"O:DA", 2, "relative to a domain"},
        {"D:(A;;GA;;;XX)", 11, "unknown SID alias"},
        {"D:(A;;GA;;;sy)", 11, "unknown SID alias"},
        {"D:(A;;GA;;;S-1-3-4 )", 11, "expected a SID"},
        {"D:(A;;GA;;;S-1-3-4294967296-3-4)", 11, "too large"},
        {"D:(A;;GA;;;S-1-0x1313131313131-513)", 11, "too large"},
        {"D:(A;;GA;;;S-0x1-0-0-579)", 11, "revision"},
        {"D:(A;;GA;;;SYS)", 11, "expected a SID"},
        {"D:(A;;GA;;;)", 11, "expected a SID"},
        {"D:(A;;GA;;)", 10, "6 fields"},
        {"D:(A;;GA;;;SY;)", 13, "6 fields"},
        {"D:(A;;GA;;;SY", 13, "expected ')'"},
        {"D:(A;;GA;;;SY)(", 15, "expected an ACE type"},
        {"D:(A;;GA;;;SY)X", 14, "expected '('"},
        {"D:X(A;;GA;;;SY)", 2, "expected DACL flags"},
        {"D:NO_ACCESS_CONTROL(A;;GA;;;SY)", 19, "NO_ACCESS_CONTROL"},
        {"D:no_access_control", 2, "expected DACL flags"},
        {"D:(A;;ga;;;SY)", 6, "unknown right code"},
        {"D:(A;;NW;;;SY)", 6, "unknown right code"},
        {"D:(A;;G;;;SY)", 6, "two-letter right code"},
        {"D:(A;;GA ;;;SY)", 8, "whitespace"},
        {"D:(A;; GA;;;SY)", 6, "whitespace"},
        {"D:(A;;-99;;;SY)", 6, "signed"},
        {"D:(A;;+1;;;SY)", 6, "signed"},
        {"D:(A;;0x;;;SY)", 8, "hex digits"},
        {"D:(A;;0xg;;;SY)", 8, "hex digit"},
        {"D:(A;;08;;;SY)", 7, "octal"},
        {"D:(A;;12a;;;SY)", 8, "decimal digit"},
        {"D:(A;;0x10RP;;;SY)", 10, "hex digit"},
        {"D:(A;;RP0x10;;;SY)", 8, "number cannot follow"},
        {"D:(A;;123456789 ;;;SY)", 15, "whitespace"},
        {"d:(A;;GA;;;SY)", 0, "expected a section"},
        {"Z:(A;;GA;;;SY)", 0, "expected a section"},
        {" O:SY", 0, "whitespace"},
        {"D :S:", 1, "whitespace"},
        {"D:P:S:", 2, "expected a section"},
        {"O", 1, "expected ':'"},
        {"OX", 1, "expected ':'"},
        {"O:", 2, "expected a SID"},
        {"O::", 2, "expected the section's content"},
        {"O:G:SY", 2, "expected a SID"},
        {"O:BAO:SY", 4, "owner (O:) is given twice"},
        {"G:BAG:SY", 4, "group (G:) is given twice"},
        {"D:D:", 2, "DACL (D:) is given twice"},
        {"O:BAX", 2, "expected a SID"},
        {"O:S-1-5-18X", 2, "expected a SID"},
    };
    for (const BadCase& c : cases) {
        try {
            SecurityDescriptor sd = parse_sddl(c.text);
            ADD_FAILURE() << "accepted: " << c.text << " as " << format_sddl(sd);
        } catch (const SddlError& e) {
            EXPECT_EQ(e.offset(), c.offset) << c.text << " -> " << e.what();
            EXPECT_NE(std::string(e.what()).find(c.says), std::string::npos)
                << c.text << " -> " << e.what();
            EXPECT_NE(std::string(e.what()).find("offset " + std::to_string(c.offset)),
                      std::string::npos);
        }
    }
}

// ---- Properties ----

Sid random_sid(std::mt19937& rng) {
    std::uniform_int_distribution<int> pick(0, 9);
    static const char* aliases[] = {"WD", "SY", "BA", "BU", "CO", "AC", "RC", "AU", "ME", "UD"};
    switch (pick(rng)) {
        case 0:
        case 1:
            return *Sid::from_alias(aliases[pick(rng)]);
        default:
            break;
    }
    static const std::uint64_t authorities[] = {
        0, 1, 3, 5, 15, 16, 0xFFFFFFFFu, 0x100000000u, 0xFFFFFFFFFFFFu, 0x500000000u};
    const std::uint64_t authority = authorities[pick(rng)];
    std::uniform_int_distribution<int> count(0, 15);
    std::vector<std::uint32_t> subs(static_cast<std::size_t>(count(rng)));
    for (auto& s : subs) {
        switch (pick(rng)) {
            case 0:
                s = 0;
                break;
            case 1:
                s = 0xFFFFFFFFu;
                break;
            case 2:
                s = 0x80000000u;
                break;
            case 3:
                s = 32;
                break;
            default:
                s = static_cast<std::uint32_t>(rng());
                break;
        }
    }
    return Sid(authority, std::move(subs));
}

AccessMask random_mask(std::mt19937& rng) {
    static const AccessMask named[] = {0,        0x20019,  0xF003F,    0x20006,    0x1F01FF,
                                       0x120089, 0x120116, 0x1200A0,   0x10000000, 0x80000000,
                                       0x20094,  0x100000, 0xFFFFFFFF, 0x40000,    0x20000};
    std::uniform_int_distribution<int> pick(0, 3);
    switch (pick(rng)) {
        case 0:
            return named[rng() % (sizeof named / sizeof named[0])];
        case 1:
            return static_cast<AccessMask>(rng());
        case 2:
            return static_cast<AccessMask>(rng()) & 0xF00F01FFu;  // letter-code bits only
        default:
            return static_cast<AccessMask>(rng()) & 0x000F003Fu;
    }
}

SecurityDescriptor random_descriptor(std::mt19937& rng) {
    std::bernoulli_distribution coin(0.5);
    SecurityDescriptor sd;
    if (coin(rng)) sd.owner = random_sid(rng);
    if (coin(rng)) sd.group = random_sid(rng);
    if (coin(rng) || coin(rng)) {
        Acl acl;
        acl.is_protected = coin(rng);
        acl.auto_inherit_required = coin(rng);
        acl.auto_inherited = coin(rng);
        if (rng() % 8 == 0) {
            acl.is_null = true;
        } else {
            const std::size_t n = rng() % 8;
            for (std::size_t i = 0; i < n; ++i) {
                Ace ace;
                ace.type = coin(rng) ? AceType::allow : AceType::deny;
                ace.flags = static_cast<std::uint8_t>(rng() & 0x1F);
                ace.mask = random_mask(rng);
                ace.sid = random_sid(rng);
                acl.aces.push_back(ace);
            }
        }
        sd.dacl = acl;
    }
    return sd;
}

TEST(SddlProperty, FormatThenParseIsIdentity) {
    std::mt19937 rng(20240611);
    for (int i = 0; i < 3000; ++i) {
        SecurityDescriptor sd = random_descriptor(rng);
        const std::string text = format_sddl(sd);
        SecurityDescriptor back;
        ASSERT_NO_THROW(back = parse_sddl(text)) << text;
        ASSERT_EQ(back, sd) << text;
        ASSERT_EQ(format_sddl(back), text);
    }
}

TEST(SddlProperty, MutatedRealStringsNeverCrashOrMisreport) {
    std::mt19937 rng(7331);
    const std::vector<std::string> seeds = windows_written_fixtures();
    const std::string alphabet = "OGDSPAIRNO_CIOIDKAKRKWGAGRWDRC0123456789xX:;()-S ";
    int accepted = 0, refused = 0;
    for (int i = 0; i < 6000; ++i) {
        std::string s = seeds[rng() % seeds.size()];
        const int edits = 1 + static_cast<int>(rng() % 3);
        for (int e = 0; e < edits; ++e) {
            const std::size_t at = s.empty() ? 0 : rng() % (s.size() + 1);
            switch (rng() % 5) {
                case 0:  // flip to any byte
                    if (at < s.size()) s[at] = static_cast<char>(rng() & 0xFF);
                    break;
                case 1:  // replace by a meaningful character
                    if (at < s.size()) s[at] = alphabet[rng() % alphabet.size()];
                    break;
                case 2:  // insert
                    s.insert(s.begin() + static_cast<std::ptrdiff_t>(at),
                             alphabet[rng() % alphabet.size()]);
                    break;
                case 3:  // delete
                    if (at < s.size()) s.erase(at, 1);
                    break;
                default:  // truncate
                    s.resize(at);
                    break;
            }
        }
        try {
            SecurityDescriptor sd = parse_sddl(s);
            ++accepted;
            const std::string text = format_sddl(sd);
            SecurityDescriptor again = parse_sddl(text);
            ASSERT_EQ(again, sd) << s << " -> " << text;
            ASSERT_EQ(format_sddl(again), text) << s;
        } catch (const SddlError& e) {
            ++refused;
            ASSERT_LE(e.offset(), s.size()) << s << " -> " << e.what();
        }
    }
    // Both outcomes are exercised.
    EXPECT_GT(accepted, 100);
    EXPECT_GT(refused, 1000);
}

}  // namespace test_sddl
}  // namespace permwatch

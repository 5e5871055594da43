#include <gtest/gtest.h>

#include <stdexcept>

#include "core/security/sid.hpp"

namespace permwatch {
namespace test_sid {

TEST(Sid, ParsesAndFormatsPlainSids) {
    auto sid = Sid::parse("S-1-5-21-1-2-3-1105");
    ASSERT_TRUE(sid);
    EXPECT_EQ(sid->authority(), 5u);
    EXPECT_EQ(sid->sub_authorities(), (std::vector<std::uint32_t>{21, 1, 2, 3, 1105}));
    EXPECT_EQ(sid->str(), "S-1-5-21-1-2-3-1105");
    EXPECT_EQ(Sid::parse("S-1-5-18")->str(), "S-1-5-18");
}

TEST(Sid, SubAuthoritiesAreUnsigned32Bit) {
    // Values above 2^31 are ordinary RIDs in domain SIDs.
    auto sid = Sid::parse("S-1-5-21-2447931902-1787058256-3961074038-1201");
    ASSERT_TRUE(sid);
    EXPECT_EQ(sid->sub_authorities()[3], 3961074038u);
    EXPECT_EQ(Sid::parse("S-1-3-4294967295-3-4")->str(), "S-1-3-4294967295-3-4");
    // Windows saturates an overflowing sub-authority to 4294967295 (Samba's
    // windows_is_weird cases); PermWatch refuses instead of guessing.
    EXPECT_FALSE(Sid::parse("S-1-3-4294967296-3-4"));
    EXPECT_FALSE(Sid::parse("S-1-3-0x100000000-3-4"));
    EXPECT_NE(sid_parse_error("S-1-3-4294967296").find("too large"), std::string::npos);
}

TEST(Sid, HexPartsReadAsWindowsReadsThem) {
    // Samba's sddl.py (checked on Windows): hex authority and sub-authorities.
    EXPECT_EQ(Sid::parse("S-1-0x2-3-4")->str(), "S-1-2-3-4");
    EXPECT_EQ(Sid::parse("S-1-5-21-0x1-0x2-0x3-513")->str(), "S-1-5-21-1-2-3-513");
    EXPECT_EQ(Sid::parse("S-1-3-0x00000002-3-4")->str(), "S-1-3-2-3-4");
}

TEST(Sid, LargeAuthorityIsWrittenInHex) {
    auto sid = Sid::parse("S-1-21474836480-32-579");
    ASSERT_TRUE(sid);
    EXPECT_EQ(sid->authority(), 0x500000000u);
    // RtlConvertSidToUnicodeString: "0x%02hx%02hx%02hx%02hx%02hx%02hx".
    EXPECT_EQ(sid->str(), "S-1-0x000500000000-32-579");
    EXPECT_EQ(Sid::parse(sid->str()), sid);
    EXPECT_EQ(Sid::parse("S-1-0x12A05F200-30-40")->authority(), 5000000000u);
    EXPECT_EQ(Sid::parse("S-1-0xFFFFFFFFFFFF-1")->authority(), 0xFFFFFFFFFFFFu);
    EXPECT_EQ(Sid::parse("S-1-4294967295-1")->str(), "S-1-4294967295-1");
    EXPECT_EQ(Sid::parse("S-1-4294967296-1")->str(), "S-1-0x000100000000-1");
    // 48 bits at most (Samba should_fail: S-1-0x1313131313131-513).
    EXPECT_FALSE(Sid::parse("S-1-0x1313131313131-513"));
    EXPECT_FALSE(Sid::parse("S-1-281474976710656-1"));
}

TEST(Sid, RejectsMalformedText) {
    for (const char* bad : {"",         "S",         "S-",         "S-1",
                            "S-1-",     "S-1-5-",    "S-1--5",     "S-1-5--18",
                            "s-1-5-18", "S-2-5-18",  "S-0x1-5-18", "S-01-5-18",
                            "X-1-5-18", "S-1-5-18 ", " S-1-5-18",  "S-1-5-1a",
                            "S-1-0x",   "S-1-5-0x",  "S-1-5-0xg",  "S-1-5-+18",
                            "S-1-5--1", "S-1-05-18", "S-1-5-018",  "S-1-5-99999999999999999999999",
                            "SY"}) {
        EXPECT_FALSE(Sid::parse(bad)) << bad;
        EXPECT_FALSE(sid_parse_error(bad).empty()) << bad;
    }
}

TEST(Sid, AtMostFifteenSubAuthorities) {
    EXPECT_TRUE(Sid::parse("S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15"));
    EXPECT_FALSE(Sid::parse("S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16"));
    EXPECT_THROW(Sid(5, std::vector<std::uint32_t>(16, 1)), std::invalid_argument);
    EXPECT_THROW(Sid(std::uint64_t{1} << 48, {1}), std::invalid_argument);
}

TEST(Sid, ZeroSubAuthoritiesRoundTrip) {
    // A default Sid formats as S-1-0; it must read back.
    EXPECT_EQ(Sid().str(), "S-1-0");
    EXPECT_EQ(Sid::parse("S-1-0"), Sid());
    EXPECT_EQ(Sid::parse("S-1-5")->str(), "S-1-5");
}

TEST(Sid, AliasesOfTheBrief) {
    const std::pair<const char*, const char*> table[] = {
        {"WD", "S-1-1-0"},      {"CO", "S-1-3-0"},      {"CG", "S-1-3-1"},
        {"OW", "S-1-3-4"},      {"NU", "S-1-5-2"},      {"IU", "S-1-5-4"},
        {"SU", "S-1-5-6"},      {"AN", "S-1-5-7"},      {"ED", "S-1-5-9"},
        {"PS", "S-1-5-10"},     {"AU", "S-1-5-11"},     {"RC", "S-1-5-12"},
        {"SY", "S-1-5-18"},     {"LS", "S-1-5-19"},     {"NS", "S-1-5-20"},
        {"BA", "S-1-5-32-544"}, {"BU", "S-1-5-32-545"}, {"BG", "S-1-5-32-546"},
        {"PU", "S-1-5-32-547"}, {"AO", "S-1-5-32-548"}, {"SO", "S-1-5-32-549"},
        {"PO", "S-1-5-32-550"}, {"BO", "S-1-5-32-551"}, {"RE", "S-1-5-32-552"},
        {"RU", "S-1-5-32-554"}, {"RD", "S-1-5-32-555"}, {"NO", "S-1-5-32-556"},
        {"MU", "S-1-5-32-558"}, {"LU", "S-1-5-32-559"}, {"IS", "S-1-5-32-568"},
        {"CY", "S-1-5-32-569"}, {"ER", "S-1-5-32-573"}, {"AC", "S-1-15-2-1"},
        {"LW", "S-1-16-4096"},  {"ME", "S-1-16-8192"},  {"HI", "S-1-16-12288"},
        {"SI", "S-1-16-16384"}, {"AA", "S-1-5-32-579"}, {"UD", "S-1-5-84-0-0-0-0-0"},
    };
    for (const auto& [alias, text] : table) {
        auto from_alias = Sid::from_alias(alias);
        ASSERT_TRUE(from_alias) << alias;
        EXPECT_EQ(from_alias->str(), text) << alias;
        auto parsed = Sid::parse(text);
        ASSERT_TRUE(parsed) << text;
        ASSERT_TRUE(parsed->alias()) << text;
        EXPECT_EQ(*parsed->alias(), alias) << text;
    }
}

TEST(Sid, UnknownAndDomainRelativeAliases) {
    EXPECT_FALSE(Sid::from_alias("XX"));
    EXPECT_FALSE(Sid::from_alias("sy"));  // SDDL aliases are upper case here
    EXPECT_FALSE(Sid::from_alias("S"));
    EXPECT_FALSE(Sid::from_alias(""));
    for (const char* alias : {"DA", "DU", "DG", "DC", "DD", "LA", "LG", "CA", "SA", "EA", "PA",
                              "RS", "RO", "CN", "AP", "KA", "EK"}) {
        EXPECT_FALSE(Sid::from_alias(alias)) << alias;
        EXPECT_TRUE(is_domain_relative_alias(alias)) << alias;
    }
    EXPECT_FALSE(is_domain_relative_alias("BA"));
    EXPECT_FALSE(Sid::parse("S-1-5-21-1-2-3-1105")->alias());
}

TEST(Sid, WellKnownHelpers) {
    EXPECT_EQ(everyone_sid().str(), "S-1-1-0");
    EXPECT_EQ(local_system_sid().str(), "S-1-5-18");
    EXPECT_EQ(*everyone_sid().alias(), "WD");
    EXPECT_EQ(*local_system_sid().alias(), "SY");
}

TEST(Sid, IsARegularValueType) {
    Sid a = *Sid::parse("S-1-5-32-544");
    Sid b = a;
    EXPECT_EQ(a, b);
    EXPECT_LT(*Sid::parse("S-1-5-18"), *Sid::parse("S-1-5-32-544"));
}

}  // namespace test_sid
}  // namespace permwatch

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/security/access_mask.hpp"

namespace permwatch {
namespace test_access_mask {

// The values are winnt.h's; the names are the ones a config may use (docs/reference.md
// "Configuration").
const std::vector<std::pair<std::string, AccessMask>> kAllNames = {
    {"KEY_QUERY_VALUE", 0x0001},
    {"KEY_SET_VALUE", 0x0002},
    {"KEY_CREATE_SUB_KEY", 0x0004},
    {"KEY_ENUMERATE_SUB_KEYS", 0x0008},
    {"KEY_NOTIFY", 0x0010},
    {"KEY_CREATE_LINK", 0x0020},
    {"KEY_READ", 0x20019},
    {"KEY_WRITE", 0x20006},
    {"KEY_EXECUTE", 0x20019},
    {"KEY_ALL_ACCESS", 0xF003F},
    {"DELETE", 0x10000},
    {"READ_CONTROL", 0x20000},
    {"WRITE_DAC", 0x40000},
    {"WRITE_OWNER", 0x80000},
    {"SYNCHRONIZE", 0x100000},
    {"GENERIC_READ", 0x80000000},
    {"GENERIC_WRITE", 0x40000000},
    {"GENERIC_EXECUTE", 0x20000000},
    {"GENERIC_ALL", 0x10000000},
};

TEST(AccessMask, EveryNameParsesToItsWinntValue) {
    for (const auto& [name, mask] : kAllNames) {
        EXPECT_EQ(parse_right_name(name), mask) << name;
    }
}

TEST(AccessMask, NamesAreCaseSensitiveAndExact) {
    EXPECT_EQ(parse_right_name("key_read"), std::nullopt);
    EXPECT_EQ(parse_right_name("Key_Read"), std::nullopt);
    EXPECT_EQ(parse_right_name("KEY_READ "), std::nullopt);
    EXPECT_EQ(parse_right_name(" KEY_READ"), std::nullopt);
    EXPECT_EQ(parse_right_name("KEY_REED"), std::nullopt);
    EXPECT_EQ(parse_right_name(""), std::nullopt);
    // SDDL letter codes belong to SDDL, not to the config.
    EXPECT_EQ(parse_right_name("KA"), std::nullopt);
    EXPECT_EQ(parse_right_name("GA"), std::nullopt);
}

TEST(AccessMask, HexMasks) {
    EXPECT_EQ(parse_right_name("0x0"), 0u);
    EXPECT_EQ(parse_right_name("0x1"), 1u);
    EXPECT_EQ(parse_right_name("0x20019"), rights::key_read);
    EXPECT_EQ(parse_right_name("0xf003f"), rights::key_all_access);
    EXPECT_EQ(parse_right_name("0xF003F"), rights::key_all_access);
    EXPECT_EQ(parse_right_name("0x000F003F"), rights::key_all_access);
    EXPECT_EQ(parse_right_name("0xFFFFFFFF"), 0xFFFFFFFFu);
    EXPECT_EQ(parse_right_name("0x80000000"), rights::generic_read);
}

TEST(AccessMask, MalformedHexMasksAreRejected) {
    for (const char* bad :
         {"0x", "0x100000000", "0x000000001", "0xFFFFFFFFF", "0xG", "0x-1", "0x+1", "0x 1", "0x1 ",
          "0x1g", "0X1F", "x1F", "1F", "0x0x1", "20019", "0b101", "0x1.0", "-0x1"}) {
        EXPECT_EQ(parse_right_name(bad), std::nullopt) << bad;
    }
}

TEST(AccessMask, EmbeddedNulIsNotIgnored) {
    EXPECT_EQ(parse_right_name(std::string_view("KEY_READ\0X", 10)), std::nullopt);
    EXPECT_EQ(parse_right_name(std::string_view("0x1\0", 4)), std::nullopt);
}

TEST(AccessMask, GenericMappingForKeys) {
    EXPECT_EQ(map_generic_to_key_rights(rights::generic_read), rights::key_read);
    EXPECT_EQ(map_generic_to_key_rights(rights::generic_write), rights::key_write);
    EXPECT_EQ(map_generic_to_key_rights(rights::generic_execute), rights::key_execute);
    EXPECT_EQ(map_generic_to_key_rights(rights::generic_all), rights::key_all_access);
    EXPECT_EQ(map_generic_to_key_rights(rights::generic_read | rights::generic_write),
              rights::key_read | rights::key_write);
    EXPECT_EQ(map_generic_to_key_rights(0), 0u);
}

TEST(AccessMask, GenericMappingKeepsSpecificBitsAndClearsGenericOnes) {
    EXPECT_EQ(map_generic_to_key_rights(rights::generic_read | rights::write_dac),
              rights::key_read | rights::write_dac);
    EXPECT_EQ(map_generic_to_key_rights(rights::key_set_value), rights::key_set_value);
    // Bits that mean nothing for keys (0x100, SYNCHRONIZE) pass through unchanged.
    EXPECT_EQ(map_generic_to_key_rights(0x100u | rights::synchronize),
              0x100u | rights::synchronize);
    EXPECT_EQ(map_generic_to_key_rights(0xFFFFFFFFu) & 0xF0000000u, 0u);
}

TEST(AccessMask, GenericMappingIsIdempotent) {
    std::mt19937 rng(20260501);
    for (int i = 0; i < 2000; ++i) {
        const AccessMask m = rng();
        const AccessMask once = map_generic_to_key_rights(m);
        EXPECT_EQ(map_generic_to_key_rights(once), once);
        EXPECT_EQ(once & 0xF0000000u, 0u);
    }
}

TEST(AccessMask, DescribeExactCombinations) {
    EXPECT_EQ(describe_rights(rights::key_all_access), "KEY_ALL_ACCESS");
    // KEY_EXECUTE == KEY_READ in winnt.h; the description picks KEY_READ.
    EXPECT_EQ(describe_rights(rights::key_read), "KEY_READ");
    EXPECT_EQ(describe_rights(rights::key_write), "KEY_WRITE");
    EXPECT_EQ(describe_rights(rights::write_dac), "WRITE_DAC");
    EXPECT_EQ(describe_rights(rights::generic_all), "GENERIC_ALL");
    EXPECT_EQ(describe_rights(rights::key_query_value), "KEY_QUERY_VALUE");
}

TEST(AccessMask, DescribeListsPartsWithLeftoverBitsInHex) {
    EXPECT_EQ(describe_rights(0), "0x0");
    EXPECT_EQ(describe_rights(0x100), "0x100");
    EXPECT_EQ(describe_rights(rights::key_query_value | rights::key_set_value),
              "KEY_QUERY_VALUE | KEY_SET_VALUE");
    EXPECT_EQ(describe_rights(rights::key_query_value | rights::key_set_value | 0x100),
              "KEY_QUERY_VALUE | KEY_SET_VALUE | 0x100");
    EXPECT_EQ(describe_rights(rights::key_read | rights::write_dac), "KEY_READ | WRITE_DAC");
    EXPECT_EQ(describe_rights(rights::key_read | rights::key_write), "KEY_READ | KEY_WRITE");
    EXPECT_EQ(describe_rights(rights::key_all_access | rights::synchronize),
              "KEY_ALL_ACCESS | SYNCHRONIZE");
    EXPECT_EQ(describe_rights(rights::key_all_access | rights::generic_read | 0x0C00),
              "KEY_ALL_ACCESS | GENERIC_READ | 0xc00");
    // KEY_READ without READ_CONTROL is not KEY_READ.
    EXPECT_EQ(describe_rights(rights::key_read & ~rights::read_control),
              "KEY_QUERY_VALUE | KEY_ENUMERATE_SUB_KEYS | KEY_NOTIFY");
}

// Every description reads back, part by part, to the same mask.
TEST(AccessMask, DescriptionRoundTripsThroughParse) {
    std::mt19937 rng(42);
    for (int i = 0; i < 3000; ++i) {
        AccessMask m = rng();
        if (i % 3 == 0) m &= 0x001F003Fu;  // mostly named bits
        const std::string text = describe_rights(m);
        AccessMask back = 0;
        std::size_t start = 0;
        while (true) {
            const std::size_t bar = text.find(" | ", start);
            const std::string part = text.substr(start, bar - start);
            const auto parsed = parse_right_name(part);
            ASSERT_TRUE(parsed.has_value()) << part << " in " << text;
            back |= *parsed;
            if (bar == std::string::npos) break;
            start = bar + 3;
        }
        EXPECT_EQ(back, m) << text;
    }
}

}  // namespace test_access_mask
}  // namespace permwatch

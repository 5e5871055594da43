// The property list parser reads what clusapi returns for
// CLUSCTL_RESOURCE_GET_PRIVATE_PROPERTIES as hostile input: well-formed lists
// are read, and every malformed one is refused with the byte where it goes
// wrong, never read past (this file runs under ASan and UBSan in the
// sanitized build, each buffer copied to an allocation of exactly its size).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/cluster/property_list.hpp"
#include "core/common/foreign_sizes.hpp"
#include "core/common/multi_sz.hpp"

namespace permwatch {
namespace test_property_list {

using Bytes = std::vector<unsigned char>;

void put_dword(Bytes& out, std::uint32_t v) {
    for (int shift = 0; shift < 32; shift += 8)
        out.push_back(static_cast<unsigned char>(v >> shift));
}

// UTF-16LE units of `text`, with a NUL after them when `nul`.
Bytes utf16(std::u16string_view text, bool nul = true) {
    Bytes out;
    for (const char16_t c : text) {
        out.push_back(static_cast<unsigned char>(c & 0xFF));
        out.push_back(static_cast<unsigned char>(c >> 8));
    }
    if (nul) out.insert(out.end(), {0, 0});
    return out;
}

// Writes a property list the way clusapi lays one out. The count is the
// number of name headers written, unless set.
class ListBuilder {
public:
    // A CLUSPROP_SYNTAX_NAME entry for `name` and its NUL.
    ListBuilder& name(std::u16string_view name) { return name_entry(utf16(name)); }
    // A name entry holding `data` as it is (its length, its padding).
    ListBuilder& name_entry(const Bytes& data) { return entry(clusprop::kSyntaxName, data); }
    ListBuilder& sz(std::u16string_view text) {
        return entry(clusprop::kSyntaxListValueSz, utf16(text));
    }
    ListBuilder& dword(std::uint32_t v) {
        Bytes data;
        put_dword(data, v);
        return entry(clusprop::kSyntaxListValueDword, data);
    }
    // An entry: syntax, length, data, zeros to the next 4-byte boundary.
    ListBuilder& entry(std::uint32_t syntax, const Bytes& data) {
        return header(syntax, static_cast<std::uint32_t>(data.size())).raw(data).pad();
    }
    // A syntax and a length, whatever follows.
    ListBuilder& header(std::uint32_t syntax, std::uint32_t length) {
        if (syntax == clusprop::kSyntaxName) ++names_;
        put_dword(body_, syntax);
        put_dword(body_, length);
        return *this;
    }
    ListBuilder& end() { return raw_dword(clusprop::kSyntaxEndmark); }
    ListBuilder& raw_dword(std::uint32_t v) {
        put_dword(body_, v);
        return *this;
    }
    ListBuilder& raw(const Bytes& data) {
        body_.insert(body_.end(), data.begin(), data.end());
        return *this;
    }
    ListBuilder& pad() {
        while (body_.size() % 4 != 0) body_.push_back(0);
        return *this;
    }
    ListBuilder& count(std::uint32_t n) {
        count_ = n;
        return *this;
    }
    // Where the next byte written will stand in bytes().
    std::size_t here() const { return 4 + body_.size(); }

    Bytes bytes() const {
        Bytes out;
        put_dword(out, count_ ? *count_ : names_);
        out.insert(out.end(), body_.begin(), body_.end());
        return out;
    }

private:
    Bytes body_;
    std::uint32_t names_ = 0;
    std::optional<std::uint32_t> count_;
};

// A Generic Service resource's private properties, as a Windows server
// returns them: one more ENDMARK after the last property.
ListBuilder generic_service() {
    ListBuilder b;
    b.name(u"ServiceName").sz(u"ExampleSvc").end();
    b.name(u"StartupParameters").sz(u"-cluster -port 7000").end();
    b.name(u"UseNetworkName").dword(1).end();
    return b;
}

Bytes generic_service_bytes() { return generic_service().end().bytes(); }

// `bytes` parsed from an allocation of exactly its size, starting `shift`
// bytes past an aligned address: a read past the end is a read past the
// allocation (ASan), and no field is where its alignment would put it.
ParsedPropertyList parse_exact(const Bytes& bytes, std::size_t shift = 0) {
    std::unique_ptr<unsigned char[]> block(new unsigned char[bytes.size() + shift]);
    if (!bytes.empty()) std::memcpy(block.get() + shift, bytes.data(), bytes.size());
    return parse_property_list(block.get() + shift, bytes.size());
}

std::u16string text_of(const PropertyListValue& value) {
    std::u16string out;
    for (std::size_t i = 0; i + 1 < value.data.size(); i += 2) {
        out.push_back(static_cast<char16_t>(std::to_integer<unsigned>(value.data[i]) |
                                            (std::to_integer<unsigned>(value.data[i + 1]) << 8)));
    }
    return out;
}

// A refusal as this file expects one: nothing believed, the offset named
// both in the field and in the line, and the line one line.
::testing::AssertionResult refused_at(const ParsedPropertyList& got, std::size_t offset,
                                      const std::string& mentions) {
    if (got.ok()) return ::testing::AssertionFailure() << "the list was read";
    if (!got.properties.empty()) return ::testing::AssertionFailure() << "properties kept";
    if (got.error_offset != offset) {
        return ::testing::AssertionFailure()
               << "offset " << got.error_offset << ", not " << offset << ": " << got.error;
    }
    if (got.error.find("at byte " + std::to_string(offset)) == std::string::npos) {
        return ::testing::AssertionFailure() << "the line does not name the byte: " << got.error;
    }
    if (got.error.find(mentions) == std::string::npos) {
        return ::testing::AssertionFailure() << "no '" << mentions << "' in: " << got.error;
    }
    if (got.error.find('\n') != std::string::npos) {
        return ::testing::AssertionFailure() << "more than one line: " << got.error;
    }
    return ::testing::AssertionSuccess() << got.error;
}

// What a list that was read must hold: every name and value inside the
// buffer, each value's data the very bytes at its offset.
::testing::AssertionResult inside(const ParsedPropertyList& got, const Bytes& bytes) {
    for (const Property& p : got.properties) {
        if (p.offset + 8 + 2 * (p.name.size() + 1) > bytes.size() || p.name.empty()) {
            return ::testing::AssertionFailure() << "a name outside the buffer at " << p.offset;
        }
        if (p.values.empty()) return ::testing::AssertionFailure() << "a property without values";
        for (const PropertyListValue& v : p.values) {
            if (v.offset > bytes.size() || v.data.size() > bytes.size() - v.offset) {
                return ::testing::AssertionFailure() << "data outside the buffer at " << v.offset;
            }
            if (!v.data.empty() &&
                std::memcmp(v.data.data(), bytes.data() + v.offset, v.data.size()) != 0) {
                return ::testing::AssertionFailure() << "data not the buffer's at " << v.offset;
            }
        }
    }
    return ::testing::AssertionSuccess();
}

TEST(PropertyList, AGenericServicesPrivatePropertiesAreReadAndServiceNameFound) {
    const Bytes bytes = generic_service_bytes();
    const auto got = parse_exact(bytes);
    ASSERT_TRUE(got.ok()) << got.error;
    ASSERT_EQ(got.properties.size(), 3u);
    EXPECT_EQ(got.properties[0].name, u"ServiceName");
    EXPECT_EQ(got.properties[0].offset, 4u);
    EXPECT_EQ(got.properties[1].name, u"StartupParameters");
    EXPECT_EQ(got.properties[2].name, u"UseNetworkName");
    ASSERT_EQ(got.properties[2].values.size(), 1u);
    EXPECT_EQ(got.properties[2].values[0].syntax, clusprop::kSyntaxListValueDword);
    EXPECT_EQ(got.properties[2].values[0].data.size(), 4u);
    EXPECT_EQ(std::to_integer<int>(got.properties[2].values[0].data[0]), 1);
    EXPECT_TRUE(inside(got, bytes));

    EXPECT_EQ(string_property(got, u"ServiceName"), u"ExampleSvc");
    EXPECT_EQ(string_property(got, u"servicename"), u"ExampleSvc");
    EXPECT_EQ(string_property(got, u"StartupParameters"), u"-cluster -port 7000");
}

TEST(PropertyList, TheSyntaxValuesAreClusapisOwn) {
    // CLUSPROP_SYNTAX_VALUE(type, format) = type << 16 | format (clusapi.h):
    // CLUSPROP_TYPE_LIST_VALUE is 1, CLUSPROP_TYPE_NAME 4.
    EXPECT_EQ(clusprop::kSyntaxName, (4u << 16) | clusprop::kFormatSz);
    EXPECT_EQ(clusprop::kSyntaxListValueSz, (1u << 16) | clusprop::kFormatSz);
    EXPECT_EQ(clusprop::kSyntaxListValueExpandSz, (1u << 16) | clusprop::kFormatExpandSz);
    EXPECT_EQ(clusprop::kSyntaxListValueExpandedSz, (1u << 16) | clusprop::kFormatExpandedSz);
    EXPECT_EQ(clusprop::kSyntaxListValueDword, (1u << 16) | clusprop::kFormatDword);
    EXPECT_EQ(clusprop::kSyntaxListValueMultiSz, (1u << 16) | clusprop::kFormatMultiSz);
    EXPECT_EQ(clusprop::kSyntaxListValueWord, (1u << 16) | clusprop::kFormatWord);
    EXPECT_EQ(clusprop::kSyntaxListValueFiletime, (1u << 16) | clusprop::kFormatFiletime);
}

TEST(PropertyList, ZeroBytesAfterTheLastPropertyAreLetBe) {
    // As Microsoft describes the list (the last property's endmark ends it),
    // as a Windows server sends it (one more ENDMARK), and with zeros to spare.
    for (const int extra : {0, 1, 4, 8}) {
        ListBuilder b = generic_service();
        for (int i = 0; i < extra; ++i) b.raw({0});
        const auto got = parse_exact(b.bytes());
        EXPECT_TRUE(got.ok()) << extra << ": " << got.error;
        EXPECT_EQ(got.properties.size(), 3u);
    }
}

TEST(PropertyList, AnEmptyListIsRead) {
    const auto got = parse_exact(ListBuilder().bytes());
    EXPECT_TRUE(got.ok()) << got.error;
    EXPECT_TRUE(got.properties.empty());
    EXPECT_EQ(string_property(got, u"ServiceName"), std::nullopt);
}

TEST(PropertyList, AnExpandSzGivesItsTextAsStoredAndKeepsTheExpandedCopy) {
    ListBuilder b;
    b.name(u"ServiceName").entry(clusprop::kSyntaxListValueExpandSz, utf16(u"%Name%Svc"));
    b.entry(clusprop::kSyntaxListValueExpandedSz, utf16(u"ExampleSvc")).end();
    const auto got = parse_exact(b.bytes());
    ASSERT_TRUE(got.ok()) << got.error;
    EXPECT_EQ(string_property(got, u"ServiceName"), u"%Name%Svc");
    const Property* p = find_property(got, u"SERVICENAME");
    ASSERT_NE(p, nullptr);
    ASSERT_EQ(p->values.size(), 2u);
    EXPECT_EQ(p->values[1].syntax, clusprop::kSyntaxListValueExpandedSz);
    EXPECT_EQ(text_of(p->values[1]), std::u16string(u"ExampleSvc") + u'\0');
}

TEST(PropertyList, StringPropertyIsOnlyForAStringValue) {
    ListBuilder b = generic_service();
    b.name(u"Padded").sz(std::u16string(u"Svc\0Other", 9)).end();
    b.name(u"Blank").sz(u"").end();
    b.name(u"Nothing").entry(clusprop::kSyntaxListValueSz, {}).end();
    const auto got = parse_exact(b.bytes());
    ASSERT_TRUE(got.ok()) << got.error;
    // A DWORD, and a name the list does not have: find_property tells which.
    EXPECT_EQ(string_property(got, u"UseNetworkName"), std::nullopt);
    EXPECT_NE(find_property(got, u"UseNetworkName"), nullptr);
    EXPECT_EQ(string_property(got, u"ServiceNam"), std::nullopt);
    EXPECT_EQ(find_property(got, u"ServiceNam"), nullptr);
    // Two strings in one: not a service name.
    EXPECT_EQ(string_property(got, u"Padded"), std::nullopt);
    EXPECT_EQ(string_property(got, u"Blank"), u"");
    EXPECT_EQ(string_property(got, u"Nothing"), u"");
}

TEST(PropertyList, AMultiSzValueIsKeptForSplitMultiSz) {
    ListBuilder b;
    b.name(u"Dependencies");
    b.entry(clusprop::kSyntaxListValueMultiSz, utf16(std::u16string(u"One\0Two\0", 8))).end();
    const auto got = parse_exact(b.bytes());
    ASSERT_TRUE(got.ok()) << got.error;
    const Property* p = find_property(got, u"dependencies");
    ASSERT_NE(p, nullptr);
    const PropertyListValue& v = p->values.at(0);
    EXPECT_EQ(split_multi_sz(v.data.data(), v.data.size()),
              (std::vector<std::u16string>{u"One", u"Two"}));
    EXPECT_EQ(string_property(got, u"Dependencies"), std::nullopt);
}

TEST(PropertyList, NamesCompareWithoutAsciiCaseOnly) {
    EXPECT_TRUE(property_name_equals(u"ServiceName", u"SERVICENAME"));
    EXPECT_TRUE(property_name_equals(u"use_network_name1", u"USE_NETWORK_NAME1"));
    EXPECT_FALSE(property_name_equals(u"ServiceName", u"ServiceName "));
    EXPECT_FALSE(property_name_equals(u"\u00C4", u"\u00E4"));  // not ASCII: compared exactly
    EXPECT_FALSE(property_name_equals(u"@", u"`"));            // 0x40 and 0x60 are not letters
}

TEST(PropertyList, AnUnalignedBufferReadsTheSame) {
    const Bytes bytes = generic_service_bytes();
    for (std::size_t shift = 1; shift < 8; ++shift) {
        const auto got = parse_exact(bytes, shift);
        ASSERT_TRUE(got.ok()) << shift << ": " << got.error;
        EXPECT_EQ(string_property(got, u"ServiceName"), u"ExampleSvc");
        EXPECT_TRUE(inside(got, bytes));
    }
}

TEST(PropertyListHostile, NoBufferOrAnEmptyOneIsRefused) {
    EXPECT_TRUE(refused_at(parse_property_list(nullptr, 0), 0, "no buffer"));
    EXPECT_TRUE(refused_at(parse_property_list(nullptr, 64), 0, "no buffer"));
    EXPECT_TRUE(refused_at(parse_exact({}), 0, "empty"));
}

TEST(PropertyListHostile, ABufferShorterThanItsCountIsRefused) {
    for (std::size_t n = 1; n < 4; ++n) {
        EXPECT_TRUE(refused_at(parse_exact(Bytes(n, 0)), 0, "too few for the property count"));
    }
}

TEST(PropertyListHostile, ABufferAboveThePayloadCapIsRefused) {
    Bytes big = ListBuilder().bytes();
    big.resize(kMaxForeignPayloadBytes + 1, 0);
    EXPECT_TRUE(refused_at(parse_exact(big), 0, "more than the 1048576"));
}

TEST(PropertyListHostile, ACountAboveTheCapIsRefusedBeforeAnythingIsReserved) {
    EXPECT_TRUE(
        refused_at(parse_exact(ListBuilder().count(0xFFFFFFFF).bytes()), 0, "more than 1024"));
    ListBuilder b;
    b.count(static_cast<std::uint32_t>(kMaxPropertyListProperties + 1));
    EXPECT_TRUE(refused_at(parse_exact(b.bytes()), 0, "a count of 1025 properties"));
}

TEST(PropertyListHostile, ACountTheBufferCannotHoldIsRefused) {
    // Up front, when the bytes cannot hold that many of the smallest property.
    ListBuilder b = generic_service();
    b.count(100);
    EXPECT_TRUE(refused_at(parse_exact(b.bytes()), 0, "a property takes at least 24"));
    // Where the buffer runs out, when they could.
    ListBuilder c;
    c.name(u"A").dword(0).end().count(2);
    const std::size_t end = c.here();
    c.raw(Bytes(24, 0));
    EXPECT_TRUE(refused_at(parse_exact(c.bytes()), end, "property 2 of 2: syntax 0x00000000"));
    ListBuilder d;
    d.name(u"A").dword(0).end().count(2);
    const std::size_t cut = d.here();
    d.raw(Bytes(28, 0xAB));
    EXPECT_TRUE(refused_at(parse_exact(d.bytes()), cut, "syntax 0xABABABAB where its name"));
    ListBuilder e;
    e.name(u"ServiceName").sz(u"ExampleSvc, a name long enough for two").end().count(2);
    const std::size_t over = e.here();
    EXPECT_TRUE(refused_at(parse_exact(e.bytes()), over,
                           "property 2 of 2: the buffer ends inside its name's header"));
}

TEST(PropertyListHostile, ALengthPastTheEndIsRefused) {
    ListBuilder a;
    a.header(clusprop::kSyntaxName, 0x1000).raw(utf16(u"ServiceName")).pad();
    a.dword(0).end();
    EXPECT_TRUE(refused_at(parse_exact(a.bytes()), 4, "a name of 4096 bytes runs past the end"));

    ListBuilder b;
    b.name(u"ServiceName");
    const std::size_t value = b.here();
    b.header(clusprop::kSyntaxListValueSz, 200).raw(utf16(u"ExampleSvc")).end();
    EXPECT_TRUE(refused_at(parse_exact(b.bytes()), value, "value 1 (syntax 0x00010003): 200"));
}

TEST(PropertyListHostile, ALengthThatOverflowsWhenPaddedIsRefused) {
    // Padded in 32 bits, 0xFFFFFFFD..0xFFFFFFFF would wrap to 0 and seem to fit.
    for (const std::uint32_t length : {0xFFFFFFFDu, 0xFFFFFFFEu, 0xFFFFFFFFu}) {
        ListBuilder a;
        a.header(clusprop::kSyntaxName, length).raw(utf16(u"ServiceName")).pad().dword(0).end();
        EXPECT_TRUE(refused_at(parse_exact(a.bytes()), 4, "runs past the end")) << length;

        ListBuilder b;
        b.name(u"ServiceName");
        const std::size_t value = b.here();
        b.header(clusprop::kSyntaxListValueSz, length).raw(utf16(u"ExampleSvc")).end();
        EXPECT_TRUE(refused_at(parse_exact(b.bytes()), value, "run past the end")) << length;
    }
}

TEST(PropertyListHostile, ANameWithoutItsNulOrNotEndingAtItsLengthIsRefused) {
    ListBuilder a;
    a.name_entry(utf16(u"ServiceName", false)).sz(u"x").end();
    EXPECT_TRUE(refused_at(parse_exact(a.bytes()), 4, "a name not ended by a NUL"));

    ListBuilder b;
    b.name_entry(utf16(std::u16string(u"Service\0Name", 12))).sz(u"x").end();
    EXPECT_TRUE(refused_at(parse_exact(b.bytes()), 4, "a NUL before its length ends"));

    ListBuilder c;  // the length stops short of the NUL
    c.header(clusprop::kSyntaxName, 22).raw(utf16(u"ServiceName")).pad().sz(u"x").end();
    EXPECT_TRUE(refused_at(parse_exact(c.bytes()), 4, "a name not ended by a NUL"));
}

TEST(PropertyListHostile, AnOddLengthForAStringIsRefused) {
    ListBuilder a;
    a.header(clusprop::kSyntaxName, 5).raw({'A', 0, 0, 0, 0}).pad().dword(0).end();
    EXPECT_TRUE(refused_at(parse_exact(a.bytes()), 4, "a name of odd length 5"));

    for (const std::uint32_t syntax :
         {clusprop::kSyntaxListValueSz, clusprop::kSyntaxListValueExpandSz,
          clusprop::kSyntaxListValueExpandedSz, clusprop::kSyntaxListValueMultiSz}) {
        ListBuilder b;
        b.name(u"ServiceName");
        const std::size_t value = b.here();
        b.entry(syntax, {'S', 0, 'v', 0, 0}).end();
        EXPECT_TRUE(refused_at(parse_exact(b.bytes()), value, "of odd length 5")) << syntax;
    }
}

TEST(PropertyListHostile, AStringValueWithoutItsNulIsRefused) {
    ListBuilder b;
    b.name(u"ServiceName");
    const std::size_t value = b.here();
    b.entry(clusprop::kSyntaxListValueSz, utf16(u"ExampleSvc", false)).end();
    EXPECT_TRUE(refused_at(parse_exact(b.bytes()), value, "a string not ended by a NUL"));
}

TEST(PropertyListHostile, ANumberOfTheWrongSizeIsRefused) {
    const struct {
        std::uint32_t syntax;
        Bytes data;
    } cases[] = {
        {clusprop::kSyntaxListValueDword, {1, 0, 0}},
        {clusprop::kSyntaxListValueLong, {1, 0, 0, 0, 0}},
        {clusprop::kSyntaxListValueWord, {1, 0, 0, 0}},
        {clusprop::kSyntaxListValueUlargeInteger, {1, 0, 0, 0}},
        {clusprop::kSyntaxListValueFiletime, {}},
    };
    for (const auto& one : cases) {
        ListBuilder b;
        b.name(u"UseNetworkName");
        const std::size_t value = b.here();
        b.entry(one.syntax, one.data).end();
        EXPECT_TRUE(refused_at(parse_exact(b.bytes()), value,
                               std::to_string(one.data.size()) + " bytes, where"))
            << one.syntax;
    }
}

TEST(PropertyListHostile, AMissingEndmarkIsRefused) {
    // The buffer ends where the endmark belongs.
    ListBuilder a;
    a.name(u"ServiceName").sz(u"ExampleSvc");
    const std::size_t end = a.here();
    EXPECT_TRUE(refused_at(parse_exact(a.bytes()), end, "the buffer ends before its endmark"));
    // ... or two bytes into it.
    Bytes cut = a.raw({0, 0}).bytes();
    EXPECT_TRUE(refused_at(parse_exact(cut), end, "the buffer ends before its endmark"));
    // The next property's name stands where the endmark belongs.
    ListBuilder b;
    b.name(u"ServiceName").sz(u"ExampleSvc");
    const std::size_t next = b.here();
    b.name(u"UseNetworkName").dword(0).end().count(2);
    EXPECT_TRUE(refused_at(parse_exact(b.bytes()), next,
                           "('ServiceName'): a name where a value or its endmark belongs"));
}

TEST(PropertyListHostile, APropertyWithoutAValueIsRefused) {
    ListBuilder b;
    b.name(u"ServiceName");
    const std::size_t endmark = b.here();
    b.end();
    EXPECT_TRUE(refused_at(parse_exact(b.bytes()), endmark, "no value before its endmark"));
}

TEST(PropertyListHostile, ANameThatIsNotOneIsRefused) {
    ListBuilder empty;
    empty.name(u"").dword(0).end();
    EXPECT_TRUE(refused_at(parse_exact(empty.bytes()), 4, "an empty name"));

    ListBuilder zero;
    zero.header(clusprop::kSyntaxName, 0).dword(0).end();
    EXPECT_TRUE(refused_at(parse_exact(zero.bytes()), 4, "an empty name"));

    ListBuilder control;
    control.name(u"Service\nName").dword(0).end();
    EXPECT_TRUE(refused_at(parse_exact(control.bytes()), 4, "a control character"));

    ListBuilder long_name;
    long_name.name(std::u16string(kMaxForeignNameChars + 1, u'N')).dword(0).end();
    EXPECT_TRUE(refused_at(parse_exact(long_name.bytes()), 4, "characters, more than 4096"));

    ListBuilder value_first;
    value_first.sz(u"ExampleSvc").end().count(1);
    EXPECT_TRUE(refused_at(parse_exact(value_first.bytes()), 4,
                           "syntax 0x00010003 where its name (0x00040003) belongs"));
}

TEST(PropertyListHostile, ANameTwiceIsRefused) {
    // Which of two ServiceNames would be the service's?
    ListBuilder b;
    b.name(u"ServiceName").sz(u"ExampleSvc").end();
    const std::size_t second = b.here();
    b.name(u"SERVICENAME").sz(u"OtherSvc").end();
    EXPECT_TRUE(refused_at(parse_exact(b.bytes()), second,
                           "property 2 of 2 ('SERVICENAME'): a name that an earlier property has"));
}

TEST(PropertyListHostile, BytesAfterTheLastPropertyThatAreNotZeroAreRefused) {
    ListBuilder b = generic_service();
    b.end();
    const std::size_t after = b.here();
    b.raw({0, 0, 'x', 0});
    EXPECT_TRUE(refused_at(parse_exact(b.bytes()), after + 2, "not all zero"));

    // A property the count leaves out.
    ListBuilder c = generic_service();
    const std::size_t left_out = c.here();
    c.name(u"Hidden").sz(u"x").end().count(3);
    EXPECT_TRUE(refused_at(parse_exact(c.bytes()), left_out, "bytes after the last property"));
}

TEST(PropertyListHostile, ANameIsShownPrintableInTheError) {
    ListBuilder b;
    b.name(u"Service\u00C4Name" + std::u16string(100, u'x'));
    const std::size_t endmark = b.here();
    b.end();
    const auto got = parse_exact(b.bytes());
    EXPECT_TRUE(refused_at(got, endmark, "('Service?Name"));
    EXPECT_NE(got.error.find("xxx...')"), std::string::npos) << got.error;
}

TEST(PropertyListFuzz, EveryTruncationIsRefusedOrReadWhole) {
    const Bytes whole = generic_service_bytes();
    const std::size_t last_endmark_end = whole.size() - 4;  // before Windows' extra ENDMARK
    for (std::size_t n = 0; n <= whole.size(); ++n) {
        const Bytes cut(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(n));
        for (const std::size_t shift : {0u, 1u, 3u}) {
            const auto got = parse_exact(cut, shift);
            if (n >= last_endmark_end) {
                EXPECT_TRUE(got.ok()) << n << ": " << got.error;
                EXPECT_EQ(got.properties.size(), 3u);
            } else {
                EXPECT_FALSE(got.ok()) << n;
                EXPECT_TRUE(got.properties.empty()) << n;
                EXPECT_LE(got.error_offset, n) << n << ": " << got.error;
            }
            EXPECT_TRUE(inside(got, cut)) << n;
        }
    }
}

TEST(PropertyListFuzz, EveryFlippedBitIsRefusedOrReadInsideTheBuffer) {
    ListBuilder b = generic_service();
    b.name(u"Expanded").entry(clusprop::kSyntaxListValueExpandSz, utf16(u"%A%"));
    b.entry(clusprop::kSyntaxListValueExpandedSz, utf16(u"a")).end().end();
    const Bytes whole = b.bytes();
    std::size_t read = 0;
    std::size_t refused = 0;
    for (std::size_t i = 0; i < whole.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            Bytes flipped = whole;
            flipped[i] ^= static_cast<unsigned char>(1u << bit);
            const auto got = parse_exact(flipped, i % 4);
            EXPECT_TRUE(inside(got, flipped)) << i << "." << bit;
            if (got.ok()) {
                ++read;
            } else {
                ++refused;
                EXPECT_TRUE(got.properties.empty());
                EXPECT_LE(got.error_offset, flipped.size()) << got.error;
            }
        }
    }
    // Most flips break the list; some (a letter's case, a DWORD's value) do not.
    EXPECT_GT(refused, 0u);
    EXPECT_GT(read, 0u);
}

TEST(PropertyListFuzz, EveryDwordSetToAnExtremeIsRefusedOrReadInsideTheBuffer) {
    const Bytes whole = generic_service_bytes();
    for (std::size_t at = 0; at + 4 <= whole.size(); at += 2) {
        for (const std::uint32_t v : {0u, 1u, 0x7FFFFFFFu, 0x80000000u, 0xFFFFFFFCu, 0xFFFFFFFFu,
                                      static_cast<std::uint32_t>(whole.size())}) {
            Bytes changed = whole;
            for (int k = 0; k < 4; ++k) changed[at + k] = static_cast<unsigned char>(v >> (8 * k));
            const auto got = parse_exact(changed, 1);
            EXPECT_TRUE(inside(got, changed)) << at << " = " << v;
            if (!got.ok()) {
                EXPECT_LE(got.error_offset, changed.size()) << got.error;
            }
        }
    }
}

}  // namespace test_property_list
}  // namespace permwatch

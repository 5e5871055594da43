// The MULTI_SZ reader that clusapi's checkpoint lists go through: every
// length checked, nothing read past the range, whatever the bytes are.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "core/common/multi_sz.hpp"

namespace permwatch {
namespace test_multi_sz {

using Strings = std::vector<std::u16string>;

// The bytes of `units` UTF-16 units, as clusapi hands them back.
std::vector<unsigned char> bytes_of(const std::u16string& units) {
    std::vector<unsigned char> out(units.size() * sizeof(char16_t));
    if (!out.empty()) std::memcpy(out.data(), units.data(), out.size());
    return out;
}

Strings split(const std::vector<unsigned char>& bytes) {
    return split_multi_sz(bytes.data(), bytes.size());
}

TEST(MultiSz, ReadsEveryStringUpToTheEmptyOne) {
    const std::u16string list(u"SOFTWARE\\A\0SOFTWARE\\B\0\0", 23);
    EXPECT_EQ(split(bytes_of(list)), (Strings{u"SOFTWARE\\A", u"SOFTWARE\\B"}));
}

TEST(MultiSz, AnEmptyRangeOrAnEmptyListHoldsNothing) {
    EXPECT_TRUE(split_multi_sz(nullptr, 0).empty());
    EXPECT_TRUE(split_multi_sz(nullptr, 64).empty());
    EXPECT_TRUE(split({}).empty());
    EXPECT_TRUE(split(bytes_of(std::u16string(1, u'\0'))).empty());
    EXPECT_TRUE(split(bytes_of(std::u16string(2, u'\0'))).empty());
}

TEST(MultiSz, ALastStringWithoutItsNulIsKeptAsItStands) {
    EXPECT_EQ(split(bytes_of(u"SOFTWARE\\A")), (Strings{u"SOFTWARE\\A"}));
    const std::u16string list(u"A\0B", 3);
    EXPECT_EQ(split(bytes_of(list)), (Strings{u"A", u"B"}));
}

TEST(MultiSz, OneNulEndsTheLastStringWithoutTheListsOwn) {
    const std::u16string list(u"A\0B\0", 4);
    EXPECT_EQ(split(bytes_of(list)), (Strings{u"A", u"B"}));
}

TEST(MultiSz, AnEmbeddedEmptyStringEndsTheList) {
    // Whatever follows the list's end is not part of it.
    const std::u16string list(u"A\0\0B\0\0", 6);
    EXPECT_EQ(split(bytes_of(list)), (Strings{u"A"}));
    const std::u16string leading(u"\0A\0\0", 4);
    EXPECT_TRUE(split(bytes_of(leading)).empty());
}

TEST(MultiSz, AnOddLastByteIsNotAUnit) {
    std::vector<unsigned char> bytes = bytes_of(u"AB");
    bytes.push_back('C');
    EXPECT_EQ(split(bytes), (Strings{u"AB"}));
    EXPECT_TRUE(split({'X'}).empty());
}

TEST(MultiSz, NothingPastTheRangeIsRead) {
    // The range is cut inside a longer buffer: the units after it, which
    // would continue the string, are not read (ASan would also catch a read
    // past an exact-size heap buffer).
    const std::vector<unsigned char> whole = bytes_of(u"ABCDEF");
    EXPECT_EQ(split_multi_sz(whole.data(), 3 * sizeof(char16_t)), (Strings{u"ABC"}));
    EXPECT_EQ(split_multi_sz(whole.data(), 3 * sizeof(char16_t) + 1), (Strings{u"ABC"}));
    auto exact = std::make_unique<unsigned char[]>(4);
    std::memcpy(exact.get(), u"XY", 4);
    EXPECT_EQ(split_multi_sz(exact.get(), 4), (Strings{u"XY"}));
}

TEST(MultiSz, AnUnalignedRangeIsRead) {
    std::vector<unsigned char> bytes(1, 0xEE);
    const std::vector<unsigned char> list = bytes_of(std::u16string(u"K\0\0", 3));
    bytes.insert(bytes.end(), list.begin(), list.end());
    EXPECT_EQ(split_multi_sz(bytes.data() + 1, list.size()), (Strings{u"K"}));
}

TEST(MultiSz, CharactersAreKeptUnitForUnit) {
    // Surrogates and control characters are not judged here: the caller
    // narrows (refusing unpaired surrogates) and checks the paths.
    const std::u16string list(u"\xD800\x0001\x00FF\0\0", 5);
    EXPECT_EQ(split(bytes_of(list)), (Strings{std::u16string(u"\xD800\x0001\x00FF", 3)}));
}

}  // namespace test_multi_sz
}  // namespace permwatch

// A cluster property list, as clusapi's control codes return it
// (CLUSCTL_RESOURCE_GET_PRIVATE_PROPERTIES and the like): a DWORD count of
// properties, then for each property its name (CLUSPROP_SYNTAX_NAME, a byte
// length and a NUL-terminated UTF-16 name), one or more values (a syntax, a
// byte length and the data), and a lone CLUSPROP_SYNTAX_ENDMARK DWORD, which
// has no length. Every name and value's data is padded so that the next entry
// starts on a 4-byte boundary (ALIGN_CLUSPROP); the lengths count no padding.
// The buffer comes from another process while PermWatch runs as LocalSystem:
// each count and length is checked against what the buffer holds before it
// is followed, and a list with anything wrong is refused whole, with one
// line saying what and at which byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace permwatch {

// CLUSTER_PROPERTY_SYNTAX values (clusapi.h): the CLUSTER_PROPERTY_TYPE in the
// high word, the CLUSTER_PROPERTY_FORMAT in the low word. Declared here, where
// no <windows.h> is; a service/ file that needs them includes this header
// rather than declaring them again.
namespace clusprop {

inline constexpr std::uint32_t kSyntaxEndmark = 0x00000000;
inline constexpr std::uint32_t kSyntaxName = 0x00040003;
inline constexpr std::uint32_t kSyntaxListValueBinary = 0x00010001;
inline constexpr std::uint32_t kSyntaxListValueDword = 0x00010002;
inline constexpr std::uint32_t kSyntaxListValueSz = 0x00010003;
inline constexpr std::uint32_t kSyntaxListValueExpandSz = 0x00010004;
inline constexpr std::uint32_t kSyntaxListValueMultiSz = 0x00010005;
inline constexpr std::uint32_t kSyntaxListValueUlargeInteger = 0x00010006;
inline constexpr std::uint32_t kSyntaxListValueLong = 0x00010007;
// The server's copy of an EXPAND_SZ value with its variables expanded: it
// follows every EXPAND_SZ value it returns, as a second value of the property.
inline constexpr std::uint32_t kSyntaxListValueExpandedSz = 0x00010008;
inline constexpr std::uint32_t kSyntaxListValueSecurityDescriptor = 0x00010009;
inline constexpr std::uint32_t kSyntaxListValueLargeInteger = 0x0001000A;
inline constexpr std::uint32_t kSyntaxListValueWord = 0x0001000B;
inline constexpr std::uint32_t kSyntaxListValueFiletime = 0x0001000C;

// CLUSTER_PROPERTY_FORMAT: how the data of a value is laid out, whatever its type.
inline constexpr std::uint16_t kFormatBinary = 1;
inline constexpr std::uint16_t kFormatDword = 2;
inline constexpr std::uint16_t kFormatSz = 3;
inline constexpr std::uint16_t kFormatExpandSz = 4;
inline constexpr std::uint16_t kFormatMultiSz = 5;
inline constexpr std::uint16_t kFormatUlargeInteger = 6;
inline constexpr std::uint16_t kFormatLong = 7;
inline constexpr std::uint16_t kFormatExpandedSz = 8;
inline constexpr std::uint16_t kFormatSecurityDescriptor = 9;
inline constexpr std::uint16_t kFormatLargeInteger = 10;
inline constexpr std::uint16_t kFormatWord = 11;
inline constexpr std::uint16_t kFormatFiletime = 12;

constexpr std::uint16_t format_of(std::uint32_t syntax) {
    return static_cast<std::uint16_t>(syntax & 0xFFFF);
}

}  // namespace clusprop

// More properties than any resource has: a Generic Service has 3 private
// properties, and the resources with the most have a few dozen. A count above
// this is refused before anything is reserved for it. (kMaxForeignObjects
// counts cluster objects in an enumeration, a far larger number.)
inline constexpr std::size_t kMaxPropertyListProperties = 1024;

// One value of a property as the buffer held it.
struct PropertyListValue {
    std::uint32_t syntax = 0;
    // Where the data starts in the buffer (just after the value's length).
    std::size_t offset = 0;
    // cbLength bytes, without the padding. Checked for its format: a string
    // format (SZ, EXPAND_SZ, EXPANDED_SZ, MULTI_SZ) holds whole UTF-16 units,
    // and an SZ, EXPAND_SZ or EXPANDED_SZ that is not empty ends with a NUL;
    // a WORD holds 2 bytes, a DWORD or LONG 4, a (U)LARGE_INTEGER or FILETIME 8.
    // Numbers are little-endian; a MULTI_SZ's strings are split_multi_sz's
    // (core/common/multi_sz.hpp) to read.
    std::vector<std::byte> data;

    std::uint16_t format() const { return clusprop::format_of(syntax); }
};

struct Property {
    std::u16string name;  // without its NUL
    // Where the property's CLUSPROP_SYNTAX_NAME entry starts in the buffer.
    std::size_t offset = 0;
    std::vector<PropertyListValue> values;  // at least one, in the buffer's order
};

struct ParsedPropertyList {
    // In the buffer's order; empty unless ok(): a list that is wrong anywhere
    // is not half believed.
    std::vector<Property> properties;
    // One line naming what is wrong and the byte offset where it is (also in
    // error_offset); empty when the list was read.
    std::string error;
    std::size_t error_offset = 0;

    bool ok() const { return error.empty(); }
};

// The property list in the `size` bytes at `bytes`: pass the size the call
// said it filled (lpcbBytesReturned), not the size of the buffer offered.
// `bytes` need not be aligned: every field is copied out byte by byte.
//
// Refused: no buffer, fewer than 4 bytes, more than kMaxForeignPayloadBytes;
// a count above kMaxPropertyListProperties or above what the size can hold;
// an entry, a length, or a value's data and padding that runs past the end;
// a name that is not a CLUSPROP_SYNTAX_NAME entry, is empty, longer than
// kMaxForeignNameChars, of odd length, not ended by its only NUL, holds a
// control character, or repeats an earlier name (compared as
// property_name_equals does); a property without a value or whose endmark
// the buffer ends before; a value whose data does not fit its format (above).
//
// After the last property only zero bytes may follow. Microsoft's
// description of the list ends it with the last property's endmark, but a
// Windows server's answer has been seen to carry one more ENDMARK DWORD after
// it: zeros say nothing, so they are let be; any other byte there means the
// count leaves out something the buffer holds, and the list is refused rather
// than read short.
//
// What a list that was read costs is bounded by its size: every value takes
// at least 8 bytes of it, and kMaxForeignPayloadBytes bounds that.
ParsedPropertyList parse_property_list(const void* bytes, std::size_t size);

// Whether two property names are the same name. Windows compares property
// names without regard to case; this folds the ASCII letters only, which is
// enough for property names, all plain ASCII identifiers ("ServiceName").
// Other characters compare exactly.
bool property_name_equals(std::u16string_view a, std::u16string_view b);

// The property called `name` (property_name_equals), or nullptr when the list
// has none (or was not read).
const Property* find_property(const ParsedPropertyList& list, std::u16string_view name);

// The text of the property called `name` when its first value is an SZ or an
// EXPAND_SZ (as stored: for an EXPAND_SZ the expanded copy is its second
// value): the UTF-16 units before the terminating NUL. nullopt when the list
// was not read, has no such property, the first value is of another syntax, or
// its text holds a NUL before its end (a string that is not one string).
// find_property tells those apart.
std::optional<std::u16string> string_property(const ParsedPropertyList& list,
                                              std::u16string_view name);

}  // namespace permwatch

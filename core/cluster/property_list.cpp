#include "core/cluster/property_list.hpp"

#include <algorithm>
#include <cstdio>
#include <set>
#include <utility>

#include "core/common/ascii.hpp"
#include "core/common/foreign_sizes.hpp"

namespace permwatch {

namespace {

// The fewest bytes a property can take: its name's header (8), a name of one
// character and its NUL (4), one value's header with no data (8), and the
// endmark (4). A count is checked against this before anything is reserved.
constexpr std::size_t kMinPropertyListEntryBytes = 24;

// ALIGN_CLUSPROP, in 64 bits: a 32-bit length near 4 GiB padded in a 32-bit
// size_t would wrap to a small number and seem to fit.
constexpr std::uint64_t clusprop_padded(std::uint32_t length) {
    return (std::uint64_t{length} + 3) & ~std::uint64_t{3};
}

std::u16string folded_property_name(std::u16string_view name) {
    std::u16string out(name);
    for (char16_t& c : out) c = ascii_upper(c);
    return out;
}

// A name from outside, fit for one log line: printable ASCII kept, anything
// else shown as '?', cut after 64 units.
std::string shown_property_name(std::u16string_view name) {
    constexpr std::size_t kShownUnits = 64;
    std::string out;
    for (const char16_t c : name.substr(0, kShownUnits))
        out += (c >= 0x20 && c < 0x7F) ? static_cast<char>(c) : '?';
    if (name.size() > kShownUnits) out += "...";
    return out;
}

std::string syntax_hex(std::uint32_t syntax) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%08X", static_cast<unsigned>(syntax));
    return text;
}

// Reads one list. Every field is assembled from single bytes in the list's
// byte order (little-endian, as Windows writes it): the buffer need not be
// aligned, and nothing is read before has() said the bytes are there.
class PropertyListParser {
public:
    PropertyListParser(const unsigned char* base, std::size_t size) : base_(base), size_(size) {}

    ParsedPropertyList run() {
        if (!read_list()) out_.properties.clear();
        return std::move(out_);
    }

private:
    bool read_list() {
        if (!base_) return refuse(0, "no buffer");
        if (size_ == 0) return refuse(0, "empty: no property count");
        if (size_ < 4) {
            return refuse(0, std::to_string(size_) + " bytes, too few for the property count (4)");
        }
        if (size_ > kMaxForeignPayloadBytes) {
            return refuse(0, std::to_string(size_) + " bytes, more than the " +
                                 std::to_string(kMaxForeignPayloadBytes) + " an answer may have");
        }
        count_ = dword_at(0);
        if (count_ > kMaxPropertyListProperties) {
            return refuse(0, "a count of " + std::to_string(count_) + " properties, more than " +
                                 std::to_string(kMaxPropertyListProperties));
        }
        if (count_ > (size_ - 4) / kMinPropertyListEntryBytes) {
            return refuse(0, "a count of " + std::to_string(count_) + " properties in " +
                                 std::to_string(size_ - 4) + " bytes (a property takes at least " +
                                 std::to_string(kMinPropertyListEntryBytes) + ")");
        }
        out_.properties.reserve(count_);
        pos_ = 4;
        for (std::uint32_t i = 0; i < count_; ++i) {
            if (!read_property(i)) return false;
        }
        label_.clear();
        for (std::size_t at = pos_; at < size_; ++at) {
            if (base_[at] != 0) {
                return refuse(at, std::to_string(size_ - pos_) +
                                      " bytes after the last property, not all zero (the count "
                                      "leaves out what they hold)");
            }
        }
        return true;
    }

    bool has(std::size_t at, std::uint64_t bytes) const {
        return at <= size_ && bytes <= size_ - at;
    }

    std::uint32_t dword_at(std::size_t at) const {
        return static_cast<std::uint32_t>(base_[at]) |
               (static_cast<std::uint32_t>(base_[at + 1]) << 8) |
               (static_cast<std::uint32_t>(base_[at + 2]) << 16) |
               (static_cast<std::uint32_t>(base_[at + 3]) << 24);
    }

    char16_t unit_at(std::size_t at) const {
        return static_cast<char16_t>(base_[at] | (base_[at + 1] << 8));
    }

    // Records why the list is refused; false, for the caller to return.
    bool refuse(std::size_t at, const std::string& what) {
        out_.error = "property list: " + (label_.empty() ? what : label_ + ": " + what) +
                     ", at byte " + std::to_string(at);
        out_.error_offset = at;
        return false;
    }

    std::string bytes_left_after(std::size_t at) const {
        return std::to_string(at <= size_ ? size_ - at : 0) + " bytes left";
    }

    bool read_property(std::uint32_t index) {
        const std::size_t start = pos_;
        label_ = "property " + std::to_string(index + 1) + " of " + std::to_string(count_);
        if (!has(start, 8)) return refuse(start, "the buffer ends inside its name's header");
        const std::uint32_t syntax = dword_at(start);
        if (syntax != clusprop::kSyntaxName) {
            return refuse(start, "syntax " + syntax_hex(syntax) + " where its name (" +
                                     syntax_hex(clusprop::kSyntaxName) + ") belongs");
        }
        const std::uint32_t length = dword_at(start + 4);
        if (!has(start + 8, clusprop_padded(length))) {
            return refuse(start, "a name of " + std::to_string(length) +
                                     " bytes runs past the end (" + bytes_left_after(start + 8) +
                                     ")");
        }
        if (length % 2 != 0) {
            return refuse(start, "a name of odd length " + std::to_string(length) +
                                     " (UTF-16 takes 2 bytes a unit)");
        }
        if (length < 4) return refuse(start, "an empty name");
        const std::size_t units = length / 2;
        if (units - 1 > kMaxForeignNameChars) {
            return refuse(start, "a name of " + std::to_string(units - 1) +
                                     " characters, more than " +
                                     std::to_string(kMaxForeignNameChars));
        }
        Property property;
        property.offset = start;
        property.name.reserve(units - 1);
        for (std::size_t k = 0; k < units; ++k) {
            const char16_t c = unit_at(start + 8 + 2 * k);
            const bool last = k + 1 == units;
            if (last && c != 0) return refuse(start, "a name not ended by a NUL at its length");
            if (!last && c == 0) {
                return refuse(start, "a name with a NUL before its length ends (unit " +
                                         std::to_string(k) + " of " + std::to_string(units) + ")");
            }
            if (!last) property.name.push_back(c);
        }
        if (has_control_char(property.name)) {
            return refuse(start, "a name holding a control character");
        }
        pos_ = start + 8 + static_cast<std::size_t>(clusprop_padded(length));
        label_ += " ('" + shown_property_name(property.name) + "')";
        if (!seen_.insert(folded_property_name(property.name)).second) {
            return refuse(start, "a name that an earlier property has");
        }
        if (!read_values(property)) return false;
        out_.properties.push_back(std::move(property));
        return true;
    }

    bool read_values(Property& property) {
        for (;;) {
            const std::size_t at = pos_;
            if (!has(at, 4)) return refuse(at, "the buffer ends before its endmark");
            const std::uint32_t syntax = dword_at(at);
            if (syntax == clusprop::kSyntaxEndmark) {
                if (property.values.empty()) return refuse(at, "no value before its endmark");
                pos_ = at + 4;
                return true;
            }
            const std::string value_label = "value " + std::to_string(property.values.size() + 1) +
                                            " (syntax " + syntax_hex(syntax) + ")";
            if (syntax == clusprop::kSyntaxName) {
                return refuse(at, "a name where a value or its endmark belongs");
            }
            if (!has(at, 8)) return refuse(at, value_label + ": the buffer ends inside its header");
            const std::uint32_t length = dword_at(at + 4);
            if (!has(at + 8, clusprop_padded(length))) {
                return refuse(at, value_label + ": " + std::to_string(length) +
                                      " bytes of data, padded, run past the end (" +
                                      bytes_left_after(at + 8) + ")");
            }
            if (const auto problem = format_problem(syntax, at + 8, length)) {
                return refuse(at, value_label + ": " + *problem);
            }
            PropertyListValue value;
            value.syntax = syntax;
            value.offset = at + 8;
            value.data.resize(length);
            std::transform(base_ + at + 8, base_ + at + 8 + length, value.data.begin(),
                           [](unsigned char b) { return static_cast<std::byte>(b); });
            property.values.push_back(std::move(value));
            pos_ = at + 8 + static_cast<std::size_t>(clusprop_padded(length));
        }
    }

    // Why `length` bytes at `data` are not a value of `syntax`'s format, or
    // nullopt when they are one (or the format has no fixed shape).
    std::optional<std::string> format_problem(std::uint32_t syntax, std::size_t data,
                                              std::uint32_t length) const {
        std::size_t fixed = 0;
        const char* fixed_name = "";
        switch (clusprop::format_of(syntax)) {
            case clusprop::kFormatSz:
            case clusprop::kFormatExpandSz:
            case clusprop::kFormatExpandedSz:
                if (length % 2 != 0) return "a string of odd length " + std::to_string(length);
                if (length > 0 && unit_at(data + length - 2) != 0) {
                    return std::string("a string not ended by a NUL");
                }
                return std::nullopt;
            case clusprop::kFormatMultiSz:
                if (length % 2 != 0) return "a string list of odd length " + std::to_string(length);
                return std::nullopt;
            case clusprop::kFormatWord:
                fixed = 2;
                fixed_name = "a WORD";
                break;
            case clusprop::kFormatDword:
            case clusprop::kFormatLong:
                fixed = 4;
                fixed_name = "a DWORD or LONG";
                break;
            case clusprop::kFormatLargeInteger:
            case clusprop::kFormatUlargeInteger:
            case clusprop::kFormatFiletime:
                fixed = 8;
                fixed_name = "a LARGE_INTEGER or FILETIME";
                break;
            default:
                return std::nullopt;
        }
        if (length == fixed) return std::nullopt;
        return std::to_string(length) + " bytes, where " + fixed_name + " takes " +
               std::to_string(fixed);
    }

    const unsigned char* base_;
    std::size_t size_;
    std::size_t pos_ = 0;
    std::uint32_t count_ = 0;
    std::string label_;
    std::set<std::u16string> seen_;  // folded names
    ParsedPropertyList out_;
};

}  // namespace

ParsedPropertyList parse_property_list(const void* bytes, std::size_t size) {
    return PropertyListParser(static_cast<const unsigned char*>(bytes), size).run();
}

bool property_name_equals(std::u16string_view a, std::u16string_view b) { return iequals(a, b); }

const Property* find_property(const ParsedPropertyList& list, std::u16string_view name) {
    for (const Property& property : list.properties) {
        if (property_name_equals(property.name, name)) return &property;
    }
    return nullptr;
}

std::optional<std::u16string> string_property(const ParsedPropertyList& list,
                                              std::u16string_view name) {
    const Property* property = find_property(list, name);
    if (!property || property->values.empty()) return std::nullopt;
    const PropertyListValue& value = property->values.front();
    if (value.syntax != clusprop::kSyntaxListValueSz &&
        value.syntax != clusprop::kSyntaxListValueExpandSz) {
        return std::nullopt;
    }
    // The parser let through only whole units ended by a NUL (or no data).
    std::u16string text;
    const std::size_t units = value.data.size() / 2;
    for (std::size_t k = 0; k + 1 < units; ++k) {
        const auto lo = std::to_integer<unsigned>(value.data[2 * k]);
        const auto hi = std::to_integer<unsigned>(value.data[2 * k + 1]);
        const auto c = static_cast<char16_t>(lo | (hi << 8));
        if (c == 0) return std::nullopt;
        text.push_back(c);
    }
    return text;
}

}  // namespace permwatch

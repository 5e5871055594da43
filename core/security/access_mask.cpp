#include "core/security/access_mask.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdio>
#include <utility>

namespace permwatch {

namespace {

struct NamedRight {
    std::string_view name;
    AccessMask mask;
};

// Every name the config accepts. KEY_EXECUTE has the same value as KEY_READ
// (winnt.h defines it so); both names parse, describe_rights says KEY_READ.
constexpr std::array<NamedRight, 19> kNames{{
    {"KEY_QUERY_VALUE", rights::key_query_value},
    {"KEY_SET_VALUE", rights::key_set_value},
    {"KEY_CREATE_SUB_KEY", rights::key_create_sub_key},
    {"KEY_ENUMERATE_SUB_KEYS", rights::key_enumerate_sub_keys},
    {"KEY_NOTIFY", rights::key_notify},
    {"KEY_CREATE_LINK", rights::key_create_link},
    {"KEY_READ", rights::key_read},
    {"KEY_WRITE", rights::key_write},
    {"KEY_EXECUTE", rights::key_execute},
    {"KEY_ALL_ACCESS", rights::key_all_access},
    {"DELETE", rights::delete_},
    {"READ_CONTROL", rights::read_control},
    {"WRITE_DAC", rights::write_dac},
    {"WRITE_OWNER", rights::write_owner},
    {"SYNCHRONIZE", rights::synchronize},
    {"GENERIC_READ", rights::generic_read},
    {"GENERIC_WRITE", rights::generic_write},
    {"GENERIC_EXECUTE", rights::generic_execute},
    {"GENERIC_ALL", rights::generic_all},
}};

// Combinations tried first when describing a mask, widest first, so that
// KEY_ALL_ACCESS is not spelled as KEY_READ | KEY_WRITE | ...
constexpr std::array<NamedRight, 3> kCombinations{{
    {"KEY_ALL_ACCESS", rights::key_all_access},
    {"KEY_READ", rights::key_read},
    {"KEY_WRITE", rights::key_write},
}};

// Single bits in ascending order of value: the names above that are one bit.
constexpr auto kBits = [] {
    std::array<NamedRight, 15> bits{};
    std::size_t n = 0;
    for (const NamedRight& r : kNames) {
        if (!std::has_single_bit(r.mask)) continue;
        if (n == bits.size()) throw "kBits is too small for the single-bit names";
        bits[n++] = r;
    }
    if (n != bits.size()) throw "kBits is too large for the single-bit names";
    std::sort(bits.begin(), bits.end(),
              [](const NamedRight& a, const NamedRight& b) { return a.mask < b.mask; });
    return bits;
}();

std::string hex(AccessMask mask) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%x", static_cast<unsigned>(mask));
    return buf;
}

std::optional<AccessMask> parse_hex_mask(std::string_view digits) {
    // 1 to 8 digits: a 32-bit mask never needs more, and refusing leading
    // zero padding beyond 8 keeps "too long" and "overflow" one simple rule.
    if (digits.empty() || digits.size() > 8) return std::nullopt;
    AccessMask value = 0;
    for (char c : digits) {
        AccessMask d;
        if (c >= '0' && c <= '9') {
            d = static_cast<AccessMask>(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            d = static_cast<AccessMask>(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            d = static_cast<AccessMask>(c - 'A' + 10);
        } else {
            return std::nullopt;
        }
        value = (value << 4) | d;
    }
    return value;
}

}  // namespace

AccessMask map_generic_to_key_rights(AccessMask mask) {
    // The registry's GENERIC_MAPPING (see "Registry Key Security and Access
    // Rights" in the Windows documentation).
    AccessMask out = mask & ~(rights::generic_read | rights::generic_write |
                              rights::generic_execute | rights::generic_all);
    if (mask & rights::generic_read) out |= rights::key_read;
    if (mask & rights::generic_write) out |= rights::key_write;
    if (mask & rights::generic_execute) out |= rights::key_execute;
    if (mask & rights::generic_all) out |= rights::key_all_access;
    return out;
}

std::optional<AccessMask> parse_right_name(std::string_view name) {
    if (name.starts_with("0x")) return parse_hex_mask(name.substr(2));
    for (const auto& r : kNames) {
        if (r.name == name) return r.mask;
    }
    return std::nullopt;
}

std::string describe_rights(AccessMask mask) {
    if (mask == 0) return "0x0";
    for (const auto& r : kCombinations) {
        if (r.mask == mask) return std::string(r.name);
    }
    for (const auto& r : kBits) {
        if (r.mask == mask) return std::string(r.name);
    }

    std::string out;
    auto append = [&out](std::string_view part) {
        if (!out.empty()) out += " | ";
        out += part;
    };
    AccessMask covered = 0;
    for (const auto& r : kCombinations) {
        // KEY_ALL_ACCESS contains KEY_READ and KEY_WRITE; do not name them again.
        if ((mask & r.mask) == r.mask && (covered & r.mask) != r.mask) {
            append(r.name);
            covered |= r.mask;
        }
    }
    for (const auto& r : kBits) {
        if ((mask & r.mask) && !(covered & r.mask)) {
            append(r.name);
            covered |= r.mask;
        }
    }
    if (AccessMask rest = mask & ~covered; rest != 0) append(hex(rest));
    return out;
}

}  // namespace permwatch

// Access masks for registry keys: right names, SDDL letter codes, and the
// generic-right mapping Windows applies to keys.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace permwatch {

using AccessMask = std::uint32_t;

namespace rights {
inline constexpr AccessMask key_query_value = 0x0001;
inline constexpr AccessMask key_set_value = 0x0002;
inline constexpr AccessMask key_create_sub_key = 0x0004;
inline constexpr AccessMask key_enumerate_sub_keys = 0x0008;
inline constexpr AccessMask key_notify = 0x0010;
inline constexpr AccessMask key_create_link = 0x0020;
inline constexpr AccessMask delete_ = 0x00010000;
inline constexpr AccessMask read_control = 0x00020000;
inline constexpr AccessMask write_dac = 0x00040000;
inline constexpr AccessMask write_owner = 0x00080000;
inline constexpr AccessMask synchronize = 0x00100000;
inline constexpr AccessMask generic_all = 0x10000000;
inline constexpr AccessMask generic_execute = 0x20000000;
inline constexpr AccessMask generic_write = 0x40000000;
inline constexpr AccessMask generic_read = 0x80000000;
inline constexpr AccessMask key_read = 0x00020019;
inline constexpr AccessMask key_write = 0x00020006;
inline constexpr AccessMask key_execute = 0x00020019;
inline constexpr AccessMask key_all_access = 0x000F003F;
}  // namespace rights

// Replaces the four generic bits by the key rights they stand for
// (GENERIC_READ -> KEY_READ, ..., GENERIC_ALL -> KEY_ALL_ACCESS).
AccessMask map_generic_to_key_rights(AccessMask mask);

// A right name as the config writes it ("KEY_READ", "WRITE_DAC"...), or a hex
// string "0x...". nullopt when unknown or malformed.
std::optional<AccessMask> parse_right_name(std::string_view name);

// Readable list for messages: "KEY_ALL_ACCESS" when the mask is exactly a named
// combination, else "KEY_QUERY_VALUE | KEY_SET_VALUE | 0x100000".
std::string describe_rights(AccessMask mask);

}  // namespace permwatch

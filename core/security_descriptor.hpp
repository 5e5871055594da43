// Security descriptor value types: Ace, Acl, SecurityDescriptor. Only what a
// registry key's owner, group and DACL need: allow and deny ACEs.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/access_mask.hpp"
#include "core/sid.hpp"

namespace permwatch {

enum class AceType : std::uint8_t { allow, deny };

// ACE flag bits, numerically as in Windows' ACE_HEADER.AceFlags.
namespace ace_flags {
inline constexpr std::uint8_t object_inherit = 0x01;     // OI
inline constexpr std::uint8_t container_inherit = 0x02;  // CI
inline constexpr std::uint8_t no_propagate = 0x04;       // NP
inline constexpr std::uint8_t inherit_only = 0x08;       // IO
inline constexpr std::uint8_t inherited = 0x10;          // ID
}  // namespace ace_flags

struct Ace {
    AceType type = AceType::allow;
    std::uint8_t flags = 0;
    AccessMask mask = 0;
    Sid sid;

    bool is_inherited() const { return (flags & ace_flags::inherited) != 0; }
    friend bool operator==(const Ace&, const Ace&) = default;
};

struct Acl {
    bool is_protected = false;           // P
    bool auto_inherit_required = false;  // AR
    bool auto_inherited = false;         // AI
    bool is_null = false;                // NO_ACCESS_CONTROL: everyone gets everything
    std::vector<Ace> aces;               // in the order written

    friend bool operator==(const Acl&, const Acl&) = default;
};

struct SecurityDescriptor {
    std::optional<Sid> owner;
    std::optional<Sid> group;
    std::optional<Acl> dacl;  // absent: no "D:" section at all

    friend bool operator==(const SecurityDescriptor&, const SecurityDescriptor&) = default;
};

}  // namespace permwatch

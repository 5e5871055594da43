// Security descriptor value types: Ace, Acl, SecurityDescriptor. Only what a
// registry key's owner, group and DACL need, but every ACE a DACL can hold:
// PermWatch must judge the key by all of them and write back every one it
// does not change exactly as it was.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/security/access_mask.hpp"
#include "core/security/sid.hpp"

namespace permwatch {

// What an ACE does in an access check. Windows' ACE type byte is in
// Ace::raw_type; this is the reading PermWatch judges by.
enum class AceType : std::uint8_t {
    allow,                  // ACCESS_ALLOWED_ACE_TYPE (0), "A"
    deny,                   // ACCESS_DENIED_ACE_TYPE (1), "D"
    allow_object,           // ACCESS_ALLOWED_OBJECT_ACE_TYPE (5), "OA"
    deny_object,            // ACCESS_DENIED_OBJECT_ACE_TYPE (6), "OD"
    allow_callback,         // ACCESS_ALLOWED_CALLBACK_ACE_TYPE (9), "XA"
    deny_callback,          // ACCESS_DENIED_CALLBACK_ACE_TYPE (10), "XD"
    allow_callback_object,  // ACCESS_ALLOWED_CALLBACK_OBJECT_ACE_TYPE (11), "ZA"
    deny_callback_object,   // ACCESS_DENIED_CALLBACK_OBJECT_ACE_TYPE (12)
    // Audit, alarm, label, resource attribute and scoped policy ACEs (types
    // 2, 3, 7, 8, 13-19). Windows' access check grants and denies nothing
    // through them in a DACL; they are kept, never judged.
    other,
};

// Whether an ACE of this type can take rights away (any kind of deny).
inline bool is_deny(AceType t) {
    return t == AceType::deny || t == AceType::deny_object || t == AceType::deny_callback ||
           t == AceType::deny_callback_object;
}
// Whether an ACE of this type grants without a condition PermWatch cannot
// evaluate: only the plain allow. A callback allow holds only while its
// condition does; an object allow only for the object type it names.
inline bool grants_for_sure(AceType t) { return t == AceType::allow; }

// ACE flag bits, numerically as in Windows' ACE_HEADER.AceFlags.
namespace ace_flags {
inline constexpr std::uint8_t object_inherit = 0x01;     // OI
inline constexpr std::uint8_t container_inherit = 0x02;  // CI
inline constexpr std::uint8_t no_propagate = 0x04;       // NP
inline constexpr std::uint8_t inherit_only = 0x08;       // IO
inline constexpr std::uint8_t inherited = 0x10;          // ID
inline constexpr std::uint8_t successful_access = 0x40;  // SA (audit ACEs)
inline constexpr std::uint8_t failed_access = 0x80;      // FA (audit ACEs)
}  // namespace ace_flags

// A GUID in its binary layout (Data1..3 little-endian, Data4 as bytes).
using Guid = std::array<std::uint8_t, 16>;

struct Ace {
    AceType type = AceType::allow;
    std::uint8_t flags = 0;
    AccessMask mask = 0;
    Sid sid;
    // Windows' type byte, for `other` only (for the others it follows from
    // `type`).
    std::uint8_t raw_type = 0;
    // Object ACEs: the object types they are limited to, when present.
    std::optional<Guid> object_type = std::nullopt;
    std::optional<Guid> inherited_object_type = std::nullopt;
    // Bytes after the SID as Windows stored them: a callback ACE's condition
    // (compiled), a resource attribute's claim. Kept as they were.
    std::vector<std::uint8_t> application_data = {};
    // A callback ACE's condition as SDDL text (from parse_sddl only; a
    // condition read from a key is in application_data).
    std::string condition = {};

    bool is_inherited() const { return (flags & ace_flags::inherited) != 0; }
    friend bool operator==(const Ace&, const Ace&) = default;
};

// Windows' ACE_HEADER.AceType of an ACE.
inline std::uint8_t windows_ace_type(const Ace& ace) {
    switch (ace.type) {
        case AceType::allow:
            return 0;
        case AceType::deny:
            return 1;
        case AceType::allow_object:
            return 5;
        case AceType::deny_object:
            return 6;
        case AceType::allow_callback:
            return 9;
        case AceType::deny_callback:
            return 10;
        case AceType::allow_callback_object:
            return 11;
        case AceType::deny_callback_object:
            return 12;
        case AceType::other:
            break;
    }
    return ace.raw_type;
}

// Whether Windows lays the ACE out as an object ACE (flags and GUIDs before
// the SID), by its type byte.
inline bool is_object_layout(std::uint8_t windows_type) {
    return (windows_type >= 5 && windows_type <= 8) || windows_type == 11 || windows_type == 12 ||
           windows_type == 15 || windows_type == 16;
}

// Whether Windows keeps data after the SID in this type of ACE: a callback's
// condition, a resource attribute's claim.
inline bool carries_application_data(std::uint8_t windows_type) {
    return (windows_type >= 9 && windows_type <= 16) || windows_type == 18;
}

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

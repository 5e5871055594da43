// What a key passes down to its existing subkeys, computed as Windows'
// propagation does, so that PermWatch can write each subkey itself through a
// handle that never follows a registry link (SetSecurityInfo's own walk opens
// children by name and would write through a link planted below a key).
#pragma once

#include <cstddef>
#include <optional>

#include "core/security/security_descriptor.hpp"

namespace permwatch {

// Bounds on one propagation: a subtree deeper or larger than this is left
// part-written and reported rather than walked without end.
inline constexpr std::size_t kMaxPropagationDepth = 32;
inline constexpr std::size_t kMaxPropagatedSubkeys = 10000;

// The ACEs a subkey inherits from a parent whose DACL is `parent`, marked
// inherited (ID), in the parent's order. CREATOR OWNER and CREATOR GROUP
// become the subkey's `owner` and `group` in the copy that applies to it, and
// generic rights are mapped to key rights there, as Windows does.
std::vector<Ace> inherited_aces(const Acl& parent, const std::optional<Sid>& owner,
                                const std::optional<Sid>& group);

// The DACL `child` should have under a parent whose DACL is `parent`: its own
// (non-inherited) ACEs as they are, then what the parent passes down. nullopt
// when nothing changes: the subkey is protected (P), or already so. A subkey
// that does not change passes nothing new down either, so a walk stops there.
std::optional<Acl> dacl_inheriting_from(const Acl& parent, const SecurityDescriptor& child);

// Whether `after` passes anything different to subkeys than `before` did:
// when not, a write of `after` needs no walk below the key.
bool passes_down_differently(const Acl& before, const Acl& after);

}  // namespace permwatch

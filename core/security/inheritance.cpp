#include "core/security/inheritance.hpp"

namespace permwatch {

namespace {

using namespace ace_flags;

const Sid kCreatorOwner{3, {0}};
const Sid kCreatorGroup{3, {1}};

// The copy of `ace` that applies to the subkey itself: creator SIDs stand for
// the subkey's owner and group, generic rights for the key rights they map to.
Ace effective_copy(const Ace& ace, const std::optional<Sid>& owner,
                   const std::optional<Sid>& group) {
    Ace copy = ace;
    copy.flags = inherited;
    copy.mask = map_generic_to_key_rights(ace.mask);
    if (ace.sid == kCreatorOwner && owner) copy.sid = *owner;
    if (ace.sid == kCreatorGroup && group) copy.sid = *group;
    return copy;
}

}  // namespace

std::vector<Ace> inherited_aces(const Acl& parent, const std::optional<Sid>& owner,
                                const std::optional<Sid>& group) {
    std::vector<Ace> out;
    if (parent.is_null) return out;
    for (const Ace& ace : parent.aces) {
        const bool to_keys = (ace.flags & container_inherit) != 0;
        const bool onward = (ace.flags & no_propagate) == 0;
        if (!to_keys) {
            // Meant for objects below only (OI without CI): a key carries it
            // on, inherit-only, unless it stops here.
            if ((ace.flags & object_inherit) && onward) {
                Ace carried = ace;
                carried.flags = object_inherit | inherit_only | inherited;
                out.push_back(std::move(carried));
            }
            continue;
        }
        const Ace effective = effective_copy(ace, owner, group);
        if (!onward) {
            out.push_back(effective);
            continue;
        }
        const std::uint8_t passing = (ace.flags & (object_inherit | container_inherit)) | inherited;
        if (effective.sid == ace.sid && effective.mask == ace.mask) {
            // One ACE both applies here and passes on.
            Ace both = ace;
            both.flags = passing;
            out.push_back(std::move(both));
        } else {
            // The applying copy changed (creator SID, generic rights): Windows
            // keeps the original for further subkeys as an inherit-only ACE.
            out.push_back(effective);
            Ace carried = ace;
            carried.flags = passing | inherit_only;
            out.push_back(std::move(carried));
        }
    }
    return out;
}

std::optional<Acl> dacl_inheriting_from(const Acl& parent, const SecurityDescriptor& child) {
    // A null DACL (everyone may do everything) is left as it is: replacing it
    // by the inherited ACEs would decide who may reach the key, which is an
    // administrator's choice, not a propagation's.
    if (!child.dacl || child.dacl->is_protected || child.dacl->is_null) return std::nullopt;
    Acl next = *child.dacl;
    std::erase_if(next.aces, [](const Ace& ace) { return ace.is_inherited(); });
    std::vector<Ace> from_parent = inherited_aces(parent, child.owner, child.group);
    next.aces.insert(next.aces.end(), from_parent.begin(), from_parent.end());
    if (next == *child.dacl) return std::nullopt;
    return next;
}

bool passes_down_differently(const Acl& before, const Acl& after) {
    // The same stand-ins on both sides: only what differs between the two
    // DACLs can make the lists differ.
    const std::optional<Sid> owner = kCreatorOwner, group = kCreatorGroup;
    return inherited_aces(before, owner, group) != inherited_aces(after, owner, group);
}

}  // namespace permwatch

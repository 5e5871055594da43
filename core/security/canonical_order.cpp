// Canonical order is what Windows' ACL editor and SetEntriesInAcl produce and
// what AccessCheck's "first matching deny wins" reasoning assumes: explicit
// deny, explicit allow, then inherited ACEs. Inherited ACEs are left in the
// order written: their canonical order depends on which ancestor they came
// from, which the DACL alone does not say.
#include "core/security/canonical_order.hpp"

#include <algorithm>

namespace permwatch {

namespace {

// Every kind of deny goes first, as in Windows' ACL editor; ACEs that grant
// and deny nothing (audit, label) count with the allows.
int group_of(const Ace& ace) {
    if (ace.is_inherited()) return 2;
    return is_deny(ace.type) ? 0 : 1;
}

}  // namespace

bool is_canonical(const Acl& acl) {
    return std::is_sorted(acl.aces.begin(), acl.aces.end(),
                          [](const Ace& a, const Ace& b) { return group_of(a) < group_of(b); });
}

Acl to_canonical(Acl acl) {
    std::stable_sort(acl.aces.begin(), acl.aces.end(),
                     [](const Ace& a, const Ace& b) { return group_of(a) < group_of(b); });
    return acl;
}

}  // namespace permwatch

// Canonical ACE order: explicit deny, explicit allow, then inherited ACEs in
// the order they were written.
#pragma once

#include "core/security/security_descriptor.hpp"

namespace permwatch {

bool is_canonical(const Acl& acl);
// Stable: keeps the relative order within each of the three groups.
Acl to_canonical(Acl acl);

}  // namespace permwatch

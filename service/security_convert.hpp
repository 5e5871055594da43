// Conversion between core's value types and Windows' binary SIDs and ACLs.
// Built ACE by ACE rather than through SDDL text, so what is written is exactly
// what core planned (Wine's SDDL parser rejects some strings Windows accepts,
// docs/testing.md (b)).
#pragma once

#include <windows.h>

#include <optional>
#include <vector>

#include "core/security/security_descriptor.hpp"

namespace permwatch::win {

Sid from_psid(PSID sid);
// Binary SID in a buffer.
std::vector<unsigned char> to_binary_sid(const Sid& sid);

// Reads owner, group and DACL from a security descriptor (any form), every
// ACE type a DACL can hold, each length checked against the ACL's own size.
// Throws Win32Error on a malformed descriptor or an ACE it could not write
// back as it was.
SecurityDescriptor from_descriptor(PSECURITY_DESCRIPTOR sd);

// A binary ACL with the ACEs in the given order, each laid out as Windows
// does (an ACE read by from_descriptor comes back byte for byte, padding
// aside). Throws Win32Error.
std::vector<unsigned char> to_binary_acl(const Acl& acl);

}  // namespace permwatch::win

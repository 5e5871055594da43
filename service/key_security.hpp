// A key's descriptor read and its DACL written through a handle the caller
// opened (never by name: a name can be redirected between two calls).
#pragma once

#include <windows.h>

#include <vector>

#include "core/security/security_descriptor.hpp"

namespace permwatch::win {

// RegGetKeySecurity into `buf`, grown until the descriptor fits. Returns the
// Win32 error code.
LONG get_key_security(HKEY key, SECURITY_INFORMATION what, std::vector<unsigned char>& buf);

// The key's owner, group and DACL; false when they could not be read or
// converted.
bool read_key_security(HKEY key, SecurityDescriptor& out);

// Writes `dacl` with its control flags (P, AI, AR) as the key's own DACL, with
// RegSetKeySecurity: nothing is passed to subkeys here (core/inheritance and
// the registry adapter's walk do that, opening each subkey as itself).
// Returns the Win32 error code.
DWORD set_key_dacl(HKEY key, const Acl& dacl);

}  // namespace permwatch::win

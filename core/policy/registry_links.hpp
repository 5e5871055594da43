// Which registry link PermWatch follows on the way to a watched key: only
// Windows' own `HKLM\SYSTEM\CurrentControlSet`, which the product's keys
// (`...\CurrentControlSet\Services\...`) sit behind on every real node. Any
// other link, at any level, could have been planted by an account that may
// create subkeys there, to steer SYSTEM's writes onto a key of its choosing.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/security/security_descriptor.hpp"

namespace permwatch {

// `link` is the link key's path below HKLM (SYSTEM\CurrentControlSet),
// `target` its SymbolicLinkValue as stored
// (\REGISTRY\MACHINE\SYSTEM\ControlSet001), `sd` its owner and DACL.
// nullopt when the link may be followed; otherwise why not, for an
// administrator.
std::optional<std::string> refuse_link(std::string_view link, std::string_view target,
                                       const SecurityDescriptor& sd);

}  // namespace permwatch

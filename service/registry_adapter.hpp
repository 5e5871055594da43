// RegistryPort on the real registry: reads a key's owner, group and DACL and
// writes its DACL (owner and group untouched), in the 64-bit view.
#pragma once

#include "core/ports.hpp"

namespace permwatch::win {

class Win32Registry final : public RegistryPort {
public:
    KeyRead read(const std::string& path) override;
    KeyWrite write_dacl(const std::string& path, const Acl& dacl) override;
    KeyUpdate update_dacl(const std::string& path, const DaclDecision& decide) override;
};

}  // namespace permwatch::win

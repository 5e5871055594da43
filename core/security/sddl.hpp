// SDDL parse and format for registry key descriptors (owner, group, DACL).
// PermWatch may refuse what Windows accepts (SACLs, some condition texts),
// with one clear error, but never reads a string differently.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/security/security_descriptor.hpp"

namespace permwatch {

class SddlError : public std::runtime_error {
public:
    SddlError(std::size_t offset, const std::string& what_was_expected);
    std::size_t offset() const { return offset_; }

private:
    std::size_t offset_;
};

// Throws SddlError (offset into `text` and what was expected there). Never
// returns a partial descriptor.
SecurityDescriptor parse_sddl(std::string_view text);

// Formats as Windows does: aliases for well-known SIDs, the full-right codes
// (KA, KR, ...) when the mask is exactly one, else letter codes when every bit
// has one, else hex. parse_sddl(format_sddl(sd)) == sd for every sd that a
// DACL can hold; throws std::invalid_argument for what it cannot (a null
// DACL with ACEs, an ACE type without a code).
std::string format_sddl(const SecurityDescriptor& sd);

}  // namespace permwatch

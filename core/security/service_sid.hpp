// The per-service SID Windows puts in a service's token (S-1-5-80-...):
// SHA-1 of the upper-cased service name in UTF-16LE, read as five
// sub-authorities. Known without asking Windows, so a deny for it can be
// judged offline too.
#pragma once

#include <optional>
#include <string_view>

#include "core/security/sid.hpp"

namespace permwatch {

// nullopt for a name that is not plain ASCII: Windows upper-cases with its
// own case table, which PermWatch does not carry.
std::optional<Sid> service_sid_of(std::string_view service_name);

// S-1-5-80-0, ALL SERVICES: in every service's token.
Sid all_services_sid();

}  // namespace permwatch

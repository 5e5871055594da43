// Whom another process runs as, read from its primary token: the facts
// behind "status believes only the service, SYSTEM or an elevated
// administrator" (core/pipe/pipe_trust.hpp decides).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/pipe/pipe_trust.hpp"

namespace permwatch::win {

// OpenProcess + OpenProcessToken(TOKEN_QUERY) + GetTokenInformation(TokenUser,
// TokenElevation, TokenGroups). nullopt, with why in `error`, when any of them
// fails (a process of another user may refuse it to a non-administrator).
std::optional<ProcessAccount> account_of_process(std::uint32_t pid, std::string& error);

}  // namespace permwatch::win

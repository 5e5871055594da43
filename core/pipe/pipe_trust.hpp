// `permwatch status` must not believe whoever answers on \\.\pipe\permwatch
// (another process may have taken the name first: pipe squatting). The client gathers facts about
// the process that serves the pipe (service/status_client.cpp) and this rule, transport-free and
// tested natively, decides.
//
// The rule:
//   - When the PermWatch service runs (QueryServiceStatusEx gives its pid), the
//     server must be that process (GetNamedPipeServerProcessId). Nothing else
//     is accepted then, not even another permwatch.exe: the name belongs to
//     the service.
//   - When it does not run (console mode, `run --console`), the server's image
//     (QueryFullProcessImageNameW) must be one of two files: the permwatch.exe
//     this client runs from, or the image the installed service is registered
//     with (QueryServiceConfig). Why these two: a process running either file
//     runs PermWatch's own code, which only serves what it checked itself from
//     a config it accepted (and `run` refuses a config that a
//     non-administrator can write); the client's own file is the one its user
//     already trusts to run, and the service's was put there by an
//     administrator at install. A name like "permwatch.exe" elsewhere proves
//     nothing: anyone can name a file so, so the whole path must match.
//   - A server whose image cannot be read is not trusted.
//   - And in console mode the server must also run as SYSTEM or as an elevated
//     administrator (its token's user is SYSTEM, or the token is elevated and
//     has Administrators enabled). The genuine exe proves only the code, not
//     what it watches: a user who runs `permwatch run --console` while the
//     service is stopped serves a config and a registry view of its own
//     choosing, with its own rights (it can repair nothing), and an
//     administrator's `status` would read "running, compliant". Such a
//     server is named (pid, image, account) and not believed. A server whose
//     token cannot be read is not believed either.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/security/sid.hpp"

namespace permwatch {

// Who a process runs as, from its primary token.
struct ProcessAccount {
    Sid user;               // TokenUser
    std::string user_name;  // "DOMAIN\name", or the SID when it has no name
    bool elevated = false;  // TokenElevation
    // Administrators is in TokenGroups and enabled (not deny-only, as in a
    // filtered token of an administrator who did not elevate).
    bool administrators = false;
};

struct PipeServerFacts {
    std::uint32_t server_pid = 0;
    // The running service's pid; nullopt when it is not installed or not running.
    std::optional<std::uint32_t> service_pid;
    // The server process's image path, or nullopt with why it is unknown.
    std::optional<std::string> server_image;
    std::string server_image_error;
    // The client's own image (GetModuleFileNameW).
    std::string own_image;
    // The installed service's image (from its command line), if installed.
    std::optional<std::string> service_image;
    // Whom the server process runs as, or nullopt with why it is unknown.
    // Needed in console mode only.
    std::optional<ProcessAccount> server_account;
    std::string server_account_error;
};

// SYSTEM, or an elevated token with Administrators enabled.
bool runs_with_administrator_power(const ProcessAccount& account);

// nullopt when the server is PermWatch; else the one line to print, e.g.
// "\\.\pipe\permwatch is not PermWatch (pid 1234, image C:\x\evil.exe)".
std::optional<std::string> untrusted_pipe_server(std::string_view pipe_path,
                                                 const PipeServerFacts& facts);

// The executable of a service command line as the SCM stores it:
// `"C:\Program Files\PermWatch\permwatch.exe" run --config "F"`, or unquoted
// (Wine's msiexec writes `C:\Program Files\PermWatch\permwatch.exe run ...`),
// where the path ends at the first ".exe" followed by a space or the end.
std::string image_of_command_line(std::string_view command_line);

// Two Windows paths name the same file: ASCII case-insensitive, '/' as '\'.
// (No 8.3 names or links are resolved: both sides come from the loader.)
bool same_image(std::string_view a, std::string_view b);

}  // namespace permwatch

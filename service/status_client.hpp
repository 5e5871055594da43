// `permwatch status [--json]`: the client side of the status pipe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>

#include "core/cli/cli.hpp"

namespace permwatch::win {

struct PipeExchange {
    enum class Result {
        ok,         // reply holds one line, without its newline
        no_pipe,    // nobody serves that pipe name
        busy,       // every instance stayed busy past the connect timeout
        untrusted,  // the server is not who it should be; error says who it is
        failed,     // anything else; error says what
    };
    Result result = Result::failed;
    std::string reply;
    std::string error;
};

// Judges the process that serves the pipe, before anything is sent to it:
// nullopt to go on, else the line that says why not (Result::untrusted).
using ServerCheck = std::function<std::optional<std::string>(std::uint32_t server_pid)>;

// Connects to \\.\pipe\<pipe_name> (waiting up to connect_timeout while every
// instance is busy), asks `check` (if any) about the server's process, sends
// `request` and a newline, reads one reply line; the write and the read each
// get io_timeout. Opens with GENERIC_READ | FILE_WRITE_DATA (what the pipe's
// DACL grants users; see pipe_server.hpp) and identification-level
// impersonation only.
PipeExchange ask_pipe(const std::string& pipe_name, const std::string& request,
                      std::chrono::milliseconds connect_timeout = std::chrono::seconds(2),
                      std::chrono::milliseconds io_timeout = std::chrono::seconds(10),
                      const ServerCheck& check = {});

// The rule of core/pipe/pipe_trust.hpp with this machine's facts: the PermWatch
// service's pid (QueryServiceStatusEx) and registered image
// (QueryServiceConfig), the server's image (QueryFullProcessImageNameW) and
// our own (GetModuleFileNameW). `where` names the pipe in the message.
std::optional<std::string> check_pipe_server(const std::string& where, std::uint32_t server_pid);

// One status request the way `permwatch status` asks: first at the
// administrators' door (<pipe_name>-admin, pipe_server.hpp), which a flood on
// the public name cannot reach, then, if that door is closed to us, busy or
// absent, at the public name. Both servers are checked (check_pipe_server).
PipeExchange ask_status(const std::string& pipe_name);

// The pipe name from the config's "pipe" when --config (or the default path)
// loads, else "permwatch". Prints the status document (--json) or a table;
// 0, or 4 with one stderr line when the service cannot be asked or the pipe
// is served by a process that is not PermWatch (check_pipe_server).
int run_status(const CliOptions& options, std::ostream& out, std::ostream& err);

}  // namespace permwatch::win

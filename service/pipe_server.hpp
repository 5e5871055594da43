// The status pipe's transport (docs/reference.md "Named pipe"): overlapped
// instances of \\.\pipe\<name> on a Boost.Asio io_context, one request line in,
// one reply line out; the protocol itself is core/pipe/pipe_protocol.hpp, passed in
// as the handler. Every instance's errors end that connection only.
//
// Clients connect with GENERIC_READ | FILE_WRITE_DATA, not GENERIC_WRITE: the
// pipe's DACL gives Authenticated Users no FILE_CREATE_PIPE_INSTANCE, and
// GENERIC_WRITE maps to FILE_GENERIC_WRITE, which contains that bit (it is
// FILE_APPEND_DATA's value) and would be refused to non-administrators.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "core/pipe/pipe_protocol.hpp"

namespace permwatch::win {

// The pipe's security descriptor:
//   SYSTEM and Administrators: FA (FILE_ALL_ACCESS).
//   Authenticated Users: 0x12019b = FILE_GENERIC_READ (0x120089) |
//     FILE_GENERIC_WRITE (0x120116) without FILE_CREATE_PIPE_INSTANCE (0x4):
//     they may connect, read and write lines, but not add an instance of
//     their own to our pipe and so receive other clients' connections.
//   Nobody else; P (protected): nothing inherited.
//   Owner SYSTEM (O:SY), as WinFsp's launcher pipe has: the owner may always
//   read and change the DACL, so it is SYSTEM and not whichever account made
//   the pipe. Windows lets only a process that runs as SYSTEM name SYSTEM the
//   owner (ERROR_INVALID_OWNER otherwise): `run --console` by an
//   administrator falls back to kPipeSddl without the owner, and says so.
inline constexpr const wchar_t* kPipeOwner = L"O:SY";
inline constexpr const wchar_t* kPipeSddl = L"D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;0x12019b;;;AU)";

// The administrators' door: "<pipe>-admin", the same protocol, its own few
// instances, a DACL that lets only SYSTEM and Administrators open it. On
// Windows that DACL keeps every non-administrator out before the server
// does any work, so no flood on the public name can delay an
// administrator's `permwatch status`, which asks here first.
inline constexpr const char* kAdminPipeSuffix = "-admin";
inline constexpr const wchar_t* kAdminPipeSddl = L"D:P(A;;FA;;;SY)(A;;FA;;;BA)";

// "permwatch" -> L"\\\\.\\pipe\\permwatch"
std::wstring pipe_path(const std::string& pipe_name);
// "permwatch" -> L"\\\\.\\pipe\\permwatch-admin"
std::wstring admin_pipe_path(const std::string& pipe_name);

struct PipeServerOptions {
    // Instances of the pipe (1..254), all created at start() and reused with
    // DisconnectNamedPipe: when all are connected, new clients get
    // ERROR_PIPE_BUSY and wait in WaitNamedPipe.
    std::size_t max_instances = 16;
    // Of those, how many only a client in Administrators may hold, and how
    // many one client process may hold (core/pipe/pipe_admission.hpp).
    std::size_t reserved_for_admins = 1;
    std::size_t per_process = 4;
    // Instances of the administrators' door (kAdminPipeSuffix); 0: none.
    std::size_t admin_instances = 2;
    // A connection with no complete request line (or an unread reply) for
    // this long is closed, so a silent client cannot hold an instance.
    std::chrono::milliseconds idle_timeout{5000};
    // However busy, a connection is closed this long after it was accepted,
    // so clients that send a line every few seconds cannot keep instances.
    std::chrono::milliseconds lifetime{30000};
    // Optional: told about failures that end a connection or delay a new
    // instance (one line each, for the service log). Called on the io thread.
    std::function<void(const std::string&)> on_error;
    // Whether client process `pid` is an administrator, asked only when the
    // client would take a reserved instance. Default (empty): its primary
    // token is in Administrators. Tests inject identities here: under Wine
    // every process is the same administrator (docs/testing.md (p)).
    std::function<bool(std::uint32_t pid)> process_is_admin;
};

struct PipeServerStats {
    std::uint64_t connections = 0;  // clients accepted
    std::uint64_t requests = 0;     // lines answered by the handler
    std::uint64_t timeouts = 0;     // connections closed for idleness
    std::uint64_t lifetimes = 0;    // connections closed at the lifetime cap
    std::uint64_t refused = 0;      // clients refused (per-process cap, reserved instance)
    std::uint64_t too_long = 0;     // connections closed for a line over 64 KiB
    std::uint64_t errors = 0;       // connections or instances ended by an error
    std::uint64_t reused = 0;       // instances reused with DisconnectNamedPipe
    std::uint64_t peak_held = 0;    // most connections accepted and open at once
};

class PipeServer {
public:
    using Options = PipeServerOptions;
    // Called on the io thread; returns the reply line without its newline.
    // is_admin impersonates the client the first time it is asked on a
    // connection (and remembers the answer): ask it only when it matters.
    using Handler = std::function<std::string(const std::string& line, const IsAdmin& is_admin)>;

    // pipe_name: "permwatch" serves \\.\pipe\permwatch.
    PipeServer(boost::asio::io_context& io, std::string pipe_name, Handler handler,
               Options options = {});
    // Closes every instance (stop()): destroy it on the io thread, or when the
    // io_context is not running.
    ~PipeServer();
    PipeServer(const PipeServer&) = delete;
    PipeServer& operator=(const PipeServer&) = delete;

    // Creates the instances (the first with FILE_FLAG_FIRST_PIPE_INSTANCE:
    // fails if the name is already taken, by a second server or a squatter)
    // and starts accepting. Throws Win32Error; may be called again after a
    // failure. Call before io.run() or on the io thread.
    void start();
    // Closes every instance and connection; pending operations finish with
    // operation_aborted. Call on the io thread (or with io not running).
    void stop();

    const std::wstring& path() const;
    // Read on the io thread.
    PipeServerStats stats() const;

    struct Impl;

private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace permwatch::win

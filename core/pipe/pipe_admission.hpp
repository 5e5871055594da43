// Who may hold an instance of the status pipe (so that no client can take them all: pipe
// exhaustion). Transport-free, so the decisions are tested natively; the
// Windows pipe server asks it once per connection, when the client is known.
//
// The pipe has a fixed number of instances; each connected client holds one
// until it leaves. Without limits, a handful of clients that never finish (or
// that send a line every few seconds) keep every instance, and the
// administrator who needs `permwatch status` gets "busy". So:
//   - one client process holds at most `per_process` connections (counted by
//     GetNamedPipeClientProcessId, so many threads of one process count once);
//   - the last `reserved_for_admins` instances are only given to clients in
//     Administrators: whatever non-administrators do, one instance is left
//     for an administrator;
//   - (in the server) a connection lives at most its lifetime cap, however
//     busy it is, and at most the idle timeout between lines.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <unordered_map>

namespace permwatch {

struct PipeLimits {
    // Connections served at once: the pipe's instance count.
    std::size_t instances = 16;
    // Of those, how many only an administrator may take.
    std::size_t reserved_for_admins = 1;
    // Connections one client process may hold at once (administrators too: a
    // runaway script must not take the reserved instance from another admin).
    std::size_t per_process = 4;
};

enum class Admission {
    accepted,
    process_cap,  // that process already holds per_process connections
    reserved,     // only reserved instances are left and the client is not an administrator
    full,         // every instance is held (cannot happen with as many instances as the pipe has)
};

// The reply a refused client reads before the server closes its connection.
std::string_view admission_error(Admission a);

class PipeAdmission {
public:
    explicit PipeAdmission(PipeLimits limits);

    // A client of process `pid` asks to keep the instance it connected to.
    // `is_admin` is called only when the answer depends on it (it costs a
    // look at the client's token). On `accepted` the connection counts until
    // leave(pid).
    Admission admit(std::uint32_t pid, const std::function<bool()>& is_admin);
    void leave(std::uint32_t pid);

    std::size_t held() const { return held_; }
    std::size_t held_by(std::uint32_t pid) const;
    const PipeLimits& limits() const { return limits_; }

private:
    PipeLimits limits_;
    std::size_t held_ = 0;
    std::unordered_map<std::uint32_t, std::size_t> by_process_;
};

// How long to wait before trying again to create the pipe after `failures`
// failed attempts in a row (1 s, 2 s, 4 s ... at most 60 s): a squatter that
// holds the name is outlasted without a busy loop or a flood of events.
std::chrono::seconds pipe_create_retry_delay(unsigned failures);

}  // namespace permwatch

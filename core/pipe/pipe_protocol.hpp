// The status pipe's protocol (docs/reference.md "Named pipe"): one JSON request per
// line in, one JSON reply per line out. Transport-free, so it is tested
// natively; the Windows pipe server only moves lines.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <vector>

#include "core/check/key_report.hpp"
#include "core/pipe/status_snapshot.hpp"
#include "core/policy/config.hpp"

namespace permwatch {

// Longest request line accepted, newline not counted.
inline constexpr std::size_t max_request_bytes = 65536;

// Why a reload kept the running config: the text (one line per problem)
// and, for a config that was read but is wrong, each problem with its JSON
// pointer. A file refused before it was read (not trusted) has no problems.
struct ConfigRefusal {
    std::string text;
    std::vector<ConfigProblem> problems;
};

// What the protocol needs from the running watchdog. Called on its thread.
class StatusService {
public:
    virtual ~StatusService() = default;
    // What the status reply says (it adds "ok").
    virtual StatusSnapshot status() = 0;
    // Checks every key now (repairing in enforce mode); the reply is the
    // check --json document.
    virtual std::vector<KeyReport> check_now() = 0;
    // Reloads the config file; why not when it was rejected or refused and
    // the old one kept.
    virtual std::optional<ConfigRefusal> reload() = 0;
};

// Whether the client is an administrator. Asked only by a command that is for
// administrators: the server answers it by impersonating the client, which is
// most of what a status connection costs, and status does not need it.
using IsAdmin = std::function<bool()>;

// One reply line (no newline) for one request line.
std::string handle_pipe_request(std::string_view line, const IsAdmin& is_admin,
                                StatusService& service);

// {"ok":false,"error":"..."}
std::string pipe_error(std::string_view message);

}  // namespace permwatch

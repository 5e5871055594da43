// The status pipe's protocol (docs/reference.md "Named pipe"): one JSON request per
// line in, one JSON reply per line out. Transport-free, so it is tested
// natively; the Windows pipe server only moves lines.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace permwatch {

// Longest request line accepted, newline not counted.
inline constexpr std::size_t max_request_bytes = 65536;

// What the protocol needs from the running watchdog. Called on its thread.
class StatusService {
public:
    virtual ~StatusService() = default;
    // The status document without "ok": version, mode, config, keys, cluster, counters.
    virtual nlohmann::ordered_json status() = 0;
    // Checks every key now (repairing in enforce mode) and returns the
    // check --json document.
    virtual nlohmann::ordered_json check_now() = 0;
    // Reloads the config file; the error (one line per problem) when it was
    // rejected and the old one kept.
    virtual std::optional<std::string> reload() = 0;
};

// One reply line (no newline) for one request line.
std::string handle_pipe_request(std::string_view line, bool is_admin, StatusService& service);

// {"ok":false,"error":"..."}
std::string pipe_error(std::string_view message);

}  // namespace permwatch

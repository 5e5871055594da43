// The configuration (CONTRACT.md "Configuration"): types and the loader.
// The loader validates everything and reports each problem with its JSON
// pointer; a config with any problem is rejected whole.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/access_mask.hpp"
#include "core/sid.hpp"

namespace permwatch {

enum class Mode { enforce, audit };

// Who a requirement is for. SID strings and SDDL aliases are resolved while
// loading; account names and service logon accounts need the AccountResolver.
struct Principal {
    enum class Kind { sid, account_name, service_account_of };
    Kind kind = Kind::sid;
    Sid sid;           // Kind::sid
    std::string name;  // Kind::account_name ("DOMAIN\\user") or the service name

    // How findings name an unresolved principal: the SID string, the account
    // name, or "service_account_of:MSExchangeSA".
    std::string text() const;
    friend bool operator==(const Principal&, const Principal&) = default;
};

struct Requirement {
    Principal principal;
    AccessMask rights = 0;     // as configured (may hold generic bits)
    std::uint8_t inherit = 0;  // ace_flags bits: CI, OI, IO, NP
    friend bool operator==(const Requirement&, const Requirement&) = default;
};

enum class CheckpointMode { automatic, yes, no };

struct KeyPolicy {
    std::string path;  // as the config wrote it
    CheckpointMode checkpoint = CheckpointMode::automatic;
    std::vector<Requirement> require;
    friend bool operator==(const KeyPolicy&, const KeyPolicy&) = default;
};

struct Flapping {
    int max_repairs = 5;
    int window_s = 60;
    int backoff_s = 300;
    friend bool operator==(const Flapping&, const Flapping&) = default;
};

struct Config {
    int version = 1;
    Mode mode = Mode::enforce;
    int sweep_interval_s = 60;
    int debounce_ms = 50;
    // How long keys stay frozen after a failover prepare when neither online
    // nor failed comes (CONTRACT.md, Additions (turn 3)).
    int failover_timeout_s = 120;
    Flapping flapping;
    std::string pipe = "permwatch";
    std::string journal = "%ProgramData%\\PermWatch\\journal.jsonl";
    // The journal is rotated before a line would take it past this size
    // (core/journal_rotation.hpp); 5 rotated files are kept.
    std::int64_t journal_max_bytes = 10 * 1024 * 1024;
    std::vector<KeyPolicy> keys;
    friend bool operator==(const Config&, const Config&) = default;
};

// One JSON pointer reference token (RFC 6901): "~" becomes "~0", "/" "~1".
std::string json_pointer_token(std::string_view token);

struct ConfigProblem {
    std::string pointer;  // JSON pointer, "" for the document itself
    std::string message;  // what was wrong and what was expected
};

struct ConfigResult {
    std::optional<Config> config;  // set only when problems is empty
    std::vector<ConfigProblem> problems;
};

// Parses and validates config JSON text.
ConfigResult load_config(std::string_view json_text);

// "HKLM\\..." and "HKEY_LOCAL_MACHINE\\..." name the same key; comparison is
// case-insensitive. Returns the form "HKLM\\REST" with REST unchanged in case,
// or nullopt when the path does not start with either root.
std::optional<std::string> normalize_key_path(std::string_view path);
bool same_key_path(std::string_view a, std::string_view b);
// Whether `key` is the checkpointed key or lies inside its subtree.
bool inside_checkpoint(const std::string& key, const std::string& checkpoint_key);

std::string_view to_string(Mode mode);

}  // namespace permwatch

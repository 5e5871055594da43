// The configuration (docs/reference.md "Configuration"): types and the loader's
// entry points (config_loader.cpp). The loader validates everything and
// reports each problem with its JSON pointer, as data; a config with any
// problem is rejected whole.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/security/access_mask.hpp"
#include "core/security/sid.hpp"

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

// Where a key learned from the cluster ("keys": "auto") came from, and why
// each of its requirements is there (status shows both).
struct AutoOrigin {
    std::string resource;  // the resources that checkpoint the key, ", "-joined
    std::string group;
    std::vector<std::string> because;  // one line per requirement, same order
    // What could not be learned (a Generic Service's ServiceName, say), so
    // that a requirement the key would have had is missing; "" when none.
    std::string problem;
    friend bool operator==(const AutoOrigin&, const AutoOrigin&) = default;
};

struct KeyPolicy {
    std::string path;  // as the config wrote it
    CheckpointMode checkpoint = CheckpointMode::automatic;
    std::vector<Requirement> require;
    // Set for a key the config did not name: a registry checkpoint of a
    // resource this node may own ("keys": "auto").
    std::optional<AutoOrigin> origin;
    friend bool operator==(const KeyPolicy&, const KeyPolicy&) = default;
};

// Requirements "auto_rules" adds to every checkpoint of one resource type.
struct ResourceTypeRule {
    std::string resource_type;  // as the cluster names it, matched without case
    std::vector<Requirement> require;
    friend bool operator==(const ResourceTypeRule&, const ResourceTypeRule&) = default;
};

// "keys": "auto" (or "auto" among the keys): guard every registry
// checkpoint of every resource this node may own (core/cluster/auto_keys.hpp).
struct AutoKeys {
    bool enabled = false;
    // What a Generic Service's own logon account gets ("auto_rights"): full
    // control, as KB Q192493's fix grants the Exchange service account, since
    // a service may create, write and delete anything below its key.
    AccessMask service_rights = rights::key_all_access;
    std::vector<ResourceTypeRule> rules;  // "auto_rules"
    friend bool operator==(const AutoKeys&, const AutoKeys&) = default;
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
    // nor failed comes (event 3003).
    int failover_timeout_s = 120;
    Flapping flapping;
    std::string pipe = "permwatch";
    std::string journal = "%ProgramData%\\PermWatch\\journal.jsonl";
    // The journal is rotated before a line would take it past this size
    // (core/journal/journal_rotation.hpp); 5 rotated files are kept.
    std::int64_t journal_max_bytes = 10 * 1024 * 1024;
    // The keys the config names, then (once the cluster is asked) the keys
    // learned from it, each with its origin.
    std::vector<KeyPolicy> keys;
    AutoKeys auto_keys;
    friend bool operator==(const Config&, const Config&) = default;
};

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
// The same for a file; one problem ("cannot be read") when it cannot be read.
ConfigResult load_config_file(const std::string& path);

// One line for an administrator: "config FILE: /keys/0/path: message"
// (`kind` "snapshot" for a snapshot file).
std::string describe_problem(const std::string& file, const ConfigProblem& problem,
                             std::string_view kind = "config");
// Every problem of a config, each described, joined by "; " (one event log line).
std::string describe_problems(const std::string& file, const std::vector<ConfigProblem>& problems);

std::string_view to_string(Mode mode);

}  // namespace permwatch

// The engine: the only stateful part of the core. It reacts to change
// notifications, sweeps and explicit checks through the ports, debounces
// bursts, repairs (journal first) in enforce mode, stops fighting another
// actor that keeps undoing its repairs (flapping), and keeps the status model.
// Single-threaded: the runner in service/ calls it from one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/check/key_report.hpp"
#include "core/engine/apply_plan.hpp"
#include "core/journal/journal.hpp"
#include "core/policy/config.hpp"
#include "core/ports/account_resolver.hpp"
#include "core/ports/ports.hpp"

namespace permwatch {

struct EngineCounters {
    std::uint64_t checks = 0;         // evaluations of a key
    std::uint64_t notifications = 0;  // change notifications received
    std::uint64_t sweeps = 0;
    std::uint64_t drift_found = 0;
    std::uint64_t repairs = 0;  // descriptors written
    std::uint64_t repair_failures = 0;
    std::uint64_t flapping = 0;  // times a key was put into back-off
    std::uint64_t deferred = 0;  // checks put off because the key was frozen
    std::uint64_t replans = 0;   // repairs planned again: the key changed before the write
};

struct KeyStatus {
    std::string path;
    KeyState state = KeyState::compliant;
    std::string sddl;
    std::string last_check;   // UTC, empty when never
    std::string last_repair;  // UTC, empty when never
    std::vector<Finding> findings;
    std::uint64_t repairs = 0;
};

// What a check of the key found, as `check` reports it (the last check's
// state, descriptor and findings; no plan).
KeyReport report_of(const KeyStatus& status);

// A cheap fingerprint of a descriptor, to let the sweep skip evaluation of
// keys that did not change.
std::uint64_t hash_descriptor(const SecurityDescriptor& sd);

class Engine {
public:
    using TimePoint = std::chrono::steady_clock::time_point;

    struct Ports {
        RegistryPort& registry;
        AccountResolver& accounts;
        Journal& journal;
        AlertSink& alerts;
        Clock& clock;
    };

    Engine(Config config, Ports ports);

    // Checks every key now (start, reload, resync).
    void check_all();
    // One key now, outside the debounce (pipe "check", failover). A failover
    // repair ignores a flapping back-off: the restore needs the key right now.
    void check_key_now(std::size_t index, const std::string& reason, bool ignore_backoff = false);
    // A change notification for a watched key: handled after debounce_ms.
    void key_changed(std::size_t index);
    // Handles debounced keys and ended back-offs whose time has come.
    void run_due();
    // When run_due has work next; nullopt when nothing is pending.
    std::optional<TimePoint> next_due() const;
    // Re-reads every key; evaluates only those whose descriptor changed.
    void sweep() { sweep_part(0, status_.size()); }
    // The same for keys [first, first + count) (a sweep that starts at 0
    // is counted); returns the index after the last key it looked at. The
    // service sweeps in parts so that a failover's prepare, queued behind
    // the sweep, freezes a subtree before the sweep opens the rest of it.
    std::size_t sweep_part(std::size_t first, std::size_t count);
    // Swaps in a new, already validated configuration; keeps the state of
    // keys that stay, then checks every key.
    // With `check` false the keys are not checked here: the caller checks
    // them when it may open them (a failover's prepare may have to come
    // first).
    void replace_config(Config config, bool check = true);

    // Failover freeze (docs/design.md "Hold nothing inside a checkpoint"): while a checkpointed
    // subtree is frozen the engine opens no key inside it; sweeps, debounced and explicit checks of
    // those keys are deferred. Subtrees nest and repeat (two groups may
    // freeze the same one): each freeze needs its own thaw.
    void freeze(const std::string& subtree);
    // Returns the keys that thawed (no other freeze holds them), in order:
    // the caller checks them (a restore rewrote them without notifications).
    std::vector<std::size_t> thaw(const std::string& subtree);
    bool frozen(std::size_t index) const { return frozen_[index]; }
    // One flag per key, for the watcher's handles.
    const std::vector<bool>& frozen_keys() const { return frozen_; }

    const Config& config() const { return config_; }
    const std::vector<KeyStatus>& keys() const { return status_; }
    const EngineCounters& counters() const { return counters_; }

private:
    // What the engine tracks per key beyond its status.
    // Kept small: there is one per key (a std::deque here cost ~600 bytes a
    // key even when empty).
    struct Tracking {
        std::optional<std::uint64_t> hash;       // of the last descriptor read
        std::optional<std::uint64_t> sddl_hash;  // of the descriptor status_.sddl shows
        std::string last_failure;                // the last repair failure raised
        std::optional<TimePoint> pending;        // debounced work due then
        std::optional<TimePoint> backoff_until;
        std::vector<TimePoint> writes;  // within flapping.window_s, oldest first
    };

    void process(std::size_t index, const std::string& reason);
    // Enforce mode: look and repair through one handle (apply_plan).
    void inspect_and_repair(std::size_t index, const std::string& reason);
    // A read made elsewhere (audit mode, sweep): evaluated, then repaired.
    void evaluate_read(std::size_t index, const KeyRead& read, const std::string& reason);
    // Status, findings and drift alert for a descriptor read from the key;
    // the report when enforce mode wants it written.
    std::optional<KeyReport> evaluate(std::size_t index, const SecurityDescriptor& sd);
    // Repairs a key evaluated from an earlier read (re-plans if it changed).
    bool repair(std::size_t index, const KeyReport& report, const std::string& reason);
    // Counters, status, alerts and the read-back check after apply_plan.
    bool finish_repair(std::size_t index, const AppliedPlan& applied);
    bool flapping_guard(std::size_t index);
    void repair_failed(std::size_t index, const std::string& why);
    void set_error(std::size_t index, FindingKind kind, const std::string& message);
    // The key does not exist: an error, or "absent" for a learned checkpoint.
    void set_missing(std::size_t index, const std::string& why);
    void watch_due(std::size_t index) { due_.push_back(index); }
    // frozen_ from frozen_subtrees_, for the current keys.
    void compute_frozen();
    // A frozen key is not opened: the check is counted as deferred.
    bool defer_if_frozen(std::size_t index);
    // format_utc(now), without gmtime+snprintf for every key of a check_all.
    const std::string& now_utc();

    Config config_;
    Ports ports_;
    std::vector<KeyStatus> status_;  // one per config_.keys entry, same order
    std::vector<Tracking> tracking_;
    std::vector<std::string> frozen_subtrees_;  // one entry per freeze
    std::vector<bool> frozen_;                  // per key
    // Keys that may have a pending check or a back-off (may repeat or be
    // stale): run_due and next_due look at these instead of every key.
    std::vector<std::size_t> due_;
    EngineCounters counters_;
    // now_utc's cache: the second it formatted, and the text up to the dot.
    std::int64_t utc_second_ = -1;
    std::string utc_text_;
};

}  // namespace permwatch

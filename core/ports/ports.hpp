// The ports through which the engine reaches the outside world. Each has one
// real adapter (service/, Windows) and one fake (tests/).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/security/security_descriptor.hpp"

namespace permwatch {

struct KeyRead {
    enum class Status { ok, missing, error };
    Status status = Status::ok;
    SecurityDescriptor sd;  // owner, group and DACL, when ok
    std::string error;      // "what and where" for an administrator, when not ok
};

struct KeyWrite {
    bool ok = true;
    unsigned long code = 0;  // the Win32 error, when not ok
    std::string error;
};

// What a write passed down to the key's existing subkeys (core/inheritance).
struct Propagation {
    std::size_t written = 0;            // subkeys whose DACL was rewritten
    std::vector<std::string> problems;  // "what and where": links skipped, writes failed, bounds
};

// What update_dacl did, all through one handle opened for READ_CONTROL and
// WRITE_DAC.
struct KeyUpdate {
    KeyRead before;           // read just before the write
    bool written = false;     // a DACL was written (write.ok)
    KeyWrite write;           // the write's result, when one was attempted
    KeyRead after;            // read back after the write, when written
    Propagation propagation;  // to existing subkeys, when written
};

// Reads and writes key security. Paths are in the contract's form (HKLM\...).
class RegistryPort {
public:
    // Given the descriptor read through the write handle, the DACL to write,
    // or nullopt to write nothing.
    using DaclDecision = std::function<std::optional<Acl>(const SecurityDescriptor& current)>;
    // Asked before a subkey's DACL is rewritten to carry what its parent now
    // passes down: journals the change; false stops the walk there, so that
    // nothing is written that the journal does not hold.
    using SubkeyJournal = std::function<bool(const std::string& subkey,
                                             const SecurityDescriptor& before, const Acl& after)>;

    virtual ~RegistryPort() = default;
    virtual KeyRead read(const std::string& path) = 0;
    // The one way to write a DACL (owner and group stay as they are), so
    // that every write is planned from what is there and journaled first.
    // Opens the key once, reads its descriptor, lets `decide` choose the DACL
    // (and journal it), writes it and reads it back, all through that handle:
    // a change another administrator made after the caller's own read is seen
    // (and kept) instead of overwritten, and no second open is needed.
    // When the write changes what the key passes down, its existing subkeys
    // are rewritten too (journal_subkey first), each opened as itself below
    // its parent's handle: a registry link there is skipped and reported,
    // never written through.
    virtual KeyUpdate update_dacl(const std::string& path, const DaclDecision& decide,
                                  const SubkeyJournal& journal_subkey) = 0;
};

// Event ids (docs/reference.md "Event ids").
enum class EventId : int {
    service_started = 1000,
    service_stopped = 1001,
    drift_found = 2000,
    drift_repaired = 2001,
    repair_failed = 2002,
    flapping = 2003,
    journal_flush_failed = 2004,
    failover_prepared = 3000,
    checkpoint_rechecked = 3001,
    cluster_resync = 3002,
    failover_timed_out = 3003,
    config_rejected = 4000,
    config_refused = 4001,  // config or journal changeable by an untrusted account
    pipe_not_created = 4002,
};

// Where alerts go: the event log, the log file, a test's list.
class AlertSink {
public:
    virtual ~AlertSink() = default;
    // `strings` are the event's insertion strings, in the order of the message.
    virtual void raise(EventId id, const std::vector<std::string>& strings) = 0;
};

// The handles PermWatch holds inside watched keys (the change watcher's, and
// the keys the service's registry adapter keeps open between checks). The
// Cluster service cannot restore a checkpoint while any process holds a key
// inside the subtree, so the keys of a failover are frozen around it.
class WatchHandles {
public:
    virtual ~WatchHandles() = default;
    // One flag per configured key (the engine's order): true closes that
    // key's handles and keeps them closed; false re-opens and re-arms a key
    // that was closed, without reporting it (the caller checks it).
    virtual void set_frozen(const std::vector<bool>& frozen) = 0;
};

class Clock {
public:
    virtual ~Clock() = default;
    virtual std::chrono::steady_clock::time_point now() = 0;
    virtual std::chrono::system_clock::time_point wall() = 0;
};

class SystemClock final : public Clock {
public:
    std::chrono::steady_clock::time_point now() override {
        return std::chrono::steady_clock::now();
    }
    std::chrono::system_clock::time_point wall() override {
        return std::chrono::system_clock::now();
    }
};

}  // namespace permwatch

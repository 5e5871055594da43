// The ports through which the engine reaches the outside world. Each has one
// real adapter (service/, Windows) and one fake (tests/).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/security_descriptor.hpp"

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

// Reads and writes key security. Paths are in the contract's form (HKLM\...).
class RegistryPort {
public:
    virtual ~RegistryPort() = default;
    virtual KeyRead read(const std::string& path) = 0;
    // Writes the DACL only; owner and group stay as they are.
    virtual KeyWrite write_dacl(const std::string& path, const Acl& dacl) = 0;
};

// Event ids (CONTRACT.md "Event log").
enum class EventId : int {
    service_started = 1000,
    service_stopped = 1001,
    drift_found = 2000,
    drift_repaired = 2001,
    repair_failed = 2002,
    flapping = 2003,
    failover_prepared = 3000,
    checkpoint_rechecked = 3001,
    cluster_resync = 3002,
    config_rejected = 4000,
    pipe_not_created = 4002,
};

// Where alerts go: the event log, the log file, a test's list.
class AlertSink {
public:
    virtual ~AlertSink() = default;
    // `strings` are the event's insertion strings, in the order of the message.
    virtual void raise(EventId id, const std::vector<std::string>& strings) = 0;
};

// The handles PermWatch holds inside watched keys (the change watcher's). The
// Cluster service cannot restore a checkpoint while any process holds a key
// inside the subtree, so they are released around a failover.
class WatchHandles {
public:
    virtual ~WatchHandles() = default;
    virtual void release() = 0;
    // Reopens them; keys are checked again by the caller.
    virtual void reacquire() = 0;
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

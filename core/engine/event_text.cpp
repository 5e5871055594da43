#include "core/engine/event_text.hpp"

namespace permwatch {

EventLevel event_level(EventId id) {
    switch (id) {
        case EventId::drift_found:
        case EventId::flapping:
        case EventId::cluster_resync:
        case EventId::failover_timed_out:
        case EventId::pipe_not_created:
            return EventLevel::warning;
        case EventId::repair_failed:
        case EventId::journal_flush_failed:
        case EventId::config_rejected:
        case EventId::config_refused:
            return EventLevel::error;
        default:
            return EventLevel::info;
    }
}

std::string event_message(EventId id, const std::vector<std::string>& s) {
    auto at = [&](std::size_t i) { return i < s.size() ? s[i] : std::string("?"); };
    switch (id) {
        case EventId::service_started:
            return "PermWatch started: config " + at(0) + ", mode " + at(1) + ", " + at(2) +
                   " keys";
        case EventId::service_stopped:
            return "PermWatch stopped";
        case EventId::drift_found:
            return "drift on " + at(0) + ": " + at(1);
        case EventId::drift_repaired:
            return "repaired " + at(0) + ": before " + at(1) + " after " + at(2);
        case EventId::repair_failed:
            return "repair of " + at(0) + " failed: " + at(1);
        case EventId::flapping:
            return "flapping on " + at(0) + ": " + at(1) + " repairs in " + at(2) +
                   " s were undone by another actor; backing off for " + at(3) + " s";
        case EventId::journal_flush_failed:
            return "journal flush failed: " + at(0) + ": " + at(1) + "; retrying";
        case EventId::failover_prepared:
            return "failover prepared: group " + at(0) + ", key " + at(1) + ", " + at(2) + " ms";
        case EventId::checkpoint_rechecked:
            return "checkpoint re-checked after the resource came online: " + at(0);
        case EventId::cluster_resync:
            return "cluster connection lost; resynchronised: " + at(0);
        case EventId::failover_timed_out:
            return "failover wait timed out: group " + at(0) + ", key " + at(1) +
                   " thawed and re-checked after " + at(2) + " s";
        case EventId::config_rejected:
            return "configuration rejected: " + at(0);
        case EventId::config_refused:
            return "configuration refused, " + at(0);
        case EventId::pipe_not_created:
            return "status pipe " + at(0) + " could not be created: " + at(1) + "; retrying in " +
                   at(2) + " s";
    }
    return "event " + std::to_string(static_cast<int>(id));
}

}  // namespace permwatch

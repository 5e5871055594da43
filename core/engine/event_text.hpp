// The text of each event (docs/reference.md "Event ids"), for the log file and the
// console. The event log's own message file says the same with %1, %2...
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/ports/ports.hpp"

namespace permwatch {

enum class EventLevel { info, warning, error };

EventLevel event_level(EventId id);
// One line for an administrator: the key, what happened, what PermWatch did.
std::string event_message(EventId id, const std::vector<std::string>& strings);

}  // namespace permwatch

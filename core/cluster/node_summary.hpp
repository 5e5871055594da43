// One node's summary of itself, as PermWatch publishes it in the cluster
// database (docs/reference.md "Cluster summary"): version, mode, times, and per
// key its path, state, checkpoint and last repair, and the resources whose
// checkpoints it could not learn. Written by this node;
// read back by any node's `status --cluster` and `check --cluster`, where it
// is hostile input: another node, or anyone who can write the cluster
// database, wrote it. A summary that breaks any rule below is "unreadable"
// as a whole, never partly trusted.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/check/key_report.hpp"
#include "core/ports/cluster_port.hpp"

namespace permwatch {

// The largest summary text read back (bytes of UTF-8). One key costs about
// 250 bytes, so this holds a thousand keys; anything longer is refused
// before it is parsed.
inline constexpr std::size_t kMaxSummaryBytes = 256 * 1024;
// Keys in one summary, and characters in one of its strings.
inline constexpr std::size_t kMaxSummaryKeys = 2048;
inline constexpr std::size_t kMaxSummaryTextChars = 4096;
// Resources in "checkpoints_unknown". A reader refuses a longer list: the
// summary is then unreadable, so that node is not ready for any group,
// which is what so many unknown checkpoints amount to anyway.
inline constexpr std::size_t kMaxSummaryUnreadCheckpoints = 1024;
// The format written in "format"; a reader refuses any other.
inline constexpr int kSummaryFormat = 1;

struct PublishedKey {
    std::string path;  // as the node's config wrote it
    KeyState state = KeyState::compliant;
    // Set when the key is checkpointed: the resource and group that
    // checkpoint it ("" and "" for a key marked "checkpoint": true that no
    // discovered resource covers; such a key matters for every group).
    bool checkpointed = false;
    std::string resource;
    std::string group;
    std::optional<std::string> last_repair;  // UTC, as format_utc writes it
    friend bool operator==(const PublishedKey&, const PublishedKey&) = default;
};

struct NodeSummary {
    std::string node;
    std::string version;
    std::string mode;       // "enforce" or "audit"
    std::string time;       // UTC: when a key's state last changed (or PermWatch started)
    std::string heartbeat;  // UTC: when this summary was written
    int sweep_interval_s = 60;
    bool stopped = false;  // the node's PermWatch stopped cleanly
    std::vector<PublishedKey> keys;
    // The resources whose registry checkpoints this node could not learn
    // (core/ports/cluster_port.hpp's UnreadCheckpoints: resource, group, why; the
    // group "" when that was not learned either). Any key may be among their
    // checkpoints, so this node is not ready to take their group. Written
    // as "checkpoints_unknown" (always, [] for none); a summary without the
    // member comes from an older PermWatch and is read as none.
    std::vector<UnreadCheckpoints> checkpoints_unknown;
    friend bool operator==(const NodeSummary&, const NodeSummary&) = default;
};

// Compact JSON (one line), the form written to the cluster database. The
// texts of checkpoints_unknown come from Windows (an error text above all):
// their control characters become '?' and each is cut to
// kMaxSummaryTextChars bytes, since either would make the whole summary
// unreadable on every reader.
std::string serialize_summary(const NodeSummary& summary);

struct SummaryRead {
    std::optional<NodeSummary> summary;
    std::string problem;  // when no summary: what was wrong, for "unreadable: ..."
};

// Parses a summary read back from the cluster database under `node`'s key:
// bounded size, core/json_reading's guards (depth, members written twice),
// every field of the right type and range, no control characters (they
// would reach an administrator's terminal), UTC times that parse, and a
// "node" that is the one it was filed under. Unknown members are ignored (a
// newer PermWatch may add some).
SummaryRead parse_summary(std::string_view text, std::string_view node);

// "2026-11-30T11:00:00.123Z" (format_utc's form, milliseconds optional) →
// the time; nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> parse_utc(std::string_view text);

}  // namespace permwatch

// Reading an answer of unknown size from a foreign API (clusapi.dll) whose
// calls take a buffer and its size, and say "more data" with the size they
// need: offer a buffer, grow it to what the call asked for, call again. The
// asks are bounded (foreign_sizes.hpp): one beyond reason is refused, never
// allocated, and the answer is given up.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/common/foreign_sizes.hpp"

namespace permwatch {

// ERROR_MORE_DATA: the status a call gives when the buffer was too small
// (core has no <windows.h>; service/ checks that the two agree).
inline constexpr std::uint32_t kStatusMoreData = 234;

// How one answer is read, in the units the call counts in (characters or
// bytes).
struct GrowLimits {
    std::size_t initial = 0;  // offered on the first call
    std::size_t cap = 0;      // an ask at or above this is refused
    std::size_t slack = 0;    // zeroed units beyond the ask: room for NULs a callee may not write
};

// `buffer` grown to hold `asked` units (plus one for a NUL, plus the slack),
// zeroed; false, and `buffer` untouched, when the ask is refused (at or above
// the cap, or no larger than the buffer that was just too small).
template <typename Unit>
bool grow_to_ask(std::vector<Unit>& buffer, std::uint64_t asked, const GrowLimits& limits) {
    const auto grown = grown_size(asked, buffer.size(), limits.cap);
    if (!grown) return false;
    buffer.assign(*grown + limits.slack, Unit{});
    return true;
}

template <typename Unit>
struct GrownAnswer {
    // The last call's status; kStatusMoreData also when the ask was refused
    // (`refused`) or the grown buffer still did not fit.
    std::uint32_t status = 0;
    bool refused = false;
    // What the last call wrote back through its size: the units it filled,
    // or (with kStatusMoreData) the units it asked for.
    std::uint64_t size = 0;
    std::vector<Unit> buffer;  // as the last call left it; zeroed where it did not write

    bool ok() const { return status == 0; }
    // The units the answer holds: what the call said, never past the buffer.
    std::size_t filled() const {
        return static_cast<std::size_t>(std::min<std::uint64_t>(size, buffer.size()));
    }
};

// Calls `call(Unit* buffer, Size& size_in_out) -> status` with a buffer of
// `limits.initial` units, and when it answers kStatusMoreData, once more
// with the buffer grown to its ask (grow_to_ask). Once only: an answer that
// still does not fit is changing under the caller, who gives it up or asks
// again later. Status 0 is success (ERROR_SUCCESS).
template <typename Unit, typename Size, typename Call>
GrownAnswer<Unit> call_growing(const GrowLimits& limits, Call&& call) {
    GrownAnswer<Unit> out;
    out.buffer.assign(limits.initial, Unit{});
    for (int attempt = 0;; ++attempt) {
        Size size = static_cast<Size>(out.buffer.size());
        out.status = static_cast<std::uint32_t>(call(out.buffer.data(), size));
        out.size = static_cast<std::uint64_t>(size);
        if (out.status != kStatusMoreData || attempt > 0) return out;
        if (!grow_to_ask(out.buffer, out.size, limits)) {
            out.refused = true;
            return out;
        }
    }
}

}  // namespace permwatch

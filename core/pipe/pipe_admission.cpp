#include "core/pipe/pipe_admission.hpp"

#include <algorithm>
#include <stdexcept>

namespace permwatch {

std::string_view admission_error(Admission a) {
    switch (a) {
        case Admission::accepted:
            return "";
        case Admission::process_cap:
            return "too many connections from this process";
        case Admission::reserved:
            return "busy: the last instance of the pipe is kept for administrators";
        case Admission::full:
            return "busy: every instance of the pipe is in use";
    }
    return "refused";
}

PipeAdmission::PipeAdmission(PipeLimits limits) : limits_(limits) {
    if (limits_.instances < 1 || limits_.per_process < 1 ||
        limits_.reserved_for_admins >= limits_.instances) {
        throw std::invalid_argument(
            "pipe limits: instances >= 1, per_process >= 1, reserved_for_admins < instances");
    }
}

Admission PipeAdmission::admit(std::uint32_t pid, const std::function<bool()>& is_admin) {
    if (held_ >= limits_.instances) return Admission::full;
    if (held_by(pid) >= limits_.per_process) return Admission::process_cap;
    // Taking this instance would leave fewer than the reserved ones free.
    if (held_ + limits_.reserved_for_admins >= limits_.instances && !is_admin()) {
        return Admission::reserved;
    }
    ++held_;
    ++by_process_[pid];
    return Admission::accepted;
}

void PipeAdmission::leave(std::uint32_t pid) {
    const auto it = by_process_.find(pid);
    if (it == by_process_.end()) return;  // never admitted: nothing to give back
    if (--it->second == 0) by_process_.erase(it);
    --held_;
}

std::size_t PipeAdmission::held_by(std::uint32_t pid) const {
    const auto it = by_process_.find(pid);
    return it == by_process_.end() ? 0 : it->second;
}

std::chrono::seconds pipe_create_retry_delay(unsigned failures) {
    constexpr long long cap = 60;
    long long delay = 1;
    for (unsigned i = 1; i < failures && delay < cap; ++i) delay *= 2;
    return std::chrono::seconds(std::min(delay, cap));
}

}  // namespace permwatch

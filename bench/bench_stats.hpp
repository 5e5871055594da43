// What the benches compute from their samples, the same way in each.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <vector>

namespace permwatch::bench {

inline double ms_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
}

// The middle sample; the mean of the two middle ones for an even count.
inline double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The sample at fraction p (0..1) of the sorted samples, rounding down.
inline double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

}  // namespace permwatch::bench

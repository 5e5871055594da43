// TEST FAKE clussim.exe: its one way of telling what it did, a line per step
// on stdout starting "clussim: " (tests and the demo read them).
#pragma once

#include <windows.h>

#include <cstdio>
#include <string>

namespace clussim {

inline std::string utf8(const std::wstring& w) {
    if (w.empty()) return {};
    const int n = WideCharToMultiByte(CP_UTF8, 0, w.data(), static_cast<int>(w.size()), nullptr, 0,
                                      nullptr, nullptr);
    std::string out(static_cast<size_t>(n), '\0');
    WideCharToMultiByte(CP_UTF8, 0, w.data(), static_cast<int>(w.size()), out.data(), n, nullptr,
                        nullptr);
    return out;
}

inline void say(const std::wstring& line) {
    std::printf("clussim: %s\n", utf8(line).c_str());
    std::fflush(stdout);
}

}  // namespace clussim

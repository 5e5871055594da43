// One error type for the Windows boundary: the Win32 code, what was being done
// and where, and the system's own text for the code (FormatMessage).
#pragma once

#include <stdexcept>
#include <string>

namespace permwatch::win {

// "The system cannot find the file specified." for 2, without the trailing newline.
std::string error_text(unsigned long code);

// "opening HKLM\\X: Access is denied. (5)"
std::string describe(const std::string& doing, unsigned long code);

class Win32Error : public std::runtime_error {
public:
    Win32Error(const std::string& doing, unsigned long code)
        : std::runtime_error(describe(doing, code)), code_(code) {}
    unsigned long code() const { return code_; }

private:
    unsigned long code_;
};

// UTF-8 <-> UTF-16 for the W APIs.
std::wstring widen(const std::string& text);
std::string narrow(const std::wstring& text);

}  // namespace permwatch::win

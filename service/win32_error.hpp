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

// Text from outside that is not valid UTF-16 (an unpaired surrogate) or
// UTF-8. Windows' conversions would put U+FFFD in its place, and the text
// would then be parsed and believed as if it had been written that way;
// where such text enters, the caller treats this as malformed input.
class InvalidText : public std::runtime_error {
public:
    explicit InvalidText(const std::string& what) : std::runtime_error(what) {}
};

// UTF-8 <-> UTF-16 for the W APIs. Strict: throw InvalidText on a character
// the other encoding cannot hold (WC_ERR_INVALID_CHARS, MB_ERR_INVALID_CHARS),
// never replace it.
std::wstring widen(const std::string& text);
std::string narrow(const std::wstring& text);

// For text that is only ever shown (an error message naming a foreign
// name): each invalid character becomes '?'. Never parse or compare what
// this returns.
std::string narrow_for_message(const std::wstring& text);

}  // namespace permwatch::win

#include "service/win32_error.hpp"

#include <windows.h>

#include "service/unique_handle.hpp"

namespace permwatch::win {

std::string error_text(unsigned long code) {
    wchar_t* buffer = nullptr;
    const DWORD n = FormatMessageW(
        FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
        nullptr, code, 0, reinterpret_cast<wchar_t*>(&buffer), 0, nullptr);
    const UniqueLocal owned(buffer);
    std::wstring text = n && buffer ? std::wstring(buffer, n) : std::wstring();
    while (!text.empty() && (text.back() == L'\n' || text.back() == L'\r' || text.back() == L' ' ||
                             text.back() == L'.')) {
        text.pop_back();
    }
    if (text.empty()) return "Win32 error " + std::to_string(code);
    return narrow_for_message(text);
}

std::string describe(const std::string& doing, unsigned long code) {
    return doing + ": " + error_text(code) + " (" + std::to_string(code) + ")";
}

std::wstring widen(const std::string& text) {
    if (text.empty()) return {};
    const int size = static_cast<int>(text.size());
    const int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, text.data(), size, nullptr, 0);
    if (n <= 0) throw InvalidText("the text is not valid UTF-8");
    std::wstring out(static_cast<std::size_t>(n), L'\0');
    if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, text.data(), size, out.data(), n) != n)
        throw InvalidText("the text is not valid UTF-8");
    return out;
}

std::string narrow(const std::wstring& text) {
    if (text.empty()) return {};
    const int size = static_cast<int>(text.size());
    const int n = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, text.data(), size, nullptr, 0,
                                      nullptr, nullptr);
    if (n <= 0) throw InvalidText("the text is not valid UTF-16 (an unpaired surrogate)");
    std::string out(static_cast<std::size_t>(n), '\0');
    if (WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, text.data(), size, out.data(), n,
                            nullptr, nullptr) != n)
        throw InvalidText("the text is not valid UTF-16 (an unpaired surrogate)");
    return out;
}

std::string narrow_for_message(const std::wstring& text) {
    std::wstring shown = text;
    // A surrogate is valid only as a high one followed by a low one.
    for (std::size_t i = 0; i < shown.size(); ++i) {
        const wchar_t c = shown[i];
        const bool high = c >= 0xD800 && c <= 0xDBFF;
        const bool low = c >= 0xDC00 && c <= 0xDFFF;
        if (high && i + 1 < shown.size() && shown[i + 1] >= 0xDC00 && shown[i + 1] <= 0xDFFF) {
            ++i;
        } else if (high || low) {
            shown[i] = L'?';
        }
    }
    return narrow(shown);
}

}  // namespace permwatch::win

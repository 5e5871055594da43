// Probe (u): whether Wine's UTF-8 <-> UTF-16 conversions refuse invalid text
// when asked to (WC_ERR_INVALID_CHARS, MB_ERR_INVALID_CHARS), and what they
// do without the flag. PermWatch relies on the refusal (service/win32_error).
#include "probe_util.hpp"

namespace {

void to_utf8(const char* what, const std::wstring& text, DWORD flags) {
    SetLastError(0);
    char out[64] = {};
    const int n = WideCharToMultiByte(CP_UTF8, flags, text.data(), static_cast<int>(text.size()),
                                      out, sizeof out, nullptr, nullptr);
    std::printf("[u] WideCharToMultiByte(%s, flags 0x%lx) = %d, error %lu, bytes:", what, flags, n,
                GetLastError());
    for (int i = 0; i < n; ++i) std::printf(" %02x", static_cast<unsigned char>(out[i]));
    std::printf("\n");
}

void to_utf16(const char* what, const std::string& text, DWORD flags) {
    SetLastError(0);
    wchar_t out[64] = {};
    const int n =
        MultiByteToWideChar(CP_UTF8, flags, text.data(), static_cast<int>(text.size()), out, 64);
    std::printf("[u] MultiByteToWideChar(%s, flags 0x%lx) = %d, error %lu, units:", what, flags, n,
                GetLastError());
    for (int i = 0; i < n; ++i) std::printf(" %04x", static_cast<unsigned>(out[i]));
    std::printf("\n");
}

}  // namespace

int main() {
    const std::wstring lone_high = std::wstring(1, wchar_t(0xD800)) + L"0.1.0";
    const std::wstring lone_low = L"a" + std::wstring(1, wchar_t(0xDC00));
    const std::wstring pair = L"a" + std::wstring{wchar_t(0xD83D), wchar_t(0xDE00)};
    for (DWORD flags : {DWORD{0}, DWORD{WC_ERR_INVALID_CHARS}}) {
        to_utf8("U+D800 then 0.1.0", lone_high, flags);
        to_utf8("a then U+DC00", lone_low, flags);
        to_utf8("a then a surrogate pair", pair, flags);
    }
    for (DWORD flags : {DWORD{0}, DWORD{MB_ERR_INVALID_CHARS}}) {
        to_utf16("ff then a",
                 "\xff"
                 "a",
                 flags);
        to_utf16("ed a0 80 (CESU U+D800)", "\xed\xa0\x80", flags);
        to_utf16("c0 af (overlong /)", "\xc0\xaf", flags);
        to_utf16("e2 82 (cut short)", "\xe2\x82", flags);
        to_utf16("valid e2 82 ac", "\xe2\x82\xac", flags);
    }
    return 0;
}

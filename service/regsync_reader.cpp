#include "service/regsync_reader.hpp"

#include <windows.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/cluster/regsync_values.hpp"
#include "core/common/foreign_sizes.hpp"
#include "service/key_handle.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

namespace {

// One value at `index`: its name, type and, when small enough, its text.
// false when the enumeration ended (ERROR_NO_MORE_ITEMS) or failed.
bool read_value(HKEY key, DWORD index, RegSyncValue& out) {
    std::wstring name(kMaxRegSyncNameChars + 1, L'\0');
    // Whole wchar_t units, one more than the bound for a missing NUL.
    std::vector<wchar_t> data(kMaxRegSyncValueBytes / sizeof(wchar_t) + 1, L'\0');
    DWORD name_cch = static_cast<DWORD>(name.size());
    DWORD type = REG_NONE;
    DWORD bytes = static_cast<DWORD>(kMaxRegSyncValueBytes);
    LONG rc = RegEnumValueW(key, index, name.data(), &name_cch, nullptr, &type,
                            reinterpret_cast<BYTE*>(data.data()), &bytes);
    if (rc == ERROR_MORE_DATA) {
        // The name or the data did not fit. Ask again for the sizes only (no
        // data buffer): a name that fits comes back, with the data's size.
        name_cch = static_cast<DWORD>(name.size());
        bytes = 0;
        rc = RegEnumValueW(key, index, name.data(), &name_cch, nullptr, &type, nullptr, &bytes);
        out.name_too_long = rc == ERROR_MORE_DATA;
        if (rc != ERROR_SUCCESS && rc != ERROR_MORE_DATA) return false;
        out.name = out.name_too_long ? std::string() : narrow(std::wstring(name.data(), name_cch));
        out.type = type;
        // Not read, whatever its size: only a value that fit is believed.
        out.bytes = std::max<std::uint64_t>(bytes, kMaxRegSyncValueBytes + 1);
        return true;
    }
    if (rc != ERROR_SUCCESS) return false;
    out.name = narrow(std::wstring(name.data(), std::min<DWORD>(name_cch, kMaxRegSyncNameChars)));
    out.type = type;
    out.bytes = bytes;
    if (type == REG_SZ) {
        // Up to the first NUL, never past what was returned.
        const std::size_t units = std::min<std::size_t>(bytes / sizeof(wchar_t), data.size());
        out.text = narrow(std::wstring(data.data(), bounded_length(data.data(), units)));
    }
    return true;
}

}  // namespace

RegSyncRead read_regsync(const std::string& resource_id) {
    RegSyncRead out;
    if (!plausible_resource_id(resource_id)) {
        std::string shown;
        for (const char c : resource_id.substr(0, 80))
            shown += static_cast<unsigned char>(c) < 0x20 ? '?' : c;
        out.where = "HKLM\\Cluster\\Resources";
        out.error = "the cluster gave the resource id '" + shown +
                    "', which is not a GUID; it is not made part of a registry path";
        return out;
    }
    const std::wstring parts[] = {L"Cluster", L"Resources", widen(resource_id), L"RegSync"};
    std::wstring path;
    KeyHandle key;
    for (const std::wstring& part : parts) {
        path += (path.empty() ? L"" : L"\\") + part;
        // REG_OPTION_OPEN_LINK, one component at a time: a link is opened as
        // itself (and refused below) wherever it sits on the way, while a
        // whole-path open would follow every link but the last.
        HKEY next = nullptr;
        const LONG rc = RegOpenKeyExW(key ? key.get() : HKEY_LOCAL_MACHINE, part.c_str(),
                                      REG_OPTION_OPEN_LINK, KEY_READ | KEY_WOW64_64KEY, &next);
        if (rc != ERROR_SUCCESS) {
            out.where = "HKLM\\" + narrow(path);
            out.error = describe("opening " + out.where, static_cast<unsigned long>(rc));
            return out;
        }
        key = KeyHandle(next);
        if (const auto target = link_target(key.get())) {
            out.where = "HKLM\\" + narrow(path);
            out.error = out.where + " is a registry symbolic link (to " +
                        narrow_for_message(*target) + "); PermWatch does not follow it";
            return out;
        }
    }
    out.where = "HKLM\\" + narrow(path);
    DWORD count = 0;
    const LONG info = RegQueryInfoKeyW(key.get(), nullptr, nullptr, nullptr, nullptr, nullptr,
                                       nullptr, &count, nullptr, nullptr, nullptr, nullptr);
    if (info != ERROR_SUCCESS) {
        out.error =
            describe("counting the values of " + out.where, static_cast<unsigned long>(info));
        return out;
    }
    std::vector<RegSyncValue> values;
    // Nothing is enumerated past the bound: parse_regsync refuses such a key.
    for (DWORD i = 0; count <= kMaxRegSyncValues && i < count; ++i) {
        RegSyncValue v;
        if (!read_value(key.get(), i, v)) break;  // values removed meanwhile
        values.push_back(std::move(v));
    }
    RegSyncParse parsed = parse_regsync(values, count);
    out.keys = std::move(parsed.keys);
    out.problems = std::move(parsed.problems);
    return out;
}

}  // namespace permwatch::win

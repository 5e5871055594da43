// Probe: what the RegSync reader (service/regsync_reader)
// relies on, under Wine. Makes HKLM\Cluster\Resources\<probe id>\RegSync with
// one normal checkpoint value, one REG_SZ of 100,000 characters and, in a
// second key, 300 values; then asks:
//  - can HKLM\Cluster be created as a plain key (no cluster hive here)?
//  - RegEnumValue with a data buffer too small: return code, the size it
//    reports, and whether the name still comes back;
//  - the same call with no data buffer (sizes only);
//  - RegQueryInfoKey's value count for 300 values.
// Cleans up what it made (HKLM\Cluster only if it was not there before).
#include <windows.h>

#include <cstdio>
#include <string>
#include <vector>

namespace {

const wchar_t* const kKey = L"Cluster\\Resources\\00000000-0000-4000-8000-00000000beef\\RegSync";
const wchar_t* const kMany = L"Cluster\\Resources\\00000000-0000-4000-8000-00000000beef\\Many";

void enum_value(HKEY key, DWORD index, DWORD data_bytes, bool with_data) {
    wchar_t name[256] = {};
    DWORD name_cch = 256;
    DWORD type = 0;
    std::vector<BYTE> data(data_bytes ? data_bytes : 1);
    DWORD bytes = data_bytes;
    const LONG rc = RegEnumValueW(key, index, name, &name_cch, nullptr, &type,
                                  with_data ? data.data() : nullptr, &bytes);
    char shown[64] = {};
    for (int i = 0; i < 60 && name[i]; ++i) shown[i] = static_cast<char>(name[i] & 0x7F);
    std::printf(
        "[regsync] RegEnumValue(index %lu, data %s %lu bytes): rc %ld, name '%s' (%lu chars), "
        "type %lu, size %lu\n",
        static_cast<unsigned long>(index), with_data ? "buffer of" : "NULL, size",
        static_cast<unsigned long>(data_bytes), rc, shown, static_cast<unsigned long>(name_cch),
        static_cast<unsigned long>(type), static_cast<unsigned long>(bytes));
}

}  // namespace

int main() {
    HKEY existing = nullptr;
    const bool had_cluster = RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"Cluster", 0,
                                           KEY_READ | KEY_WOW64_64KEY, &existing) == ERROR_SUCCESS;
    if (existing) RegCloseKey(existing);
    std::printf("[regsync] HKLM\\Cluster existed before: %s\n", had_cluster ? "yes" : "no");
    HKEY key = nullptr;
    LONG rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, kKey, 0, nullptr, 0,
                              KEY_ALL_ACCESS | KEY_WOW64_64KEY, nullptr, &key, nullptr);
    std::printf("[regsync] RegCreateKeyEx(HKLM\\Cluster\\Resources\\<id>\\RegSync): %ld\n", rc);
    if (rc != ERROR_SUCCESS) return 1;
    const std::wstring normal = L"SOFTWARE\\Example";
    const std::wstring huge = L"Software\\" + std::wstring(100000, L'A');
    RegSetValueExW(key, L"00000001", 0, REG_SZ, reinterpret_cast<const BYTE*>(normal.c_str()),
                   static_cast<DWORD>((normal.size() + 1) * 2));
    rc = RegSetValueExW(key, L"00000002", 0, REG_SZ, reinterpret_cast<const BYTE*>(huge.c_str()),
                        static_cast<DWORD>((huge.size() + 1) * 2));
    std::printf("[regsync] RegSetValueEx of a REG_SZ of %zu characters: %ld\n", huge.size(), rc);
    enum_value(key, 0, 2050, true);
    enum_value(key, 1, 2050, true);  // too small for the huge value
    enum_value(key, 1, 0, false);    // sizes only
    RegCloseKey(key);

    HKEY many = nullptr;
    RegCreateKeyExW(HKEY_LOCAL_MACHINE, kMany, 0, nullptr, 0, KEY_ALL_ACCESS | KEY_WOW64_64KEY,
                    nullptr, &many, nullptr);
    for (int i = 1; i <= 300; ++i) {
        wchar_t name[16];
        swprintf(name, 16, L"%08X", i);
        RegSetValueExW(many, name, 0, REG_SZ, reinterpret_cast<const BYTE*>(normal.c_str()),
                       static_cast<DWORD>((normal.size() + 1) * 2));
    }
    DWORD count = 0;
    DWORD max_name = 0;
    DWORD max_data = 0;
    rc = RegQueryInfoKeyW(many, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, &count,
                          &max_name, &max_data, nullptr, nullptr);
    std::printf(
        "[regsync] RegQueryInfoKey on 300 values: rc %ld, values %lu, longest name %lu, "
        "largest data %lu\n",
        rc, static_cast<unsigned long>(count), static_cast<unsigned long>(max_name),
        static_cast<unsigned long>(max_data));
    RegCloseKey(many);

    // A link higher up: Resources\<link id> -> ...\<target id>, which has a
    // RegSync. Does a whole-path open with REG_OPTION_OPEN_LINK follow it?
    const wchar_t* const kLinkKey = L"Cluster\\Resources\\00000000-0000-4000-8000-00000000f00d";
    const std::wstring target_nt =
        L"\\REGISTRY\\MACHINE\\Cluster\\Resources\\00000000-0000-4000-8000-00000000beef";
    HKEY link = nullptr;
    rc = RegCreateKeyExW(
        HKEY_LOCAL_MACHINE, kLinkKey, 0, nullptr, REG_OPTION_CREATE_LINK | REG_OPTION_VOLATILE,
        KEY_ALL_ACCESS | KEY_CREATE_LINK | KEY_WOW64_64KEY, nullptr, &link, nullptr);
    if (rc == ERROR_SUCCESS) {
        rc = RegSetValueExW(link, L"SymbolicLinkValue", 0, REG_LINK,
                            reinterpret_cast<const BYTE*>(target_nt.data()),
                            static_cast<DWORD>(target_nt.size() * sizeof(wchar_t)));
        RegCloseKey(link);
    }
    std::printf("[regsync] link Resources\\<f00d> -> Resources\\<beef>: %ld\n", rc);
    HKEY through = nullptr;
    const std::wstring whole = std::wstring(kLinkKey) + L"\\RegSync";
    rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, whole.c_str(), REG_OPTION_OPEN_LINK,
                       KEY_READ | KEY_WOW64_64KEY, &through);
    std::printf(
        "[regsync] RegOpenKeyEx(Resources\\<f00d>\\RegSync, REG_OPTION_OPEN_LINK), "
        "the link one level up: %ld (%s)\n",
        rc, rc == ERROR_SUCCESS ? "followed" : "not followed");
    if (through) RegCloseKey(through);
    HKEY self = nullptr;
    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, kLinkKey, REG_OPTION_OPEN_LINK, DELETE | KEY_WOW64_64KEY,
                      &self) == ERROR_SUCCESS) {
        using NtDeleteKeyFn = LONG(WINAPI*)(HANDLE);
        const auto del = reinterpret_cast<NtDeleteKeyFn>(
            reinterpret_cast<void*>(GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "NtDeleteKey")));
        if (del) del(self);
        RegCloseKey(self);
    }

    RegDeleteTreeW(
        HKEY_LOCAL_MACHINE,
        had_cluster ? L"Cluster\\Resources\\00000000-0000-4000-8000-00000000beef" : L"Cluster");
    return 0;
}

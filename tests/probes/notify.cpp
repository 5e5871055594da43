// Probe (c): RegNotifyChangeKeyValue under Wine: NAME|LAST_SET on a value set,
// SECURITY on a DACL change, one-shot or not, and how fast.
#include "probe_util.hpp"

namespace {

const wchar_t* const kPath = L"SOFTWARE\\PermWatchProbeNotify";

// Arms a notification on `watched`, runs `change`, reports whether and when it fired.
template <class F>
void watch(const char* what, HKEY watched, DWORD filter, F change, DWORD wait_ms = 2000) {
    HANDLE ev = CreateEventW(nullptr, TRUE, FALSE, nullptr);
    LONG rc = RegNotifyChangeKeyValue(watched, TRUE, filter, ev, TRUE);
    LARGE_INTEGER f, t0, t1;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&t0);
    long crc = change();
    DWORD w = WaitForSingleObject(ev, wait_ms);
    QueryPerformanceCounter(&t1);
    double ms =
        1000.0 * static_cast<double>(t1.QuadPart - t0.QuadPart) / static_cast<double>(f.QuadPart);
    std::printf("[c] %s: arm rc %ld, change rc %ld, %s after %.1f ms\n", what, rc, crc,
                w == WAIT_OBJECT_0 ? "FIRED" : "did not fire", ms);
    // One-shot? Change again without re-arming.
    if (w == WAIT_OBJECT_0) {
        ResetEvent(ev);
        change();
        DWORD w2 = WaitForSingleObject(ev, 500);
        std::printf("[c]   second change without re-arm: %s\n",
                    w2 == WAIT_OBJECT_0 ? "FIRED again" : "no (one-shot)");
    }
    CloseHandle(ev);
}

}  // namespace

int main() {
    RegDeleteTreeW(HKEY_LOCAL_MACHINE, kPath);
    HKEY key = probe::create_key(kPath);
    HKEY writer = probe::create_key(kPath);  // a second handle to change the key through
    HKEY sub = probe::create_key(L"SOFTWARE\\PermWatchProbeNotify\\sub");
    if (!key || !writer || !sub) return 1;
    DWORD n = 0;
    const DWORD name_set = REG_NOTIFY_CHANGE_NAME | REG_NOTIFY_CHANGE_LAST_SET;
    watch("NAME|LAST_SET, value set", key, name_set, [&] {
        ++n;
        return RegSetValueExW(writer, L"v", 0, REG_DWORD, reinterpret_cast<const BYTE*>(&n),
                              sizeof n);
    });
    watch("NAME|LAST_SET, value set in a subkey (subtree)", key, name_set, [&] {
        ++n;
        return RegSetValueExW(sub, L"v", 0, REG_DWORD, reinterpret_cast<const BYTE*>(&n), sizeof n);
    });
    watch("NAME|LAST_SET, subkey created", key, name_set, [&] {
        HKEY k = nullptr;
        LONG rc = RegCreateKeyExW(writer, (L"new" + std::to_wstring(++n)).c_str(), 0, nullptr, 0,
                                  KEY_ALL_ACCESS, nullptr, &k, nullptr);
        if (k) RegCloseKey(k);
        return rc;
    });
    watch("SECURITY, DACL change (RegSetKeySecurity)", key, REG_NOTIFY_CHANGE_SECURITY, [&] {
        return probe::set_dacl(writer,
                               (n++ % 2) ? L"D:(A;CI;KA;;;SY)" : L"D:(A;CI;KA;;;SY)(A;CI;KR;;;BU)");
    });
    watch("SECURITY, DACL change (SetSecurityInfo)", key, REG_NOTIFY_CHANGE_SECURITY, [&] {
        return static_cast<long>(probe::set_dacl_aclapi(
            writer, (n++ % 2) ? L"D:(A;CI;KA;;;SY)" : L"D:(A;CI;KA;;;SY)(A;CI;KR;;;BU)"));
    });
    watch("all four filters, DACL change", key,
          name_set | REG_NOTIFY_CHANGE_ATTRIBUTES | REG_NOTIFY_CHANGE_SECURITY, [&] {
              return probe::set_dacl(
                  writer, (n++ % 2) ? L"D:(A;CI;KA;;;SY)" : L"D:(A;CI;KA;;;SY)(A;CI;KR;;;BU)");
          });
    watch("NAME|LAST_SET, key deleted", sub, name_set, [&] {
        return RegDeleteKeyW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\PermWatchProbeNotify\\sub");
    });
    RegCloseKey(sub);
    RegCloseKey(writer);
    RegCloseKey(key);
    return 0;
}

// TEST FAKE clussim.exe: reads and writes the simulated cluster database
// through the fake clusapi.dll's exports (the one beside clussim.exe), the
// same calls a node's PermWatch makes. So `clussim db-set` in one node's
// prefix and `clussim db-get` in another's show the replication the fake
// simulates, and a test can plant a hostile value where PermWatch reads.
// Signatures as documented for clusapi.h (learn.microsoft.com).
#include <windows.h>

#include <cstdio>
#include <string>
#include <vector>

#include "tests/fakes/clusapi_signatures.hpp"
#include "tests/fakes/clussim/clussim_commands.hpp"
#include "tests/fakes/clussim/clussim_output.hpp"

namespace clussim {
namespace {

using namespace clusapi_h;

// The fake's cluster database API, and the root key of an open cluster.
struct Api : DatabaseCalls {
    HMODULE dll = nullptr;
    void* cluster = nullptr;
    HKEY root = nullptr;

    ~Api() {
        if (root && ClusterRegCloseKey) ClusterRegCloseKey(root);
        if (cluster && CloseCluster) CloseCluster(cluster);
        if (dll) FreeLibrary(dll);
    }

    bool open() {
        wchar_t exe[MAX_PATH] = {};
        GetModuleFileNameW(nullptr, exe, MAX_PATH);
        std::wstring path = exe;
        path = path.substr(0, path.find_last_of(L'\\') + 1) + L"clusapi.dll";
        dll = LoadLibraryW(path.c_str());
        // Wine's builtin clusapi.dll has no V2 notify API: without
        // WINEDLLOVERRIDES=clusapi=n it is the one loaded.
        if (!dll || !load<void*>(dll, "CreateClusterNotifyPortV2") || load_from(dll)) {
            say(L"the fake clusapi.dll beside clussim.exe did not load "
                L"(WINEDLLOVERRIDES=clusapi=n?)");
            return false;
        }
        cluster = OpenCluster(nullptr);
        if (!cluster) {
            say(L"OpenCluster failed: error " + std::to_wstring(GetLastError()));
            return false;
        }
        root = GetClusterKey(cluster, KEY_ALL_ACCESS);
        if (!root) {
            say(L"GetClusterKey failed: error " + std::to_wstring(GetLastError()));
            return false;
        }
        return true;
    }
};

class Key {
public:
    Key(const Api& api, HKEY h) : api_(api), h_(h) {}
    ~Key() {
        if (h_) api_.ClusterRegCloseKey(h_);
    }
    Key(const Key&) = delete;
    Key& operator=(const Key&) = delete;
    HKEY get() const { return h_; }

private:
    const Api& api_;
    HKEY h_;
};

std::wstring error_text(LONG rc) { return L"error " + std::to_wstring(rc); }

// REG_SZ as text; other types as text too when they hold UTF-8 (a JSON
// written as REG_BINARY), with the byte count.
std::wstring shown(DWORD type, const std::vector<BYTE>& data) {
    if (type == REG_SZ || type == REG_EXPAND_SZ) {
        std::wstring text(reinterpret_cast<const wchar_t*>(data.data()),
                          data.size() / sizeof(wchar_t));
        while (!text.empty() && text.back() == L'\0') text.pop_back();
        return L"REG_SZ " + text;
    }
    std::wstring text;
    for (BYTE b : data) text += (b >= 0x20 && b < 0x7F) ? static_cast<wchar_t>(b) : L'.';
    return L"type " + std::to_wstring(type) + L", " + std::to_wstring(data.size()) + L" bytes: " +
           text;
}

void dump(const Api& api, HKEY key, const std::wstring& path) {
    say(L"[" + (path.empty() ? std::wstring(L"(root)") : path) + L"]");
    for (DWORD i = 0;; ++i) {
        wchar_t name[128] = {};
        DWORD cch = 128;
        DWORD type = 0;
        DWORD size = 0;
        if (api.ClusterRegEnumValue(key, i, name, &cch, &type, nullptr, &size) != ERROR_SUCCESS)
            break;
        std::vector<BYTE> data(size);
        cch = 128;
        api.ClusterRegEnumValue(key, i, name, &cch, &type, data.data(), &size);
        say(L"  " + std::wstring(name) + L" = " + shown(type, data));
    }
    for (DWORD i = 0;; ++i) {
        wchar_t name[128] = {};
        DWORD cch = 128;
        if (api.ClusterRegEnumKey(key, i, name, &cch, nullptr) != ERROR_SUCCESS) break;
        HKEY sub = nullptr;
        if (api.ClusterRegOpenKey(key, name, KEY_READ, &sub) != ERROR_SUCCESS) continue;
        Key hold(api, sub);
        dump(api, sub, path.empty() ? name : path + L"\\" + name);
    }
}

}  // namespace

int db_set(const std::wstring& key, const std::wstring& value, const std::wstring& text,
           bool binary) {
    Api api;
    if (!api.open()) return 2;
    HKEY h = nullptr;
    DWORD disposition = 0;
    LONG rc = api.ClusterRegCreateKey(api.root, key.c_str(), 0, KEY_ALL_ACCESS, nullptr, &h,
                                      &disposition);
    if (rc != ERROR_SUCCESS) {
        say(L"ClusterRegCreateKey " + key + L": " + error_text(rc));
        return 2;
    }
    Key hold(api, h);
    if (binary) {
        const std::string bytes = utf8(text);
        rc = static_cast<LONG>(api.ClusterRegSetValue(h, value.c_str(), REG_BINARY,
                                                      reinterpret_cast<const BYTE*>(bytes.data()),
                                                      static_cast<DWORD>(bytes.size())));
    } else {
        rc = static_cast<LONG>(api.ClusterRegSetValue(
            h, value.c_str(), REG_SZ, reinterpret_cast<const BYTE*>(text.c_str()),
            static_cast<DWORD>((text.size() + 1) * sizeof(wchar_t))));
    }
    if (rc != ERROR_SUCCESS) {
        say(L"ClusterRegSetValue " + key + L"\\" + value + L": " + error_text(rc));
        return 2;
    }
    say(L"set " + key + L"\\" + value + (binary ? L" (REG_BINARY)" : L" (REG_SZ)"));
    return 0;
}

int db_get(const std::wstring& key, const std::wstring& value) {
    Api api;
    if (!api.open()) return 2;
    HKEY h = nullptr;
    LONG rc = api.ClusterRegOpenKey(api.root, key.c_str(), KEY_READ, &h);
    if (rc != ERROR_SUCCESS) {
        say(L"no key " + key + L" (" + error_text(rc) + L")");
        return 1;
    }
    Key hold(api, h);
    DWORD type = 0;
    DWORD size = 0;
    rc = api.ClusterRegQueryValue(h, value.c_str(), &type, nullptr, &size);
    if (rc != ERROR_SUCCESS) {
        say(L"no value " + key + L"\\" + value + L" (" + error_text(rc) + L")");
        return 1;
    }
    std::vector<BYTE> data(size);
    rc = api.ClusterRegQueryValue(h, value.c_str(), &type, data.data(), &size);
    if (rc != ERROR_SUCCESS) {
        say(L"ClusterRegQueryValue " + key + L"\\" + value + L": " + error_text(rc));
        return 2;
    }
    data.resize(size);
    say(key + L"\\" + value + L" = " + shown(type, data));
    return 0;
}

int db_delete(const std::wstring& key, const std::wstring& value) {
    Api api;
    if (!api.open()) return 2;
    LONG rc = ERROR_SUCCESS;
    if (value.empty()) {
        rc = api.ClusterRegDeleteKey(api.root, key.c_str());
    } else {
        HKEY h = nullptr;
        rc = api.ClusterRegOpenKey(api.root, key.c_str(), KEY_ALL_ACCESS, &h);
        if (rc == ERROR_SUCCESS) {
            Key hold(api, h);
            rc = static_cast<LONG>(api.ClusterRegDeleteValue(h, value.c_str()));
        }
    }
    if (rc != ERROR_SUCCESS) {
        say(L"delete " + key + (value.empty() ? L"" : L"\\" + value) + L": " + error_text(rc));
        return rc == ERROR_FILE_NOT_FOUND ? 1 : 2;
    }
    say(L"deleted " + key + (value.empty() ? L"" : L"\\" + value));
    return 0;
}

int db_dump(const std::wstring& key) {
    Api api;
    if (!api.open()) return 2;
    if (key.empty()) {
        dump(api, api.root, L"");
        return 0;
    }
    HKEY h = nullptr;
    const LONG rc = api.ClusterRegOpenKey(api.root, key.c_str(), KEY_READ, &h);
    if (rc != ERROR_SUCCESS) {
        say(L"no key " + key + L" (" + error_text(rc) + L")");
        return 1;
    }
    Key hold(api, h);
    dump(api, h, key);
    return 0;
}

}  // namespace clussim

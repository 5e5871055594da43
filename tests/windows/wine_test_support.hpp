// Helpers for the Windows tests under Wine: real keys under
// HKLM\SOFTWARE\PermWatchTest, set and read with plain Win32 calls (not through
// PermWatch's adapters, so a test's "other actor" is independent of the code
// under test).
#pragma once

#include <windows.h>
// sddl.h needs windows.h first
#include <aclapi.h>
#include <sddl.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "service/win32_error.hpp"

namespace permwatch::test {

// Polls `done` every `poll` for up to `limit`, then looks once more: a
// bounded wait for what another thread or process makes true (the
// fixtures give their own default limits), never a deadline to assert on.
template <class Pred>
bool eventually(Pred done, std::chrono::milliseconds limit,
                std::chrono::milliseconds poll = std::chrono::milliseconds(50)) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (done()) return true;
        std::this_thread::sleep_for(poll);
    }
    return done();
}

inline const std::string kTestRoot = "HKLM\\SOFTWARE\\PermWatchTest";

// Deletes a key tree whose DACLs may deny us: the owner may always WRITE_DAC
// (docs/testing.md (d)), so grant everyone everything first.
inline void force_delete(HKEY parent, const std::wstring& sub) {
    HKEY key = nullptr;
    if (RegOpenKeyExW(parent, sub.c_str(), 0, WRITE_DAC | KEY_WOW64_64KEY, &key) == ERROR_SUCCESS) {
        PSECURITY_DESCRIPTOR sd = nullptr;
        if (ConvertStringSecurityDescriptorToSecurityDescriptorW(L"D:(A;CI;KA;;;WD)",
                                                                 SDDL_REVISION_1, &sd, nullptr)) {
            RegSetKeySecurity(key, DACL_SECURITY_INFORMATION, sd);
            LocalFree(sd);
        }
        RegCloseKey(key);
    }
    if (RegOpenKeyExW(parent, sub.c_str(), 0, KEY_ALL_ACCESS | KEY_WOW64_64KEY, &key) !=
        ERROR_SUCCESS) {
        return;
    }
    wchar_t name[256];
    for (int guard = 0; guard < 10000; ++guard) {
        DWORD len = 256;
        if (RegEnumKeyExW(key, 0, name, &len, nullptr, nullptr, nullptr, nullptr) != ERROR_SUCCESS)
            break;
        force_delete(key, name);
    }
    RegCloseKey(key);
    RegDeleteKeyExW(parent, sub.c_str(), KEY_WOW64_64KEY, 0);
}

// "HKLM\\X" -> L"X"
inline std::wstring subkey_of(const std::string& path) { return win::widen(path.substr(5)); }

inline bool create_key(const std::string& path) {
    HKEY key = nullptr;
    const LONG rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, subkey_of(path).c_str(), 0, nullptr, 0,
                                    KEY_ALL_ACCESS | KEY_WOW64_64KEY, nullptr, &key, nullptr);
    if (key) RegCloseKey(key);
    return rc == ERROR_SUCCESS;
}

inline void delete_key(const std::string& path) {
    force_delete(HKEY_LOCAL_MACHINE, subkey_of(path));
}

// The "other actor": sets a DACL from SDDL text the way an administrator's
// tool would. Returns the Win32 error.
inline LONG set_dacl(const std::string& path, const std::string& sddl) {
    HKEY key = nullptr;
    LONG rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, subkey_of(path).c_str(), 0,
                            WRITE_DAC | KEY_WOW64_64KEY, &key);
    if (rc != ERROR_SUCCESS) return rc;
    PSECURITY_DESCRIPTOR sd = nullptr;
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(win::widen(sddl).c_str(),
                                                              SDDL_REVISION_1, &sd, nullptr)) {
        rc = static_cast<LONG>(GetLastError());
    } else {
        rc = RegSetKeySecurity(key, DACL_SECURITY_INFORMATION, sd);
        LocalFree(sd);
    }
    RegCloseKey(key);
    return rc;
}

// The DACL part ("D:...") as Windows (here Wine) writes it.
inline std::string dacl_sddl(const std::string& path) {
    HKEY key = nullptr;
    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, subkey_of(path).c_str(), 0,
                      READ_CONTROL | KEY_WOW64_64KEY, &key) != ERROR_SUCCESS) {
        return "<cannot open>";
    }
    // The DACL may grow between the size query and the read (a repair landing
    // in between): ask again until it fits.
    DWORD size = 0;
    LONG rc = RegGetKeySecurity(key, DACL_SECURITY_INFORMATION, nullptr, &size);
    std::string buf;
    for (int tries = 0; rc == ERROR_INSUFFICIENT_BUFFER && tries < 10; ++tries) {
        buf.assign(size, '\0');
        rc = RegGetKeySecurity(key, DACL_SECURITY_INFORMATION, buf.data(), &size);
    }
    std::string out = "<cannot read>";
    if (rc == ERROR_SUCCESS) {
        wchar_t* text = nullptr;
        if (ConvertSecurityDescriptorToStringSecurityDescriptorW(
                buf.data(), SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &text, nullptr)) {
            out = win::narrow(text);
            LocalFree(text);
        }
    }
    RegCloseKey(key);
    return out;
}

// A kernel object's security (`what`: DACL_SECURITY_INFORMATION, ...) as
// SDDL, read through its handle; "<cannot read>" when it cannot be.
inline std::string handle_sddl(HANDLE handle, SECURITY_INFORMATION what) {
    PSECURITY_DESCRIPTOR sd = nullptr;
    if (GetSecurityInfo(handle, SE_KERNEL_OBJECT, what, nullptr, nullptr, nullptr, nullptr, &sd) !=
        ERROR_SUCCESS) {
        return "<cannot read>";
    }
    std::string out = "<cannot read>";
    wchar_t* text = nullptr;
    if (ConvertSecurityDescriptorToStringSecurityDescriptorW(sd, SDDL_REVISION_1, what, &text,
                                                             nullptr)) {
        out = win::narrow(text);
        LocalFree(text);
    }
    LocalFree(sd);
    return out;
}

inline bool set_value(const std::string& path, const wchar_t* name, DWORD value) {
    HKEY key = nullptr;
    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, subkey_of(path).c_str(), 0,
                      KEY_SET_VALUE | KEY_WOW64_64KEY, &key) != ERROR_SUCCESS) {
        return false;
    }
    const LONG rc = RegSetValueExW(key, name, 0, REG_DWORD, reinterpret_cast<const BYTE*>(&value),
                                   sizeof value);
    RegCloseKey(key);
    return rc == ERROR_SUCCESS;
}

// A fresh key per test, deleted afterwards (keys persist in the prefix).
class WineKeyTest : public ::testing::Test {
protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        path = kTestRoot + "\\" + info->test_suite_name() + "." + info->name();
        delete_key(path);
        ASSERT_TRUE(create_key(path)) << path;
        temp_dir = std::filesystem::temp_directory_path() /
                   (std::string("permwatch-") + info->test_suite_name() + "-" + info->name());
        std::filesystem::remove_all(temp_dir);
        std::filesystem::create_directories(temp_dir);
    }
    void TearDown() override {
        delete_key(path);
        std::error_code ec;
        std::filesystem::remove_all(temp_dir, ec);
    }
    std::string path;
    std::filesystem::path temp_dir;
};

}  // namespace permwatch::test

namespace permwatch::test {

// Makes a key that the prefix's user cannot write the DACL of: owner SYSTEM
// (so the owner's implicit WRITE_DAC is not ours) and a DACL granting only
// read. The handle opened before the lock keeps WRITE_DAC | WRITE_OWNER, so
// the destructor can give the key back (owner and DACL as they were) and the
// test's TearDown can delete it: a locked key left behind would make the
// next run's SetUp fail while the same wineserver runs.
class LockedKey {
public:
    explicit LockedKey(const std::string& path) {
        error_ = RegOpenKeyExW(HKEY_LOCAL_MACHINE, subkey_of(path).c_str(), 0,
                               READ_CONTROL | WRITE_DAC | WRITE_OWNER | KEY_WOW64_64KEY, &key_);
        if (error_ != ERROR_SUCCESS) return;
        const SECURITY_INFORMATION what = OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION;
        DWORD size = 0;
        RegGetKeySecurity(key_, what, nullptr, &size);
        saved_.resize(size);
        error_ = RegGetKeySecurity(key_, what, saved_.data(), &size);
        if (error_ != ERROR_SUCCESS) return;
        PSECURITY_DESCRIPTOR sd = nullptr;
        if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(L"O:SYD:(A;CI;KR;;;WD)",
                                                                  SDDL_REVISION_1, &sd, nullptr)) {
            error_ = static_cast<LONG>(GetLastError());
            return;
        }
        error_ = RegSetKeySecurity(key_, what, sd);
        LocalFree(sd);
    }
    ~LockedKey() {
        if (!key_) return;
        if (!saved_.empty()) {
            RegSetKeySecurity(key_, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                              saved_.data());
        }
        RegCloseKey(key_);
    }
    LockedKey(const LockedKey&) = delete;
    LockedKey& operator=(const LockedKey&) = delete;

    // The Win32 error of the step that failed, 0 when the key is locked.
    LONG error() const { return error_; }

private:
    HKEY key_ = nullptr;
    LONG error_ = ERROR_SUCCESS;
    std::vector<unsigned char> saved_;
};

}  // namespace permwatch::test

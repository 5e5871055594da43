// The binary DACL reader and writer (service/security_convert) on every ACE
// type a key's DACL can hold, under Wine. Wine's RegSetKeySecurity and
// SetSecurityInfo refuse object and callback ACEs on a key (998,
// docs/testing.md (b2)), so those are tested on binary ACLs built here, byte
// by byte as Windows lays them out; an audit ACE, which Wine keeps in a key's
// DACL, is also read from a real key through the real adapter.
#include <gtest/gtest.h>

#include <windows.h>

#include <vector>

#include "core/security/sddl.hpp"
#include "service/registry_adapter.hpp"
#include "service/security_convert.hpp"
#include "tests/windows/wine_test_support.hpp"

namespace permwatch::test {
namespace test_security_convert {

void put32(std::vector<BYTE>& b, DWORD v) {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<BYTE>(v >> (8 * i)));
}

const BYTE kEveryone[] = {1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0};
// S-1-5-32-545 (Users)
const BYTE kUsers[] = {1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x21, 2, 0, 0};

// One ACE: header, mask, for an object type the flags and one GUID, the SID,
// then `data` (a callback's condition), padded to 4 bytes.
std::vector<BYTE> ace(BYTE type, BYTE flags, DWORD mask, bool object, const BYTE* sid,
                      std::size_t sid_size, const std::vector<BYTE>& data = {}) {
    std::vector<BYTE> b = {type, flags, 0, 0};
    put32(b, mask);
    if (object) {
        put32(b, ACE_OBJECT_TYPE_PRESENT);
        for (int i = 0; i < 16; ++i) b.push_back(static_cast<BYTE>(0xa0 + i));
    }
    b.insert(b.end(), sid, sid + sid_size);
    b.insert(b.end(), data.begin(), data.end());
    while (b.size() % 4) b.push_back(0);
    b[2] = static_cast<BYTE>(b.size());
    b[3] = static_cast<BYTE>(b.size() >> 8);
    return b;
}

std::vector<BYTE> acl_of(BYTE revision, const std::vector<std::vector<BYTE>>& aces) {
    std::vector<BYTE> b = {revision, 0, 0, 0, 0, 0, 0, 0};
    for (const auto& a : aces) b.insert(b.end(), a.begin(), a.end());
    b[2] = static_cast<BYTE>(b.size());
    b[3] = static_cast<BYTE>(b.size() >> 8);
    b[4] = static_cast<BYTE>(aces.size());
    return b;
}

SecurityDescriptor read(std::vector<BYTE>& acl) {
    SECURITY_DESCRIPTOR sd;
    InitializeSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION);
    SetSecurityDescriptorDacl(&sd, TRUE, reinterpret_cast<PACL>(acl.data()), FALSE);
    return win::from_descriptor(&sd);
}

const std::vector<BYTE> kCondition = {'a', 'r', 't', 'x', 0, 0, 0, 0};

// Before every ACE type was read, the first of these threw "unsupported
// type" and the key stayed "error"; the writer knew only allow and deny.
TEST(SecurityConvert, ObjectCallbackAndAuditAcesAreReadAndWrittenBackByteForByte) {
    std::vector<BYTE> acl =
        acl_of(ACL_REVISION_DS,
               {ace(ACCESS_DENIED_CALLBACK_ACE_TYPE, CONTAINER_INHERIT_ACE, KEY_SET_VALUE, false,
                    kUsers, sizeof kUsers, kCondition),
                ace(ACCESS_DENIED_OBJECT_ACE_TYPE, 0, KEY_WRITE, true, kEveryone, sizeof kEveryone),
                ace(ACCESS_ALLOWED_ACE_TYPE, CONTAINER_INHERIT_ACE, KEY_ALL_ACCESS, false,
                    kEveryone, sizeof kEveryone),
                ace(ACCESS_ALLOWED_CALLBACK_OBJECT_ACE_TYPE, 0, KEY_READ, true, kUsers,
                    sizeof kUsers, kCondition),
                ace(SYSTEM_AUDIT_ACE_TYPE, SUCCESSFUL_ACCESS_ACE_FLAG, KEY_READ, false, kEveryone,
                    sizeof kEveryone)});
    const SecurityDescriptor sd = read(acl);
    ASSERT_TRUE(sd.dacl);
    ASSERT_EQ(sd.dacl->aces.size(), 5u);
    EXPECT_EQ(sd.dacl->aces[0].type, AceType::deny_callback);
    EXPECT_EQ(sd.dacl->aces[1].type, AceType::deny_object);
    EXPECT_EQ(sd.dacl->aces[3].type, AceType::allow_callback_object);
    EXPECT_EQ(sd.dacl->aces[4].type, AceType::other);
    EXPECT_EQ(format_sddl(sd),
              "D:(XD;CI;DC;;;BU;(#6172747800000000))"
              "(OD;;KW;a3a2a1a0-a5a4-a7a6-a8a9-aaabacadaeaf;;WD)(A;CI;KA;;;WD)"
              "(ZA;;KR;a3a2a1a0-a5a4-a7a6-a8a9-aaabacadaeaf;;BU;(#6172747800000000))"
              "(AU;SA;KR;;;WD)");
    const std::vector<unsigned char> written = win::to_binary_acl(*sd.dacl);
    EXPECT_EQ(std::vector<BYTE>(written.begin(), written.end()), acl)
        << "every ACE goes back exactly as it was read";
}

// Lengths are checked against the ACL, never trusted: an AceSize past the
// ACL's end, or a SID that runs past its ACE, is an error, not a read past
// the buffer.
TEST(SecurityConvert, AnAceOrSidThatDoesNotFitIsRefused) {
    std::vector<BYTE> too_long = acl_of(
        ACL_REVISION, {ace(ACCESS_DENIED_ACE_TYPE, 0, KEY_WRITE, false, kUsers, sizeof kUsers)});
    too_long[8 + 2] = 0xF0;  // AceSize 240 in an ACL of 32 bytes
    try {
        read(too_long);
        ADD_FAILURE() << "an ACE larger than its ACL was read";
    } catch (const win::Win32Error& e) {
        EXPECT_NE(std::string(e.what()).find("does not fit in the DACL"), std::string::npos)
            << e.what();
    }
    std::vector<BYTE> sid_past = acl_of(
        ACL_REVISION, {ace(ACCESS_DENIED_ACE_TYPE, 0, KEY_WRITE, false, kUsers, sizeof kUsers)});
    sid_past[8 + 8 + 1] = 15;  // 15 sub-authorities in a 16-byte SID
    try {
        read(sid_past);
        ADD_FAILURE() << "a SID larger than its ACE was read";
    } catch (const win::Win32Error& e) {
        EXPECT_NE(std::string(e.what()).find("SID does not fit"), std::string::npos) << e.what();
    }
    std::vector<BYTE> unknown =
        acl_of(ACL_REVISION, {ace(0x42, 0, KEY_WRITE, false, kUsers, sizeof kUsers)});
    EXPECT_THROW(read(unknown), win::Win32Error);
}

class SecurityConvertKey : public WineKeyTest {};

// Wine keeps an audit ACE in a key's DACL (docs/testing.md (b2)); the real
// adapter reads the key, shows the ACE, and the key is not "error".
TEST_F(SecurityConvertKey, AnAuditAceInAKeysDaclIsReadByTheAdapter) {
    std::vector<BYTE> acl =
        acl_of(ACL_REVISION_DS, {ace(ACCESS_ALLOWED_ACE_TYPE, CONTAINER_INHERIT_ACE, KEY_ALL_ACCESS,
                                     false, kEveryone, sizeof kEveryone),
                                 ace(SYSTEM_AUDIT_ACE_TYPE, SUCCESSFUL_ACCESS_ACE_FLAG, KEY_READ,
                                     false, kUsers, sizeof kUsers)});
    HKEY key = nullptr;
    ASSERT_EQ(RegOpenKeyExW(HKEY_LOCAL_MACHINE, subkey_of(path).c_str(), 0, WRITE_DAC, &key),
              ERROR_SUCCESS);
    SECURITY_DESCRIPTOR sd;
    InitializeSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION);
    SetSecurityDescriptorDacl(&sd, TRUE, reinterpret_cast<PACL>(acl.data()), FALSE);
    const LONG rc = RegSetKeySecurity(key, DACL_SECURITY_INFORMATION, &sd);
    RegCloseKey(key);
    ASSERT_EQ(rc, ERROR_SUCCESS);
    win::Win32Registry registry;
    const KeyRead got = registry.read(path);
    ASSERT_EQ(got.status, KeyRead::Status::ok) << got.error;
    ASSERT_TRUE(got.sd.dacl);
    EXPECT_EQ(format_sddl(SecurityDescriptor{std::nullopt, std::nullopt, got.sd.dacl}),
              "D:(A;CI;KA;;;WD)(AU;SA;KR;;;BU)");
}

}  // namespace test_security_convert
}  // namespace permwatch::test

// The real registry and account adapters under Wine.
#include <gtest/gtest.h>

#include "core/security/sddl.hpp"
#include "service/accounts_adapter.hpp"
#include "service/key_handle.hpp"
#include "service/registry_adapter.hpp"
#include "wine_test_support.hpp"

namespace permwatch {
namespace test_registry_adapter {

using test::WineKeyTest;
using RegistryAdapter = WineKeyTest;

// For tests of the key itself: every subkey write is let through unjournaled.
const RegistryPort::SubkeyJournal kAnySubkey = [](const std::string&, const SecurityDescriptor&,
                                                  const Acl&) { return true; };

// The DACL alone as SDDL ("D:..."), the form test::dacl_sddl reads from a key.
std::string dacl_text(const std::optional<Acl>& dacl) {
    return format_sddl(SecurityDescriptor{std::nullopt, std::nullopt, dacl});
}

TEST_F(RegistryAdapter, ReadsOwnerGroupAndDacl) {
    ASSERT_EQ(test::set_dacl(path, "D:P(A;CI;KA;;;SY)(A;CIIO;KR;;;BU)(D;;WD;;;AN)"), 0);
    win::Win32Registry registry;
    const KeyRead read = registry.read(path);
    ASSERT_EQ(read.status, KeyRead::Status::ok) << read.error;
    EXPECT_TRUE(read.sd.owner.has_value());
    EXPECT_TRUE(read.sd.group.has_value());
    ASSERT_TRUE(read.sd.dacl.has_value());
    EXPECT_EQ(dacl_text(read.sd.dacl), "D:P(A;CI;KA;;;SY)(A;CIIO;KR;;;BU)(D;;WD;;;AN)");
}

TEST_F(RegistryAdapter, WritesTheDaclExactlyAndKeepsProtection) {
    win::Win32Registry registry;
    for (const char* sddl : {"D:P(D;;KW;;;WD)(A;CI;KA;;;SY)(A;CI;0x100000;;;BU)(A;;;;;AU)",
                             "D:(A;OICINPIO;KA;;;S-1-5-21-1-2-3-1105)(A;CI;KR;;;BA)", "D:"}) {
        SCOPED_TRACE(sddl);
        const SecurityDescriptor want = parse_sddl(sddl);
        const KeyUpdate u = registry.update_dacl(
            path, [&](const SecurityDescriptor&) { return want.dacl; }, kAnySubkey);
        ASSERT_TRUE(u.written) << u.write.error;
        const KeyRead read = registry.read(path);
        ASSERT_EQ(read.status, KeyRead::Status::ok) << read.error;
        EXPECT_EQ(read.sd.dacl, want.dacl) << format_sddl(read.sd);
        // Wine's own reading of what was written agrees (not only our reader).
        if (std::string(sddl) != "D:") {
            EXPECT_EQ(parse_sddl(test::dacl_sddl(path)).dacl, want.dacl) << test::dacl_sddl(path);
        }
    }
}

// update_dacl: decide sees what is on the key now (read through the write
// handle), and the read-back comes through the same handle.
TEST_F(RegistryAdapter, UpdateReadsDecidesWritesAndReadsBackThroughOneHandle) {
    win::Win32Registry registry;
    ASSERT_EQ(test::set_dacl(path, "D:(A;CI;KA;;;SY)"), 0);
    const long handles = win::open_key_handles();
    std::string seen;
    const KeyUpdate u = registry.update_dacl(
        path,
        [&](const SecurityDescriptor& current) {
            seen = dacl_text(current.dacl);
            // A change made by someone else while the handle is open is seen in
            // the read-back (it is what is on the key), not hidden.
            return parse_sddl("D:(A;CI;KA;;;SY)(A;CI;KR;;;BU)").dacl;
        },
        kAnySubkey);
    EXPECT_EQ(seen, "D:(A;CI;KA;;;SY)");
    ASSERT_TRUE(u.written) << u.write.error;
    ASSERT_EQ(u.after.status, KeyRead::Status::ok) << u.after.error;
    EXPECT_EQ(u.after.sd.dacl, parse_sddl("D:(A;CI;KA;;;SY)(A;CI;KR;;;BU)").dacl);
    EXPECT_EQ(parse_sddl(test::dacl_sddl(path)).dacl, u.after.sd.dacl);
    EXPECT_EQ(win::open_key_handles(), handles);  // closed again
    // Nothing to write: nothing written.
    const KeyUpdate none = registry.update_dacl(
        path, [](const SecurityDescriptor&) { return std::optional<Acl>(); }, kAnySubkey);
    EXPECT_FALSE(none.written);
    EXPECT_EQ(none.before.status, KeyRead::Status::ok);
    // A missing key: before says so, decide is never asked.
    bool asked = false;
    const KeyUpdate missing = registry.update_dacl(
        path + "\\nope",
        [&](const SecurityDescriptor&) {
            asked = true;
            return std::optional<Acl>();
        },
        kAnySubkey);
    EXPECT_EQ(missing.before.status, KeyRead::Status::missing);
    EXPECT_FALSE(asked);
}

TEST_F(RegistryAdapter, BothPathFormsNameTheSameKey) {
    win::Win32Registry registry;
    ASSERT_EQ(test::set_dacl(path, "D:(A;CI;KA;;;SY)"), 0);
    const std::string long_form = "HKEY_LOCAL_MACHINE\\" + path.substr(5);
    const KeyRead read = registry.read(long_form);
    ASSERT_EQ(read.status, KeyRead::Status::ok) << read.error;
    EXPECT_EQ(dacl_text(read.sd.dacl), "D:(A;CI;KA;;;SY)");
}

TEST_F(RegistryAdapter, MissingKeyIsReportedAsMissingWithItsPath) {
    win::Win32Registry registry;
    const KeyRead read = registry.read(path + "\\nope");
    EXPECT_EQ(read.status, KeyRead::Status::missing);
    EXPECT_NE(read.error.find(path + "\\nope"), std::string::npos) << read.error;
}

TEST_F(RegistryAdapter, WriteToAMissingKeyNamesTheKeyAndTheError) {
    win::Win32Registry registry;
    const KeyUpdate u = registry.update_dacl(
        path + "\\nope", [](const SecurityDescriptor&) { return std::optional<Acl>(Acl{}); },
        kAnySubkey);
    EXPECT_FALSE(u.written);
    EXPECT_EQ(u.before.status, KeyRead::Status::missing);
    EXPECT_EQ(u.write.code, static_cast<unsigned long>(ERROR_FILE_NOT_FOUND));
    EXPECT_NE(u.write.error.find(path + "\\nope"), std::string::npos) << u.write.error;
}

TEST_F(RegistryAdapter, ReadAndWriteReleaseTheirHandles) {
    win::Win32Registry registry;
    const long before = win::open_key_handles();
    for (int i = 0; i < 50; ++i) {
        const KeyRead read = registry.read(path);
        ASSERT_EQ(read.status, KeyRead::Status::ok);
        const KeyUpdate u = registry.update_dacl(
            path, [&](const SecurityDescriptor&) { return read.sd.dacl; }, kAnySubkey);
        ASSERT_TRUE(u.written) << u.write.error;
    }
    EXPECT_EQ(win::open_key_handles(), before);
}

// The service's registry (Keys::kept_open): a key is opened once and used
// again, and every read still sees what is on the key now.
using KeptKeys = WineKeyTest;

TEST_F(KeptKeys, AKeyIsOpenedOnceAndEveryReadSeesTheKeyAsItIsNow) {
    win::Win32Registry registry(win::Win32Registry::Keys::kept_open);
    registry.hold_only({path});  // outside every checkpoint, as the watchdog says
    const long before = win::open_key_handles();
    for (const char* sddl :
         {"D:(A;CI;KA;;;SY)(A;CI;KA;;;BA)", "D:(A;CI;KA;;;BA)(A;CI;KR;;;BU)", "D:P(A;;KA;;;BA)"}) {
        SCOPED_TRACE(sddl);
        ASSERT_EQ(test::set_dacl(path, sddl), 0);  // through a handle of its own
        const KeyRead read = registry.read(path);
        ASSERT_EQ(read.status, KeyRead::Status::ok) << read.error;
        EXPECT_EQ(dacl_text(read.sd.dacl), sddl);
        EXPECT_EQ(win::open_key_handles(), before + 1);
    }
    // A write needs WRITE_DAC: the read's key is opened again for it and
    // replaces it, and the write's key serves the reads after it.
    const KeyUpdate u = registry.update_dacl(
        path,
        [](const SecurityDescriptor&) { return parse_sddl("D:(A;CI;KA;;;SY)(A;CI;KA;;;BA)").dacl; },
        kAnySubkey);
    ASSERT_TRUE(u.written) << u.write.error;
    EXPECT_EQ(test::dacl_sddl(path), "D:(A;CI;KA;;;SY)(A;CI;KA;;;BA)");
    EXPECT_EQ(win::open_key_handles(), before + 1);
    EXPECT_EQ(registry.held(), 1u);
    ASSERT_EQ(registry.read(path).status, KeyRead::Status::ok);
    EXPECT_EQ(win::open_key_handles(), before + 1);
    registry.forget(path);
    EXPECT_EQ(win::open_key_handles(), before);
    EXPECT_EQ(registry.read(path).status, KeyRead::Status::ok);
    registry.forget_all();
    EXPECT_EQ(win::open_key_handles(), before);
}

// A key inside a cluster checkpoint is never named to hold_only(): each call
// opens it and closes it again, read or repair, and a key that stops being
// named is let go of at once.
TEST_F(KeptKeys, AKeyNotNamedToHoldIsClosedAfterEveryCall) {
    win::Win32Registry registry(win::Win32Registry::Keys::kept_open);
    const long before = win::open_key_handles();
    ASSERT_EQ(test::set_dacl(path, "D:(A;CI;KA;;;BA)"), 0);
    ASSERT_EQ(registry.read(path).status, KeyRead::Status::ok);
    EXPECT_EQ(win::open_key_handles(), before);
    const KeyUpdate u = registry.update_dacl(
        path,
        [](const SecurityDescriptor&) { return parse_sddl("D:(A;CI;KA;;;SY)(A;CI;KA;;;BA)").dacl; },
        kAnySubkey);
    ASSERT_TRUE(u.written) << u.write.error;
    EXPECT_EQ(win::open_key_handles(), before);
    EXPECT_EQ(registry.held(), 0u);
    // Held while named, closed as soon as it is not.
    registry.hold_only({path});
    ASSERT_EQ(registry.read(path).status, KeyRead::Status::ok);
    EXPECT_EQ(win::open_key_handles(), before + 1);
    registry.hold_only({});
    EXPECT_EQ(win::open_key_handles(), before);
    ASSERT_EQ(registry.read(path).status, KeyRead::Status::ok);
    EXPECT_EQ(win::open_key_handles(), before);
}

// Under Wine a handle to a deleted key goes on reading (and writing) the
// deleted key's descriptor (docs/testing.md (k3)); the held key is checked
// after each use, and a call that used a deleted key is made again, so the
// key made since under the same name is the one read and written, and a key
// deleted for good is missing. Fails without the check.
TEST_F(KeptKeys, AKeyDeletedAndMadeAgainIsReadAndWrittenAsTheNewKey) {
    win::Win32Registry registry(win::Win32Registry::Keys::kept_open);
    registry.hold_only({path});  // outside every checkpoint, as the watchdog says
    ASSERT_EQ(test::set_dacl(path, "D:(A;CI;KA;;;SY)(A;CI;KA;;;BA)"), 0);
    ASSERT_EQ(registry.read(path).status, KeyRead::Status::ok);
    ASSERT_EQ(registry.held(), 1u);
    test::delete_key(path);
    ASSERT_TRUE(test::create_key(path));
    ASSERT_EQ(test::set_dacl(path, "D:P(A;;KA;;;BA)"), 0);
    const KeyRead read = registry.read(path);
    ASSERT_EQ(read.status, KeyRead::Status::ok) << read.error;
    EXPECT_EQ(dacl_text(read.sd.dacl), "D:P(A;;KA;;;BA)");

    // Once more with a write through a held write key: the new key gets it,
    // not the deleted one.
    registry.update_dacl(
        path, [](const SecurityDescriptor&) { return std::optional<Acl>(); }, kAnySubkey);
    test::delete_key(path);
    ASSERT_TRUE(test::create_key(path));
    ASSERT_EQ(test::set_dacl(path, "D:(A;CI;KA;;;BA)"), 0);
    std::string seen;
    const KeyUpdate u = registry.update_dacl(
        path,
        [&](const SecurityDescriptor& current) {
            seen = dacl_text(current.dacl);
            return parse_sddl("D:(A;CI;KA;;;SY)(A;CI;KA;;;BA)").dacl;
        },
        kAnySubkey);
    EXPECT_EQ(seen, "D:(A;CI;KA;;;BA)");
    ASSERT_TRUE(u.written) << u.write.error;
    EXPECT_EQ(test::dacl_sddl(path), "D:(A;CI;KA;;;SY)(A;CI;KA;;;BA)");
    ASSERT_EQ(registry.held(), 1u);

    const long held = win::open_key_handles();
    test::delete_key(path);
    EXPECT_EQ(registry.read(path).status, KeyRead::Status::missing);
    EXPECT_EQ(win::open_key_handles(), held - 1);  // the deleted key's handle let go
    EXPECT_EQ(registry.held(), 0u);
}

// The check after the use covers the whole call: a key deleted and made again
// between the read and the write (here by the planner itself) is found, and
// the new key is read, planned and written in a call made again on it.
TEST_F(KeptKeys, AKeyDeletedBetweenTheReadAndTheWriteIsWrittenAsTheNewKey) {
    win::Win32Registry registry(win::Win32Registry::Keys::kept_open);
    registry.hold_only({path});  // outside every checkpoint, as the watchdog says
    ASSERT_EQ(test::set_dacl(path, "D:(A;CI;KA;;;BA)"), 0);
    registry.update_dacl(
        path, [](const SecurityDescriptor&) { return std::optional<Acl>(); }, kAnySubkey);
    ASSERT_EQ(registry.held(), 1u);  // held for WRITE_DAC
    const long handles = win::open_key_handles();
    std::vector<std::string> seen;
    const KeyUpdate u = registry.update_dacl(
        path,
        [&](const SecurityDescriptor& current) {
            seen.push_back(dacl_text(current.dacl));
            if (seen.size() == 1) {
                test::delete_key(path);
                EXPECT_TRUE(test::create_key(path));
                EXPECT_EQ(test::set_dacl(path, "D:P(A;;KA;;;BA)"), 0);
            }
            return parse_sddl("D:(A;CI;KA;;;SY)(A;CI;KA;;;BA)").dacl;
        },
        kAnySubkey);
    EXPECT_EQ(seen, (std::vector<std::string>{"D:(A;CI;KA;;;BA)", "D:P(A;;KA;;;BA)"}));
    ASSERT_TRUE(u.written) << u.write.error;
    EXPECT_EQ(dacl_text(u.before.sd.dacl), "D:P(A;;KA;;;BA)");
    ASSERT_EQ(u.after.status, KeyRead::Status::ok) << u.after.error;
    EXPECT_EQ(dacl_text(u.after.sd.dacl), "D:(A;CI;KA;;;SY)(A;CI;KA;;;BA)");
    EXPECT_EQ(test::dacl_sddl(path), "D:(A;CI;KA;;;SY)(A;CI;KA;;;BA)");
    EXPECT_EQ(registry.held(), 1u);  // the new key, held in the old one's place
    EXPECT_EQ(win::open_key_handles(), handles);
}

// A key whose value may not be queried cannot be checked before it is used
// again (the check is a query), so it is opened for each call, as before. The
// test's process is an administrator, not SYSTEM: a DACL for SYSTEM alone
// leaves it only the owner's READ_CONTROL and WRITE_DAC.
TEST_F(KeptKeys, AKeyThatCannotBeCheckedIsOpenedForEachCall) {
    win::Win32Registry registry(win::Win32Registry::Keys::kept_open);
    registry.hold_only({path});  // outside every checkpoint, as the watchdog says
    ASSERT_EQ(test::set_dacl(path, "D:P(A;;KA;;;SY)"), 0);
    const long before = win::open_key_handles();
    const KeyRead read = registry.read(path);
    ASSERT_EQ(read.status, KeyRead::Status::ok) << read.error;
    EXPECT_EQ(dacl_text(read.sd.dacl), "D:P(A;;KA;;;SY)");
    EXPECT_EQ(registry.held(), 0u);
    EXPECT_EQ(win::open_key_handles(), before);
}

// A registry symbolic link below the test key (REG_OPTION_CREATE_LINK, a
// SymbolicLinkValue of type REG_LINK), deleted through NtDeleteKey on a
// handle opened with REG_OPTION_OPEN_LINK: deleting it by name would follow it.
class RegistryLink {
public:
    RegistryLink(const std::string& link, const std::string& target) : link_(link) {
        HKEY key = nullptr;
        rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, test::subkey_of(link).c_str(), 0, nullptr,
                             REG_OPTION_CREATE_LINK | REG_OPTION_VOLATILE,
                             KEY_ALL_ACCESS | KEY_CREATE_LINK | KEY_WOW64_64KEY, nullptr, &key,
                             nullptr);
        if (rc != ERROR_SUCCESS) return;
        const std::wstring nt = L"\\REGISTRY\\MACHINE\\" + test::subkey_of(target);
        rc = RegSetValueExW(key, L"SymbolicLinkValue", 0, REG_LINK,
                            reinterpret_cast<const BYTE*>(nt.data()),
                            static_cast<DWORD>(nt.size() * sizeof(wchar_t)));
        RegCloseKey(key);
    }
    ~RegistryLink() {
        using NtDeleteKeyFn = LONG(WINAPI*)(HANDLE);
        const auto del = reinterpret_cast<NtDeleteKeyFn>(
            reinterpret_cast<void*>(GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "NtDeleteKey")));
        HKEY key = nullptr;
        if (del &&
            RegOpenKeyExW(HKEY_LOCAL_MACHINE, test::subkey_of(link_).c_str(), REG_OPTION_OPEN_LINK,
                          DELETE | KEY_WOW64_64KEY, &key) == ERROR_SUCCESS) {
            del(key);
            RegCloseKey(key);
        }
    }
    LONG rc = ERROR_SUCCESS;

private:
    std::string link_;
};

// A watched key that is a registry symbolic link is not
// followed: reading or writing it is an error that names the link and its
// target, and the target's DACL is neither read nor changed. Wine supports
// links (docs/testing.md: probe_registry_link), so this is the real adapter.
TEST_F(RegistryAdapter, ASymbolicLinkIsAnErrorAndIsNotFollowed) {
    const std::string target = path + "\\Target";
    const std::string link = path + "\\Link";
    ASSERT_TRUE(test::create_key(target));
    ASSERT_EQ(test::set_dacl(target, "D:(A;CI;KA;;;SY)(A;CI;KA;;;BA)"), 0);
    RegistryLink made(link, target);
    ASSERT_EQ(made.rc, ERROR_SUCCESS);
    // Without REG_OPTION_OPEN_LINK, Windows (and Wine) would open the target.
    win::Win32Registry registry;
    const long handles = win::open_key_handles();
    const KeyRead read = registry.read(link);
    EXPECT_EQ(read.status, KeyRead::Status::error) << format_sddl(read.sd);
    EXPECT_NE(read.error.find("is a registry symbolic link"), std::string::npos) << read.error;
    EXPECT_NE(read.error.find("\\Target"), std::string::npos) << read.error;
    const KeyUpdate u = registry.update_dacl(
        link,
        [](const SecurityDescriptor&) {
            return std::optional<Acl>(*parse_sddl("D:(A;CI;KA;;;WD)").dacl);
        },
        kAnySubkey);
    EXPECT_FALSE(u.written);
    EXPECT_NE(u.write.error.find("is a registry symbolic link"), std::string::npos)
        << u.write.error;
    EXPECT_EQ(test::dacl_sddl(target), "D:(A;CI;KA;;;SY)(A;CI;KA;;;BA)");
    EXPECT_EQ(win::open_key_handles(), handles);
    // An ordinary key is still read as before.
    EXPECT_EQ(registry.read(target).status, KeyRead::Status::ok);
}

// A kept key deleted and replaced by a link of the same name: the link is
// refused as on a first open, and its target is not touched.
TEST_F(KeptKeys, AKeyReplacedByALinkIsRefused) {
    const std::string target = path + "\\Target";
    const std::string key = path + "\\Key";
    ASSERT_TRUE(test::create_key(target));
    ASSERT_EQ(test::set_dacl(target, "D:(A;CI;KA;;;SY)(A;CI;KA;;;BA)"), 0);
    ASSERT_TRUE(test::create_key(key));
    win::Win32Registry registry(win::Win32Registry::Keys::kept_open);
    registry.hold_only({key});  // outside every checkpoint, as the watchdog says
    ASSERT_EQ(registry.read(key).status, KeyRead::Status::ok);
    test::delete_key(key);
    RegistryLink made(key, target);
    ASSERT_EQ(made.rc, ERROR_SUCCESS);
    const KeyRead read = registry.read(key);
    EXPECT_EQ(read.status, KeyRead::Status::error) << format_sddl(read.sd);
    EXPECT_NE(read.error.find("is a registry symbolic link"), std::string::npos) << read.error;
    const KeyUpdate u = registry.update_dacl(
        key,
        [](const SecurityDescriptor&) {
            return std::optional<Acl>(*parse_sddl("D:(A;CI;KA;;;WD)").dacl);
        },
        kAnySubkey);
    EXPECT_FALSE(u.written);
    EXPECT_NE(u.before.error.find("is a registry symbolic link"), std::string::npos)
        << u.before.error;
    EXPECT_EQ(test::dacl_sddl(target), "D:(A;CI;KA;;;SY)(A;CI;KA;;;BA)");
    EXPECT_EQ(registry.held(), 0u);
}

// A link higher up a watched path: a whole-path open follows every link but
// the last (measured under Wine, docs/testing.md (k2)), so the key behind it
// would be read and written as if it were the watched one. Opened one
// component at a time, each as itself, the link is met and refused, and the
// key behind it is not touched.
TEST_F(RegistryAdapter, ALinkOnTheWayToAWatchedKeyIsRefusedAndNotFollowed) {
    const std::string behind = path + "\\Elsewhere\\Service";
    ASSERT_TRUE(test::create_key(behind));
    ASSERT_EQ(test::set_dacl(behind, "D:(A;CI;KA;;;SY)(A;CI;KA;;;BA)"), 0);
    RegistryLink made(path + "\\Via", path + "\\Elsewhere");
    ASSERT_EQ(made.rc, ERROR_SUCCESS);
    const std::string watched = path + "\\Via\\Service";
    for (auto keys :
         {win::Win32Registry::Keys::opened_per_call, win::Win32Registry::Keys::kept_open}) {
        win::Win32Registry registry(keys);
        registry.hold_only({watched});
        const KeyRead read = registry.read(watched);
        EXPECT_EQ(read.status, KeyRead::Status::error) << format_sddl(read.sd);
        EXPECT_NE(read.error.find("\\Via, on the way to " + watched), std::string::npos)
            << read.error;
        EXPECT_NE(read.error.find("registry symbolic link"), std::string::npos) << read.error;
        const KeyUpdate u = registry.update_dacl(
            watched,
            [](const SecurityDescriptor&) {
                return std::optional<Acl>(*parse_sddl("D:(A;CI;KA;;;WD)").dacl);
            },
            kAnySubkey);
        EXPECT_FALSE(u.written);
        EXPECT_EQ(test::dacl_sddl(behind), "D:(A;CI;KA;;;SY)(A;CI;KA;;;BA)");
        EXPECT_EQ(registry.held(), 0u);
    }
    // The watcher's open meets it too.
    win::KeyHandle handle;
    win::LinkFound link;
    EXPECT_EQ(win::open_key(test::subkey_of(watched), KEY_NOTIFY, handle, &link),
              win::kErrorKeyIsLink);
    EXPECT_FALSE(handle);
}

const std::string kSvc = "S-1-5-21-1-2-3-1105";

// A repair that adds an inheritable ACE passes it down to the existing
// subkeys itself (Windows' SetSecurityInfo would, opening each by name and so
// through a link; Wine's does not propagate at all, docs/testing.md (b)):
// each subkey is journaled before it is written, a protected one stops the
// walk, and a link planted below the key is reported and its target left
// alone, even though it lies in a tree the write would otherwise reach.
TEST_F(RegistryAdapter, ARepairPassesInheritanceDownButNeverThroughALink) {
    const std::string child = path + "\\Child", grandchild = child + "\\Grandchild";
    const std::string locked = path + "\\Locked", under_locked = locked + "\\Below";
    const std::string target = path + "Target";  // a sibling: outside the tree
    for (const auto& k : {grandchild, under_locked, target}) ASSERT_TRUE(test::create_key(k));
    ASSERT_EQ(test::set_dacl(path, "D:(A;CI;KA;;;BA)(A;CI;KA;;;SY)"), 0);
    ASSERT_EQ(test::set_dacl(child, "D:(A;;KR;;;AU)(A;CIID;KA;;;BA)(A;CIID;KA;;;SY)"), 0);
    ASSERT_EQ(test::set_dacl(grandchild, "D:(A;CIID;KA;;;BA)(A;CIID;KA;;;SY)"), 0);
    ASSERT_EQ(test::set_dacl(locked, "D:P(A;CI;KA;;;BA)(A;CI;KA;;;SY)"), 0);
    ASSERT_EQ(test::set_dacl(under_locked, "D:(A;CIID;KA;;;BA)(A;CIID;KA;;;SY)"), 0);
    ASSERT_EQ(test::set_dacl(target, "D:(A;CI;KA;;;BA)(A;CI;KA;;;SY)"), 0);
    RegistryLink made(path + "\\Planted", target);
    ASSERT_EQ(made.rc, ERROR_SUCCESS);

    std::vector<std::string> journaled;
    const auto journal = [&](const std::string& subkey, const SecurityDescriptor& before,
                             const Acl&) {
        // Journaled before the write: the key still has what was read.
        EXPECT_EQ(test::dacl_sddl(subkey), dacl_text(before.dacl)) << subkey;
        journaled.push_back(subkey);
        return true;
    };
    win::Win32Registry registry;
    const long handles = win::open_key_handles();
    const KeyUpdate u = registry.update_dacl(
        path,
        [](const SecurityDescriptor&) {
            return parse_sddl("D:(A;CI;KA;;;BA)(A;CI;KA;;;SY)(A;CI;KA;;;" + kSvc + ")").dacl;
        },
        journal);
    ASSERT_TRUE(u.written) << u.write.error;
    EXPECT_EQ(u.propagation.written, 2u);
    EXPECT_EQ(journaled, (std::vector<std::string>{child, grandchild}));
    EXPECT_EQ(test::dacl_sddl(child),
              "D:(A;;KR;;;AU)(A;CIID;KA;;;BA)(A;CIID;KA;;;SY)(A;CIID;KA;;;" + kSvc + ")");
    EXPECT_EQ(test::dacl_sddl(grandchild),
              "D:(A;CIID;KA;;;BA)(A;CIID;KA;;;SY)(A;CIID;KA;;;" + kSvc + ")");
    EXPECT_EQ(test::dacl_sddl(locked), "D:P(A;CI;KA;;;BA)(A;CI;KA;;;SY)");
    EXPECT_EQ(test::dacl_sddl(under_locked), "D:(A;CIID;KA;;;BA)(A;CIID;KA;;;SY)");
    EXPECT_EQ(test::dacl_sddl(target), "D:(A;CI;KA;;;BA)(A;CI;KA;;;SY)");
    ASSERT_EQ(u.propagation.problems.size(), 1u);
    EXPECT_NE(u.propagation.problems[0].find("\\Planted is a registry symbolic link"),
              std::string::npos)
        << u.propagation.problems[0];
    EXPECT_EQ(win::open_key_handles(), handles);

    // Taking the ACE away again takes it away below too; a journal that
    // refuses stops the walk before the first subkey is written.
    const KeyUpdate refused = registry.update_dacl(
        path,
        [](const SecurityDescriptor&) { return parse_sddl("D:(A;CI;KA;;;BA)(A;CI;KA;;;SY)").dacl; },
        [](const std::string&, const SecurityDescriptor&, const Acl&) { return false; });
    ASSERT_TRUE(refused.written);
    EXPECT_EQ(refused.propagation.written, 0u);
    EXPECT_NE(test::dacl_sddl(child).find(kSvc), std::string::npos);
    journaled.clear();
    const KeyUpdate again = registry.update_dacl(
        path,
        [](const SecurityDescriptor&) { return parse_sddl("D:(A;CI;KA;;;BA)(A;CI;KA;;;SY)").dacl; },
        journal);
    // Nothing passes down differently from what was just written: no walk.
    EXPECT_EQ(again.propagation.written, 0u);
    EXPECT_TRUE(journaled.empty());
    test::delete_key(target);
}

TEST(Accounts, WellKnownNamesAndThePrefixUser) {
    win::Win32Accounts accounts;
    EXPECT_EQ(accounts.account_sid("LocalSystem").sid, local_system_sid());
    EXPECT_EQ(accounts.account_sid("NT AUTHORITY\\NetworkService").sid, Sid::parse("S-1-5-20"));
    EXPECT_EQ(accounts.account_sid("NT AUTHORITY\\SYSTEM").sid, local_system_sid());
    EXPECT_EQ(accounts.account_sid("BUILTIN\\Administrators").sid, Sid::parse("S-1-5-32-544"));
    // The prefix's own user resolves to a domain SID (docs/testing.md (e)).
    const auto user = accounts.account_sid(".\\root");
    ASSERT_TRUE(user.sid.has_value()) << user.error;
    EXPECT_EQ(user.sid->str().rfind("S-1-5-21-", 0), 0u);
    const auto none = accounts.account_sid("CONTOSO\\nosuchuser");
    EXPECT_FALSE(none.sid.has_value());
    EXPECT_NE(none.error.find("nosuchuser"), std::string::npos) << none.error;
}

TEST(Accounts, ServiceAccountComesFromTheScm) {
    // A real service in Wine's SCM, logging on as the prefix's user, stands in
    // for the Exchange service account (Wine resolves only its own accounts).
    SC_HANDLE scm = OpenSCManagerW(nullptr, nullptr, SC_MANAGER_ALL_ACCESS);
    ASSERT_NE(scm, nullptr);
    const wchar_t* name = L"PermWatchTestSvc";
    if (SC_HANDLE old = OpenServiceW(scm, name, DELETE)) {
        DeleteService(old);
        CloseServiceHandle(old);
    }
    SC_HANDLE svc = CreateServiceW(scm, name, name, SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS,
                                   SERVICE_DEMAND_START, SERVICE_ERROR_NORMAL,
                                   L"C:\\windows\\system32\\notepad.exe", nullptr, nullptr, nullptr,
                                   L".\\root", L"");
    ASSERT_NE(svc, nullptr) << GetLastError();
    win::Win32Accounts accounts;
    const auto lookup = accounts.service_account_sid("PermWatchTestSvc");
    EXPECT_EQ(lookup.sid, accounts.account_sid(".\\root").sid) << lookup.error;
    DeleteService(svc);
    CloseServiceHandle(svc);
    CloseServiceHandle(scm);

    const auto missing = accounts.service_account_sid("PermWatchNoSuchService");
    EXPECT_FALSE(missing.sid.has_value());
    EXPECT_NE(missing.error.find("PermWatchNoSuchService"), std::string::npos) << missing.error;
}

}  // namespace test_registry_adapter
}  // namespace permwatch

// The FAKE clusapi.dll's cluster database and owner calls, through its
// exports, as PermWatch calls them. The fake stands in for the Cluster
// service's clusapi.dll, which Wine lacks (Wine's own stubs these calls); it
// must keep the documented semantics (learn.microsoft.com, clusapi.h) so that
// what PermWatch does against it holds on Windows: sizes in and out, error
// codes, handles of deleted keys, keys with subkeys. That a value written on
// one node is read on another (two prefixes) is shown by
// tests/cluster/two_nodes_test.sh.
//
// Runs in cluster_tests with the fake in System32 (fake_clusapi_environment.cpp).
#include <windows.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/cluster/fake_clusapi_test.hpp"

namespace permwatch::test {
namespace test_fake_cluster_database {

using namespace clusapi_h;

constexpr DWORD kGroupEnumNodes = 0x2;
constexpr DWORD kResourceEnumNodes = 0x4;
constexpr DWORD kValueBound = 320 * 1024;  // clussim::kDbValueBytes

class FakeClusterDatabase : public FakeClusapiTest {
protected:
    FakeClusterDatabase()
        : FakeClusapiTest({"setup", "--node", "NODE1", "--other-node", "NODE2", "--group",
                           "SQL Group", "--owner", "NODE1", "--resource", "SQL Server",
                           "--checkpoint", "SOFTWARE\\PermWatchTest\\FakeDb"}) {}
    void SetUp() override {
        FakeClusapiTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        root = GetClusterKey(cluster, KEY_ALL_ACCESS);
        ASSERT_NE(root, nullptr) << GetLastError();
    }
    void TearDown() override {
        for (HKEY k : opened) ClusterRegCloseKey(k);
        if (root) ClusterRegCloseKey(root);
        FakeClusapiTest::TearDown();
    }

    HKEY create(const wchar_t* path, DWORD* disposition = nullptr) {
        HKEY k = nullptr;
        EXPECT_EQ(ClusterRegCreateKey(root, path, 0, KEY_ALL_ACCESS, nullptr, &k, disposition),
                  ERROR_SUCCESS);
        if (k) opened.push_back(k);
        return k;
    }
    DWORD set_text(HKEY k, const wchar_t* name, const std::wstring& text) {
        return ClusterRegSetValue(k, name, REG_SZ, reinterpret_cast<const BYTE*>(text.c_str()),
                                  static_cast<DWORD>((text.size() + 1) * sizeof(wchar_t)));
    }
    std::vector<std::wstring> enum_names(void* e, ClusterGroupEnumFn next) {
        std::vector<std::wstring> out;
        for (DWORD i = 0;; ++i) {
            wchar_t name[64] = {};
            DWORD cch = 64;
            DWORD type = 0;
            if (next(e, i, &type, name, &cch) != ERROR_SUCCESS) break;
            out.emplace_back(name);
        }
        return out;
    }

    HKEY root = nullptr;
    std::vector<HKEY> opened;
};

TEST_F(FakeClusterDatabase, CreateSetAndQueryFollowTheDocumentedSizes) {
    DWORD disposition = 0;
    HKEY node = create(L"PermWatch\\Nodes\\NODE1", &disposition);
    ASSERT_NE(node, nullptr);
    EXPECT_EQ(disposition, static_cast<DWORD>(REG_CREATED_NEW_KEY));
    create(L"PermWatch\\Nodes\\NODE1", &disposition);
    EXPECT_EQ(disposition, static_cast<DWORD>(REG_OPENED_EXISTING_KEY));

    const std::wstring text = L"{\"version\":1}";
    ASSERT_EQ(set_text(node, L"Summary", text), static_cast<DWORD>(ERROR_SUCCESS));
    const DWORD bytes = static_cast<DWORD>((text.size() + 1) * sizeof(wchar_t));
    DWORD type = 0;
    DWORD size = 0;
    // No buffer: ERROR_SUCCESS and the size (the NUL counted for REG_SZ).
    ASSERT_EQ(ClusterRegQueryValue(node, L"Summary", &type, nullptr, &size), ERROR_SUCCESS);
    EXPECT_EQ(size, bytes);
    EXPECT_EQ(type, static_cast<DWORD>(REG_SZ));
    // Too small: ERROR_MORE_DATA and the size needed.
    std::vector<BYTE> small(4);
    size = 4;
    EXPECT_EQ(ClusterRegQueryValue(node, L"Summary", &type, small.data(), &size), ERROR_MORE_DATA);
    EXPECT_EQ(size, bytes);
    std::vector<BYTE> buf(bytes);
    ASSERT_EQ(ClusterRegQueryValue(node, L"Summary", &type, buf.data(), &size), ERROR_SUCCESS);
    EXPECT_EQ(std::wstring(reinterpret_cast<const wchar_t*>(buf.data())), text);
    EXPECT_EQ(ClusterRegQueryValue(node, L"Missing", &type, nullptr, &size), ERROR_FILE_NOT_FOUND);

    // Reopened from the root by path, it is the same key.
    HKEY again = nullptr;
    ASSERT_EQ(ClusterRegOpenKey(root, L"PermWatch\\Nodes\\NODE1", KEY_READ, &again), ERROR_SUCCESS);
    opened.push_back(again);
    size = 0;
    EXPECT_EQ(ClusterRegQueryValue(again, L"Summary", nullptr, nullptr, &size), ERROR_SUCCESS);
    EXPECT_EQ(size, bytes);
    EXPECT_EQ(ClusterRegDeleteValue(again, L"Summary"), static_cast<DWORD>(ERROR_SUCCESS));
    EXPECT_EQ(ClusterRegQueryValue(node, L"Summary", nullptr, nullptr, &size),
              ERROR_FILE_NOT_FOUND);
}

TEST_F(FakeClusterDatabase, EnumKeyListsEachSubkeyOnceThenNoMoreItems) {
    create(L"PermWatch\\Nodes\\NODE1");
    create(L"PermWatch\\Nodes\\NODE2");
    HKEY nodes = nullptr;
    ASSERT_EQ(ClusterRegOpenKey(root, L"PermWatch\\Nodes", KEY_READ, &nodes), ERROR_SUCCESS);
    opened.push_back(nodes);
    std::vector<std::wstring> names;
    for (DWORD i = 0;; ++i) {
        wchar_t name[64] = {};
        DWORD cch = 64;
        const LONG rc = ClusterRegEnumKey(nodes, i, name, &cch, nullptr);
        if (rc == ERROR_NO_MORE_ITEMS) break;
        ASSERT_EQ(rc, ERROR_SUCCESS);
        EXPECT_EQ(cch, wcslen(name));  // out: without the NUL
        names.emplace_back(name);
        ASSERT_LT(i, 10u);
    }
    EXPECT_EQ(names, (std::vector<std::wstring>{L"NODE1", L"NODE2"}));
    wchar_t tiny[3] = {};
    DWORD cch = 3;
    EXPECT_EQ(ClusterRegEnumKey(nodes, 0, tiny, &cch, nullptr), ERROR_MORE_DATA);
    EXPECT_EQ(cch, 5u);
}

TEST_F(FakeClusterDatabase, AKeyWithSubkeysIsNotDeletedAndADeletedKeysHandleGoesStale) {
    HKEY node = create(L"PermWatch\\Nodes\\NODE1");
    ASSERT_EQ(set_text(node, L"Summary", L"{}"), static_cast<DWORD>(ERROR_SUCCESS));
    EXPECT_NE(ClusterRegDeleteKey(root, L"PermWatch\\Nodes"), ERROR_SUCCESS);
    ASSERT_EQ(ClusterRegDeleteKey(root, L"PermWatch\\Nodes\\NODE1"), ERROR_SUCCESS);
    DWORD size = 0;
    EXPECT_EQ(ClusterRegQueryValue(node, L"Summary", nullptr, nullptr, &size), ERROR_KEY_DELETED);
    HKEY gone = nullptr;
    EXPECT_EQ(ClusterRegOpenKey(root, L"PermWatch\\Nodes\\NODE1", KEY_READ, &gone),
              ERROR_FILE_NOT_FOUND);
    // A key made again in the freed slot is a new key: the old handle stays stale.
    HKEY fresh = create(L"PermWatch\\Nodes\\NODE1");
    ASSERT_NE(fresh, nullptr);
    EXPECT_EQ(ClusterRegQueryValue(node, L"Summary", nullptr, nullptr, &size), ERROR_KEY_DELETED);
    EXPECT_EQ(ClusterRegQueryValue(fresh, L"Summary", nullptr, nullptr, &size),
              ERROR_FILE_NOT_FOUND);
}

TEST_F(FakeClusterDatabase, AValueOverTheBoundIsRefusedAndNothingChanges) {
    HKEY node = create(L"PermWatch\\Nodes\\NODE1");
    std::vector<BYTE> big(kValueBound + 1, 'x');
    ASSERT_EQ(ClusterRegSetValue(node, L"Summary", REG_BINARY, big.data(), kValueBound),
              static_cast<DWORD>(ERROR_SUCCESS));
    EXPECT_EQ(ClusterRegSetValue(node, L"Summary", REG_BINARY, big.data(), kValueBound + 1),
              static_cast<DWORD>(ERROR_NOT_ENOUGH_QUOTA));
    DWORD size = 0;
    ASSERT_EQ(ClusterRegQueryValue(node, L"Summary", nullptr, nullptr, &size), ERROR_SUCCESS);
    EXPECT_EQ(size, kValueBound);
}

TEST_F(FakeClusterDatabase, HostileSizesClaimMoreDataForAValue) {
    HKEY node = create(L"PermWatch\\Nodes\\NODE1");
    ASSERT_EQ(set_text(node, L"Summary", L"{}"), static_cast<DWORD>(ERROR_SUCCESS));
    const SimRun on = clussim({"hostile", "--mode", "sizes"});
    ASSERT_EQ(on.code, 0u) << on.out;
    std::vector<BYTE> buf(4096);
    DWORD size = static_cast<DWORD>(buf.size());
    EXPECT_EQ(ClusterRegQueryValue(node, L"Summary", nullptr, buf.data(), &size), ERROR_MORE_DATA);
    EXPECT_EQ(size, 64u * 1024 * 1024);  // clussim::kHostileChars * 2 bytes
    clussim({"hostile", "--mode", "off"});
}

TEST_F(FakeClusterDatabase, OwnersAndNodeStateAreWhatClussimSet) {
    void* group = OpenClusterGroup(cluster, L"SQL Group");
    ASSERT_NE(group, nullptr);
    void* e = ClusterGroupOpenEnum(group, kGroupEnumNodes);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(ClusterGroupGetEnumCount(e), 0u) << "a new group has no preferred owners";
    ClusterGroupCloseEnum(e);

    SimRun r = clussim({"set-preferred", "--group", "SQL Group", "--nodes", "NODE2,NODE1"});
    ASSERT_EQ(r.code, 0u) << r.out;
    r = clussim({"set-possible", "--resource", "SQL Server", "--nodes", "NODE2"});
    ASSERT_EQ(r.code, 0u) << r.out;
    e = ClusterGroupOpenEnum(group, kGroupEnumNodes);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(ClusterGroupGetEnumCount(e), 2u);
    EXPECT_EQ(enum_names(e, ClusterGroupEnum), (std::vector<std::wstring>{L"NODE2", L"NODE1"}));
    ClusterGroupCloseEnum(e);
    CloseClusterGroup(group);

    void* resource = OpenClusterResource(cluster, L"SQL Server");
    ASSERT_NE(resource, nullptr);
    e = ClusterResourceOpenEnum(resource, kResourceEnumNodes);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(enum_names(e, ClusterResourceEnum), (std::vector<std::wstring>{L"NODE2"}));
    ClusterResourceCloseEnum(e);
    r = clussim({"set-possible", "--resource", "SQL Server", "--nodes", "all"});
    ASSERT_EQ(r.code, 0u) << r.out;
    e = ClusterResourceOpenEnum(resource, kResourceEnumNodes);
    EXPECT_EQ(enum_names(e, ClusterResourceEnum), (std::vector<std::wstring>{L"NODE1", L"NODE2"}));
    ClusterResourceCloseEnum(e);
    CloseClusterResource(resource);

    void* node2 = OpenClusterNode(cluster, L"NODE2");
    ASSERT_NE(node2, nullptr);
    EXPECT_EQ(GetClusterNodeState(node2), 0) << "ClusterNodeUp";
    r = clussim({"node-down", "--node", "NODE2", "--grace-ms", "0"});
    ASSERT_EQ(r.code, 0u) << r.out;
    EXPECT_EQ(GetClusterNodeState(node2), 1) << "ClusterNodeDown";
    r = clussim({"node-up", "--node", "NODE2"});
    ASSERT_EQ(r.code, 0u) << r.out;
    EXPECT_EQ(GetClusterNodeState(node2), 0);
    CloseClusterNode(node2);
}

}  // namespace test_fake_cluster_database
}  // namespace permwatch::test

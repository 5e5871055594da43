// The FAKE clusapi.dll's answers about what a resource is, through its
// exports, as PermWatch's zero-config guard asks them: the resource's type
// (CLUSCTL_RESOURCE_GET_RESOURCE_TYPE) and its private properties
// (CLUSCTL_RESOURCE_GET_PRIVATE_PROPERTIES), where a Generic Service names
// its service. The fake stands in for the Cluster service and its resource
// DLLs, which Wine lacks; its answers must keep the documented format and
// sizes (learn.microsoft.com, clusapi.h and "Property lists") so that what
// PermWatch's parser accepts and refuses here holds against Windows. The
// lists are read with core's own parser, which the guard uses.
//
// Runs in cluster_tests with the fake in System32 (fake_clusapi_environment.cpp).
#include <windows.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core/cluster/property_list.hpp"
#include "tests/cluster/fake_clusapi_test.hpp"

namespace permwatch::test {
namespace test_fake_resource_properties {

// clusapi.h's values, written out here rather than taken from service/.
constexpr DWORD kCtlGetResourceType = 0x0100002D;       // CLUSCTL_RESOURCE_GET_RESOURCE_TYPE
constexpr DWORD kCtlGetPrivateProperties = 0x01000081;  // CLUSCTL_RESOURCE_GET_PRIVATE_PROPERTIES
constexpr DWORD kEnumResource = 0x4;                    // CLUSTER_ENUM_RESOURCE
constexpr DWORD kEnumGroup = 0x8;                       // CLUSTER_ENUM_GROUP
constexpr DWORD kChangeResourceDeleted = 0x00000200;    // CLUSTER_CHANGE_RESOURCE_DELETED
constexpr DWORD kChangeResourceAdded = 0x00000400;      // CLUSTER_CHANGE_RESOURCE_ADDED
constexpr DWORD kChangeGroupDeleted = 0x00002000;       // CLUSTER_CHANGE_GROUP_DELETED
constexpr DWORD kChangeGroupAdded = 0x00004000;         // CLUSTER_CHANGE_GROUP_ADDED
constexpr int kGroupOnline = 0;                         // ClusterGroupOnline

std::wstring wide(const std::u16string& s) { return std::wstring(s.begin(), s.end()); }

class FakeResourceProperties : public FakeClusapiTest {
protected:
    FakeResourceProperties()
        : FakeClusapiTest({"setup", "--node", "NODE1", "--other-node", "NODE2", "--group",
                           "SQL Group", "--owner", "NODE1", "--resource", "SQL Agent",
                           "--service-name", "SQLAgent$PW", "--checkpoint",
                           "SOFTWARE\\PermWatchTest\\FakeProps"}) {}
    void TearDown() override {
        for (void* r : resources) CloseClusterResource(r);
        if (simulator_present()) clussim({"hostile", "--mode", "off"});
        FakeClusapiTest::TearDown();
    }

    void* resource(const wchar_t* name) {
        void* r = OpenClusterResource(cluster, name);
        EXPECT_NE(r, nullptr) << GetLastError();
        if (r) resources.push_back(r);
        return r;
    }

    // Adds "Batch" (no type: a Generic Application) and "Disk" (a Physical
    // Disk) to the SQL group and opens both.
    void add_batch_and_disk(void** batch, void** disk) {
        SimRun r = clussim({"add-resource", "--resource", "Batch", "--group", "SQL Group"});
        ASSERT_EQ(r.code, 0u) << r.out;
        r = clussim({"add-resource", "--resource", "Disk", "--group", "SQL Group", "--type",
                     "Physical Disk"});
        ASSERT_EQ(r.code, 0u) << r.out;
        *batch = resource(L"Batch");
        *disk = resource(L"Disk");
        ASSERT_NE(*batch, nullptr);
        ASSERT_NE(*disk, nullptr);
    }

    struct Answer {
        DWORD rc = 0;
        DWORD returned = 0;
        std::vector<BYTE> bytes;  // the `returned` bytes the call filled
    };
    // The control's answer, the way a caller must ask: the size first (no
    // buffer), then a buffer of that size.
    Answer control(void* r, DWORD code) {
        Answer a;
        a.rc = ClusterResourceControl(r, nullptr, code, nullptr, 0, nullptr, 0, &a.returned);
        if (a.rc != ERROR_MORE_DATA) return a;
        a.bytes.assign(a.returned, 0);
        a.rc = ClusterResourceControl(r, nullptr, code, nullptr, 0, a.bytes.data(),
                                      static_cast<DWORD>(a.bytes.size()), &a.returned);
        a.bytes.resize(std::min<size_t>(a.returned, a.bytes.size()));
        return a;
    }
    std::wstring type_of(void* r) {
        const Answer a = control(r, kCtlGetResourceType);
        EXPECT_EQ(a.rc, static_cast<DWORD>(ERROR_SUCCESS));
        if (a.bytes.size() < 2) return L"(no answer)";
        EXPECT_EQ(a.bytes[a.bytes.size() - 2] | a.bytes[a.bytes.size() - 1], 0) << "no NUL";
        return std::wstring(reinterpret_cast<const wchar_t*>(a.bytes.data()));
    }
    ParsedPropertyList properties_of(void* r, Answer* raw = nullptr) {
        const Answer a = control(r, kCtlGetPrivateProperties);
        EXPECT_EQ(a.rc, static_cast<DWORD>(ERROR_SUCCESS));
        if (raw) *raw = a;
        return parse_property_list(a.bytes.data(), a.bytes.size());
    }
    // Names ClusterEnum lists of `type` (CLUSTER_ENUM_GROUP or _RESOURCE).
    std::vector<std::wstring> listed(DWORD type) {
        std::vector<std::wstring> out;
        void* e = ClusterOpenEnum(cluster, type);
        EXPECT_NE(e, nullptr);
        if (!e) return out;
        for (DWORD i = 0;; ++i) {
            wchar_t name[128] = {};
            DWORD cch = 128;
            DWORD got = 0;
            if (ClusterEnum(e, i, &got, name, &cch) != ERROR_SUCCESS) break;
            EXPECT_EQ(got, type);
            out.emplace_back(name);
        }
        ClusterCloseEnum(e);
        return out;
    }

    std::vector<void*> resources;
};

// Stands in for CLUSCTL_RESOURCE_GET_RESOURCE_TYPE on Windows: the type name,
// NUL-terminated; a --service-name alone makes a Generic Service, no type at
// all a Generic Application (clussim's default).
TEST_F(FakeResourceProperties, TypeIsTheResourceTypeName) {
    void* agent = resource(L"SQL Agent");
    ASSERT_NE(agent, nullptr);
    EXPECT_EQ(type_of(agent), L"Generic Service");

    void* batch = nullptr;
    void* disk = nullptr;
    ASSERT_NO_FATAL_FAILURE(add_batch_and_disk(&batch, &disk));
    EXPECT_EQ(type_of(batch), L"Generic Application");
    EXPECT_EQ(type_of(disk), L"Physical Disk");

    const SimRun status = clussim({"status"});
    EXPECT_NE(status.out.find("'SQL Agent' in 'SQL Group' Online, type 'Generic Service', "
                              "service name 'SQLAgent$PW'"),
              std::string::npos)
        << status.out;
}

// Stands in for CLUSCTL_RESOURCE_GET_PRIVATE_PROPERTIES of a Generic Service
// on Windows, and its documented short-buffer answer: no buffer or one byte
// short gets ERROR_MORE_DATA and the size needed; that size gets the list,
// which core's parser reads, ServiceName included.
TEST_F(FakeResourceProperties, GenericServiceNamesItsServiceAfterASizeFirstCall) {
    void* agent = resource(L"SQL Agent");
    ASSERT_NE(agent, nullptr);
    DWORD needed = 0;
    ASSERT_EQ(ClusterResourceControl(agent, nullptr, kCtlGetPrivateProperties, nullptr, 0, nullptr,
                                     0, &needed),
              static_cast<DWORD>(ERROR_MORE_DATA));
    ASSERT_GT(needed, 4u);
    EXPECT_EQ(needed % 4, 0u) << "every entry is padded to 4 bytes";
    std::vector<BYTE> buf(needed + 16, 0xCD);
    DWORD returned = 0;
    EXPECT_EQ(ClusterResourceControl(agent, nullptr, kCtlGetPrivateProperties, nullptr, 0,
                                     buf.data(), needed - 1, &returned),
              static_cast<DWORD>(ERROR_MORE_DATA));
    EXPECT_EQ(returned, needed);
    EXPECT_EQ(buf[0], 0xCD) << "nothing written into a buffer that is too small";
    returned = 0;
    ASSERT_EQ(ClusterResourceControl(agent, nullptr, kCtlGetPrivateProperties, nullptr, 0,
                                     buf.data(), static_cast<DWORD>(buf.size()), &returned),
              static_cast<DWORD>(ERROR_SUCCESS));
    EXPECT_EQ(returned, needed);

    const ParsedPropertyList list = parse_property_list(buf.data(), returned);
    ASSERT_TRUE(list.ok()) << list.error;
    ASSERT_EQ(list.properties.size(), 3u);
    const auto service = string_property(list, u"ServiceName");
    ASSERT_TRUE(service.has_value());
    EXPECT_EQ(wide(*service), L"SQLAgent$PW");
    EXPECT_EQ(wide(string_property(list, u"servicename").value_or(u"?")), L"SQLAgent$PW")
        << "property names compare without case";
    EXPECT_EQ(wide(string_property(list, u"StartupParameters").value_or(u"?")), L"");
    const Property* network = find_property(list, u"UseNetworkName");
    ASSERT_NE(network, nullptr);
    ASSERT_EQ(network->values.size(), 1u);
    EXPECT_EQ(network->values[0].syntax, clusprop::kSyntaxListValueDword);
    EXPECT_EQ(network->values[0].data, std::vector<std::byte>(4, std::byte{0}));
}

// Stands in for a Generic Application's private properties on Windows: a
// list with properties but no ServiceName, which a caller must tell from a
// list it could not read; a type without private properties answers count 0.
TEST_F(FakeResourceProperties, OtherTypesHaveNoServiceName) {
    void* batch = nullptr;
    void* disk = nullptr;
    ASSERT_NO_FATAL_FAILURE(add_batch_and_disk(&batch, &disk));

    const ParsedPropertyList app = properties_of(batch);
    ASSERT_TRUE(app.ok()) << app.error;
    EXPECT_NE(find_property(app, u"CommandLine"), nullptr);
    EXPECT_NE(find_property(app, u"CurrentDirectory"), nullptr);
    EXPECT_EQ(find_property(app, u"ServiceName"), nullptr);
    EXPECT_FALSE(string_property(app, u"ServiceName").has_value());

    Answer raw;
    const ParsedPropertyList none = properties_of(disk, &raw);
    ASSERT_TRUE(none.ok()) << none.error;
    EXPECT_TRUE(none.properties.empty());
    EXPECT_EQ(raw.bytes, std::vector<BYTE>(4, 0)) << "a count of 0 and nothing else";
}

// Stands in for a broken or hostile clusapi.dll (or resource DLL): each
// malformed list comes with ERROR_SUCCESS and its true size, so only the
// caller's parser stands between it and a bad read; each is refused whole,
// with the problem named. `hostile --mode sizes` still claims 64 MiB here.
TEST_F(FakeResourceProperties, MalformedListsAreRefusedByTheParser) {
    void* agent = resource(L"SQL Agent");
    ASSERT_NE(agent, nullptr);
    Answer good;
    ASSERT_TRUE(properties_of(agent, &good).ok());

    const struct {
        const char* mode;
        const char* problem;  // in the parser's error line
        size_t size;          // the size the call returns
    } kCases[] = {
        {"property-list-past-end", "run past the end", good.bytes.size()},
        {"property-list-no-endmark", "the buffer ends before its endmark", good.bytes.size() - 4},
        {"property-list-huge-count", "a count of 2147483647 properties", good.bytes.size()},
    };
    for (const auto& c : kCases) {
        SCOPED_TRACE(c.mode);
        const SimRun on = clussim({"hostile", "--mode", c.mode});
        ASSERT_EQ(on.code, 0u) << on.out;
        Answer raw;
        const ParsedPropertyList list = properties_of(agent, &raw);
        EXPECT_EQ(raw.rc, static_cast<DWORD>(ERROR_SUCCESS));
        EXPECT_EQ(raw.bytes.size(), c.size);
        EXPECT_FALSE(list.ok());
        EXPECT_TRUE(list.properties.empty()) << "a refused list is not half believed";
        EXPECT_NE(list.error.find(c.problem), std::string::npos) << list.error;
    }

    SimRun r = clussim({"hostile", "--mode", "sizes"});
    ASSERT_EQ(r.code, 0u) << r.out;
    std::vector<BYTE> buf(4096);
    DWORD returned = 0;
    EXPECT_EQ(ClusterResourceControl(agent, nullptr, kCtlGetPrivateProperties, nullptr, 0,
                                     buf.data(), static_cast<DWORD>(buf.size()), &returned),
              static_cast<DWORD>(ERROR_MORE_DATA));
    EXPECT_EQ(returned, 64u * 1024 * 1024);

    r = clussim({"hostile", "--mode", "off"});
    ASSERT_EQ(r.code, 0u) << r.out;
    EXPECT_TRUE(properties_of(agent).ok());
    EXPECT_EQ(clussim({"hostile", "--mode", "bogus"}).code, 2u);
}

// Stands in for groups and resources created and removed on a running
// cluster (New-ClusterGroup, Add-ClusterResource, Remove-*): ClusterEnum
// lists what is there now, and ClusSvc's notifications tell of each change.
TEST_F(FakeResourceProperties, GroupsAndResourcesAddedAtRunTimeAreListedAndNotified) {
    constexpr DWORD kFilter =
        kChangeGroupAdded | kChangeGroupDeleted | kChangeResourceAdded | kChangeResourceDeleted;
    void* port = CreateClusterNotifyPort(INVALID_HANDLE_VALUE, cluster, kFilter, 7);
    ASSERT_NE(port, nullptr) << GetLastError();
    EXPECT_EQ(listed(kEnumGroup), (std::vector<std::wstring>{L"SQL Group"}));
    EXPECT_EQ(listed(kEnumResource), (std::vector<std::wstring>{L"SQL Agent"}));

    SimRun r = clussim({"add-group", "--group", "Web Group"});
    ASSERT_EQ(r.code, 0u) << r.out;
    EXPECT_EQ(clussim({"add-group", "--group", "Web Group"}).code, 2u) << "it exists";
    r = clussim({"add-resource", "--resource", "Web Server", "--group", "Web Group",
                 "--service-name", "W3SVC"});
    ASSERT_EQ(r.code, 0u) << r.out;
    EXPECT_EQ(listed(kEnumGroup), (std::vector<std::wstring>{L"SQL Group", L"Web Group"}));
    EXPECT_EQ(listed(kEnumResource), (std::vector<std::wstring>{L"SQL Agent", L"Web Server"}));
    void* group = OpenClusterGroup(cluster, L"Web Group");
    ASSERT_NE(group, nullptr);
    wchar_t owner[64] = {};
    DWORD cch = 64;
    EXPECT_EQ(GetClusterGroupState(group, owner, &cch), kGroupOnline);
    EXPECT_STREQ(owner, L"NODE1") << "setup's owner";
    CloseClusterGroup(group);
    void* web = resource(L"Web Server");
    ASSERT_NE(web, nullptr);
    EXPECT_EQ(wide(string_property(properties_of(web), u"ServiceName").value_or(u"?")), L"W3SVC");

    r = clussim({"delete-group", "--group", "Web Group"});
    EXPECT_EQ(r.code, 2u) << "refused while it has a resource: " << r.out;
    r = clussim({"delete-resource", "--resource", "Web Server"});
    ASSERT_EQ(r.code, 0u) << r.out;
    r = clussim({"delete-group", "--group", "Web Group"});
    ASSERT_EQ(r.code, 0u) << r.out;
    EXPECT_EQ(listed(kEnumGroup), (std::vector<std::wstring>{L"SQL Group"}));
    EXPECT_EQ(listed(kEnumResource), (std::vector<std::wstring>{L"SQL Agent"}));
    r = clussim({"add-group", "--group", "Far Group", "--owner", "NODE2"});
    ASSERT_EQ(r.code, 0u) << r.out;

    // The name of a resource-added notification is not checked: the fake
    // names the group there (its V2 form is the group's RESOURCE_ADDED).
    const std::vector<std::pair<DWORD, std::wstring>> expected = {
        {kChangeGroupAdded, L"Web Group"},       {kChangeResourceAdded, L""},
        {kChangeResourceDeleted, L"Web Server"}, {kChangeGroupDeleted, L"Web Group"},
        {kChangeGroupAdded, L"Far Group"},
    };
    for (const auto& [filter, name] : expected) {
        DWORD_PTR key = 0;
        DWORD got = 0;
        wchar_t text[256] = {};
        DWORD len = 256;
        ASSERT_EQ(GetClusterNotify(port, &key, &got, text, &len, 2000),
                  static_cast<DWORD>(ERROR_SUCCESS));
        EXPECT_EQ(key, 7u);
        EXPECT_EQ(got, filter) << text;
        if (!name.empty()) {
            EXPECT_EQ(std::wstring(text), name);
        }
    }
    CloseClusterNotifyPort(port);
}

}  // namespace test_fake_resource_properties
}  // namespace permwatch::test

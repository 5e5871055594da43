// The fixture of the tests that call the FAKE clusapi.dll through its
// exports, as PermWatch calls them: the simulated cluster made by clussim,
// the fake loaded from System32 as the service loads it, every call the tests
// make found by its exported name, and the cluster opened.
#pragma once

#include <windows.h>

#include <filesystem>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tests/cluster/cluster_test_support.hpp"
#include "tests/cluster/fake_in_system32.hpp"
#include "tests/fakes/clusapi_signatures.hpp"

namespace clusapi_h {

// The documented signatures (clusapi.h) of the group, resource, node,
// enumeration and notification calls the fake's tests make.
using OpenClusterGroupFn = void*(WINAPI*)(void*, LPCWSTR);
using CloseClusterGroupFn = BOOL(WINAPI*)(void*);
using GetClusterGroupStateFn = int(WINAPI*)(void*, LPWSTR, LPDWORD);
using ClusterGroupOpenEnumFn = void*(WINAPI*)(void*, DWORD);
using ClusterGroupGetEnumCountFn = DWORD(WINAPI*)(void*);
using ClusterGroupEnumFn = DWORD(WINAPI*)(void*, DWORD, LPDWORD, LPWSTR, LPDWORD);
using ClusterGroupCloseEnumFn = DWORD(WINAPI*)(void*);
using OpenClusterResourceFn = void*(WINAPI*)(void*, LPCWSTR);
using CloseClusterResourceFn = BOOL(WINAPI*)(void*);
using ClusterResourceControlFn = DWORD(WINAPI*)(void*, void*, DWORD, LPVOID, DWORD, LPVOID, DWORD,
                                                LPDWORD);
using ClusterResourceOpenEnumFn = void*(WINAPI*)(void*, DWORD);
using ClusterResourceEnumFn = DWORD(WINAPI*)(void*, DWORD, LPDWORD, LPWSTR, LPDWORD);
using ClusterResourceCloseEnumFn = DWORD(WINAPI*)(void*);
using OpenClusterNodeFn = void*(WINAPI*)(void*, LPCWSTR);
using CloseClusterNodeFn = BOOL(WINAPI*)(void*);
using GetClusterNodeStateFn = int(WINAPI*)(void*);
using ClusterOpenEnumFn = void*(WINAPI*)(void*, DWORD);
using ClusterEnumFn = DWORD(WINAPI*)(void*, DWORD, LPDWORD, LPWSTR, LPDWORD);
using ClusterCloseEnumFn = DWORD(WINAPI*)(void*);
using CreateClusterNotifyPortFn = void*(WINAPI*)(void*, void*, DWORD, DWORD_PTR);
using GetClusterNotifyFn = DWORD(WINAPI*)(void*, DWORD_PTR*, LPDWORD, LPWSTR, LPDWORD, DWORD);
using CloseClusterNotifyPortFn = BOOL(WINAPI*)(void*);

// Those calls of a loaded clusapi.dll, by their exported names.
struct ObjectCalls {
    OpenClusterGroupFn OpenClusterGroup = nullptr;
    CloseClusterGroupFn CloseClusterGroup = nullptr;
    GetClusterGroupStateFn GetClusterGroupState = nullptr;
    ClusterGroupOpenEnumFn ClusterGroupOpenEnum = nullptr;
    ClusterGroupGetEnumCountFn ClusterGroupGetEnumCount = nullptr;
    ClusterGroupEnumFn ClusterGroupEnum = nullptr;
    ClusterGroupCloseEnumFn ClusterGroupCloseEnum = nullptr;
    OpenClusterResourceFn OpenClusterResource = nullptr;
    CloseClusterResourceFn CloseClusterResource = nullptr;
    ClusterResourceControlFn ClusterResourceControl = nullptr;
    ClusterResourceOpenEnumFn ClusterResourceOpenEnum = nullptr;
    ClusterResourceEnumFn ClusterResourceEnum = nullptr;
    ClusterResourceCloseEnumFn ClusterResourceCloseEnum = nullptr;
    OpenClusterNodeFn OpenClusterNode = nullptr;
    CloseClusterNodeFn CloseClusterNode = nullptr;
    GetClusterNodeStateFn GetClusterNodeState = nullptr;
    ClusterOpenEnumFn ClusterOpenEnum = nullptr;
    ClusterEnumFn ClusterEnum = nullptr;
    ClusterCloseEnumFn ClusterCloseEnum = nullptr;
    CreateClusterNotifyPortFn CreateClusterNotifyPort = nullptr;
    GetClusterNotifyFn GetClusterNotify = nullptr;
    CloseClusterNotifyPortFn CloseClusterNotifyPort = nullptr;

    // Loads every call; returns the name of the first one `dll` lacks, or
    // nullptr when it has them all.
    const char* load_from(HMODULE dll) {
        const char* missing = nullptr;
        auto one = [&](auto& fn, const char* name) {
            fn = load<std::remove_reference_t<decltype(fn)>>(dll, name);
            if (!fn && !missing) missing = name;
        };
        one(OpenClusterGroup, "OpenClusterGroup");
        one(CloseClusterGroup, "CloseClusterGroup");
        one(GetClusterGroupState, "GetClusterGroupState");
        one(ClusterGroupOpenEnum, "ClusterGroupOpenEnum");
        one(ClusterGroupGetEnumCount, "ClusterGroupGetEnumCount");
        one(ClusterGroupEnum, "ClusterGroupEnum");
        one(ClusterGroupCloseEnum, "ClusterGroupCloseEnum");
        one(OpenClusterResource, "OpenClusterResource");
        one(CloseClusterResource, "CloseClusterResource");
        one(ClusterResourceControl, "ClusterResourceControl");
        one(ClusterResourceOpenEnum, "ClusterResourceOpenEnum");
        one(ClusterResourceEnum, "ClusterResourceEnum");
        one(ClusterResourceCloseEnum, "ClusterResourceCloseEnum");
        one(OpenClusterNode, "OpenClusterNode");
        one(CloseClusterNode, "CloseClusterNode");
        one(GetClusterNodeState, "GetClusterNodeState");
        one(ClusterOpenEnum, "ClusterOpenEnum");
        one(ClusterEnum, "ClusterEnum");
        one(ClusterCloseEnum, "ClusterCloseEnum");
        one(CreateClusterNotifyPort, "CreateClusterNotifyPort");
        one(GetClusterNotify, "GetClusterNotify");
        one(CloseClusterNotifyPort, "CloseClusterNotifyPort");
        return missing;
    }
};

}  // namespace clusapi_h

namespace permwatch::test {

class FakeClusapiTest : public ::testing::Test,
                        protected clusapi_h::DatabaseCalls,
                        protected clusapi_h::ObjectCalls {
protected:
    // `setup`: the clussim command line that makes the simulated cluster.
    explicit FakeClusapiTest(std::vector<std::string> setup) : setup_(std::move(setup)) {}

    // A fixture's own SetUp calls this first and returns when the test was
    // skipped or failed in it.
    void SetUp() override {
        PERMWATCH_REQUIRE_SIMULATED_CLUSTER();
        use_in_process_state_file();
        const SimRun r = clussim(setup_);
        ASSERT_EQ(r.code, 0u) << r.out;
        dll = LoadLibraryExW(L"clusapi.dll", nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32);
        ASSERT_NE(dll, nullptr);
        const char* missing = DatabaseCalls::load_from(dll);
        if (!missing) missing = ObjectCalls::load_from(dll);
        ASSERT_EQ(missing, nullptr) << "the fake lacks " << missing;
        cluster = OpenCluster(nullptr);
        ASSERT_NE(cluster, nullptr) << GetLastError();
    }
    // A fixture's own TearDown closes what it opened, then calls this.
    void TearDown() override {
        if (cluster) CloseCluster(cluster);
        if (dll) FreeLibrary(dll);
        if (simulator_present()) clussim({"teardown"});
    }
    static bool simulator_present() { return std::filesystem::exists(exe_dir() / "clussim.exe"); }

    HMODULE dll = nullptr;
    void* cluster = nullptr;

private:
    std::vector<std::string> setup_;
};

}  // namespace permwatch::test

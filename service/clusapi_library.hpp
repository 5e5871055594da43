// clusapi.dll, loaded at run time from System32 only (never linked: a node
// without the Failover Clustering feature has no clusapi.dll, or one whose
// functions fail, and PermWatch then runs standalone). The one place that
// loads it; the cluster adapter (notifications, checkpoints) and the cluster
// database adapter (published summaries, owners) both take their functions
// from here.
#pragma once

#include <windows.h>

#include <memory>
#include <string>

#include "service/unique_handle.hpp"

namespace permwatch::win {

class ClusapiLibrary {
public:
    // nullptr when the DLL cannot be loaded; `why` says why.
    static std::shared_ptr<ClusapiLibrary> load(std::string& why);
    ~ClusapiLibrary();
    ClusapiLibrary(const ClusapiLibrary&) = delete;
    ClusapiLibrary& operator=(const ClusapiLibrary&) = delete;

    // The export `name` as the function type Fn (one of clusapi_types.hpp's),
    // or null when the DLL does not export it.
    template <typename Fn>
    Fn get(const char* name) const {
        // Through void*: FARPROC -> a function type with parameters would
        // trip -Wcast-function-type.
        return reinterpret_cast<Fn>(reinterpret_cast<void*>(GetProcAddress(module_, name)));
    }

private:
    explicit ClusapiLibrary(HMODULE module) : module_(module) {}
    HMODULE module_;
};

// Handles from clusapi, closed through the function loaded from it: cluster,
// node, group, resource and notify-port handles (their closers return BOOL);
// enumerations (theirs return DWORD); keys of the cluster database (LONG).
using ClusterObject = UniqueHandle<NullIsNone<void*, CloseThrough<void*>>>;
using ClusterEnumeration = UniqueHandle<NullIsNone<void*, CloseThrough<void*, DWORD>>>;
using ClusterKey = UniqueHandle<NullIsNone<HKEY, CloseThrough<HKEY, LONG>>>;

}  // namespace permwatch::win

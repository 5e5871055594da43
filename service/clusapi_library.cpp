#include "service/clusapi_library.hpp"

#include "service/win32_error.hpp"

namespace permwatch::win {

namespace {

// The export `name` as the function type Fn, or null when the DLL lacks it.
template <typename Fn>
Fn resolve(HMODULE module, const char* name) {
    // Through void*: FARPROC -> a function type with parameters would trip
    // -Wcast-function-type.
    return reinterpret_cast<Fn>(reinterpret_cast<void*>(GetProcAddress(module, name)));
}

}  // namespace

std::shared_ptr<const ClusapiLibrary> ClusapiLibrary::load(std::string& why) {
    // System32 only, by its bare name: never the working directory or PATH,
    // where a user could plant a clusapi.dll that this SYSTEM process would
    // load every 30 s.
    HMODULE module = LoadLibraryExW(L"clusapi.dll", nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32);
    if (!module) {
        why = describe("loading clusapi.dll from the system folder", GetLastError());
        return nullptr;
    }
    std::shared_ptr<ClusapiLibrary> library(new ClusapiLibrary(module));
#define PW_CLUSAPI_RESOLVE(name, user) library->name = resolve<clus::name##Fn>(module, #name);
    PW_CLUSAPI_FUNCTIONS(PW_CLUSAPI_RESOLVE)
#undef PW_CLUSAPI_RESOLVE
    return library;
}

std::string ClusapiLibrary::missing(ClusapiUser user) const {
#define PW_CLUSAPI_CHECK(name, needed_by) \
    if ((needed_by & user) != 0 && !name) return #name;
    PW_CLUSAPI_FUNCTIONS(PW_CLUSAPI_CHECK)
#undef PW_CLUSAPI_CHECK
    return {};
}

ClusapiLibrary::~ClusapiLibrary() { FreeLibrary(module_); }

}  // namespace permwatch::win

#include "service/clusapi_library.hpp"

#include "service/win32_error.hpp"

namespace permwatch::win {

std::shared_ptr<ClusapiLibrary> ClusapiLibrary::load(std::string& why) {
    // System32 only, by its bare name: never the working directory or PATH,
    // where a user could plant a clusapi.dll that this SYSTEM process would
    // load every 30 s.
    HMODULE module = LoadLibraryExW(L"clusapi.dll", nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32);
    if (!module) {
        why = describe("loading clusapi.dll from the system folder", GetLastError());
        return nullptr;
    }
    return std::shared_ptr<ClusapiLibrary>(new ClusapiLibrary(module));
}

ClusapiLibrary::~ClusapiLibrary() { FreeLibrary(module_); }

}  // namespace permwatch::win

// TEST FAKE clusapi.dll: what clusapi_fake.cpp shares with the files that
// implement more of the API (clusapi_fake_database.cpp: the cluster registry;
// clusapi_fake_owners.cpp: owner enumerations and node state).
#pragma once

#include <windows.h>

#include "tests/fakes/clusapi/clussim_state.hpp"

namespace fake {

// The mapped state, or nullptr when there is no simulated cluster.
clussim::State* shared();
// The mapping, for clussim::Lock.
const clussim::Mapping& mapping();
// Copies `text` with the API's convention: *cch in = buffer size in
// characters, out = length without the NUL; ERROR_MORE_DATA when too small.
// Honours `clussim hostile --mode sizes`.
DWORD out_string(const wchar_t* text, LPWSTR buf, LPDWORD cch);
// `clussim hostile --mode sizes`: records the offer and, below `asked`,
// answers ERROR_MORE_DATA asking for it. Call without the state lock.
bool hostile_more(DWORD offered_bytes, LPDWORD size, DWORD asked);
// The names behind the fake's handles; nullptr when the handle is not one.
bool is_cluster(void* handle);
const wchar_t* group_name(void* handle);
const wchar_t* resource_name(void* handle);
const wchar_t* node_name(void* handle);
// RPC_S_SERVER_UNAVAILABLE while `clussim failover --down-ms` holds, or
// ERROR_SUCCESS when the cluster can be reached and runs.
DWORD reachable(const clussim::State* s);

}  // namespace fake

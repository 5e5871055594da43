// TEST FAKE clussim.exe: the commands for several nodes (clussim_nodes.cpp)
// and for the cluster database (clussim_database.cpp). Each returns the exit
// code: 0 done, 1 not found (db-get), 2 usage or state error.
#pragma once

#include <string>

#include "tests/fakes/clusapi/clussim_state.hpp"

namespace clussim {

int add_node(Mapping& m, const std::wstring& node);
int node_up(Mapping& m, const std::wstring& node);
// `nodes`: comma-separated, in order of preference; "" = none.
int set_preferred(Mapping& m, const std::wstring& group, const std::wstring& nodes);
// `nodes`: comma-separated; "all" = every node (Windows' default).
int set_possible(Mapping& m, const std::wstring& resource, const std::wstring& nodes);
// Prints the nodes with up/down and each group's and resource's owners.
void say_owners(const State& s);

int db_set(const std::wstring& key, const std::wstring& value, const std::wstring& text,
           bool binary);
int db_get(const std::wstring& key, const std::wstring& value);
int db_delete(const std::wstring& key, const std::wstring& value);
int db_dump(const std::wstring& key);

}  // namespace clussim

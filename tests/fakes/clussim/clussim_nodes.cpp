// TEST FAKE clussim.exe: nodes and owners of the simulated cluster. What
// Failover Cluster Manager sets on a real cluster: the nodes, a group's
// preferred owners (ordered) and a resource's possible owners. The fake
// clusapi.dll reports them (clusapi_fake_owners.cpp).
#include <windows.h>

#include <string>
#include <vector>

#include "tests/fakes/clusapi/clussim_state.hpp"
#include "tests/fakes/clussim/clussim_commands.hpp"
#include "tests/fakes/clussim/clussim_output.hpp"

namespace clussim {
namespace {

std::vector<std::wstring> split_list(const std::wstring& text) {
    std::vector<std::wstring> out;
    std::wstring item;
    for (wchar_t c : text + L",") {
        if (c != L',') {
            item += c;
        } else if (!item.empty()) {
            out.push_back(item);
            item.clear();
        }
    }
    return out;
}

// Every name in `nodes` is a node of the cluster, and there are at most kNodes.
bool known_nodes(State& s, const std::vector<std::wstring>& nodes) {
    if (nodes.size() > static_cast<size_t>(kNodes)) {
        say(L"at most " + std::to_wstring(kNodes) + L" nodes");
        return false;
    }
    for (const auto& n : nodes) {
        if (!find_node(s, n.c_str())) {
            say(L"no such node " + n);
            return false;
        }
    }
    return true;
}

std::wstring joined(const wchar_t (*names)[kName], DWORD count) {
    std::wstring out;
    for (DWORD i = 0; i < count && i < static_cast<DWORD>(kNodes); ++i)
        out += (i ? L", " : L"") + std::wstring(names[i]);
    return out.empty() ? L"(none)" : out;
}

}  // namespace

int add_node(Mapping& m, const std::wstring& node) {
    State& s = *m.state();
    Lock lock(m);
    if (node.empty() || node.size() >= static_cast<size_t>(kName) || find_node(s, node.c_str())) {
        say(L"add-node needs --node NAME, a new one");
        return 2;
    }
    DWORD id = 0;
    for (const auto& n : s.nodes)
        if (n.used && n.id > id) id = n.id;
    for (auto& n : s.nodes) {
        if (n.used) continue;
        n = Node{1, 1, id + 1, {}};
        copy(n.name, kName, node);
        say(L"node " + node + L" added (id " + std::to_wstring(id + 1) + L"), up");
        return 0;
    }
    say(L"no room for another node");
    return 2;
}

int node_up(Mapping& m, const std::wstring& node) {
    State& s = *m.state();
    Lock lock(m);
    Node* n = find_node(s, node.c_str());
    if (!n) {
        say(L"no such node " + node);
        return 2;
    }
    n->up = 1;
    say(L"node " + node + L" is up");
    return 0;
}

int set_preferred(Mapping& m, const std::wstring& group, const std::wstring& nodes) {
    State& s = *m.state();
    Lock lock(m);
    Group* g = find_group(s, group.c_str());
    const auto list = split_list(nodes);
    if (!g) {
        say(L"no such group '" + group + L"'");
        return 2;
    }
    if (!known_nodes(s, list)) return 2;
    g->preferred_count = static_cast<DWORD>(list.size());
    for (size_t i = 0; i < list.size(); ++i) copy(g->preferred[i], kName, list[i]);
    say(L"group '" + group + L"' preferred owners: " + joined(g->preferred, g->preferred_count));
    return 0;
}

int set_possible(Mapping& m, const std::wstring& resource, const std::wstring& nodes) {
    State& s = *m.state();
    Lock lock(m);
    Resource* r = find_resource(s, resource.c_str());
    if (!r) {
        say(L"no such resource '" + resource + L"'");
        return 2;
    }
    if (nodes == L"all") {
        r->possible_set = 0;
        r->possible_count = 0;
        say(L"resource '" + resource + L"' possible owners: every node");
        return 0;
    }
    const auto list = split_list(nodes);
    if (!known_nodes(s, list)) return 2;
    r->possible_set = 1;
    r->possible_count = static_cast<DWORD>(list.size());
    for (size_t i = 0; i < list.size(); ++i) copy(r->possible[i], kName, list[i]);
    say(L"resource '" + resource + L"' possible owners: " + joined(r->possible, r->possible_count));
    return 0;
}

void say_owners(const State& s) {
    for (const auto& n : s.nodes)
        if (n.used)
            say(L"node " + std::wstring(n.name) + L" (id " + std::to_wstring(n.id) + L") " +
                (n.up ? L"up" : L"down"));
    for (const auto& g : s.groups)
        if (g.used)
            say(L"group '" + std::wstring(g.name) + L"' preferred owners: " +
                joined(g.preferred, g.preferred_count));
    for (const auto& r : s.resources)
        if (r.used)
            say(L"resource '" + std::wstring(r.name) + L"' possible owners: " +
                (r.possible_set ? joined(r.possible, r.possible_count) : L"every node"));
}

}  // namespace clussim

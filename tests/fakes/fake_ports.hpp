// In-memory fakes of the engine's ports, for the native engine tests. The same
// engine is tested against the real Windows adapters under Wine.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/journal/journal.hpp"
#include "core/ports/account_resolver.hpp"
#include "core/ports/ports.hpp"
#include "core/security/inheritance.hpp"
#include "core/security/sddl.hpp"

namespace permwatch::fakes {

class FakeRegistry final : public RegistryPort {
public:
    std::map<std::string, SecurityDescriptor> keys;
    std::function<void(const std::string&)> before_write;   // sees the journal at write time
    std::function<void(const std::string&)> after_write;    // e.g. another actor undoing it
    std::function<void(const std::string&)> on_read;        // sees every key opened
    std::function<void(const std::string&)> before_update;  // another actor, just before the write
    KeyWrite next_write_result;                             // ok unless a test says otherwise
    // Keys that read, but whose open for WRITE_DAC fails with this error
    // (access denied): update_dacl reads nothing and writes nothing.
    std::map<std::string, std::string> not_writable;
    int writes = 0;
    int reads = 0;

    void set(const std::string& path, const std::string& sddl) { keys[path] = parse_sddl(sddl); }
    std::string sddl(const std::string& path) const { return format_sddl(keys.at(path)); }

    KeyRead read(const std::string& path) override {
        ++reads;
        if (on_read) on_read(path);
        auto it = keys.find(path);
        if (it == keys.end()) return {KeyRead::Status::missing, {}, path + " does not exist"};
        return {KeyRead::Status::ok, it->second, {}};
    }
    KeyUpdate update_dacl(const std::string& path, const DaclDecision& decide,
                          const SubkeyJournal& journal_subkey) override {
        if (before_update) before_update(path);
        KeyUpdate u;
        if (auto denied = not_writable.find(path); denied != not_writable.end()) {
            u.before = {KeyRead::Status::error, {}, denied->second};
            u.write = {false, 5, denied->second};
            return u;
        }
        u.before = read(path);  // the open: counted once
        if (u.before.status != KeyRead::Status::ok) return u;
        const std::optional<Acl> dacl = decide(u.before.sd);
        if (!dacl) return u;
        u.write = write(path, *dacl);
        if (!u.write.ok) return u;
        u.written = true;
        u.after = {KeyRead::Status::ok, keys.at(path), {}};  // through the same handle
        if (u.before.sd.dacl && passes_down_differently(*u.before.sd.dacl, *dacl))
            propagate(path, *dacl, journal_subkey, u.propagation);
        return u;
    }

    // Subkeys that are registry links: skipped by the propagation, as the
    // real adapter does.
    std::vector<std::string> links;

private:
    KeyWrite write(const std::string& path, const Acl& dacl) {
        if (before_write) before_write(path);
        if (!next_write_result.ok) return next_write_result;
        ++writes;
        keys[path].dacl = dacl;
        if (after_write) after_write(path);
        return {};
    }

    // The real adapter's walk, over the map: direct subkeys only, each
    // journaled before it is written.
    bool propagate(const std::string& path, const Acl& dacl, const SubkeyJournal& journal,
                   Propagation& out) {
        const std::string prefix = path + "\\";
        for (auto& [child, sd] : keys) {
            if (child.rfind(prefix, 0) != 0 || child.find('\\', prefix.size()) != std::string::npos)
                continue;
            if (std::find(links.begin(), links.end(), child) != links.end()) {
                out.problems.push_back(child + " is a registry symbolic link; not written through");
                continue;
            }
            const std::optional<Acl> next = dacl_inheriting_from(dacl, sd);
            if (!next) continue;
            if (!journal(child, sd, *next)) return false;
            sd.dacl = *next;
            ++out.written;
            if (!propagate(child, *next, journal, out)) return false;
        }
        return true;
    }
};

class FakeJournal final : public Journal {
public:
    std::vector<JournalEntry> entries;
    std::optional<std::string> fail_with;

    std::optional<std::string> append(JournalEntry& entry) override {
        if (fail_with) return fail_with;
        entry.id =
            next_journal_id(entries.empty() ? std::nullopt : std::optional(entries.back().id));
        entries.push_back(entry);
        return std::nullopt;
    }
};

class RecordingAlerts final : public AlertSink {
public:
    struct Alert {
        EventId id;
        std::vector<std::string> strings;
    };
    std::vector<Alert> raised;
    void raise(EventId id, const std::vector<std::string>& strings) override {
        raised.push_back({id, strings});
    }
    int count(EventId id) const {
        int n = 0;
        for (const Alert& a : raised) n += a.id == id;
        return n;
    }
};

class FakeClock final : public Clock {
public:
    std::chrono::steady_clock::time_point t{};
    void advance(std::chrono::milliseconds d) { t += d; }
    std::chrono::steady_clock::time_point now() override { return t; }
    std::chrono::system_clock::time_point wall() override {
        return std::chrono::system_clock::time_point(
            std::chrono::duration_cast<std::chrono::system_clock::duration>(t.time_since_epoch()));
    }
};

class FakeAccounts final : public AccountResolver {
public:
    std::map<std::string, Sid> services;
    std::map<std::string, Sid> names;
    AccountLookup account_sid(std::string_view name) override {
        auto it = names.find(std::string(name));
        if (it == names.end()) return {std::nullopt, "no such account"};
        return {it->second, {}};
    }
    AccountLookup service_account_sid(std::string_view name) override {
        auto it = services.find(std::string(name));
        if (it == services.end()) return {std::nullopt, "no such service"};
        return {it->second, {}};
    }
};

}  // namespace permwatch::fakes

#include "core/ports/cluster_port.hpp"

namespace permwatch::fakes {

class FakeCluster final : public ClusterPort {
public:
    bool up = true;
    std::string node = "NODE1";
    std::vector<Checkpoint> known;
    std::function<void(const ClusterEvent&)> sink;
    bool connect(std::function<void(const ClusterEvent&)> on_event) override {
        sink = std::move(on_event);
        return up;
    }
    void disconnect() override { sink = nullptr; }
    bool available() const override { return up; }
    std::string node_name() const override { return node; }
    std::vector<Checkpoint> checkpoints() override { return known; }
    std::vector<UnreadCheckpoints> unread;  // what unread_checkpoints() reports
    std::vector<UnreadCheckpoints> unread_checkpoints() const override { return unread; }
    std::vector<ResourceFacts> facts;  // what resource_facts() reports
    std::vector<ResourceFacts> resource_facts() const override { return facts; }
    std::vector<ClusterEvent> pending;  // what pending_here() reports
    std::vector<ClusterEvent> pending_here() override { return pending; }
};

class FakeHandles final : public WatchHandles {
public:
    bool held = true;  // no key frozen
    std::vector<bool> frozen;
    int releases = 0, reacquires = 0;  // changes from all held / to all held
    std::function<void()> on_release;
    void set_frozen(const std::vector<bool>& mask) override {
        const bool now_held = std::none_of(mask.begin(), mask.end(), [](bool f) { return f; });
        if (held && !now_held) {
            ++releases;
            if (on_release) on_release();
        }
        if (!held && now_held) ++reacquires;
        held = now_held;
        frozen = mask;
    }
};

}  // namespace permwatch::fakes

#include "core/ports/cluster_view_port.hpp"

namespace permwatch::fakes {

// The cluster as `status --cluster` and `check --cluster` see it: nodes,
// groups with their owners, and the summaries in the cluster database
// (by node name). Stands in for service/cluster_database natively.
class FakeClusterView final : public ClusterViewPort {
public:
    Open open_result = Open::ok;
    std::string why = "no cluster";
    std::string name = "CLUS1";
    std::vector<ClusterNodeInfo> node_list;
    std::vector<GroupOwners> group_list;
    std::map<std::string, PublishedText> summaries;
    bool fail_enumeration = false;

    Open open(std::string& w) override {
        w = why;
        return open_result;
    }
    std::string cluster_name() override { return name; }
    std::vector<ClusterNodeInfo> nodes() override {
        if (fail_enumeration) throw ClusterViewError("enumerating the nodes: access denied");
        return node_list;
    }
    std::vector<std::string> groups() override {
        std::vector<std::string> out;
        for (const GroupOwners& g : group_list) out.push_back(g.group);
        return out;
    }
    GroupOwners owners(const std::string& group) override {
        for (const GroupOwners& g : group_list)
            if (g.group == group) return g;
        throw ClusterViewError("no group " + group);
    }
    PublishedText read_summary(const std::string& node) override {
        const auto it = summaries.find(node);
        return it == summaries.end() ? PublishedText{} : it->second;
    }
    void publish(const std::string& node, const std::string& text) {
        summaries[node] = {PublishedText::Status::found, text, {}};
    }
};

class FakeSummaryStore final : public SummaryStore {
public:
    std::map<std::string, std::string> written;
    int writes = 0;
    std::optional<std::string> fail_with;
    std::optional<std::string> write(const std::string& node, const std::string& text) override {
        if (fail_with) return fail_with;
        ++writes;
        written[node] = text;
        return std::nullopt;
    }
};

}  // namespace permwatch::fakes

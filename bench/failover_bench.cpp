// permwatch_failover_bench: prepare latency of a failover — from the cluster
// event reaching the coordinator to the key repaired, its journal line on
// disk and every watch handle released — over sets of N failovers (default 5 of 1,000)
// with the key sabotaged before each, against a bare baseline in the same
// run, interleaved round by round.
//
// The bare baseline does what a repairing prepare must do and nothing else:
// open the key (as itself, REG_OPTION_OPEN_LINK, with READ_CONTROL |
// WRITE_DAC: the owner's rights, all the sabotaged DACL leaves us), read its
// descriptor, append one journal line to an open file and FlushFileBuffers
// it, write the good DACL, close. (The product appends its line before the
// write and its flusher makes it durable meanwhile, nobody waiting on the
// repair path; the bench counts a prepare done only once that line is on
// disk.) PermWatch's figure ends when the prepare returned AND its journal
// line is flushed (FileJournal::wait_flushed), so both sides pay one flush:
// the product's runs on its flusher thread while the prepare goes on, the
// bare loop's in line. The coordinator's own last_prepare_ms (what the
// service logs, without the wait for the flush) is printed too.
//
// The goal's baseline is that loop with the link checks a prepare must
// make, whoever writes it (as the checkpointed audit's in permwatch_bench):
// the key is inside a checkpoint, so it is opened by its path for each
// prepare, and a link planted on the way or at the key would send the DACL
// write elsewhere (docs/security.md). So the open asks KEY_QUERY_VALUE too,
// to read SymbolicLinkValue (the sabotaged DACL denies it: the key is opened
// again without it), and the kernel's name for the opened key is asked (a
// link on the way names the target). Two registry calls more than the plain
// loop; the ratio against the plain loop and the floor the two calls set
// are printed beside it. The three run interleaved, in turn first.
//
// Real registry, real journal (FlushFileBuffers), real watcher; only the
// cluster events are handed in directly (no clussim), since what is measured
// starts when the event arrives. A benchmark: no assertions.
//
// The failovers run in sets (default 5 sets of 1,000), and each goal's figure
// is the median of the sets' own figures. A p99 of 1,000 is the tenth-worst
// prepare, and on a shared machine one burst of someone else's load moves it
// for whichever side it lands on; the median of five sets is a figure that
// one burst cannot make by itself. Every set's figures are printed.
#include <windows.h>
// sddl.h needs windows.h first
#include <sddl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "bench/bare_link_checks.hpp"
#include "bench/bench_stats.hpp"
#include "core/engine/failover.hpp"
#include "service/accounts_adapter.hpp"
#include "service/file_journal.hpp"
#include "service/key_handle.hpp"
#include "service/registry_adapter.hpp"
#include "service/registry_watcher.hpp"

namespace {

using namespace permwatch;
using Steady = std::chrono::steady_clock;
using bench::median;
using bench::ms_since;
using bench::percentile;

const wchar_t* const kSub = L"SOFTWARE\\PermWatchBench\\failover";
const std::string kPath = "HKLM\\SOFTWARE\\PermWatchBench\\failover";
const wchar_t* const kBroken = L"D:(A;CI;KA;;;SY)";
const wchar_t* const kGood = L"D:(A;CI;KA;;;SY)(A;CI;KA;;;BA)";

struct Descriptor {
    PSECURITY_DESCRIPTOR sd = nullptr;
    explicit Descriptor(const wchar_t* sddl) {
        ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, &sd, nullptr);
    }
    ~Descriptor() { LocalFree(sd); }
};

void set(HKEY key, const Descriptor& d) { RegSetKeySecurity(key, DACL_SECURITY_INFORMATION, d.sd); }

class NoAlerts final : public AlertSink {
public:
    void raise(EventId, const std::vector<std::string>&) override {}
};

// The cluster's side is played by the bench: events are handed in directly.
class BenchCluster final : public ClusterPort {
public:
    bool connect(std::function<void(const ClusterEvent&)>) override { return true; }
    void disconnect() override {}
    bool available() const override { return true; }
    std::string node_name() const override { return "NODE1"; }
    std::vector<Checkpoint> checkpoints() override {
        return {{"Exchange Event Service", "Exchange Group", kPath}};
    }
    std::vector<UnreadCheckpoints> unread_checkpoints() const override { return {}; }
    std::vector<ResourceFacts> resource_facts() const override { return {}; }
    std::vector<ClusterEvent> pending_here() override { return {}; }
};

// As win::Watchdog::set_frozen: the registry's held keys go with the watcher's.
class WatcherHandles final : public WatchHandles {
public:
    WatcherHandles(win::RegistryWatcher& w, win::Win32Registry& r, std::string path)
        : w_(w), r_(r), path_(std::move(path)) {}
    void set_frozen(const std::vector<bool>& frozen) override {
        if (frozen.at(0)) r_.forget(path_);
        w_.set_frozen(frozen);
    }

private:
    win::RegistryWatcher& w_;
    win::Win32Registry& r_;
    std::string path_;
};

ClusterEvent event(ClusterEvent::Kind kind) {
    ClusterEvent e;
    e.kind = kind;
    e.group = "Exchange Group";
    e.resource = "Exchange Event Service";
    e.node = "NODE1";
    return e;
}

}  // namespace

int main(int argc, char** argv) {
    int rounds = 1000, sets = 5;
    for (int i = 1; i + 1 < argc; ++i) {
        if (std::string(argv[i]) == "--failovers") rounds = std::atoi(argv[i + 1]);
        if (std::string(argv[i]) == "--sets") sets = std::atoi(argv[i + 1]);
    }
    if (rounds < 1 || sets < 1) {
        std::fprintf(stderr, "--failovers and --sets take a count of at least 1\n");
        return 2;
    }
    HKEY key = nullptr;
    RegCreateKeyExW(HKEY_LOCAL_MACHINE, kSub, 0, nullptr, 0, KEY_ALL_ACCESS | KEY_WOW64_64KEY,
                    nullptr, &key, nullptr);
    const Descriptor broken(kBroken), good(kGood);

    const auto journal_path =
        (std::filesystem::temp_directory_path() / "permwatch-failover-bench.jsonl");
    std::error_code ignored;
    std::filesystem::remove(journal_path, ignored);  // the last run's
    auto loaded = load_config(
        R"({"version":1,"debounce_ms":0,"keys":[{"path":")" +
        std::string("HKLM\\\\SOFTWARE\\\\PermWatchBench\\\\failover") +
        R"(","require":[{"principal":"BA","rights":["KEY_ALL_ACCESS"],"inherit":["container"]},{"principal":"SY","rights":["KEY_ALL_ACCESS"],"inherit":["container"]}]}]})");
    if (!loaded.config) {
        std::fprintf(stderr, "bench config rejected: %s\n", loaded.problems[0].message.c_str());
        return 2;
    }
    // As the service: the key is inside a checkpoint, so it is never held
    // between checks and is watched from its parent.
    win::Win32Registry registry(win::Win32Registry::Keys::kept_open);
    win::Win32Accounts accounts;
    win::FileJournal journal(journal_path.string());
    NoAlerts alerts;
    SystemClock clock;
    Engine engine(*loaded.config, {registry, accounts, journal, alerts, clock});
    BenchCluster cluster;
    const std::vector<KeyWatchPlan> plans =
        plan_key_watches(loaded.config->keys, cluster.checkpoints(), true);
    win::RegistryWatcher watcher({kPath}, plans, [](std::size_t) {}, {});
    watcher.start();
    // The watch from above: the one handle the service holds, outside the subtree.
    const long baseline_handles = win::open_key_handles();
    WatcherHandles handles(watcher, registry, loaded.config->keys[0].path);
    FailoverCoordinator failover(engine, cluster, handles, alerts, clock);
    failover.connected();

    // The bare loop's journal: a file kept open, as the product keeps its own.
    const auto bare_journal_path =
        (std::filesystem::temp_directory_path() / "permwatch-failover-bench-bare.jsonl");
    HANDLE bare_journal =
        CreateFileW(bare_journal_path.wstring().c_str(), FILE_APPEND_DATA, FILE_SHARE_READ, nullptr,
                    CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
    std::vector<unsigned char> buf(4096);
    int bare_failures = 0;
    // After the open: read, journal one line and flush it, write, close.
    auto journal_and_write = [&](HKEY k, int round) {
        DWORD size = static_cast<DWORD>(buf.size());
        const SECURITY_INFORMATION what =
            OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION;
        bool ok = RegGetKeySecurity(k, what, buf.data(), &size) == ERROR_SUCCESS;
        const std::string line =
            "{\"id\":\"" + std::to_string(round) +
            "\",\"key\":\"HKLM\\\\SOFTWARE\\\\PermWatchBench\\\\failover\",\"before\":\"D:(A;CI;KA;"
            ";;SY)\",\"after\":\"D:(A;CI;KA;;;SY)(A;CI;KA;;;BA)\"}\n";
        DWORD wrote = 0;
        ok = ok &&
             WriteFile(bare_journal, line.data(), static_cast<DWORD>(line.size()), &wrote,
                       nullptr) &&
             FlushFileBuffers(bare_journal);
        ok = ok && RegSetKeySecurity(k, DACL_SECURITY_INFORMATION, good.sd) == ERROR_SUCCESS;
        RegCloseKey(k);
        if (!ok) ++bare_failures;
    };
    // Open, read, journal one line and flush it, write, close.
    auto bare_prepare = [&](int round) {
        HKEY k = nullptr;
        if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, kSub, REG_OPTION_OPEN_LINK,
                          READ_CONTROL | WRITE_DAC | KEY_WOW64_64KEY, &k) != ERROR_SUCCESS) {
            ++bare_failures;
            return;
        }
        journal_and_write(k, round);
    };
    // The same with the link checks any prepare must make, whoever writes
    // it: the key inside a checkpoint is opened by its path for each
    // prepare, so a link planted on the way or at the key would send the
    // write elsewhere (docs/security.md, registry links). The open asks
    // KEY_QUERY_VALUE to read SymbolicLinkValue (the key itself a link);
    // the sabotaged DACL denies it, so the key is opened again without it;
    // and the kernel's name for what was opened is asked (a link on the
    // way gives the target's name).
    const auto nt_query_key = bench::load_nt_query_key();
    auto bare_prepare_link_checked = [&](int round) {
        HKEY k = nullptr;
        LONG rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, kSub, REG_OPTION_OPEN_LINK,
                                READ_CONTROL | WRITE_DAC | KEY_QUERY_VALUE | KEY_WOW64_64KEY, &k);
        const bool checkable = rc == ERROR_SUCCESS;
        if (rc == ERROR_ACCESS_DENIED) {
            rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, kSub, REG_OPTION_OPEN_LINK,
                               READ_CONTROL | WRITE_DAC | KEY_WOW64_64KEY, &k);
        }
        if (rc != ERROR_SUCCESS) {
            ++bare_failures;
            return;
        }
        if (!bench::bare_query_key_name(nt_query_key, k)) ++bare_failures;
        if (checkable && !bench::bare_has_no_link_value(k)) ++bare_failures;
        journal_and_write(k, round);
    };

    std::vector<double> bare, bare_linked, prepare, reported;
    int not_repaired = 0, handles_held = 0, not_flushed = 0;
    // As the watchdog runs it: the journal's id mutex taken by a prepare is
    // given back after it (outside what is measured, as the watchdog does
    // after the handler).
    journal.lease_ids();
    struct SetFigures {
        double b50, b99, l50, l99, p50, p99;
    };
    std::vector<SetFigures> per_set;
    for (int set_index = 0; set_index < sets; ++set_index) {
        for (int round = 0; round < rounds; ++round) {
            const int i = set_index * rounds + round;
            // Interleaved on the same key, the order turned every round: a
            // flush right after another one may find less to write, and no
            // side should always be the one that comes first.
            const auto run_bare = [&] {
                set(key, broken);
                const auto t0 = Steady::now();
                bare_prepare(i);
                bare.push_back(ms_since(t0));
            };
            const auto run_prepare = [&] {
                set(key, broken);
                const auto t0 = Steady::now();
                failover.on_event(event(ClusterEvent::Kind::resource_online_pending));
                if (!journal.wait_flushed(std::chrono::seconds(5))) ++not_flushed;
                prepare.push_back(ms_since(t0));
                journal.end_id_lease();
                reported.push_back(failover.counters().last_prepare_ms);
                if (engine.keys()[0].state != KeyState::repaired) ++not_repaired;
                // Inside the subtree: the engine's, or a leak.
                if (win::open_key_handles() != baseline_handles) ++handles_held;
                failover.on_event(event(ClusterEvent::Kind::resource_online));
            };
            const auto run_bare_linked = [&] {
                set(key, broken);
                const auto t0 = Steady::now();
                bare_prepare_link_checked(i);
                bare_linked.push_back(ms_since(t0));
            };
            const std::function<void()> order[] = {run_bare, run_prepare, run_bare_linked};
            for (int j = 0; j < 3; ++j) order[(i + j) % 3]();
        }
        const auto this_set = [&](const std::vector<double>& v) {
            return std::vector<double>(v.end() - rounds, v.end());
        };
        const auto b = this_set(bare), l = this_set(bare_linked), p = this_set(prepare);
        per_set.push_back({percentile(b, 0.50), percentile(b, 0.99), percentile(l, 0.50),
                           percentile(l, 0.99), percentile(p, 0.50), percentile(p, 0.99)});
    }

    // Where a prepare's time goes: its parts, each timed alone on the same
    // key (the repair with its journal line, the freeze's hand-off to the
    // watcher's thread, the wait for the flush, giving the id lease back),
    // and the bare loop's (the flush alone).
    const int parts_rounds = std::max(1, rounds / 5);
    std::vector<double> part_repair, part_freeze, part_thaw, part_flush, part_lease, part_fsync;
    std::vector<bool> frozen_flags{true}, thawed_flags{false};
    for (int i = 0; i < parts_rounds; ++i) {
        set(key, broken);
        auto t0 = Steady::now();
        engine.check_key_now(0, "failover", true);
        part_repair.push_back(ms_since(t0));
        t0 = Steady::now();
        journal.wait_flushed(std::chrono::seconds(5));
        part_flush.push_back(ms_since(t0));
        t0 = Steady::now();
        journal.end_id_lease();
        part_lease.push_back(ms_since(t0));
        t0 = Steady::now();
        handles.set_frozen(frozen_flags);
        part_freeze.push_back(ms_since(t0));
        t0 = Steady::now();
        handles.set_frozen(thawed_flags);
        part_thaw.push_back(ms_since(t0));
        const std::string line = "{\"id\":\"x\"}\n";
        DWORD wrote = 0;
        t0 = Steady::now();
        WriteFile(bare_journal, line.data(), static_cast<DWORD>(line.size()), &wrote, nullptr);
        FlushFileBuffers(bare_journal);
        part_fsync.push_back(ms_since(t0));
    }
    CloseHandle(bare_journal);
    std::filesystem::remove(bare_journal_path, ignored);
    watcher.stop();
    RegCloseKey(key);
    RegDeleteKeyExW(HKEY_LOCAL_MACHINE, kSub, KEY_WOW64_64KEY, 0);

    const double p50 = percentile(prepare, 0.50), p99 = percentile(prepare, 0.99);
    const double b50 = percentile(bare, 0.50), b99 = percentile(bare, 0.99);
    const double l50 = percentile(bare_linked, 0.50), l99 = percentile(bare_linked, 0.99);
    const double r50 = percentile(reported, 0.50), r99 = percentile(reported, 0.99);
    std::printf(
        "failovers: %d sets of %d (key sabotaged before each; %d left unrepaired, %d with "
        "handles held, %d journal lines not flushed in 5 s; bare failures %d)\n",
        sets, rounds, not_repaired, handles_held, not_flushed, bare_failures);
    std::printf("%-58s %9s %9s\n", "all sets together", "p50 ms", "p99 ms");
    std::printf("%-58s %9.3f %9.3f\n", "bare open+get+journal line+flush+set+close", b50, b99);
    std::printf("%-58s %9.3f %9.3f\n", "the same with the link checks (baseline of the goal)", l50,
                l99);
    std::printf("%-58s %8.2fx %8.2fx\n", "  floor: the link checks' cost, bare vs bare", l50 / b50,
                l99 / b99);
    std::printf("%-58s %9.3f %9.3f\n", "PermWatch prepare until its journal line is flushed", p50,
                p99);
    std::printf("%-58s %9.3f %9.3f\n", "  (the coordinator's last_prepare_ms, flush not awaited)",
                r50, r99);
    std::printf("%-58s %8.2fx %8.2fx\n", "ratio vs bare with the link checks (goal)", p50 / l50,
                p99 / l99);
    std::printf("%-58s %8.2fx %8.2fx\n", "ratio vs bare without them (no goal)", p50 / b50,
                p99 / b99);
    std::printf("parts, each timed alone (%d rounds):\n", parts_rounds);
    for (const auto& [what, v] :
         {std::pair{"  repair: open, reads, journal line, write, read back", &part_repair},
          std::pair{"  then the wait for its flush", &part_flush},
          std::pair{"  giving the journal's id lease back (after the handler)", &part_lease},
          std::pair{"  freeze: the watcher's and registry's handles let go", &part_freeze},
          std::pair{"  thaw: the same, back (not in a prepare)", &part_thaw},
          std::pair{"  bare: WriteFile + FlushFileBuffers of one line", &part_fsync}}) {
        std::printf("%-58s %9.3f %9.3f\n", what, percentile(*v, 0.50), percentile(*v, 0.99));
    }
    std::printf("each set (ms; ratios vs bare with the link checks):\n");
    std::printf("  %-4s %9s %9s %9s %9s %9s %9s\n", "set", "bare p50", "bare p99", "prep p50",
                "prep p99", "ratio p50", "ratio p99");
    std::vector<double> set_p99, set_ratio50, set_ratio99;
    for (std::size_t k = 0; k < per_set.size(); ++k) {
        const SetFigures& f = per_set[k];
        std::printf("  %-4zu %9.3f %9.3f %9.3f %9.3f %8.2fx %8.2fx\n", k + 1, f.l50, f.l99, f.p50,
                    f.p99, f.p50 / f.l50, f.p99 / f.l99);
        set_p99.push_back(f.p99);
        set_ratio50.push_back(f.p50 / f.l50);
        set_ratio99.push_back(f.p99 / f.l99);
    }
    const double goal_p99 = median(set_p99);
    std::printf(
        "goal: p99 <= 5 ms and <= 2x bare, the median of the sets; margin against a 500 ms "
        "restore grace: %.1f ms\n",
        500.0 - goal_p99);
    // `name value goal met|missed` lines, as every bench prints them.
    struct Goal {
        const char* name;
        double value, goal;
    };
    int met = 0;
    const Goal goals[] = {{"failover_prepare_p99_ms", goal_p99, 5.0},
                          {"failover_prepare_p50_vs_bare_link_checked", median(set_ratio50), 2.0},
                          {"failover_prepare_p99_vs_bare_link_checked", median(set_ratio99), 2.0}};
    for (const Goal& g : goals) {
        const bool ok = g.value <= g.goal;
        met += ok;
        std::printf("%s %.2f <=%.2f %s\n", g.name, g.value, g.goal, ok ? "met" : "missed");
    }
    std::printf("%d met, %d missed\n", met, 3 - met);
    return 0;
}

// permwatch_bench: what PermWatch costs next to the bare Win32 calls it makes,
// measured in the same run. Prints ratios, never asserts on time (a benchmark,
// not a test). scripts/bench.sh builds and runs it under the Wine rig;
// bench/RESULTS.md holds measured figures.
//
//   permwatch_bench [--keys N] [--repair-keys M] [--idle-keys K]
//                   [--idle-seconds S] [--reps R]
//
// 1. audit: N keys with a compliant DACL; bare open+RegGetKeySecurity+close
//    loop vs Engine::check_all() and Engine::sweep() (real Win32Registry,
//    keys held open as the service holds keys outside every checkpoint);
//    keys inside a checkpoint (opened per check) against a bare loop that
//    also makes the link checks such an open must make (see 1b).
// 2. repair: M keys with a broken DACL; bare RegGetKeySecurity+
//    RegSetKeySecurity vs key_changed+run_due (FileJournal, and FakeJournal).
//    With the FileJournal, the bare loop appends one line per key before its
//    write and flushes the file once at the end, as the product promises
//    (each line written before its key, all durable when the burst's caller
//    has waited for the last flush; see the comment there); the flusher's
//    FlushFileBuffers calls per burst are printed.
// 3. idle: a real win::Watchdog watching K keys; process CPU over S seconds
//    with no sweep inside them; and (3a) the CPU of a sweep of K keys, per key.
//    Both CPU figures are read from Linux by scripts/bench.sh.
// 4. memory: PeakWorkingSetSize before the engine and after the N-key audit,
//    and the live C++ heap (counted by this file's operator new) that the
//    engine holds, apart from what the bench itself holds.
#include <windows.h>
// psapi.h needs windows.h first
#include <psapi.h>
#include <sddl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <new>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>
#include <nlohmann/json.hpp>

#include "bench/bare_link_checks.hpp"
#include "bench/bench_stats.hpp"
#include "core/engine/engine.hpp"
#include "core/policy/config.hpp"
#include "service/accounts_adapter.hpp"
#include "service/file_journal.hpp"
#include "service/registry_adapter.hpp"
#include "service/watchdog.hpp"
#include "service/win32_error.hpp"
#include "tests/fakes/fake_ports.hpp"

// Live bytes allocated through operator new (all of the engine's and the
// loader's containers), so the engine's holding can be told apart from the
// bench's own (its JSON, its path lists) and from Wine's.
namespace {
std::atomic<long long> g_live_bytes{0};
constexpr std::size_t kHeader = 16;  // keeps malloc's 16-byte alignment
void* counted_new(std::size_t n) {
    void* p = std::malloc(n + kHeader);
    if (!p) throw std::bad_alloc();
    *static_cast<std::size_t*>(p) = n;
    g_live_bytes += static_cast<long long>(n);
    return static_cast<char*>(p) + kHeader;
}
void counted_delete(void* p) noexcept {
    if (!p) return;
    char* base = static_cast<char*>(p) - kHeader;
    g_live_bytes -= static_cast<long long>(*reinterpret_cast<std::size_t*>(base));
    std::free(base);
}
double live_mib() { return static_cast<double>(g_live_bytes.load()) / 1048576.0; }
}  // namespace

void* operator new(std::size_t n) { return counted_new(n); }
void* operator new[](std::size_t n) { return counted_new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    try {
        return counted_new(n);
    } catch (...) {
        return nullptr;
    }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
    try {
        return counted_new(n);
    } catch (...) {
        return nullptr;
    }
}
void operator delete(void* p) noexcept { counted_delete(p); }
void operator delete[](void* p) noexcept { counted_delete(p); }
void operator delete(void* p, std::size_t) noexcept { counted_delete(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_delete(p); }

namespace {

using permwatch::Config;
using permwatch::Engine;
using permwatch::KeyState;
using Clock = std::chrono::steady_clock;

const std::wstring kRootSub = L"SOFTWARE\\PermWatchBench";
const std::string kRootPath = "HKLM\\SOFTWARE\\PermWatchBench";
const wchar_t* const kCompliant = L"D:(A;CI;KA;;;SY)(A;CI;KA;;;BA)";
const wchar_t* const kBroken = L"D:(A;CI;KR;;;BU)(A;CI;KA;;;BA)";

struct Options {
    int keys = 10000;
    int repair_keys = 1000;
    int idle_keys = 1000;
    int idle_seconds = 60;
    int reps = 5;
};

// A security descriptor built once from SDDL.
class Descriptor {
public:
    explicit Descriptor(const wchar_t* sddl) {
        if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, &sd_,
                                                                  nullptr)) {
            std::fprintf(stderr, "bad SDDL (error %lu)\n", GetLastError());
            std::exit(2);
        }
    }
    ~Descriptor() { LocalFree(sd_); }
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;
    PSECURITY_DESCRIPTOR get() const { return sd_; }

private:
    PSECURITY_DESCRIPTOR sd_ = nullptr;
};

std::wstring key_sub(int i) { return kRootSub + L"\\k" + std::to_wstring(i); }
std::string key_path(int i) { return kRootPath + "\\k" + std::to_string(i); }

// Deletes a key tree whose DACLs may deny us: the owner may always WRITE_DAC
// (docs/testing.md (d)), so grant everyone everything first. As
// tests/windows/wine_test_support.hpp's force_delete (which pulls in gtest).
void force_delete(HKEY parent, const std::wstring& sub) {
    HKEY key = nullptr;
    if (RegOpenKeyExW(parent, sub.c_str(), 0, WRITE_DAC | KEY_WOW64_64KEY, &key) == ERROR_SUCCESS) {
        Descriptor all(L"D:(A;CI;KA;;;WD)");
        RegSetKeySecurity(key, DACL_SECURITY_INFORMATION, all.get());
        RegCloseKey(key);
    }
    if (RegOpenKeyExW(parent, sub.c_str(), 0, KEY_ALL_ACCESS | KEY_WOW64_64KEY, &key) !=
        ERROR_SUCCESS) {
        return;
    }
    wchar_t name[256];
    for (;;) {
        DWORD len = 256;
        if (RegEnumKeyExW(key, 0, name, &len, nullptr, nullptr, nullptr, nullptr) != ERROR_SUCCESS)
            break;
        const std::wstring child = name;
        force_delete(key, child);
        // A child we cannot delete would loop forever: stop instead.
        HKEY still = nullptr;
        if (RegOpenKeyExW(key, child.c_str(), 0, KEY_READ | KEY_WOW64_64KEY, &still) ==
            ERROR_SUCCESS) {
            RegCloseKey(still);
            std::fprintf(stderr, "cannot delete a subkey; cleanup incomplete\n");
            break;
        }
    }
    RegCloseKey(key);
    RegDeleteKeyExW(parent, sub.c_str(), KEY_WOW64_64KEY, 0);
}

LONG set_dacl(const std::wstring& sub, const Descriptor& sd) {
    HKEY key = nullptr;
    LONG rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, sub.c_str(), 0, WRITE_DAC | KEY_WOW64_64KEY, &key);
    if (rc != ERROR_SUCCESS) return rc;
    rc = RegSetKeySecurity(key, DACL_SECURITY_INFORMATION, sd.get());
    RegCloseKey(key);
    return rc;
}

bool create_keys(int n, const Descriptor& sd) {
    for (int i = 0; i < n; ++i) {
        HKEY key = nullptr;
        LONG rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, key_sub(i).c_str(), 0, nullptr, 0,
                                  KEY_ALL_ACCESS | KEY_WOW64_64KEY, nullptr, &key, nullptr);
        if (rc == ERROR_SUCCESS) {
            rc = RegSetKeySecurity(key, DACL_SECURITY_INFORMATION, sd.get());
            RegCloseKey(key);
        }
        if (rc != ERROR_SUCCESS) {
            std::fprintf(stderr, "creating key %d failed: %ld\n", i, rc);
            return false;
        }
    }
    return true;
}

// The config the engine runs with: SY and BA KEY_ALL_ACCESS, container
// inherit, on keys k0..k(n-1). Built as JSON and read by the real loader.
Config make_config(int n, const std::string& journal, int debounce_ms) {
    nlohmann::json keys = nlohmann::json::array();
    for (int i = 0; i < n; ++i) {
        keys.push_back(
            {{"path", key_path(i)},
             {"require",
              {{{"principal", "SY"}, {"rights", {"KEY_ALL_ACCESS"}}, {"inherit", {"container"}}},
               {{"principal", "BA"},
                {"rights", {"KEY_ALL_ACCESS"}},
                {"inherit", {"container"}}}}}});
    }
    nlohmann::json doc = {
        {"version", 1},
        {"mode", "enforce"},
        {"sweep_interval_s", 60},
        {"debounce_ms", debounce_ms},
        // The repair runs repeat on the same keys: no back-off.
        {"flapping", {{"max_repairs", 1000000}, {"window_s", 1}, {"backoff_s", 1}}},
        {"journal", journal},
        {"keys", keys}};
    permwatch::ConfigResult result = permwatch::load_config(doc.dump());
    if (!result.config) {
        for (const auto& p : result.problems)
            std::fprintf(stderr, "config %s: %s\n", p.pointer.c_str(), p.message.c_str());
        std::exit(2);
    }
    return *result.config;
}

using permwatch::bench::median;
using permwatch::bench::ms_since;

std::string num(double v, int prec = 1) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", prec, v);
    return buf;
}

std::string list(const std::vector<double>& v, int prec = 1) {
    std::string s;
    for (double x : v) {
        if (!s.empty()) s += ' ';
        s += num(x, prec);
    }
    return s;
}

// One summary row.
struct Row {
    std::string what, baseline, permwatch, ratio, goal;
};
std::vector<Row> g_rows;

// One figure with a goal, printed at the end as `name value goal met|missed`
// (scripts/bench.sh --quick collects these lines from every bench).
struct Figure {
    std::string name;
    double value;
    double goal;
    bool at_most;  // the goal is an upper bound (a ratio of time, a size)
};
std::vector<Figure> g_figures;

void print_figures() {
    int met = 0;
    for (const Figure& f : g_figures) {
        const bool ok = f.at_most ? f.value <= f.goal : f.value >= f.goal;
        met += ok;
        std::printf("%s %.2f %s%.2f %s\n", f.name.c_str(), f.value, f.at_most ? "<=" : ">=", f.goal,
                    ok ? "met" : "missed");
    }
    std::printf("%d met, %d missed\n", met, static_cast<int>(g_figures.size()) - met);
}

// Runs bare and product `reps` times each, in pairs, and returns the median of
// the pairs' ratios, product over bare. A pair runs its two one right after
// the other (which one first turns each time), so a burst of other load on
// this shared machine lands in one or two pairs and moves the median little,
// where the ratio of the two medians can take a slow bare run from one pair
// and a fast product run from another. Both are printed.
double timed_pair(const std::string& what, const std::string& goal, int reps,
                  const std::function<void()>& before_each, const std::function<void()>& bare,
                  const std::function<void()>& product) {
    std::vector<double> b, p, ratios;
    const auto timed = [&](const std::function<void()>& run, std::vector<double>& into) {
        if (before_each) before_each();
        const auto t = Clock::now();
        run();
        into.push_back(ms_since(t));
    };
    for (int r = 0; r < reps; ++r) {
        if (r % 2 == 0) {
            timed(bare, b);
            timed(product, p);
        } else {
            timed(product, p);
            timed(bare, b);
        }
        ratios.push_back(p.back() / b.back());
    }
    const double mb = median(b), mp = median(p), ratio = median(ratios);
    std::printf("  bare      ms: %s  (median %s)\n", list(b).c_str(), num(mb).c_str());
    std::printf("  permwatch ms: %s  (median %s)\n", list(p).c_str(), num(mp).c_str());
    std::printf(
        "  ratio %sx (goal <= %s): the median of the pairs' ratios %s; ratio of the "
        "medians %sx\n",
        num(ratio, 2).c_str(), goal.c_str(), list(ratios, 2).c_str(), num(mp / mb, 2).c_str());
    g_rows.push_back({what, num(mb) + " ms", num(mp) + " ms", num(ratio, 2) + "x", goal});
    return ratio;
}

struct Memory {
    double peak_mib = 0, current_mib = 0;
    bool ok = false;
};

Memory memory_now() {
    PROCESS_MEMORY_COUNTERS pmc{};
    pmc.cb = sizeof pmc;
    Memory m;
    if (GetProcessMemoryInfo(GetCurrentProcess(), &pmc, sizeof pmc)) {
        m.ok = true;
        m.peak_mib = pmc.PeakWorkingSetSize / 1048576.0;
        m.current_mib = pmc.WorkingSetSize / 1048576.0;
    }
    return m;
}

// The Linux side of the same process (Wine maps / to Z:), to cross-check what
// Wine reports: "VmHWM" / "VmRSS" in kB, or -1 when unreadable.
double linux_status_mib(const std::string& field) {
    std::ifstream in("Z:\\proc\\self\\status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(field + ":", 0) == 0) {
            std::istringstream s(line.substr(field.size() + 1));
            double kb = -1;
            s >> kb;
            return kb / 1024.0;
        }
    }
    return -1;
}

// utime+stime of this Linux process in seconds (clock ticks assumed 100 Hz),
// -1 when unreadable.
std::string g_linux_comm = "?";  // whose /proc/self/stat Wine opened

double linux_cpu_seconds() {
    std::ifstream in("Z:\\proc\\self\\stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto open = text.find('(');
    if (open != std::string::npos && text.rfind(')') != std::string::npos)
        g_linux_comm = text.substr(open, text.rfind(')') - open + 1);
    const auto close = text.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream s(text.substr(close + 2));
    std::string field;
    double utime = 0, stime = 0;
    // Fields after the command: state(3) ... utime(14) stime(15).
    for (int i = 3; i <= 15 && s >> field; ++i) {
        if (i == 14) utime = std::atof(field.c_str());
        if (i == 15) stime = std::atof(field.c_str());
    }
    return (utime + stime) / 100.0;
}

double process_cpu_seconds() {
    FILETIME created, exited, kernel, user;
    if (!GetProcessTimes(GetCurrentProcess(), &created, &exited, &kernel, &user)) return -1;
    auto to100ns = [](const FILETIME& f) {
        return (static_cast<unsigned long long>(f.dwHighDateTime) << 32) | f.dwLowDateTime;
    };
    return static_cast<double>(to100ns(kernel) + to100ns(user)) / 1e7;
}

std::string wine_version() {
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    if (!ntdll) return "unknown";
    FARPROC proc = GetProcAddress(ntdll, "wine_get_version");
    if (!proc) return "unknown (no wine_get_version: Windows?)";
    using Fn = const char* (*)();
    const auto fn = reinterpret_cast<Fn>(reinterpret_cast<void*>(proc));
    const char* v = fn();
    return v ? v : "unknown";
}

int arg_int(int argc, char** argv, int& i) {
    if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", argv[i]);
        std::exit(2);
    }
    return std::atoi(argv[++i]);
}

}  // namespace

int main(int argc, char** argv) {
    Options opt;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--keys")
            opt.keys = arg_int(argc, argv, i);
        else if (a == "--repair-keys")
            opt.repair_keys = arg_int(argc, argv, i);
        else if (a == "--idle-keys")
            opt.idle_keys = arg_int(argc, argv, i);
        else if (a == "--idle-seconds")
            opt.idle_seconds = arg_int(argc, argv, i);
        else if (a == "--reps")
            opt.reps = arg_int(argc, argv, i);
        else {
            std::fprintf(stderr,
                         "usage: permwatch_bench [--keys N] [--repair-keys M] [--idle-keys K] "
                         "[--idle-seconds S] [--reps R]\n");
            return 2;
        }
    }
    if (opt.keys < 1 || opt.reps < 1 || opt.idle_seconds < 0) return 2;
    opt.repair_keys = std::clamp(opt.repair_keys, 1, opt.keys);
    opt.idle_keys = std::clamp(opt.idle_keys, 1, opt.keys);
    std::setvbuf(stdout, nullptr, _IONBF, 0);

    SYSTEM_INFO si;
    GetSystemInfo(&si);
    const std::string wine = wine_version();
    std::printf("permwatch_bench: keys %d, repair keys %d, idle keys %d for %d s, %d reps\n",
                opt.keys, opt.repair_keys, opt.idle_keys, opt.idle_seconds, opt.reps);
    std::printf("machine: %lu logical processors, Wine %s\n", si.dwNumberOfProcessors,
                wine.c_str());

    const auto temp = std::filesystem::temp_directory_path() / "permwatch-bench";
    std::error_code ec;
    std::filesystem::remove_all(temp, ec);
    std::filesystem::create_directories(temp);

    const Descriptor compliant(kCompliant);
    const Descriptor broken(kBroken);
    const Descriptor fixed(kCompliant);

    force_delete(HKEY_LOCAL_MACHINE, kRootSub);  // a run that died left keys
    auto t = Clock::now();
    if (!create_keys(opt.keys, compliant)) {
        force_delete(HKEY_LOCAL_MACHINE, kRootSub);
        return 1;
    }
    std::printf("setup: %d keys created with %ls in %s ms\n", opt.keys, kCompliant,
                num(ms_since(t)).c_str());

    std::vector<std::wstring> subs;
    for (int i = 0; i < opt.keys; ++i) subs.push_back(key_sub(i));

    // As the service holds keys outside every cluster checkpoint: each stays
    // open between checks.
    permwatch::win::Win32Registry registry(permwatch::win::Win32Registry::Keys::kept_open);
    {
        std::vector<std::string> paths;
        for (int i = 0; i < opt.keys; ++i) paths.push_back(key_path(i));
        registry.hold_only(paths);
    }
    permwatch::win::Win32Accounts accounts;
    permwatch::fakes::RecordingAlerts alerts;
    permwatch::SystemClock clock;

    // ---- 4 (baseline): memory before any engine exists ----
    // The config is built first: its JSON text and document are the bench's
    // (the service reads a file), and were counted against the engine before.
    const double live_before_config = live_mib();
    Config audit_config = make_config(opt.keys, (temp / "audit.jsonl").string(), 50);
    const double live_config = live_mib() - live_before_config;
    const Memory mem_before = memory_now();
    const double hwm_before = linux_status_mib("VmHWM");
    const double live_before_engine = live_mib();

    // ---- 1. audit ----
    std::printf("\n[1] audit of %d compliant keys\n", opt.keys);
    int bare_fail = 0;
    // The bare audit of the first n keys: each opened with `options` and
    // `access`, `checks(key)` made (it returns how many of them failed), its
    // descriptor read, closed.
    auto bare_audit = [&](int n, DWORD options, REGSAM access, auto&& checks) {
        alignas(8) unsigned char buf[4096];
        const SECURITY_INFORMATION what =
            OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION;
        for (int i = 0; i < n; ++i) {
            HKEY key = nullptr;
            if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, subs[i].c_str(), options, access, &key) !=
                ERROR_SUCCESS) {
                ++bare_fail;
                continue;
            }
            bare_fail += checks(key);
            DWORD size = sizeof buf;
            if (RegGetKeySecurity(key, what, buf, &size) != ERROR_SUCCESS) ++bare_fail;
            RegCloseKey(key);
        }
    };
    auto bare_read = [&](int n) {
        bare_audit(n, 0, READ_CONTROL | KEY_WOW64_64KEY, [](HKEY) { return 0; });
    };
    permwatch::fakes::FakeJournal audit_journal;
    // Moved in, as the service does: no second copy held by the bench.
    Engine engine(std::move(audit_config), {registry, accounts, audit_journal, alerts, clock});
    std::printf(" check_all() vs bare open+RegGetKeySecurity+close:\n");
    const double audit = timed_pair(
        "audit check_all, " + std::to_string(opt.keys) + " keys", "1.1x", opt.reps, {},
        [&] { bare_read(opt.keys); }, [&] { engine.check_all(); });
    g_figures.push_back({"audit_" + std::to_string(opt.keys) + "_keys", audit, 1.1, true});
    std::printf(" sweep() of unchanged keys vs the same bare loop:\n");
    timed_pair(
        "sweep, unchanged, " + std::to_string(opt.keys) + " keys", "-", opt.reps, {},
        [&] { bare_read(opt.keys); }, [&] { engine.sweep(); });
    int compliant_keys = 0;
    for (const auto& s : engine.keys()) compliant_keys += s.state == KeyState::compliant;
    std::printf(
        "  check: %d/%d keys compliant, %zu journal entries, bare failures %d, "
        "engine checks %llu\n",
        compliant_keys, opt.keys, audit_journal.entries.size(), bare_fail,
        static_cast<unsigned long long>(engine.counters().checks));

    // ---- 4: memory after the audit with the engine alive ----
    const Memory mem_after = memory_now();
    const double hwm_after = linux_status_mib("VmHWM");
    // What the engine holds (its config included), apart from the bench.
    const double live_engine = live_mib() - live_before_engine;

    // ---- 1b. audit of keys inside a checkpoint ----
    // The service never holds those (docs/design.md): each check opens the
    // key and closes it again. What such a check must do, whoever writes it,
    // is more than open+get+close: the key is opened as itself
    // (REG_OPTION_OPEN_LINK), the kernel's name for what was opened is asked
    // (a link on the way gives the target's name: docs/testing.md (k5)), and
    // SymbolicLinkValue is asked (a link is refused, never read as the key:
    // (k)). That bare loop is the baseline of the figure; the ratio against
    // open+get+close is printed too, with the floor the two extra calls set.
    {
        const auto nt_query_key = permwatch::bench::load_nt_query_key();
        auto bare_read_unlinked = [&](int n) {
            bare_audit(n, REG_OPTION_OPEN_LINK, READ_CONTROL | KEY_QUERY_VALUE | KEY_WOW64_64KEY,
                       [&](HKEY key) {
                           return int{!permwatch::bench::bare_query_key_name(nt_query_key, key)} +
                                  int{!permwatch::bench::bare_has_no_link_value(key)};
                       });
        };
        permwatch::win::Win32Registry per_call(permwatch::win::Win32Registry::Keys::kept_open);
        permwatch::fakes::FakeJournal journal;
        Engine checkpointed(make_config(opt.keys, (temp / "audit-cp.jsonl").string(), 50),
                            {per_call, accounts, journal, alerts, clock});
        std::printf(
            " the floor: bare open(as itself)+name+link query+RegGetKeySecurity+close vs bare "
            "open+RegGetKeySecurity+close:\n");
        timed_pair(
            "bare, link checks, " + std::to_string(opt.keys) + " keys", "-", opt.reps, {},
            [&] { bare_read(opt.keys); }, [&] { bare_read_unlinked(opt.keys); });
        std::printf(
            " check_all() of the same keys as if inside a checkpoint (opened per check) vs bare "
            "open+RegGetKeySecurity+close (no goal: below the floor above it cannot go):\n");
        timed_pair(
            "audit, checkpointed, vs open+get+close", "-", opt.reps, {},
            [&] { bare_read(opt.keys); }, [&] { checkpointed.check_all(); });
        std::printf(
            " check_all() of the same keys as if inside a checkpoint vs the bare loop with the "
            "link checks:\n");
        const double cp_audit = timed_pair(
            "audit check_all, " + std::to_string(opt.keys) + " checkpointed keys", "1.1x", opt.reps,
            {}, [&] { bare_read_unlinked(opt.keys); }, [&] { checkpointed.check_all(); });
        g_figures.push_back(
            {"audit_" + std::to_string(opt.keys) + "_checkpointed_keys", cp_audit, 1.1, true});
        std::printf("  held between checks: %zu (kept-open registry: %zu)\n", per_call.held(),
                    registry.held());
    }

    // ---- 2. repair path ----
    const int m = opt.repair_keys;
    std::printf("\n[2] repair of %d keys with %ls\n", m, kBroken);
    auto break_keys = [&] {
        for (int i = 0; i < m; ++i) set_dacl(subs[i], broken);
    };
    // `journal`: when given, a line is appended to it (WriteFile) after the
    // read and before the write, as the product appends each key's line.
    auto bare_repair_with = [&](HANDLE journal) {
        const SECURITY_INFORMATION what =
            OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION;
        alignas(8) unsigned char buf[4096];
        for (int i = 0; i < m; ++i) {
            HKEY key = nullptr;
            if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, subs[i].c_str(), 0,
                              READ_CONTROL | WRITE_DAC | KEY_WOW64_64KEY, &key) != ERROR_SUCCESS) {
                ++bare_fail;
                continue;
            }
            DWORD size = sizeof buf;
            bool ok = RegGetKeySecurity(key, what, buf, &size) == ERROR_SUCCESS;
            if (ok && journal) {
                // As long as the product's line for the same repair.
                const std::string line = "{\"id\":\"" + std::to_string(100000000000 + i) +
                                         "\",\"time\":\"2026-12-07T03:00:00.000Z\",\"key\":"
                                         "\"HKLM\\\\SOFTWARE\\\\PermWatchBench\\\\k" +
                                         std::to_string(i) +
                                         "\",\"reason\":\"drift\",\"before\":\"O:BAG:SYD:(A;CI;KR;;"
                                         ";BU)(A;CI;KA;;;BA)\",\"after\":"
                                         "\"O:BAG:SYD:(A;CI;KA;;;SY)(A;CI;KA;;;BA)\"}\n";
                DWORD wrote = 0;
                ok = WriteFile(journal, line.data(), static_cast<DWORD>(line.size()), &wrote,
                               nullptr) != FALSE;
            }
            ok = ok &&
                 RegSetKeySecurity(key, DACL_SECURITY_INFORMATION, fixed.get()) == ERROR_SUCCESS;
            if (!ok) ++bare_fail;
            RegCloseKey(key);
        }
    };
    auto bare_repair = [&] { bare_repair_with(nullptr); };
    const Config repair_config = make_config(m, (temp / "repair.jsonl").string(), 0);
    std::uint64_t repairs_file = 0, repairs_fake = 0;
    int file_run = 0;
    auto engine_repair = [&](permwatch::Journal& journal, std::uint64_t& repairs) {
        // A fresh engine per run: it has seen none of these keys (no hashes).
        Engine e(repair_config, {registry, accounts, journal, alerts, clock});
        for (int i = 0; i < m; ++i) {
            e.key_changed(static_cast<std::size_t>(i));
            e.run_due();
        }
        repairs += e.counters().repairs;
    };
    // The product's rule (README, docs/reference.md "Durability"): each
    // key's line is appended (WriteFile done) before its DACL is written, and
    // made durable by group commit on the journal's own thread; no repair
    // waits for the disk, and the burst's caller waits for the last flush
    // (as a one-shot `repair` does). So the honest baseline is the bare loop
    // with one line appended per key before its write, then one
    // FlushFileBuffers of that file; PermWatch's time includes waiting for
    // its last flush. A bare loop that flushed before each write would
    // measure a stronger promise than the product makes (one flush a key).
    const std::wstring flushed = (temp / "bare-journal.jsonl").wstring();
    auto bare_repair_and_flush = [&] {
        HANDLE f = CreateFileW(flushed.c_str(), FILE_APPEND_DATA, FILE_SHARE_READ, nullptr,
                               OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
        if (f == INVALID_HANDLE_VALUE) {
            ++bare_fail;
            return;
        }
        bare_repair_with(f);
        if (!FlushFileBuffers(f)) ++bare_fail;
        CloseHandle(f);
    };
    std::vector<std::uint64_t> burst_flushes;
    std::printf(
        " key_changed+run_due with win::FileJournal vs bare + a line appended per key + one "
        "flush:\n");
    const double with_journal =
        timed_pair("repair, FileJournal, " + std::to_string(m) + " keys", "2x", opt.reps,
                   break_keys, bare_repair_and_flush, [&] {
                       permwatch::win::FileJournal journal(
                           (temp / ("repair-" + std::to_string(file_run++) + ".jsonl")).string());
                       // As the watchdog runs it: the burst is one piece of
                       // work, and the journal's id mutex is taken once for
                       // it and given back after it.
                       journal.lease_ids();
                       engine_repair(journal, repairs_file);
                       journal.end_id_lease();
                       journal.wait_flushed(std::chrono::seconds(30));
                       burst_flushes.push_back(journal.flush_stats().flushes);
                   });
    std::printf("  FlushFileBuffers calls of the journal's flusher, per burst of %d repairs:", m);
    for (const std::uint64_t n : burst_flushes)
        std::printf(" %llu", static_cast<unsigned long long>(n));
    std::printf("\n");
    g_figures.push_back(
        {"repair_" + std::to_string(m) + "_keys_file_journal", with_journal, 2.0, true});
    std::printf(" key_changed+run_due with FakeJournal (in memory) vs bare:\n");
    const double without_journal = timed_pair("repair, FakeJournal, " + std::to_string(m) + " keys",
                                              "1.5x", opt.reps, break_keys, bare_repair, [&] {
                                                  permwatch::fakes::FakeJournal journal;
                                                  engine_repair(journal, repairs_fake);
                                              });
    g_figures.push_back(
        {"repair_" + std::to_string(m) + "_keys_no_journal", without_journal, 1.5, true});
    std::printf(
        "  check: %llu/%d repairs with FileJournal, %llu/%d with FakeJournal, bare "
        "failures %d, alerts raised %zu\n",
        static_cast<unsigned long long>(repairs_file), m * opt.reps,
        static_cast<unsigned long long>(repairs_fake), m * opt.reps, bare_fail,
        alerts.raised.size());
    alerts.raised.clear();
    // Leave every key compliant for the idle phase.
    for (int i = 0; i < m; ++i) set_dacl(subs[i], compliant);

    // ---- 3a. the CPU of a sweep, per key ----
    // Measured on its own, from Linux (scripts/bench.sh reads this process's
    // CPU between SWEEP-BEGIN and SWEEP-END; Wine's GetProcessTimes says 0):
    // the sweep the watchdog makes (Engine::sweep_part over every key, kept
    // open as the service keeps them), several times for whole clock ticks.
    const int sweeps = 10;
    std::printf("\n[3a] sweep CPU: %d sweeps of %d unchanged keys, held open\n", sweeps,
                opt.idle_keys);
    {
        std::vector<std::string> paths;
        for (int i = 0; i < opt.idle_keys; ++i) paths.push_back(key_path(i));
        permwatch::win::Win32Registry held(permwatch::win::Win32Registry::Keys::kept_open);
        held.hold_only(paths);
        permwatch::fakes::FakeJournal journal;
        Engine sweeper(make_config(opt.idle_keys, (temp / "sweep.jsonl").string(), 50),
                       {held, accounts, journal, alerts, clock});
        sweeper.check_all();  // the watchdog's start: every key read once, and held
        std::printf("SWEEP-BEGIN %d\n", sweeps * opt.idle_keys);
        std::fflush(stdout);
        t = Clock::now();
        for (int i = 0; i < sweeps; ++i) sweeper.sweep();
        const double ms = ms_since(t);
        std::printf("SWEEP-END\n");
        std::fflush(stdout);
        std::printf("  %s ms of wall time, %s us a key; %llu sweeps counted, %zu keys held\n",
                    num(ms).c_str(), num(1000.0 * ms / (sweeps * opt.idle_keys), 1).c_str(),
                    static_cast<unsigned long long>(sweeper.counters().sweeps), held.held());
    }

    // ---- 3. idle ----
    // Between sweeps: the watchdog's sweep interval is set longer than the
    // window, so no sweep (nor the account refresh that runs at the same
    // interval) falls inside it; the sweep's own CPU is 3a's figure.
    std::printf("\n[3] idle: win::Watchdog on %d keys for %d s, no sweep in the window\n",
                opt.idle_keys, opt.idle_seconds);
    double idle_pct = -1, idle_linux_pct = -1, idle_cpu_s = -1;
    std::uint64_t idle_alerts = 0;
    {
        Config idle_config = make_config(opt.idle_keys, (temp / "idle.jsonl").string(), 50);
        idle_config.flapping = permwatch::Flapping{};
        idle_config.sweep_interval_s = 2 * opt.idle_seconds + 120;
        auto logger = std::make_shared<spdlog::logger>(
            "bench", std::make_shared<spdlog::sinks::null_sink_mt>());
        permwatch::fakes::RecordingAlerts idle_alerts_sink;
        // A config file of its own, as the service has: the watchdog watches
        // its folder (never changed here, so never loaded).
        const auto config_file = temp / "idle-config.json";
        std::ofstream(config_file) << "{}\n";
        permwatch::win::Watchdog watchdog(idle_config, config_file.string(), logger,
                                          idle_alerts_sink);
        t = Clock::now();
        std::thread runner([&] { watchdog.run(); });
        // Let it start: the first check_all done (work posted to the watchdog
        // runs only after it; a fixed pause let a loaded machine's start-up
        // spill into the window: 0.40-0.60 % measured, 0.04 % once settled),
        // then a pause for the watcher threads to arm.
        std::promise<void> started;
        watchdog.post([&started] { started.set_value(); });
        if (started.get_future().wait_for(std::chrono::minutes(2)) != std::future_status::ready)
            std::printf("  warning: the watchdog did not start within 2 minutes\n");
        Sleep(2000);
        // scripts/bench.sh reads this process's CPU from Linux between the
        // two markers (Wine's GetProcessTimes says 0).
        std::printf("IDLE-BEGIN\n");
        std::fflush(stdout);
        const double cpu0 = process_cpu_seconds();
        const double lin0 = linux_cpu_seconds();
        const auto w0 = Clock::now();
        Sleep(static_cast<DWORD>(opt.idle_seconds) * 1000);
        const double wall = std::chrono::duration<double>(Clock::now() - w0).count();
        const double cpu1 = process_cpu_seconds();
        const double lin1 = linux_cpu_seconds();
        std::printf("IDLE-END\n");
        std::fflush(stdout);
        watchdog.stop();
        runner.join();
        idle_cpu_s = cpu1 - cpu0;
        if (wall > 0 && cpu0 >= 0) idle_pct = 100.0 * idle_cpu_s / wall;
        if (wall > 0 && lin0 >= 0 && lin1 >= 0) idle_linux_pct = 100.0 * (lin1 - lin0) / wall;
        idle_alerts = idle_alerts_sink.raised.size();
        std::printf("  GetProcessTimes: %s s CPU in %s s = %s%% of one core\n",
                    num(idle_cpu_s, 3).c_str(), num(wall, 1).c_str(), num(idle_pct, 3).c_str());
        std::printf("  cross-check Z:\\proc\\self\\stat, process %s: %s%%\n", g_linux_comm.c_str(),
                    idle_linux_pct < 0 ? "unreadable" : num(idle_linux_pct, 3).c_str());
        std::printf("  alerts raised (expect started+stopped only): %llu\n",
                    static_cast<unsigned long long>(idle_alerts));
    }
    g_rows.push_back({"idle, Watchdog, " + std::to_string(opt.idle_keys) + " keys, " +
                          std::to_string(opt.idle_seconds) + " s",
                      "-", num(idle_pct, 3) + "% of a core",
                      "(linux " + (idle_linux_pct < 0 ? "n/a" : num(idle_linux_pct, 3) + "%") + ")",
                      "-"});

    // ---- 4. memory report ----
    std::printf("\n[4] memory (GetProcessMemoryInfo)\n");
    auto plausible = [](const Memory& mm) {
        return mm.ok && mm.peak_mib > 0.5 && mm.peak_mib < 1e6;
    };
    std::printf("  before engine: peak %s MiB, current %s MiB (Linux VmHWM %s MiB)\n",
                num(mem_before.peak_mib).c_str(), num(mem_before.current_mib).c_str(),
                num(hwm_before).c_str());
    std::printf("  after %d-key audit: peak %s MiB, current %s MiB (Linux VmHWM %s MiB)\n",
                opt.keys, num(mem_after.peak_mib).c_str(), num(mem_after.current_mib).c_str(),
                num(hwm_after).c_str());
    std::printf(
        "  live C++ heap: config for %d keys %s MiB; engine with it, after the audit %s MiB\n",
        opt.keys, num(live_config, 2).c_str(), num(live_engine, 2).c_str());
    const bool mem_ok = plausible(mem_before) && plausible(mem_after);
    std::printf("  Wine fills PeakWorkingSetSize: %s\n",
                mem_ok ? "yes (non-zero, plausible)" : "NO (zero or nonsense; ignore these)");
    g_rows.push_back({"peak working set (MiB)", num(mem_before.peak_mib) + " before engine",
                      num(mem_after.peak_mib) + " after audit",
                      "+" + num(mem_after.peak_mib - mem_before.peak_mib), mem_ok ? "-" : "bogus"});
    g_rows.push_back({"live heap held by the engine (MiB)", "-", num(live_engine, 2) + " MiB",
                      "config " + num(live_config, 2), "16"});

    // ---- cleanup ----
    t = Clock::now();
    force_delete(HKEY_LOCAL_MACHINE, kRootSub);
    HKEY left = nullptr;
    const bool gone = RegOpenKeyExW(HKEY_LOCAL_MACHINE, kRootSub.c_str(), 0,
                                    KEY_READ | KEY_WOW64_64KEY, &left) != ERROR_SUCCESS;
    if (left) RegCloseKey(left);
    std::filesystem::remove_all(temp, ec);
    std::printf("\ncleanup: %ls %s in %s ms\n", kRootSub.c_str(), gone ? "deleted" : "NOT deleted",
                num(ms_since(t)).c_str());

    std::printf("\nsummary (machine: %lu logical processors, Wine %s)\n", si.dwNumberOfProcessors,
                wine.c_str());
    std::printf("| %-40s | %-22s | %-22s | %-16s | %-5s |\n", "what", "bare baseline", "permwatch",
                "ratio", "goal");
    std::printf("|%s|%s|%s|%s|%s|\n", std::string(42, '-').c_str(), std::string(24, '-').c_str(),
                std::string(24, '-').c_str(), std::string(18, '-').c_str(),
                std::string(7, '-').c_str());
    for (const Row& r : g_rows) {
        std::printf("| %-40s | %-22s | %-22s | %-16s | %-5s |\n", r.what.c_str(),
                    r.baseline.c_str(), r.permwatch.c_str(), r.ratio.c_str(), r.goal.c_str());
    }
    g_figures.push_back(
        {"heap_" + std::to_string(opt.keys) + "_keys_mib", live_engine, 16.0, true});
    print_figures();
    return gone ? 0 : 1;
}

// "keys": "auto" end to end under Wine: the real watchdog (engine, registry
// adapter, watcher, cluster adapter, account lookups) started with no key
// named in its config, against the simulated cluster. The simulator stands in
// for what Wine cannot run:
// - clussim and the fake clusapi.dll stand in for the Cluster service and its
//   API: the groups, the resources with their type and private properties
//   (ServiceName), their registry checkpoints and possible owners, the
//   add/delete notifications, and the restore of each checkpoint at a
//   failover, which fails as event 1024 does when the key does not grant the
//   resource's --account full control with CI;
// - services made in Wine's SCM with CreateServiceW (never started) stand in
//   for the Cluster service (ClusSvc, LocalSystem) and the services that
//   Generic Service resources run, with their logon accounts: PermWatch reads
//   each account from the SCM as it would on a cluster node.
#include <gtest/gtest.h>

#include <windows.h>

#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/security/access_mask.hpp"
#include "core/security/sddl.hpp"
#include "service/accounts_adapter.hpp"
#include "service/watchdog.hpp"
#include "tests/cluster/cluster_test_support.hpp"
#include "tests/cluster/fake_in_system32.hpp"
#include "tests/cluster/watchdog_cluster_test.hpp"
#include "tests/windows/wine_test_support.hpp"

namespace permwatch::test {
namespace test_auto_keys_e2e {

using namespace std::chrono_literals;

// The second service's logon account: a built-in account that Wine's SCM
// stores and that resolves to a SID of its own (S-1-5-20), so that the two
// Generic Services' requirements are two different principals.
constexpr const wchar_t* kSqlAccount = L"NT AUTHORITY\\NETWORK SERVICE";
constexpr const char* kSqlSid = "S-1-5-20";
constexpr const char* kSystemSid = "S-1-5-18";
constexpr const wchar_t* kExchangeService = L"MSExchangeES";
constexpr const wchar_t* kSqlService = L"MSSQL$PERMWATCH";
constexpr const char* kClusterPrincipal = "service_account_of:ClusSvc";

std::wstring user_name() {
    wchar_t buf[256] = {};
    DWORD size = 256;
    GetUserNameW(buf, &size);
    return buf;
}

void delete_service(SC_HANDLE scm, const wchar_t* name) {
    if (SC_HANDLE old = OpenServiceW(scm, name, DELETE)) {
        DeleteService(old);
        CloseServiceHandle(old);
    }
}

// A demand-start service that is never started: only its logon account
// matters. `account` nullptr: LocalSystem. Returns the error, 0 when made.
DWORD create_service(const wchar_t* name, const wchar_t* account) {
    SC_HANDLE scm = OpenSCManagerW(nullptr, nullptr, SC_MANAGER_ALL_ACCESS);
    if (!scm) return GetLastError();
    delete_service(scm, name);
    SC_HANDLE svc = CreateServiceW(scm, name, name, SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS,
                                   SERVICE_DEMAND_START, SERVICE_ERROR_NORMAL,
                                   L"C:\\windows\\system32\\notepad.exe", nullptr, nullptr, nullptr,
                                   account, account ? L"" : nullptr);
    const DWORD rc = svc ? 0 : GetLastError();
    if (svc) CloseServiceHandle(svc);
    CloseServiceHandle(scm);
    return rc;
}

void remove_service(const wchar_t* name) {
    SC_HANDLE scm = OpenSCManagerW(nullptr, nullptr, SC_MANAGER_ALL_ACCESS);
    if (!scm) return;
    delete_service(scm, name);
    CloseServiceHandle(scm);
}

// Whether the key's DACL holds a plain allow of full control with CI for
// `sid`, effective on the key itself.
bool grants_full_control(const std::string& path, const std::string& sid) {
    const auto want = Sid::parse(sid);
    if (!want) return false;
    try {
        const SecurityDescriptor sd = parse_sddl(dacl_sddl(path));
        if (!sd.dacl) return false;
        for (const Ace& ace : sd.dacl->aces) {
            if (ace.type == AceType::allow && ace.sid == *want &&
                (ace.mask & rights::key_all_access) == rights::key_all_access &&
                (ace.flags & ace_flags::container_inherit) != 0 &&
                (ace.flags & ace_flags::inherit_only) == 0) {
                return true;
            }
        }
    } catch (const std::exception&) {
        return false;  // "<cannot open>": no such key
    }
    return false;
}

// The status entry of `path`, or null.
nlohmann::ordered_json key_of(const nlohmann::ordered_json& status, const std::string& path) {
    for (const auto& k : status["keys"]) {
        if (k["path"] == path) return k;
    }
    return nullptr;
}

std::string state_of(const nlohmann::ordered_json& status, const std::string& path) {
    const auto k = key_of(status, path);
    return k.is_null() ? "<not listed>" : k["state"].get<std::string>();
}

bool is_right(const std::string& state) { return state == "repaired" || state == "compliant"; }

// A key made with `sddl` as its DACL from the start: no moment in which a
// check could find it with the parent's inherited ACEs instead.
bool create_key_with(const std::string& path, const std::string& sddl) {
    PSECURITY_DESCRIPTOR sd = nullptr;
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(win::widen(sddl).c_str(),
                                                              SDDL_REVISION_1, &sd, nullptr)) {
        return false;
    }
    SECURITY_ATTRIBUTES sa{sizeof sa, sd, FALSE};
    HKEY key = nullptr;
    const LONG rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, subkey_of(path).c_str(), 0, nullptr, 0,
                                    KEY_ALL_ACCESS | KEY_WOW64_64KEY, &sa, &key, nullptr);
    LocalFree(sd);
    if (key) RegCloseKey(key);
    return rc == ERROR_SUCCESS;
}

class AutoKeysE2E : public WatchdogClusterTest {
protected:
    AutoKeysE2E() : WatchdogClusterTest(30s) {}
    void SetUp() override {
        PERMWATCH_REQUIRE_SIMULATED_CLUSTER();
        use_in_process_state_file();
        WatchdogClusterTest::SetUp();
        user_sid = current_user_sid();
        ASSERT_FALSE(user_sid.empty());
        // ClusSvc logs on as LocalSystem (PermWatch maps that name itself:
        // Wine's LookupAccountName does not know it).
        ASSERT_EQ(create_service(L"ClusSvc", nullptr), 0u);
        made_services = true;
        const std::wstring user = L".\\" + user_name();
        ASSERT_EQ(create_service(kExchangeService, user.c_str()), 0u);
        ASSERT_EQ(create_service(kSqlService, kSqlAccount), 0u);
        exchange_broken = "D:(A;CI;KA;;;SY)";  // the service account missing
        sql_broken = "D:(A;CI;KA;;;SY)";
        cluster_broken = "D:(A;CI;KA;;;BA)";  // the Cluster service's account missing
    }
    void TearDown() override {
        stop();
        clussim({"teardown"});
        if (made_services) {
            remove_service(L"ClusSvc");
            remove_service(kExchangeService);
            remove_service(kSqlService);
        }
        WatchdogClusterTest::TearDown();
    }
    // Only the test's own settings beside "keys": "auto".
    void start(int sweep_interval_s) {
        nlohmann::json j = {
            {"version", 1},
            {"keys", "auto"},
            {"journal", (temp_dir / "journal.jsonl").string()},
            {"pipe", "permwatch-auto-keys-" + std::to_string(GetCurrentProcessId())},
            {"sweep_interval_s", sweep_interval_s},
            {"debounce_ms", 0}};
        run_watchdog(j);
    }
    // The requirement `r` of a learned key: full control with subkeys for
    // `principal`, with its reason given.
    static void expect_full_control(const nlohmann::ordered_json& r, const std::string& principal) {
        EXPECT_EQ(r["principal"], principal) << r.dump();
        EXPECT_EQ(r["rights"], describe_rights(rights::key_all_access)) << r.dump();
        EXPECT_EQ(r["subkeys"], true) << r.dump();
        EXPECT_FALSE(r["because"].get<std::string>().empty()) << r.dump();
    }
    // The Exchange group (owned by NODE2) with its Generic Service resource
    // checkpointing `checkpoints`.
    void setup_exchange(const std::vector<std::string>& checkpoints) {
        std::vector<std::string> args = {"setup",
                                         "--node",
                                         "NODE1",
                                         "--other-node",
                                         "NODE2",
                                         "--group",
                                         "Exchange Group",
                                         "--owner",
                                         "NODE2",
                                         "--resource",
                                         "Exchange Event Service",
                                         "--account",
                                         user_sid,
                                         "--service-name",
                                         "MSExchangeES"};
        for (const auto& c : checkpoints) {
            args.push_back("--checkpoint");
            args.push_back(c.substr(5));
        }
        const SimRun r = clussim(args);
        ASSERT_EQ(r.code, 0u) << r.out;
    }

    bool made_services = false;
    std::string user_sid;
    std::string exchange_broken, sql_broken, cluster_broken;
};

// What resolves under Wine for a service's logon account, read back as
// PermWatch reads it (the SCM's QueryServiceConfig, then the account's SID),
// beside what Wine's own LookupAccountName says of the name: which built-in
// accounts can stand in for a second service account.
TEST_F(AutoKeysE2E, WhichServiceAccountsResolveUnderWine) {
    win::Win32Accounts accounts;
    const std::wstring user = L".\\" + user_name();
    struct Candidate {
        std::wstring account;
        std::string sid;  // what PermWatch must find
    };
    const std::vector<Candidate> candidates = {{L"NT AUTHORITY\\NETWORK SERVICE", kSqlSid},
                                               {L"NT AUTHORITY\\NetworkService", kSqlSid},
                                               {L"NT AUTHORITY\\LOCAL SERVICE", "S-1-5-19"},
                                               {L"NT AUTHORITY\\LocalService", "S-1-5-19"},
                                               {L"LocalSystem", kSystemSid},
                                               {user, user_sid}};
    for (const Candidate& c : candidates) {
        const std::string name = win::narrow(c.account);
        ASSERT_EQ(create_service(L"PermWatchAutoProbe", c.account.c_str()), 0u) << name;
        const AccountLookup got = accounts.service_account_sid("PermWatchAutoProbe");
        remove_service(L"PermWatchAutoProbe");
        DWORD sid_size = 0, domain_size = 0;
        SID_NAME_USE use{};
        LookupAccountNameW(nullptr, c.account.c_str(), nullptr, &sid_size, nullptr, &domain_size,
                           &use);
        const DWORD wine_rc = GetLastError();
        std::cout << "[ info ] service logging on as " << name << ": PermWatch finds "
                  << (got.sid ? got.sid->str() : "nothing (" + got.error + ")")
                  << "; Wine's LookupAccountName "
                  << (wine_rc == ERROR_INSUFFICIENT_BUFFER
                          ? std::string("resolves it")
                          : "fails with " + std::to_string(wine_rc))
                  << "\n";
        ASSERT_TRUE(got.sid.has_value()) << name << ": " << got.error;
        EXPECT_EQ(got.sid->str(), c.sid) << name;
    }
}

// Two groups, three resources, four checkpoints, each key broken at the
// start: every checkpoint is found with the account it serves, every key is
// repaired, and a failover of each group after a sabotage restores.
TEST_F(AutoKeysE2E, EveryCheckpointOfATwoGroupClusterIsGuardedAndBothFailoversRestore) {
    const std::string es_main = path + "\\Exchange\\MSExchangeES";
    const std::string es_queue = path + "\\Exchange\\MSExchangeES-Queue";
    const std::string sql = path + "\\SQL\\MSSQLServer";
    const std::string agent = path + "\\SQL\\ReportAgent";
    for (const auto& k : {es_main, es_queue, sql, agent}) ASSERT_TRUE(create_key(k)) << k;
    ASSERT_EQ(set_dacl(es_main, exchange_broken), 0);
    ASSERT_EQ(set_dacl(es_queue, exchange_broken), 0);
    ASSERT_EQ(set_dacl(sql, sql_broken), 0);
    ASSERT_EQ(set_dacl(agent, cluster_broken), 0);
    setup_exchange({es_main, es_queue});
    SimRun r = clussim({"add-group", "--group", "SQL Group", "--owner", "NODE2"});
    ASSERT_EQ(r.code, 0u) << r.out;
    r = clussim({"add-resource", "--resource", "SQL Server", "--group", "SQL Group", "--checkpoint",
                 sql.substr(5), "--account", kSqlSid, "--service-name", win::narrow(kSqlService)});
    ASSERT_EQ(r.code, 0u) << r.out;
    r = clussim({"add-resource", "--resource", "SQL Report Agent", "--group", "SQL Group",
                 "--checkpoint", agent.substr(5), "--account", kSystemSid, "--type",
                 "Generic Application"});
    ASSERT_EQ(r.code, 0u) << r.out;

    // No sweep: the start's own discovery and check must find and repair all.
    start(3600);
    const auto s = status();
    ASSERT_EQ(s["keys"].size(), 4u) << s["keys"].dump(2);
    std::cout << "[ info ] checkpoints found by \"keys\": \"auto\": " << s["keys"].size() << "\n";
    struct Expected {
        std::string path, resource, group;
        std::vector<std::string> principals;
    };
    const std::vector<Expected> expected = {
        {es_main,
         "Exchange Event Service",
         "Exchange Group",
         {kClusterPrincipal, "service_account_of:MSExchangeES"}},
        {es_queue,
         "Exchange Event Service",
         "Exchange Group",
         {kClusterPrincipal, "service_account_of:MSExchangeES"}},
        {sql, "SQL Server", "SQL Group", {kClusterPrincipal, "service_account_of:MSSQL$PERMWATCH"}},
        {agent, "SQL Report Agent", "SQL Group", {kClusterPrincipal}}};
    for (const Expected& e : expected) {
        const auto k = key_of(s, e.path);
        ASSERT_FALSE(k.is_null()) << e.path << " not in " << s["keys"].dump(2);
        EXPECT_EQ(k["auto"], e.resource) << k.dump(2);
        EXPECT_EQ(k["auto_group"], e.group) << k.dump(2);
        EXPECT_TRUE(k["auto_problem"].is_null()) << k.dump(2);
        ASSERT_EQ(k["require"].size(), e.principals.size()) << k.dump(2);
        for (std::size_t i = 0; i < e.principals.size(); ++i) {
            expect_full_control(k["require"][i], e.principals[i]);
        }
    }

    const auto all_right = [&] {
        return grants_full_control(es_main, user_sid) && grants_full_control(es_queue, user_sid) &&
               grants_full_control(sql, kSqlSid) && grants_full_control(agent, kSystemSid) &&
               grants_full_control(es_main, kSystemSid) && grants_full_control(sql, kSystemSid);
    };
    EXPECT_TRUE(eventually([&] {
        const auto now = status();
        for (const Expected& e : expected)
            if (!is_right(state_of(now, e.path))) return false;
        return true;
    })) << status()["keys"].dump(2);
    EXPECT_TRUE(all_right()) << dacl_sddl(es_main) << " " << dacl_sddl(es_queue) << " "
                             << dacl_sddl(sql) << " " << dacl_sddl(agent);

    // One key of each group loses its service account's ACE; no sweep and no
    // DACL notification under Wine: only the failover's prepare can repair.
    ASSERT_EQ(set_dacl(es_queue, exchange_broken), 0);
    ASSERT_EQ(set_dacl(sql, sql_broken), 0);
    for (const char* group : {"Exchange Group", "SQL Group"}) {
        const SimRun f =
            clussim({"failover", "--group", group, "--to", "NODE1", "--grace-ms", "500"});
        EXPECT_EQ(f.code, 0u) << group << ": " << f.out;
        EXPECT_EQ(f.out.find("event 1024"), std::string::npos) << f.out;
        ASSERT_TRUE(
            eventually([&] { return status()["cluster"]["handles_released"] == false; }, 60s))
            << group;
    }
    EXPECT_TRUE(eventually([&] { return status()["cluster"]["failovers_prepared"] == 2; }));
    EXPECT_EQ(status()["keys"].size(), 4u);
}

// A group whose two resources each restore a checkpoint saved broken: ClusSvc
// restores each resource's checkpoints as that resource comes online, one
// after the other, so the recheck after online must reach the second
// resource's key too, after its own restore; no sweep would for an hour.
TEST_F(AutoKeysE2E, EachResourcesRestoreInAGroupIsRecheckedAfterItsOwnOnline) {
    const std::string sql = path + "\\SQL\\MSSQLServer";
    const std::string agent = path + "\\SQL\\ReportAgent";
    for (const auto& k : {sql, agent}) ASSERT_TRUE(create_key(k)) << k;
    SimRun r = clussim({"setup", "--node", "NODE1", "--other-node", "NODE2", "--group", "SQL Group",
                        "--owner", "NODE2", "--resource", "SQL Server", "--checkpoint",
                        sql.substr(5), "--account", kSqlSid, "--service-name",
                        win::narrow(kSqlService), "--restore-dacl", sql_broken});
    ASSERT_EQ(r.code, 0u) << r.out;
    r = clussim({"add-resource", "--resource", "SQL Report Agent", "--group", "SQL Group",
                 "--checkpoint", agent.substr(5), "--account", kSystemSid, "--type",
                 "Generic Application", "--restore-dacl", cluster_broken});
    ASSERT_EQ(r.code, 0u) << r.out;
    start(3600);
    const auto both_right = [&] {
        return grants_full_control(sql, kSqlSid) && grants_full_control(agent, kSystemSid);
    };
    ASSERT_TRUE(eventually(both_right)) << dacl_sddl(sql) << " " << dacl_sddl(agent);
    const SimRun f =
        clussim({"failover", "--group", "SQL Group", "--to", "NODE1", "--grace-ms", "500"});
    EXPECT_EQ(f.code, 0u) << f.out;
    ASSERT_TRUE(eventually([&] { return status()["cluster"]["handles_released"] == false; }, 60s));
    EXPECT_TRUE(eventually([&] { return grants_full_control(sql, kSqlSid); })) << dacl_sddl(sql);
    EXPECT_TRUE(eventually([&] { return grants_full_control(agent, kSystemSid); }))
        << "the second resource's restore wrote " << dacl_sddl(agent)
        << " and its key was not checked after its own online";
}

// A resource added while PermWatch runs is guarded within one sweep (its
// notification starts the discovery at once); deleted, its key is let go.
TEST_F(AutoKeysE2E, AResourceAddedWhileRunningIsGuardedWithinOneSweepAndLetGoWhenDeleted) {
    const std::string es_main = path + "\\Exchange\\MSExchangeES";
    ASSERT_TRUE(create_key(es_main));
    setup_exchange({es_main});
    const int sweep_s = 2;
    start(sweep_s);
    ASSERT_TRUE(eventually([&] { return is_right(state_of(status(), es_main)); }));

    const std::string added = path + "\\SQL\\AddedLater";
    ASSERT_TRUE(create_key(added));
    ASSERT_EQ(set_dacl(added, sql_broken), 0);
    const SimRun r = clussim({"add-resource", "--resource", "SQL Server", "--group",
                              "Exchange Group", "--checkpoint", added.substr(5), "--account",
                              kSqlSid, "--service-name", win::narrow(kSqlService)});
    ASSERT_EQ(r.code, 0u) << r.out;
    const auto t0 = std::chrono::steady_clock::now();
    // Polled every 5 ms: the figure's resolution.
    ASSERT_TRUE(test::eventually(
        [&] {
            return state_of(status(), added) == "repaired" && grants_full_control(added, kSqlSid);
        },
        30s, 5ms))
        << status()["keys"].dump(2);
    const auto ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::cout << "[ info ] resource added to key guarded: " << static_cast<long>(ms)
              << " ms (sweep every " << sweep_s << " s)\n";
    // One sweep plus a wide margin for a loaded machine: a bound, not a goal.
    EXPECT_LT(ms, sweep_s * 1000.0 + 20000.0);
    const auto k = key_of(status(), added);
    EXPECT_EQ(k["auto"], "SQL Server");
    ASSERT_EQ(k["require"].size(), 2u) << k.dump(2);
    expect_full_control(k["require"][1], "service_account_of:MSSQL$PERMWATCH");

    const SimRun d = clussim({"delete-resource", "--resource", "SQL Server"});
    ASSERT_EQ(d.code, 0u) << d.out;
    EXPECT_TRUE(eventually([&] { return key_of(status(), added).is_null(); }))
        << status()["keys"].dump(2);
    const auto after = status();
    EXPECT_EQ(after["keys"].size(), 1u);
    EXPECT_EQ(after.dump().find("AddedLater"), std::string::npos) << after.dump(2);
    const SimRun held = clussim({"handles", "--key", added.substr(5)});
    EXPECT_NE(held.out.find(" 0 handle(s) inside"), std::string::npos) << held.out;
}

// Each malformed property list of the fake (standing in for a hostile or
// broken answer to CLUSCTL_RESOURCE_GET_PRIVATE_PROPERTIES) is refused by the
// parser: no crash, the key still guarded for the Cluster service's account,
// and the refusal named in "auto_problem".
TEST_F(AutoKeysE2E, AHostilePropertyListIsRefusedAndTheClusterAccountStillGuarded) {
    const std::string es_main = path + "\\Exchange\\MSExchangeES";
    ASSERT_TRUE(create_key(es_main));
    setup_exchange({es_main});
    start(1);  // the sweep rediscovers: no notification tells of a changed answer
    const auto required = [&](std::size_t n) {
        const auto k = key_of(status(), es_main);
        return !k.is_null() && k["require"].size() == n;
    };
    ASSERT_TRUE(eventually([&] { return required(2); })) << status()["keys"].dump(2);
    for (const char* mode :
         {"property-list-past-end", "property-list-no-endmark", "property-list-huge-count"}) {
        const SimRun h = clussim({"hostile", "--mode", mode});
        ASSERT_EQ(h.code, 0u) << h.out;
        EXPECT_TRUE(eventually([&] {
            const auto k = key_of(status(), es_main);
            return !k.is_null() && k["require"].size() == 1 && k["auto_problem"].is_string();
        })) << mode
            << ": " << status()["keys"].dump(2);
        const auto k = key_of(status(), es_main);
        ASSERT_FALSE(k.is_null()) << mode;
        expect_full_control(k["require"][0], kClusterPrincipal);
        const std::string problem = k["auto_problem"].is_string() ? k["auto_problem"] : "";
        std::cout << "[ info ] " << mode << ": " << problem << "\n";
        EXPECT_NE(problem.find("refused"), std::string::npos) << problem;
        EXPECT_NE(problem.find("at byte"), std::string::npos) << problem;
        // Still guarded for the cluster account: its ACE taken away comes back.
        ASSERT_EQ(set_dacl(es_main, "D:(A;CI;KA;;;" + user_sid + ")"), 0);
        EXPECT_TRUE(eventually([&] { return grants_full_control(es_main, kSystemSid); }))
            << mode << ": " << dacl_sddl(es_main);
        EXPECT_EQ(status()["loop_errors"], 0);
        // Back to a sound answer: the service's account is required again.
        ASSERT_EQ(clussim({"hostile", "--mode", "off"}).code, 0u);
        EXPECT_TRUE(eventually([&] { return required(2); })) << status()["keys"].dump(2);
        EXPECT_TRUE(key_of(status(), es_main)["auto_problem"].is_null());
    }
}

// A learned checkpoint key that this node does not have yet (the restore
// creates it) is "absent": no drift, no event 2000; once created, it is
// checked and repaired.
TEST_F(AutoKeysE2E, ALearnedKeyNotOnThisNodeIsAbsentUntilItIsCreated) {
    const std::string parent = path + "\\Later";
    const std::string later = parent + "\\MSExchangeES";
    ASSERT_TRUE(create_key(parent));
    setup_exchange({later});
    start(1);
    EXPECT_EQ(state_of(status(), later), "absent") << status()["keys"].dump(2);
    // Two sweeps later it is still only absent.
    ASSERT_TRUE(eventually([&] { return status()["counters"]["sweeps"].get<int>() >= 2; }));
    auto s = status();
    const auto k = key_of(s, later);
    ASSERT_FALSE(k.is_null());
    EXPECT_EQ(k["state"], "absent") << k.dump(2);
    EXPECT_TRUE(k["findings"].empty()) << k.dump(2);
    EXPECT_EQ(s["counters"]["drift_found"], 0);
    EXPECT_EQ(alert_count(EventId::drift_found), 0);

    ASSERT_TRUE(create_key_with(later, exchange_broken));
    EXPECT_TRUE(eventually([&] {
        return state_of(status(), later) == "repaired" && grants_full_control(later, user_sid);
    })) << status()["keys"].dump(2)
        << dacl_sddl(later);
    EXPECT_GE(alert_count(EventId::drift_found), 1);
}

}  // namespace test_auto_keys_e2e
}  // namespace permwatch::test

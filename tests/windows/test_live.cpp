// The engine and the live commands with the real adapters under Wine: real
// keys, the real file journal, Wine's SCM for the service account.
//
// Stand-ins, and why: REG_NOTIFY_CHANGE_SECURITY never fires under Wine
// (docs/testing.md (c)), so a DACL changed behind PermWatch's back is found by
// the sweep, called directly here, instead of by a notification.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/engine/engine.hpp"
#include "core/journal/journal.hpp"
#include "core/security/sddl.hpp"
#include "service/accounts_adapter.hpp"
#include "service/file_journal.hpp"
#include "service/file_security.hpp"
#include "service/live_commands.hpp"
#include "service/registry_adapter.hpp"
#include "tests/fakes/fake_ports.hpp"
#include "wine_test_support.hpp"

namespace permwatch {
namespace test_live {

using test::WineKeyTest;

// Requirement: SYSTEM and Administrators full control on the key and subkeys.
const char* const kBroken = "D:(A;CI;KR;;;BU)(A;CI;KA;;;SY)";
const char* const kFixed = "D:(A;CI;KR;;;BU)(A;CI;KA;;;SY)(A;CI;KA;;;BA)";

std::string config_text(const std::string& path, const std::string& journal,
                        const std::string& mode = "enforce") {
    nlohmann::json j = {
        {"version", 1},
        {"mode", mode},
        {"debounce_ms", 0},
        {"flapping", {{"max_repairs", 3}, {"window_s", 60}, {"backoff_s", 300}}},
        {"journal", journal},
        {"keys",
         {{{"path", path},
           {"require",
            {{{"principal", "SY"}, {"rights", {"KEY_ALL_ACCESS"}}, {"inherit", {"container"}}},
             {{"principal", "BA"},
              {"rights", {"KEY_ALL_ACCESS"}},
              {"inherit", {"container"}}}}}}}}};
    return j.dump();
}

Config config_for(const std::string& path, const std::string& journal,
                  const std::string& mode = "enforce") {
    auto loaded = load_config(config_text(path, journal, mode));
    EXPECT_TRUE(loaded.problems.empty())
        << loaded.problems[0].pointer << " " << loaded.problems[0].message;
    return *loaded.config;
}

class LiveEngine : public WineKeyTest {
protected:
    std::string journal_path() const { return (temp_dir / "journal.jsonl").string(); }
    win::Win32Registry registry;
    win::Win32Accounts accounts;
    fakes::RecordingAlerts alerts;
    SystemClock clock;
};

TEST_F(LiveEngine, DriftAtStartIsRepairedJournalFirstAndStaysClean) {
    ASSERT_EQ(test::set_dacl(path, kBroken), 0);
    win::FileJournal journal(journal_path());
    Engine engine(config_for(path, journal_path()), {registry, accounts, journal, alerts, clock});
    engine.check_all();
    EXPECT_EQ(test::dacl_sddl(path), kFixed);
    EXPECT_EQ(engine.keys()[0].state, KeyState::repaired);
    const auto contents = win::read_journal_file(journal_path());
    ASSERT_EQ(contents.entries.size(), 1u);
    EXPECT_EQ(parse_sddl(contents.entries[0].before).dacl, parse_sddl(kBroken).dacl);
    EXPECT_EQ(parse_sddl(contents.entries[0].after).dacl, parse_sddl(kFixed).dacl);
    EXPECT_EQ(alerts.count(EventId::drift_repaired), 1);
    engine.check_all();
    engine.sweep();
    EXPECT_EQ(engine.counters().repairs, 1u);
}

TEST_F(LiveEngine, SabotageIsFoundByTheSweepAndRepaired) {
    win::FileJournal journal(journal_path());
    Engine engine(config_for(path, journal_path()), {registry, accounts, journal, alerts, clock});
    ASSERT_EQ(test::set_dacl(path, kFixed), 0);
    engine.check_all();
    EXPECT_EQ(engine.counters().repairs, 0u);
    ASSERT_EQ(test::set_dacl(path, kBroken), 0);  // another actor
    engine.sweep();
    EXPECT_EQ(test::dacl_sddl(path), kFixed);
    // Deleted and created again, with the broken DACL: found and repaired.
    test::delete_key(path);
    engine.sweep();
    EXPECT_EQ(engine.keys()[0].state, KeyState::error);
    EXPECT_EQ(engine.keys()[0].findings[0].kind, FindingKind::key_missing);
    ASSERT_TRUE(test::create_key(path));
    ASSERT_EQ(test::set_dacl(path, kBroken), 0);
    engine.sweep();
    EXPECT_EQ(test::dacl_sddl(path), kFixed);
    EXPECT_EQ(engine.keys()[0].state, KeyState::repaired);
    EXPECT_EQ(engine.counters().repairs, 2u);
}

TEST_F(LiveEngine, AuditModeReportsAndChangesNothing) {
    ASSERT_EQ(test::set_dacl(path, kBroken), 0);
    win::FileJournal journal(journal_path());
    Engine engine(config_for(path, journal_path(), "audit"),
                  {registry, accounts, journal, alerts, clock});
    engine.check_all();
    engine.sweep();
    EXPECT_EQ(test::dacl_sddl(path), kBroken);
    EXPECT_EQ(engine.keys()[0].state, KeyState::drift);
    EXPECT_EQ(alerts.count(EventId::drift_found), 1);
    EXPECT_TRUE(win::read_journal_file(journal_path()).entries.empty());
}

// Another actor that undoes every repair as soon as it is written.
class UndoingRegistry final : public RegistryPort {
public:
    UndoingRegistry(RegistryPort& real, std::string broken)
        : real_(real), broken_(std::move(broken)) {}
    KeyRead read(const std::string& p) override { return real_.read(p); }
    KeyUpdate update_dacl(const std::string& p, const DaclDecision& decide,
                          const SubkeyJournal& journal_subkey) override {
        KeyUpdate u = real_.update_dacl(p, decide, journal_subkey);
        if (u.written) {
            ++writes;
            test::set_dacl(p, broken_);
        }
        return u;
    }
    int writes = 0;

private:
    RegistryPort& real_;
    std::string broken_;
};

TEST_F(LiveEngine, AnotherActorUndoingRepairsEndsInFlappingNotABusyLoop) {
    ASSERT_EQ(test::set_dacl(path, kBroken), 0);
    win::FileJournal journal(journal_path());
    UndoingRegistry undoing(registry, kBroken);
    Engine engine(config_for(path, journal_path()), {undoing, accounts, journal, alerts, clock});
    engine.check_all();
    for (int i = 0; i < 20; ++i) engine.sweep();
    EXPECT_EQ(undoing.writes, 3);  // max_repairs
    EXPECT_EQ(engine.keys()[0].state, KeyState::flapping);
    EXPECT_EQ(alerts.count(EventId::flapping), 1);
    EXPECT_EQ(win::read_journal_file(journal_path()).entries.size(), 3u);
}

TEST_F(LiveEngine, UnjournaledWriteIsNotMade) {
    ASSERT_EQ(test::set_dacl(path, kBroken), 0);
    fakes::FakeJournal failing;
    failing.fail_with = "disk full";
    Engine engine(config_for(path, journal_path()), {registry, accounts, failing, alerts, clock});
    engine.check_all();
    EXPECT_EQ(test::dacl_sddl(path), kBroken);
    EXPECT_EQ(engine.keys()[0].state, KeyState::error);
    EXPECT_EQ(alerts.count(EventId::repair_failed), 1);
}

TEST_F(LiveEngine, AccessDeniedOnWriteIsAnErrorWithAnEventAndTheEngineGoesOn) {
    // The owner may always write the DACL, so the key is given to SYSTEM and
    // granted read-only to everyone (Wine enforces this: docs/testing.md (d)).
    const test::LockedKey locked(path);
    ASSERT_EQ(locked.error(), 0);
    win::FileJournal journal(journal_path());
    Engine engine(config_for(path, journal_path()), {registry, accounts, journal, alerts, clock});
    engine.check_all();
    EXPECT_EQ(engine.keys()[0].state, KeyState::error);
    ASSERT_EQ(alerts.count(EventId::repair_failed), 1);
    EXPECT_NE(alerts.raised.back().strings[1].find("(5)"), std::string::npos)
        << alerts.raised.back().strings[1];
    EXPECT_NE(alerts.raised.back().strings[1].find(path), std::string::npos);
    // Still running: the next sweep tries again and reports the same way.
    engine.sweep();
    EXPECT_EQ(engine.keys()[0].state, KeyState::error);
    EXPECT_EQ(engine.counters().repair_failures, 2u);
}

struct CliRun {
    int code;
    std::string out, err;
};

CliRun run(const std::vector<std::string>& args) {
    std::ostringstream out, err;
    win::Win32LiveCommands live;
    win::Win32FileSecurity files;
    const int code = run_cli(args, out, err, &live, &files);
    return {code, out.str(), err.str()};
}

class LiveCommands : public LiveEngine {
protected:
    std::string write_config(const std::string& text) {
        const auto file = (temp_dir / "permwatch.json").string();
        std::ofstream(file) << text;
        return file;
    }
};

TEST_F(LiveCommands, CheckRepairAndRollbackRestoreTheExactPriorDacl) {
    ASSERT_EQ(test::set_dacl(path, kBroken), 0);
    const std::string config = write_config(config_text(path, journal_path()));
    const std::string prior = test::dacl_sddl(path);

    auto check = run({"check", "--config", config, "--json"});
    EXPECT_EQ(check.code, 1) << check.err;
    EXPECT_EQ(nlohmann::json::parse(check.out)["keys"][0]["state"], "drift");

    auto dry = run({"repair", "--config", config, "--dry-run"});
    EXPECT_EQ(dry.code, 0) << dry.err;
    EXPECT_EQ(test::dacl_sddl(path), prior);

    auto repair = run({"repair", "--config", config, "--json"});
    EXPECT_EQ(repair.code, 0) << repair.err;
    EXPECT_EQ(nlohmann::json::parse(repair.out)["keys"][0]["state"], "repaired");
    EXPECT_EQ(test::dacl_sddl(path), kFixed);
    EXPECT_EQ(run({"check", "--config", config}).code, 0);

    auto rollback = run({"rollback", "--config", config});
    EXPECT_EQ(rollback.code, 0) << rollback.err;
    EXPECT_EQ(test::dacl_sddl(path), prior);
    const auto journal = win::read_journal_file(journal_path());
    ASSERT_EQ(journal.entries.size(), 2u);
    EXPECT_EQ(journal.entries[0].reason, "manual");
    EXPECT_EQ(journal.entries[1].reason, "rollback");
    EXPECT_LT(journal.entries[0].id, journal.entries[1].id);

    // --to the first entry restores its "before" again, and an unknown id is an error.
    ASSERT_EQ(test::set_dacl(path, kFixed), 0);
    EXPECT_EQ(run({"rollback", "--config", config, "--to", journal.entries[0].id}).code, 0);
    EXPECT_EQ(test::dacl_sddl(path), prior);
    EXPECT_EQ(run({"rollback", "--config", config, "--to", "999"}).code, 2);
}

TEST_F(LiveCommands, TornLastJournalLineIsSkippedWithAWarning) {
    ASSERT_EQ(test::set_dacl(path, kBroken), 0);
    const std::string config = write_config(config_text(path, journal_path()));
    ASSERT_EQ(run({"repair", "--config", config}).code, 0);
    std::ofstream(journal_path(), std::ios::app) << R"({"id":"000000000002","time":"2026)";
    auto rollback = run({"rollback", "--config", config});
    EXPECT_EQ(rollback.code, 0) << rollback.err;
    EXPECT_NE(rollback.err.find("torn"), std::string::npos) << rollback.err;
    EXPECT_EQ(test::dacl_sddl(path), kBroken);
}

TEST_F(LiveCommands, MissingKeyIsAnErrorWithTheWholeDocument) {
    const std::string config = write_config(config_text(path + "\\missing", journal_path()));
    auto check = run({"check", "--config", config, "--json"});
    EXPECT_EQ(check.code, 2);
    const auto doc = nlohmann::json::parse(check.out);
    EXPECT_EQ(doc["keys"][0]["state"], "error");
    EXPECT_EQ(doc["keys"][0]["findings"][0]["kind"], "key_missing");
}

TEST_F(LiveCommands, BadConfigIsExit2WithPointers) {
    const std::string config = write_config(R"({"version":2,"keys":[{"path":"HKCU\\X"}]})");
    for (const char* command : {"check", "repair", "run"}) {
        std::vector<std::string> args = {command, "--config", config};
        if (std::string(command) == "run") args.push_back("--console");
        auto r = run(args);
        EXPECT_EQ(r.code, 2) << command;
        EXPECT_NE(r.err.find("/version"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("/keys/0/path"), std::string::npos) << r.err;
    }
}

TEST_F(LiveCommands, ExportWritesASnapshotThatCheckReads) {
    ASSERT_EQ(test::set_dacl(path, kBroken), 0);
    auto exported = run({"export", "--key", path});
    ASSERT_EQ(exported.code, 0) << exported.err;
    const auto doc = nlohmann::json::parse(exported.out);
    EXPECT_EQ(parse_sddl(doc["keys"][path].get<std::string>()).dacl, parse_sddl(kBroken).dacl);
    const auto snapshot = (temp_dir / "snapshot.json").string();
    std::ofstream(snapshot) << exported.out;
    const std::string config = write_config(config_text(path, journal_path()));
    EXPECT_EQ(run({"check", "--snapshot", snapshot, "--config", config}).code, 1);
    EXPECT_EQ(run({"export", "--key", path + "\\missing"}).code, 2);
}

// Lines written straight into the journal stand in for a journal someone
// else wrote (the file check refuses such a file on Windows; under Wine every
// file is the prefix user's, docs/testing.md (x)), so rollback's own checks
// are what is tested here.
std::string journal_line(const std::string& id, const std::string& key, const std::string& before) {
    return format_journal_line({id, "2026-11-30T04:00:00.000Z", key, "drift", before, "D:"}) + "\n";
}

TEST_F(LiveCommands, RollbackRefusesAKeyThePolicyDoesNotNameAndWritesNothing) {
    const std::string other = path + "\\NotInPolicy";
    ASSERT_TRUE(test::create_key(other));
    ASSERT_EQ(test::set_dacl(path, kFixed), 0);
    ASSERT_EQ(test::set_dacl(other, kFixed), 0);
    const std::string config = write_config(config_text(path, journal_path()));
    std::ofstream(journal_path()) << journal_line("000000000001", path, kBroken)
                                  << journal_line("000000000002", other, "D:(A;CI;KA;;;WD)");
    auto r = run({"rollback", "--config", config});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("journal line 2 (entry 000000000002): the config does not name " + other),
              std::string::npos)
        << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(test::dacl_sddl(path), kFixed);  // the good line was not applied either
    EXPECT_EQ(test::dacl_sddl(other), kFixed);
    EXPECT_EQ(win::read_journal_file(journal_path()).entries.size(), 2u);
}

TEST_F(LiveCommands, RollbackWithAMalformedBeforeWritesNothing) {
    ASSERT_EQ(test::set_dacl(path, kFixed), 0);
    const std::string config = write_config(config_text(path, journal_path()));
    std::ofstream(journal_path()) << journal_line("000000000001", path, "D:(A;CI;KA;;;S-1-x)");
    auto r = run({"rollback", "--config", config});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("journal line 1 (entry 000000000001): 'before' is not a security"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(test::dacl_sddl(path), kFixed);
}

TEST_F(LiveCommands, RollbackStopsAtAnUnreadableLineAndNamesIt) {
    ASSERT_EQ(test::set_dacl(path, kFixed), 0);
    const std::string config = write_config(config_text(path, journal_path()));
    std::ofstream(journal_path()) << journal_line("000000000001", path, kBroken)
                                  << "{\"id\":\"000000000002\",\"key\":7}\n"
                                  << journal_line("000000000003", path, kBroken);
    auto r = run({"rollback", "--config", config});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("journal line 2 cannot be read"), std::string::npos) << r.err;
    EXPECT_EQ(test::dacl_sddl(path), kFixed);
}

TEST_F(LiveCommands, RollbackOfAMissingDaclIsRefusedNotMadeEmpty) {
    ASSERT_EQ(test::set_dacl(path, kFixed), 0);
    const std::string config = write_config(config_text(path, journal_path()));
    std::ofstream(journal_path()) << journal_line("000000000001", path, "O:BAG:SY");
    auto r = run({"rollback", "--config", config});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("'before' has no DACL"), std::string::npos) << r.err;
    EXPECT_EQ(test::dacl_sddl(path), kFixed);
}

// Before the fix a null DACL became an empty one: the key locked for everyone.
TEST_F(LiveCommands, RollbackRestoresANullDaclAsANullDacl) {
    ASSERT_EQ(test::set_dacl(path, kFixed), 0);
    const std::string config = write_config(config_text(path, journal_path()));
    std::ofstream(journal_path()) << journal_line("000000000001", path, "D:NO_ACCESS_CONTROL");
    auto r = run({"rollback", "--config", config});
    EXPECT_EQ(r.code, 0) << r.err;
    win::Win32Registry registry;
    const KeyRead read = registry.read(path);
    ASSERT_EQ(read.status, KeyRead::Status::ok) << read.error;
    ASSERT_TRUE(read.sd.dacl);
    EXPECT_TRUE(read.sd.dacl->is_null) << test::dacl_sddl(path);
}

// Restore-PermWatchKey -Key a,b passes --key twice: both keys are restored,
// each journaled and reported on its own line. Three sibling keys without
// subkeys, so no restore passes anything down to another.
TEST_F(LiveCommands, RollbackRestoresEveryKeyGiven) {
    const std::string a = path + "\\A", b = path + "\\B", c = path + "\\C";
    nlohmann::json config_json = nlohmann::json::parse(config_text(a, journal_path()));
    for (const std::string& k : {a, b, c}) {
        ASSERT_TRUE(test::create_key(k));
        ASSERT_EQ(test::set_dacl(k, kFixed), 0);
        if (k == a) continue;
        nlohmann::json key = config_json["keys"][0];
        key["path"] = k;
        config_json["keys"].push_back(key);
    }
    const std::string config = write_config(config_json.dump());
    std::ofstream(journal_path()) << journal_line("000000000001", a, kBroken)
                                  << journal_line("000000000002", b, kBroken)
                                  << journal_line("000000000003", c, kBroken);
    auto r = run({"rollback", "--config", config, "--key", a, "--key", b});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(test::dacl_sddl(a), kBroken);
    EXPECT_EQ(test::dacl_sddl(b), kBroken);
    EXPECT_EQ(test::dacl_sddl(c), kFixed);  // not asked for
    EXPECT_NE(r.out.find(a + ": restored the DACL recorded before journal entry 000000000001"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find(b + ": restored the DACL recorded before journal entry 000000000002"),
              std::string::npos)
        << r.out;
    const auto journal = win::read_journal_file(journal_path());
    ASSERT_EQ(journal.entries.size(), 5u);
    EXPECT_EQ(journal.entries[3].key, a);
    EXPECT_EQ(journal.entries[3].reason, "rollback");
    EXPECT_EQ(journal.entries[4].key, b);
    EXPECT_EQ(journal.entries[4].reason, "rollback");
    // One key the config does not name: nothing is written, the other key
    // included.
    ASSERT_EQ(test::set_dacl(a, kFixed), 0);
    r = run({"rollback", "--config", config, "--key", a, "--key", path + "\\Nope"});
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(test::dacl_sddl(a), kFixed);
}

// Rollback reads the rotated files too. Entry 1 lives in
// journal.jsonl.2; a rollback that read only the live file would say "no entry with
// id 000000000001" and wrote nothing.
TEST_F(LiveCommands, RollbackToAnIdInARotatedJournalFileRestoresIt) {
    ASSERT_EQ(test::set_dacl(path, kFixed), 0);
    const std::string config = write_config(config_text(path, journal_path()));
    std::ofstream(journal_path() + ".2") << journal_line("000000000001", path, kBroken);
    std::ofstream(journal_path() + ".1") << journal_line("000000000002", path, kFixed);
    std::ofstream(journal_path()) << journal_line("000000000003", path, kFixed);
    auto r = run({"rollback", "--config", config, "--to", "000000000001"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(test::dacl_sddl(path), kBroken);
    // The rollback's own line goes to the live file, after the rotated ids.
    const auto live = win::read_journal_file(journal_path());
    ASSERT_EQ(live.entries.size(), 2u);
    EXPECT_EQ(live.entries[1].id, "000000000004");
    EXPECT_EQ(live.entries[1].reason, "rollback");
    // A bad line in a rotated file is named by that file and its line.
    std::ofstream(journal_path() + ".2", std::ios::app) << "{\"id\":\"x\",\"key\":7}\n";
    r = run({"rollback", "--config", config});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("journal journal.jsonl.2 line 2 cannot be read"), std::string::npos)
        << r.err;
}

}  // namespace test_live
}  // namespace permwatch

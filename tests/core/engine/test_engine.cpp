// The engine with fake ports (in-memory registry, journal, clock). The same
// behaviours are tested with the real Windows adapters under Wine.
#include <gtest/gtest.h>

#include "core/engine/engine.hpp"
#include "tests/fakes/fake_ports.hpp"

namespace permwatch {
namespace test_engine {

using namespace std::chrono_literals;
using namespace fakes;

const std::string key = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeES";
const std::string svc = "S-1-5-21-1-2-3-1105";
const std::string broken = "O:BAG:SYD:(A;CI;KR;;;BU)(A;CI;KA;;;SY)";
const std::string fixed = "O:BAG:SYD:(A;CI;KR;;;BU)(A;CI;KA;;;SY)(A;CI;KA;;;" + svc + ")";

Config config(Mode mode = Mode::enforce) {
    const std::string text = R"json({"version":1,"mode":")json" +
                             std::string(mode == Mode::audit ? "audit" : "enforce") +
                             R"json(","debounce_ms":50,
      "flapping":{"max_repairs":3,"window_s":60,"backoff_s":300},
      "keys":[{"path":"HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeES","require":[
        {"principal":{"service_account_of":"MSExchangeSA"},"rights":["KEY_ALL_ACCESS"],"inherit":["container"]},
        {"principal":"SY","rights":["KEY_ALL_ACCESS"],"inherit":["container"]}]}]})json";
    auto loaded = load_config(text);
    EXPECT_TRUE(loaded.config.has_value())
        << (loaded.problems.empty() ? "" : loaded.problems[0].message);
    return *loaded.config;
}

struct Rig {
    FakeRegistry registry;
    FakeAccounts accounts;
    FakeJournal journal;
    RecordingAlerts alerts;
    FakeClock clock;
    Engine engine;

    explicit Rig(Mode mode = Mode::enforce)
        : engine(config(mode), {registry, accounts, journal, alerts, clock}) {
        accounts.services.emplace("MSExchangeSA", *Sid::parse(svc));
        registry.set(key, broken);
    }
};

// A repair whose ACE is inheritable passes it to the existing subkeys: each
// is journaled (the repair's reason) before it is written, and a link below
// the key is not written through but raised as a failed repair (2002).
TEST(Engine, ARepairJournalsEachSubkeyItPassesInheritanceToAndReportsALink) {
    Rig rig;
    rig.registry.set(key + "\\Parameters", "O:BAG:SYD:(A;CIID;KR;;;BU)(A;CIID;KA;;;SY)");
    rig.registry.set(key + "\\Planted", "O:BAG:SYD:");
    rig.registry.links = {key + "\\Planted"};
    std::vector<std::size_t> journaled_at_write;
    rig.registry.before_write = [&](const std::string&) {
        journaled_at_write.push_back(rig.journal.entries.size());
    };
    rig.engine.check_all();
    ASSERT_EQ(rig.journal.entries.size(), 2u);
    EXPECT_EQ(journaled_at_write, (std::vector<std::size_t>{1u}));  // the key's own write
    const JournalEntry& sub = rig.journal.entries[1];
    EXPECT_EQ(sub.key, key + "\\Parameters");
    EXPECT_EQ(sub.reason, "drift");
    EXPECT_EQ(sub.before, "O:BAG:SYD:(A;CIID;KR;;;BU)(A;CIID;KA;;;SY)");
    EXPECT_EQ(sub.after, "O:BAG:SYD:(A;CIID;KR;;;BU)(A;CIID;KA;;;SY)(A;CIID;KA;;;" + svc + ")");
    EXPECT_EQ(rig.registry.sddl(key + "\\Parameters"), sub.after);
    EXPECT_EQ(rig.registry.sddl(key + "\\Planted"), "O:BAG:SYD:");
    ASSERT_EQ(rig.alerts.count(EventId::repair_failed), 1);
    EXPECT_NE(rig.alerts.raised.back().strings[1].find("Planted is a registry symbolic link"),
              std::string::npos);
    EXPECT_EQ(rig.engine.keys()[0].state, KeyState::repaired);
}

TEST(Engine, DriftAtStartIsRepairedJournalFirst) {
    Rig rig;
    std::size_t journaled_at_write = 0;
    rig.registry.before_write = [&](const std::string&) {
        journaled_at_write = rig.journal.entries.size();
    };
    rig.engine.check_all();
    EXPECT_EQ(journaled_at_write, 1u);
    ASSERT_EQ(rig.journal.entries.size(), 1u);
    const JournalEntry& e = rig.journal.entries[0];
    EXPECT_EQ(e.key, key);
    EXPECT_EQ(e.reason, "drift");
    EXPECT_EQ(e.before, broken);
    EXPECT_EQ(e.after, fixed);
    EXPECT_EQ(rig.registry.sddl(key), fixed);
    const KeyStatus& s = rig.engine.keys()[0];
    EXPECT_EQ(s.state, KeyState::repaired);
    EXPECT_TRUE(s.findings.empty());
    EXPECT_FALSE(s.last_repair.empty());
    EXPECT_EQ(rig.alerts.count(EventId::drift_found), 1);
    EXPECT_EQ(rig.alerts.count(EventId::drift_repaired), 1);
    EXPECT_EQ(rig.engine.counters().repairs, 1u);
    // Evaluating again finds nothing and writes nothing.
    rig.engine.check_all();
    EXPECT_EQ(rig.registry.writes, 1);
    EXPECT_EQ(rig.engine.keys()[0].state, KeyState::repaired);
}

// Another administrator's change between PermWatch's read and
// its write (an emergency deny) is kept: the key is re-read through the write
// handle, the repair planned again, and the journal's "before" is what was
// really replaced. A sweep reads every key read-only first, so its repairs
// have that window.
TEST(Engine, AChangeMadeBetweenTheReadAndTheWriteIsKeptAndJournaled) {
    Rig rig;
    const std::string with_deny = "O:BAG:SYD:(D;CI;KW;;;NU)(A;CI;KR;;;BU)(A;CI;KA;;;SY)";
    rig.registry.before_update = [&](const std::string& path) {
        rig.registry.set(path, with_deny);
    };
    rig.engine.sweep();
    const std::string expected =
        "O:BAG:SYD:(D;CI;KW;;;NU)(A;CI;KR;;;BU)(A;CI;KA;;;SY)(A;CI;KA;;;" + svc + ")";
    EXPECT_EQ(rig.registry.sddl(key), expected);
    ASSERT_EQ(rig.journal.entries.size(), 1u);
    EXPECT_EQ(rig.journal.entries[0].before, with_deny);
    EXPECT_EQ(rig.journal.entries[0].after, expected);
    EXPECT_EQ(rig.engine.counters().replans, 1u);
    EXPECT_EQ(rig.engine.keys()[0].state, KeyState::repaired);
    EXPECT_EQ(rig.alerts.raised.back().strings[1], with_deny);  // 2001's before
}

// A check in enforce mode looks and repairs through one handle
// (apply_plan), so there is no window: the key is opened once, the plan is
// made from what that open read, and nothing is planned twice.
TEST(Engine, AnEnforcingCheckPlansFromTheReadThroughTheWriteHandle) {
    Rig rig;
    const std::string with_deny = "O:BAG:SYD:(D;CI;KW;;;NU)(A;CI;KR;;;BU)(A;CI;KA;;;SY)";
    rig.registry.before_update = [&](const std::string& path) {
        rig.registry.set(path, with_deny);
    };
    const int reads = rig.registry.reads;
    rig.engine.check_all();
    EXPECT_EQ(rig.registry.reads - reads, 1);  // one open: no separate look first
    ASSERT_EQ(rig.journal.entries.size(), 1u);
    EXPECT_EQ(rig.journal.entries[0].before, with_deny);
    EXPECT_EQ(rig.registry.sddl(key), rig.journal.entries[0].after);
    EXPECT_EQ(rig.engine.counters().replans, 0u);
    EXPECT_EQ(rig.engine.keys()[0].state, KeyState::repaired);
}

TEST(Engine, AKeyFixedByAnotherActorBeforeTheWriteIsNotWritten) {
    Rig rig;
    rig.registry.before_update = [&](const std::string& path) { rig.registry.set(path, fixed); };
    rig.engine.sweep();  // reads first, then opens for the write
    EXPECT_EQ(rig.engine.counters().replans, 1u);
    EXPECT_EQ(rig.registry.writes, 0);
    EXPECT_TRUE(rig.journal.entries.empty());
    EXPECT_EQ(rig.engine.keys()[0].state, KeyState::compliant);
}

TEST(Engine, AuditModeReportsOnly) {
    Rig rig(Mode::audit);
    rig.engine.check_all();
    EXPECT_EQ(rig.registry.writes, 0);
    EXPECT_TRUE(rig.journal.entries.empty());
    EXPECT_EQ(rig.registry.sddl(key), broken);
    EXPECT_EQ(rig.engine.keys()[0].state, KeyState::drift);
    EXPECT_EQ(rig.alerts.count(EventId::drift_found), 1);
    // The same drift seen again is not raised again.
    rig.engine.key_changed(0);
    rig.clock.advance(100ms);
    rig.engine.run_due();
    EXPECT_EQ(rig.alerts.count(EventId::drift_found), 1);
}

// `check` over the pipe reports each key as the engine last saw it: its
// state, descriptor and findings, and no descriptor for a key not there.
TEST(Engine, AKeysReportIsWhatItsLastCheckFound) {
    Rig rig(Mode::audit);
    rig.engine.check_all();
    const KeyReport drift = report_of(rig.engine.keys()[0]);
    EXPECT_EQ(drift.path, key);
    EXPECT_EQ(drift.state, KeyState::drift);
    EXPECT_EQ(drift.sddl, broken);
    ASSERT_FALSE(drift.findings.empty());
    EXPECT_EQ(drift.findings[0].kind, rig.engine.keys()[0].findings[0].kind);
    EXPECT_FALSE(drift.planned_sddl.has_value());

    rig.registry.keys.erase(key);
    rig.engine.check_key_now(0, "manual");
    const KeyReport missing = report_of(rig.engine.keys()[0]);
    EXPECT_EQ(missing.state, KeyState::error);
    EXPECT_FALSE(missing.sddl.has_value());
}

TEST(Engine, BurstOfNotificationsIsOneCheckAfterDebounce) {
    Rig rig;
    rig.engine.check_all();
    const auto checks = rig.engine.counters().checks;
    rig.registry.set(key, broken);  // sabotage
    for (int i = 0; i < 20; ++i) {
        rig.engine.key_changed(0);
        rig.clock.advance(1ms);
    }
    ASSERT_TRUE(rig.engine.next_due().has_value());
    rig.engine.run_due();  // 20 ms in: still inside the 50 ms debounce
    EXPECT_EQ(rig.engine.counters().checks, checks);
    rig.clock.advance(40ms);
    rig.engine.run_due();
    EXPECT_EQ(rig.engine.counters().checks, checks + 1);
    EXPECT_EQ(rig.registry.writes, 2);
    EXPECT_EQ(rig.engine.counters().notifications, 20u);
    EXPECT_FALSE(rig.engine.next_due().has_value());
}

TEST(Engine, SweepSkipsUnchangedKeysAndCatchesChangedOnes) {
    Rig rig;
    rig.engine.check_all();
    const auto checks = rig.engine.counters().checks;
    rig.engine.sweep();
    rig.engine.sweep();
    EXPECT_EQ(rig.engine.counters().checks, checks);
    rig.registry.set(key, broken);
    rig.engine.sweep();
    EXPECT_EQ(rig.engine.counters().checks, checks + 1);
    EXPECT_EQ(rig.registry.sddl(key), fixed);
}

// The service sweeps in parts so that queued work (a failover's prepare) runs
// between them: a part reads only its keys, says where the next one starts,
// and the sweep is counted once, by the part that starts at 0.
TEST(Engine, ASweepInPartsReadsEachKeyOnceAndCountsOneSweep) {
    Rig rig;
    rig.engine.check_all();
    const int reads = rig.registry.reads;
    const auto sweeps = rig.engine.counters().sweeps;
    EXPECT_EQ(rig.engine.sweep_part(0, 32), 1u);  // one key: done after it
    EXPECT_EQ(rig.registry.reads, reads + 1);
    EXPECT_EQ(rig.engine.sweep_part(1, 32), 1u);  // past the end: nothing read
    EXPECT_EQ(rig.engine.sweep_part(7, 32), 7u);
    EXPECT_EQ(rig.registry.reads, reads + 1);
    EXPECT_EQ(rig.engine.counters().sweeps, sweeps + 1);  // the part from 0
}

TEST(Engine, AnotherActorUndoingRepairsLeadsToFlappingAndBackOff) {
    Rig rig;
    rig.registry.after_write = [&](const std::string&) { rig.registry.set(key, broken); };
    for (int i = 0; i < 50; ++i) {
        rig.engine.sweep();
        rig.clock.advance(1s);
    }
    // max_repairs = 3 in a 60 s window: three writes, then back-off.
    EXPECT_EQ(rig.registry.writes, 3);
    EXPECT_EQ(rig.engine.keys()[0].state, KeyState::flapping);
    EXPECT_EQ(rig.alerts.count(EventId::flapping), 1);
    // After backoff_s the engine tries again, without a busy loop.
    rig.clock.advance(300s);
    ASSERT_TRUE(rig.engine.next_due().has_value());
    EXPECT_LE(*rig.engine.next_due(), rig.clock.now());
    rig.engine.run_due();
    EXPECT_EQ(rig.registry.writes, 4);
    // The other actor stops: the next repair holds.
    rig.registry.after_write = nullptr;
    rig.clock.advance(1s);
    rig.engine.sweep();
    EXPECT_EQ(rig.registry.sddl(key), fixed);
    EXPECT_EQ(rig.engine.keys()[0].state, KeyState::repaired);
}

TEST(Engine, UnjournaledWriteIsNotMade) {
    Rig rig;
    rig.journal.fail_with = "disk full";
    rig.engine.check_all();
    EXPECT_EQ(rig.registry.writes, 0);
    EXPECT_EQ(rig.registry.sddl(key), broken);
    EXPECT_EQ(rig.engine.keys()[0].state, KeyState::error);
    ASSERT_EQ(rig.alerts.count(EventId::repair_failed), 1);
    EXPECT_NE(rig.alerts.raised.back().strings[1].find("disk full"), std::string::npos);
}

TEST(Engine, AccessDeniedOnWriteIsAnErrorAndTheEngineGoesOn) {
    Rig rig;
    rig.registry.next_write_result = {false, 5, "access denied writing the DACL of " + key};
    rig.engine.check_all();
    EXPECT_EQ(rig.engine.keys()[0].state, KeyState::error);
    EXPECT_EQ(rig.alerts.count(EventId::repair_failed), 1);
    EXPECT_EQ(rig.engine.counters().repair_failures, 1u);
    rig.registry.next_write_result = {};
    rig.engine.sweep();
    EXPECT_EQ(rig.engine.keys()[0].state, KeyState::repaired);
}

TEST(Engine, MissingKeyIsAnErrorUntilItComesBack) {
    Rig rig;
    rig.registry.keys.clear();
    rig.engine.check_all();
    ASSERT_EQ(rig.engine.keys()[0].state, KeyState::error);
    EXPECT_EQ(rig.engine.keys()[0].findings[0].kind, FindingKind::key_missing);
    rig.registry.set(key, broken);
    rig.engine.sweep();
    EXPECT_EQ(rig.engine.keys()[0].state, KeyState::repaired);
}

TEST(Engine, UnresolvedAccountIsRetriedOnTheNextCheck) {
    Rig rig;
    rig.accounts.services.clear();
    rig.engine.check_all();
    EXPECT_EQ(rig.engine.keys()[0].state, KeyState::error);
    EXPECT_EQ(rig.engine.keys()[0].findings[0].kind, FindingKind::unresolved_account);
    rig.accounts.services.emplace("MSExchangeSA", *Sid::parse(svc));
    rig.engine.key_changed(0);
    rig.clock.advance(1s);
    rig.engine.run_due();
    EXPECT_EQ(rig.engine.keys()[0].state, KeyState::repaired);
}

TEST(Engine, ReplaceConfigKeepsStateOfKeysThatStay) {
    Rig rig;
    rig.engine.check_all();
    Config next = config(Mode::audit);
    rig.engine.replace_config(next);
    EXPECT_EQ(rig.engine.config().mode, Mode::audit);
    EXPECT_EQ(rig.engine.keys()[0].repairs, 1u);
    EXPECT_EQ(rig.engine.keys()[0].state, KeyState::repaired);
}

TEST(Engine, KeysAndCountersSayWhatHappened) {
    Rig rig;
    rig.engine.check_all();
    EXPECT_EQ(rig.engine.keys()[0].path, key);
    EXPECT_EQ(rig.engine.keys()[0].state, KeyState::repaired);
    EXPECT_FALSE(rig.engine.keys()[0].last_check.empty());
    EXPECT_EQ(rig.engine.counters().repairs, 1u);
}

TEST(Engine, HashDescriptorSeesEveryField) {
    const auto base = parse_sddl("O:BAG:SYD:P(A;CI;KA;;;SY)");
    for (const char* other :
         {"O:SYG:SYD:P(A;CI;KA;;;SY)", "O:BAG:BAD:P(A;CI;KA;;;SY)", "O:BAG:SYD:(A;CI;KA;;;SY)",
          "O:BAG:SYD:P(A;;KA;;;SY)", "O:BAG:SYD:P(D;CI;KA;;;SY)", "O:BAG:SYD:P(A;CI;KR;;;SY)",
          "O:BAG:SYD:P(A;CI;KA;;;BA)", "O:BAG:SYD:P"}) {
        EXPECT_NE(hash_descriptor(base), hash_descriptor(parse_sddl(other))) << other;
    }
    EXPECT_EQ(hash_descriptor(base),
              hash_descriptor(parse_sddl("O:BAG:SYD:P(A;CI;KA;;;S-1-5-18)")));
}

// What an object or callback ACE applies to, or its condition, is part of the
// descriptor: a change there is seen, not hidden behind an equal hash.
TEST(Engine, HashDescriptorSeesObjectTypesAndConditions) {
    const std::string guid = "bf967aba-0de6-11d0-a285-00aa003049e2";
    const auto object = parse_sddl("O:BAG:SYD:(OD;CI;KA;" + guid + ";;WD)");
    EXPECT_NE(hash_descriptor(object),
              hash_descriptor(parse_sddl("O:BAG:SYD:(OD;CI;KA;;" + guid + ";WD)")));
    EXPECT_NE(hash_descriptor(object), hash_descriptor(parse_sddl("O:BAG:SYD:(OD;CI;KA;;;WD)")));
    SecurityDescriptor callback = parse_sddl("O:BAG:SYD:(XD;CI;KA;;;WD)");
    SecurityDescriptor other_condition = callback;
    other_condition.dacl->aces[0].application_data = {0x61, 0x72, 0x74, 0x78};
    EXPECT_NE(hash_descriptor(callback), hash_descriptor(other_condition));
}

// The status text is reused while the descriptor is unchanged and follows it
// when it changes; last_check carries the milliseconds of each check.
TEST(Engine, StatusSddlAndLastCheckFollowTheKeyAcrossChecks) {
    Rig rig(Mode::audit);
    rig.registry.set(key, fixed);
    rig.clock.advance(1500ms);
    rig.engine.check_all();
    EXPECT_EQ(rig.engine.keys()[0].sddl, rig.registry.sddl(key));
    EXPECT_EQ(rig.engine.keys()[0].last_check, "1970-01-01T00:00:01.500Z");
    rig.clock.advance(7ms);
    rig.engine.check_all();
    EXPECT_EQ(rig.engine.keys()[0].sddl, rig.registry.sddl(key));
    EXPECT_EQ(rig.engine.keys()[0].last_check, "1970-01-01T00:00:01.507Z");
    rig.registry.set(key, broken);
    rig.clock.advance(61s);
    rig.engine.check_all();
    EXPECT_EQ(rig.engine.keys()[0].sddl, rig.registry.sddl(key));
    EXPECT_EQ(rig.engine.keys()[0].state, KeyState::drift);
    EXPECT_EQ(rig.engine.keys()[0].last_check, "1970-01-01T00:01:02.507Z");
}

// Notifications for several keys, arriving out of order, are handled in key
// order once their debounce is over.
TEST(Engine, RunDueHandlesEveryDueKey) {
    Config c = config(Mode::audit);
    KeyPolicy second = c.keys[0];
    second.path = key + "\\Sub";
    c.keys.push_back(second);
    FakeRegistry registry;
    FakeAccounts accounts;
    FakeJournal journal;
    RecordingAlerts alerts;
    FakeClock clock;
    accounts.services.emplace("MSExchangeSA", *Sid::parse(svc));
    registry.set(key, fixed);
    registry.set(second.path, fixed);
    Engine engine(c, {registry, accounts, journal, alerts, clock});
    engine.key_changed(1);
    engine.key_changed(0);
    engine.run_due();
    EXPECT_EQ(registry.reads, 0);
    ASSERT_TRUE(engine.next_due().has_value());
    clock.advance(50ms);
    engine.run_due();
    EXPECT_EQ(registry.reads, 2);
    EXPECT_EQ(engine.counters().checks, 2u);
    EXPECT_FALSE(engine.next_due().has_value());
}

}  // namespace test_engine
}  // namespace permwatch

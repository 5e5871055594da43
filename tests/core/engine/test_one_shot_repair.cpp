// The one-shot `repair` with fake ports: each outcome of apply_plan as the
// command reports it (the report, the error line, the exit code).
#include <gtest/gtest.h>

#include <sstream>

#include "core/engine/one_shot_repair.hpp"
#include "tests/core/engine/sample_dacls.hpp"
#include "tests/fakes/fake_ports.hpp"

namespace permwatch {
namespace test_one_shot_repair {

using namespace fakes;

const std::string key = "HKLM\\SOFTWARE\\Contoso\\App";

std::vector<KeyPolicy> policy(const std::vector<std::string>& paths = {key}) {
    std::string keys;
    for (const std::string& p : paths) {
        if (!keys.empty()) keys += ",";
        std::string escaped;
        for (char c : p) escaped += c == '\\' ? std::string("\\\\") : std::string(1, c);
        keys +=
            R"({"path":")" + escaped +
            R"(","require":[{"principal":"SY","rights":["KEY_ALL_ACCESS"],"inherit":["container"]}]})";
    }
    auto loaded = load_config(R"({"version":1,"keys":[)" + keys + "]}");
    EXPECT_TRUE(loaded.config.has_value())
        << (loaded.problems.empty() ? "" : loaded.problems[0].message);
    return loaded.config->keys;
}

struct Rig {
    FakeRegistry registry;
    FakeAccounts accounts;
    FakeJournal journal;
    FakeClock clock;
    std::ostringstream err;

    Rig() { registry.set(key, test::kDaclBefore); }
    RepairRun repair(bool dry_run = false, const std::vector<KeyPolicy>& keys = policy()) {
        return repair_keys(keys, dry_run, registry, accounts, journal, clock, err);
    }
};

TEST(OneShotRepair, ADriftedKeyIsJournaledWrittenAndReadBack) {
    Rig rig;
    std::size_t journaled_at_write = 0;
    rig.registry.before_write = [&](const std::string&) {
        journaled_at_write = rig.journal.entries.size();
    };
    const RepairRun run = rig.repair();
    EXPECT_EQ(run.exit_code, 0);
    ASSERT_EQ(run.reports.size(), 1u);
    EXPECT_EQ(run.reports[0].state, KeyState::repaired);
    EXPECT_EQ(run.reports[0].sddl, test::kDaclAfter);
    EXPECT_EQ(journaled_at_write, 1u);
    ASSERT_EQ(rig.journal.entries.size(), 1u);
    EXPECT_EQ(rig.journal.entries[0].reason, "manual");
    EXPECT_EQ(rig.journal.entries[0].before, test::kDaclBefore);
    EXPECT_EQ(rig.journal.entries[0].after, test::kDaclAfter);
    EXPECT_EQ(rig.registry.sddl(key), test::kDaclAfter);
    EXPECT_EQ(rig.err.str(), "");
}

TEST(OneShotRepair, ACompliantKeyIsNotWrittenNorJournaled) {
    Rig rig;
    rig.registry.set(key, test::kDaclAfter);
    const RepairRun run = rig.repair();
    EXPECT_EQ(run.exit_code, 0);
    EXPECT_EQ(run.reports[0].state, KeyState::compliant);
    EXPECT_EQ(rig.registry.writes, 0);
    EXPECT_TRUE(rig.journal.entries.empty());
    EXPECT_EQ(rig.err.str(), "");
}

TEST(OneShotRepair, AMissingKeyIsReportedMissingWithoutAnErrorLine) {
    Rig rig;
    rig.registry.keys.clear();
    const RepairRun run = rig.repair();
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_EQ(run.reports[0].state, KeyState::error);
    ASSERT_EQ(run.reports[0].findings.size(), 1u);
    EXPECT_EQ(run.reports[0].findings[0].kind, FindingKind::key_missing);
    EXPECT_TRUE(rig.journal.entries.empty());
    EXPECT_EQ(rig.err.str(), "");
}

TEST(OneShotRepair, AKeyNotOpenableForWriteIsAnErrorNamingWhy) {
    Rig rig;
    rig.registry.not_writable[key] = "opening " + key + " to write its DACL: access denied (5)";
    const RepairRun run = rig.repair();
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_EQ(run.reports[0].state, KeyState::error);
    EXPECT_EQ(run.reports[0].planned_sddl, test::kDaclAfter);  // looked at read-only
    EXPECT_EQ(rig.err.str(), "permwatch: " + key + " not repaired: opening " + key +
                                 " to write its DACL: access denied (5)\n");
    EXPECT_EQ(rig.registry.sddl(key), test::kDaclBefore);
    EXPECT_TRUE(rig.journal.entries.empty());
}

// Without the right to write, a key that needs nothing is still compliant.
TEST(OneShotRepair, ACompliantKeyNotOpenableForWriteIsNotAnError) {
    Rig rig;
    rig.registry.set(key, test::kDaclAfter);
    rig.registry.not_writable[key] = "opening " + key + " to write its DACL: access denied (5)";
    const RepairRun run = rig.repair();
    EXPECT_EQ(run.exit_code, 0);
    EXPECT_EQ(run.reports[0].state, KeyState::compliant);
    EXPECT_EQ(rig.err.str(), "");
}

TEST(OneShotRepair, AJournalThatRefusesTheLineMeansNothingIsWritten) {
    Rig rig;
    rig.journal.fail_with = "disk full";
    const RepairRun run = rig.repair();
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_EQ(run.reports[0].state, KeyState::error);
    EXPECT_EQ(rig.registry.writes, 0);
    EXPECT_EQ(rig.registry.sddl(key), test::kDaclBefore);
    EXPECT_EQ(rig.err.str(), "permwatch: " + key +
                                 " not repaired: the journal could not record it, so nothing "
                                 "was written: disk full\n");
}

TEST(OneShotRepair, AFailedWriteIsAnErrorAfterItsJournalLine) {
    Rig rig;
    rig.registry.next_write_result = {false, 5,
                                      "writing the DACL of " + key + ": access denied (5)"};
    const RepairRun run = rig.repair();
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_EQ(run.reports[0].state, KeyState::error);
    EXPECT_EQ(rig.journal.entries.size(), 1u);  // journaled first
    EXPECT_EQ(rig.registry.sddl(key), test::kDaclBefore);
    EXPECT_EQ(rig.err.str(), "permwatch: " + key + " not repaired: writing the DACL of " + key +
                                 ": access denied (5)\n");
}

TEST(OneShotRepair, ADryRunWritesNothingAndExitsAsTheRealRunWould) {
    Rig rig;
    const RepairRun run = rig.repair(true);
    EXPECT_EQ(run.exit_code, 0);
    EXPECT_EQ(run.reports[0].state, KeyState::drift);
    EXPECT_EQ(run.reports[0].planned_sddl, test::kDaclAfter);
    EXPECT_EQ(rig.registry.writes, 0);
    EXPECT_TRUE(rig.journal.entries.empty());
}

// One key failing does not stop the next; the exit code is the worst.
TEST(OneShotRepair, EveryKeyIsTriedAndTheExitCodeIsTheWorst) {
    Rig rig;
    const std::string other = key + "2";
    rig.registry.set(other, test::kDaclBefore);
    rig.registry.not_writable[key] = "opening " + key + " to write its DACL: access denied (5)";
    const RepairRun run = rig.repair(false, policy({key, other}));
    EXPECT_EQ(run.exit_code, 2);
    ASSERT_EQ(run.reports.size(), 2u);
    EXPECT_EQ(run.reports[0].state, KeyState::error);
    EXPECT_EQ(run.reports[1].state, KeyState::repaired);
    EXPECT_EQ(rig.registry.sddl(other), test::kDaclAfter);
}

}  // namespace test_one_shot_repair
}  // namespace permwatch

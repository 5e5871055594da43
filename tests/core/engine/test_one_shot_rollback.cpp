// The one-shot `rollback` with fake ports, after the journal is read: the
// targets of every --key given, each read before any is written, and each
// outcome of apply_plan as the command reports it.
#include <gtest/gtest.h>

#include <sstream>

#include "core/engine/one_shot_rollback.hpp"
#include "tests/core/engine/sample_dacls.hpp"
#include "tests/fakes/fake_ports.hpp"

namespace permwatch {
namespace test_one_shot_rollback {

using namespace fakes;

const std::string a = "HKLM\\SOFTWARE\\Contoso\\A";
const std::string b = "HKLM\\SOFTWARE\\Contoso\\B";
const std::string c = "HKLM\\SOFTWARE\\Contoso\\C";
const std::vector<std::string> policy_keys = {a, b, c};

// Each key repaired once, from kDaclBefore to kDaclAfter: entries 1, 2, 3.
JournalContents journal_of(const std::vector<std::string>& keys) {
    JournalContents j;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        j.entries.push_back({"00000000000" + std::to_string(i + 1), "2026-11-30T04:00:00.000Z",
                             keys[i], "drift", test::kDaclBefore, test::kDaclAfter});
    }
    return j;
}

struct Rig {
    FakeRegistry registry;
    FakeJournal journal;
    FakeClock clock;
    std::ostringstream out, err;

    Rig() {
        for (const std::string& k : policy_keys) registry.set(k, test::kDaclAfter);
    }
    int apply(const RollbackPlan& plan) {
        return apply_rollback(plan, registry, journal, clock, out, err);
    }
};

std::vector<std::string> keys_of(const RollbackPlan& plan) {
    std::vector<std::string> out;
    for (const RollbackTarget& t : plan.targets) out.push_back(t.key);
    return out;
}

TEST(OneShotRollback, WithoutAKeyEveryJournaledKeyIsATarget) {
    const RollbackPlan plan =
        plan_rollback_of_keys(journal_of({a, b, c}), policy_keys, std::nullopt, {});
    EXPECT_EQ(plan.error, "");
    EXPECT_EQ(keys_of(plan).size(), 3u);
}

TEST(OneShotRollback, EveryKeyGivenIsATargetNotOnlyTheFirst) {
    const RollbackPlan plan =
        plan_rollback_of_keys(journal_of({a, b, c}), policy_keys, std::nullopt, {a, c});
    EXPECT_EQ(plan.error, "");
    EXPECT_EQ(keys_of(plan), (std::vector<std::string>{a, c}));
}

TEST(OneShotRollback, AKeyGivenTwiceIsRestoredOnce) {
    const std::string a_long = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Contoso\\A";
    const RollbackPlan plan =
        plan_rollback_of_keys(journal_of({a, b}), policy_keys, std::nullopt, {a, a_long});
    EXPECT_EQ(plan.error, "");
    EXPECT_EQ(keys_of(plan), (std::vector<std::string>{a}));
}

// Nothing is written when any one key is wrong: the plan has no targets.
TEST(OneShotRollback, OneKeyWithoutAnEntryFailsThePlanForAll) {
    const RollbackPlan plan =
        plan_rollback_of_keys(journal_of({a, b}), policy_keys, std::nullopt, {a, c});
    EXPECT_EQ(plan.error, "journal has no entry for " + c + "; nothing was rolled back");
    EXPECT_TRUE(plan.targets.empty());
}

TEST(OneShotRollback, WithAnIdEveryKeyGivenMustBeThatEntrys) {
    const JournalContents journal = journal_of({a, b});
    RollbackPlan plan = plan_rollback_of_keys(journal, policy_keys, "000000000001", {a});
    EXPECT_EQ(keys_of(plan), (std::vector<std::string>{a}));
    plan = plan_rollback_of_keys(journal, policy_keys, "000000000001", {a, b});
    EXPECT_EQ(plan.error, "journal entry 000000000001 is for " + a + ", not " + b +
                              "; nothing was rolled back");
    EXPECT_TRUE(plan.targets.empty());
}

TEST(OneShotRollback, AMissingTargetIsFoundBeforeAnythingIsWritten) {
    Rig rig;
    rig.registry.keys.erase(b);
    const RollbackPlan plan =
        plan_rollback_of_keys(journal_of({a, b}), policy_keys, std::nullopt, {a, b});
    EXPECT_EQ(unreadable_rollback_target(rig.registry, plan),
              b + " does not exist; nothing was rolled back");
    rig.registry.set(b, test::kDaclAfter);
    EXPECT_EQ(unreadable_rollback_target(rig.registry, plan), std::nullopt);
}

TEST(OneShotRollback, EachTargetIsJournaledAndRestoredAndReported) {
    Rig rig;
    std::vector<std::size_t> journaled_at_write;
    rig.registry.before_write = [&](const std::string&) {
        journaled_at_write.push_back(rig.journal.entries.size());
    };
    const RollbackPlan plan =
        plan_rollback_of_keys(journal_of({a, b, c}), policy_keys, std::nullopt, {a, b});
    EXPECT_EQ(rig.apply(plan), 0);
    EXPECT_EQ(journaled_at_write, (std::vector<std::size_t>{1u, 2u}));
    EXPECT_EQ(rig.registry.sddl(a), test::kDaclBefore);
    EXPECT_EQ(rig.registry.sddl(b), test::kDaclBefore);
    EXPECT_EQ(rig.registry.sddl(c), test::kDaclAfter);
    ASSERT_EQ(rig.journal.entries.size(), 2u);
    for (const JournalEntry& e : rig.journal.entries) {
        EXPECT_EQ(e.reason, "rollback");
        EXPECT_EQ(e.before, test::kDaclAfter);  // what the write handle read
        EXPECT_EQ(e.after, test::kDaclBefore);
    }
    EXPECT_EQ(rig.out.str(),
              a + ": restored the DACL recorded before journal entry 000000000001 (journal " +
                  "entry 000000000001)\n" + b +
                  ": restored the DACL recorded before journal entry 000000000002 (journal " +
                  "entry 000000000002)\n");
    EXPECT_EQ(rig.err.str(), "");
}

TEST(OneShotRollback, AKeyNotOpenableForWriteIsReportedAndTheOthersRestored) {
    Rig rig;
    rig.registry.not_writable[a] = "opening " + a + " to write its DACL: access denied (5)";
    const RollbackPlan plan =
        plan_rollback_of_keys(journal_of({a, b}), policy_keys, std::nullopt, {a, b});
    EXPECT_EQ(rig.apply(plan), 2);
    EXPECT_EQ(rig.err.str(), "permwatch: " + a + " not rolled back: opening " + a +
                                 " to write its DACL: access denied (5)\n");
    EXPECT_EQ(rig.registry.sddl(a), test::kDaclAfter);
    EXPECT_EQ(rig.registry.sddl(b), test::kDaclBefore);
    ASSERT_EQ(rig.journal.entries.size(), 1u);
    EXPECT_EQ(rig.journal.entries[0].key, b);
    EXPECT_EQ(rig.out.str().find(a + ":"), std::string::npos) << rig.out.str();
}

TEST(OneShotRollback, AKeyDeletedBeforeItsWriteIsReported) {
    Rig rig;
    const RollbackPlan plan =
        plan_rollback_of_keys(journal_of({a}), policy_keys, std::nullopt, {a});
    rig.registry.keys.erase(a);  // after the read-only look, before the write
    EXPECT_EQ(rig.apply(plan), 2);
    EXPECT_EQ(rig.err.str(), "permwatch: " + a + " not rolled back: " + a + " does not exist\n");
    EXPECT_TRUE(rig.journal.entries.empty());
}

TEST(OneShotRollback, AJournalThatRefusesTheLineMeansNothingIsWritten) {
    Rig rig;
    rig.journal.fail_with = "disk full";
    const RollbackPlan plan =
        plan_rollback_of_keys(journal_of({a, b}), policy_keys, std::nullopt, {a, b});
    EXPECT_EQ(rig.apply(plan), 2);
    EXPECT_EQ(rig.registry.writes, 0);
    EXPECT_EQ(rig.registry.sddl(a), test::kDaclAfter);
    EXPECT_EQ(rig.err.str(),
              "permwatch: " + a +
                  " not rolled back: the journal could not record it, so nothing was written: "
                  "disk full\n" +
                  "permwatch: " + b +
                  " not rolled back: the journal could not record it, so nothing was written: "
                  "disk full\n");
    EXPECT_EQ(rig.out.str(), "");
}

TEST(OneShotRollback, AFailedWriteIsReportedAfterItsJournalLineAndTheOthersRestored) {
    Rig rig;
    int write = 0;
    rig.registry.before_write = [&](const std::string& path) {
        rig.registry.next_write_result =
            ++write == 1 ? KeyWrite{false, 5, "writing the DACL of " + path + ": access denied (5)"}
                         : KeyWrite{};
    };
    const RollbackPlan plan =
        plan_rollback_of_keys(journal_of({a, b}), policy_keys, std::nullopt, {a, b});
    EXPECT_EQ(rig.apply(plan), 2);
    EXPECT_EQ(rig.err.str(), "permwatch: " + a + " not rolled back: writing the DACL of " + a +
                                 ": access denied (5)\n");
    EXPECT_EQ(rig.journal.entries.size(), 2u);  // each journaled first
    EXPECT_EQ(rig.registry.sddl(a), test::kDaclAfter);
    EXPECT_EQ(rig.registry.sddl(b), test::kDaclBefore);
}

// The planner always plans: a key that already holds the DACL to restore is
// still written (and journaled), so the journal says the rollback ran.
TEST(OneShotRollback, AKeyAlreadyAsRecordedIsStillRestoredAndJournaled) {
    Rig rig;
    rig.registry.set(a, test::kDaclBefore);
    const RollbackPlan plan =
        plan_rollback_of_keys(journal_of({a}), policy_keys, std::nullopt, {a});
    EXPECT_EQ(rig.apply(plan), 0);
    EXPECT_EQ(rig.journal.entries.size(), 1u);
    EXPECT_EQ(rig.registry.writes, 1);
}

}  // namespace test_one_shot_rollback
}  // namespace permwatch

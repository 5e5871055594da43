// Which keys the service may hold open and how each is watched, from the
// checkpoints it knows: nothing inside a checkpoint is held, and its watch
// sits on the parent of the outermost root that contains it.
#include <gtest/gtest.h>

#include "core/engine/checkpoint_watch.hpp"

namespace permwatch {
namespace test_checkpoint_watch {

using Mode = KeyWatchPlan::Mode;

KeyPolicy key(std::string path, CheckpointMode checkpoint = CheckpointMode::automatic) {
    KeyPolicy k;
    k.path = std::move(path);
    k.checkpoint = checkpoint;
    return k;
}

Checkpoint checkpoint(std::string root, std::string resource = "R", std::string group = "G") {
    return Checkpoint{std::move(resource), std::move(group), std::move(root)};
}

TEST(CheckpointWatch, AKeyInsideACheckpointIsWatchedFromTheParentOfItsRoot) {
    const auto plans = plan_key_watches(
        {key("HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeES"),
         key("HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeES\\Parameters\\Deep")},
        {checkpoint("HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeES")}, true);
    ASSERT_EQ(plans.size(), 2u);
    for (const KeyWatchPlan& p : plans) {
        EXPECT_EQ(p.mode, Mode::from_above);
        EXPECT_FALSE(p.held());
        EXPECT_EQ(p.watch_from, "HKLM\\SYSTEM\\CurrentControlSet\\Services");
        EXPECT_EQ(p.checkpoint_root, "HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeES");
    }
}

TEST(CheckpointWatch, NestedCheckpointsAreWatchedFromAboveTheOutermostRoot) {
    // A watch on the parent of the inner root would be a handle inside the
    // outer checkpoint.
    const auto plans = plan_key_watches(
        {key("HKLM\\SOFTWARE\\App\\Inner\\Key")},
        {checkpoint("HKLM\\SOFTWARE\\App\\Inner", "B"), checkpoint("HKLM\\SOFTWARE\\App", "A")},
        true);
    EXPECT_EQ(plans[0].mode, Mode::from_above);
    EXPECT_EQ(plans[0].watch_from, "HKLM\\SOFTWARE");
    EXPECT_EQ(plans[0].checkpoint_root, "HKLM\\SOFTWARE\\App");
}

TEST(CheckpointWatch, KeysOutsideEveryCheckpointAreHeldOnlyWhenTheCheckpointsAreKnown) {
    const std::vector<KeyPolicy> keys{key("HKLM\\SOFTWARE\\Other"),
                                      key("HKLM\\SOFTWARE\\AppSibling"),
                                      key("HKLM\\SOFTWARE\\Pinned", CheckpointMode::no)};
    const std::vector<Checkpoint> cps{checkpoint("HKLM\\SOFTWARE\\App")};
    const auto known = plan_key_watches(keys, cps, true);
    EXPECT_EQ(known[0].mode, Mode::direct);
    EXPECT_EQ(known[1].mode, Mode::direct);  // a name prefix is not a subtree
    EXPECT_TRUE(known[0].held());
    const auto unknown = plan_key_watches(keys, cps, false);
    EXPECT_EQ(unknown[0].mode, Mode::sweep_only);
    EXPECT_EQ(unknown[1].mode, Mode::sweep_only);
    EXPECT_FALSE(unknown[0].held());
    // "checkpoint": false is the administrator's word: held whatever is known.
    EXPECT_EQ(unknown[2].mode, Mode::direct);
    EXPECT_EQ(plan_key_watches({key("HKLM\\SOFTWARE\\App", CheckpointMode::no)}, cps, true)[0].mode,
              Mode::direct);
}

TEST(CheckpointWatch, CheckpointTrueMakesTheKeyItsOwnRoot) {
    const auto plans = plan_key_watches(
        {key("HKEY_LOCAL_MACHINE\\SOFTWARE\\Vendor\\App", CheckpointMode::yes)}, {}, true);
    EXPECT_EQ(plans[0].mode, Mode::from_above);
    EXPECT_EQ(plans[0].watch_from, "HKLM\\SOFTWARE\\Vendor");
}

TEST(CheckpointWatch, ARootDirectlyBelowHklmIsLeftToTheSweep) {
    // Its parent would be the whole hive: never watched from there.
    const auto plans =
        plan_key_watches({key("HKLM\\SOFTWARE\\App")}, {checkpoint("HKLM\\SOFTWARE")}, true);
    EXPECT_EQ(plans[0].mode, Mode::sweep_only);
    EXPECT_FALSE(plans[0].held());
    EXPECT_NE(describe(plans[0]).find("directly below HKLM"), std::string::npos);
}

TEST(CheckpointWatch, MatchingIsCaseInsensitiveAndBothRootFormsAgree) {
    const auto plans = plan_key_watches({key("HKEY_LOCAL_MACHINE\\software\\app\\x")},
                                        {checkpoint("HKLM\\SOFTWARE\\App")}, true);
    EXPECT_EQ(plans[0].mode, Mode::from_above);
    EXPECT_EQ(plans[0].watch_from, "HKLM\\SOFTWARE");
}

TEST(CheckpointWatch, AKeyBelongsToTheCheckpointWithTheLongestMatchingRoot) {
    const std::vector<Checkpoint> cps{checkpoint("HKLM\\SOFTWARE\\App", "Outer"),
                                      checkpoint("HKLM\\SOFTWARE\\App\\Inner", "Inner"),
                                      checkpoint("HKLM\\SOFTWARE\\Apple", "Apple")};
    EXPECT_EQ(owning_checkpoint("HKLM\\SOFTWARE\\App\\Inner\\K", cps), 1u);
    EXPECT_EQ(owning_checkpoint("HKLM\\SOFTWARE\\App\\Other", cps), 0u);
    EXPECT_EQ(owning_checkpoint("HKLM\\SOFTWARE\\App", cps), 0u);
    EXPECT_EQ(owning_checkpoint("HKLM\\SOFTWARE\\Apple\\K", cps), 2u);
    EXPECT_EQ(owning_checkpoint("HKLM\\SOFTWARE\\Ap", cps), std::nullopt);
}

}  // namespace test_checkpoint_watch
}  // namespace permwatch

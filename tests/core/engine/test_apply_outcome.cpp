// The one wording of an apply_plan outcome, shared by the engine and the
// one-shot `repair` and `rollback`.
#include <gtest/gtest.h>

#include "core/engine/apply_outcome.hpp"

namespace permwatch {
namespace test_apply_outcome {

TEST(ApplyOutcome, OneWordingForEachOutcome) {
    AppliedPlan applied;
    applied.outcome = AppliedPlan::Outcome::not_read;
    applied.before.error = "the key K does not exist";
    EXPECT_EQ(apply_failure(applied), "the key K does not exist");
    EXPECT_EQ(describe_failure(applied, "K", "rolled back"),
              "K not rolled back: the key K does not exist");
    applied.outcome = AppliedPlan::Outcome::not_journaled;
    applied.error = "disk full";
    EXPECT_EQ(apply_failure(applied),
              "the journal could not record it, so nothing was written: disk full");
    applied.outcome = AppliedPlan::Outcome::write_failed;
    applied.error = "writing the DACL of K: access denied (5)";
    EXPECT_EQ(describe_failure(applied, "K", "repaired"),
              "K not repaired: writing the DACL of K: access denied (5)");
    applied.outcome = AppliedPlan::Outcome::nothing_to_do;
    EXPECT_EQ(apply_failure(applied), std::nullopt);
    EXPECT_EQ(describe_failure(applied, "K", "repaired"), std::nullopt);
    applied.outcome = AppliedPlan::Outcome::written;
    EXPECT_EQ(apply_failure(applied), std::nullopt);
}

}  // namespace test_apply_outcome
}  // namespace permwatch

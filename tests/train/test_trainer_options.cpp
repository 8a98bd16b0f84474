// Options a run is built from: step counts written for one global batch keep their meaning in samples under
// another (train.budget_batch), and options that cannot work are refused before a run folder is touched.
#include <gtest/gtest.h>

#include "diffseg/core/config.h"
#include "diffseg/core/error.h"
#include "diffseg/train/trainer_options.h"

using namespace diffseg;

namespace {
train::TrainerOptions budgeted(int64_t budget_batch) {
  train::TrainerOptions o;
  o.budget_batch = budget_batch;
  o.max_steps = 8000;
  o.lr.warmup_steps = 100;
  o.lr.decay_steps = 10000;
  o.validate_every = 500;
  o.checkpoint_every = 250;
  o.patience = 10;
  return o;
}
}  // namespace

TEST(TrainerOptions, StepCountsKeepTheirMeaningInSamples) {
  // Written for 64 samples per update (the paper's muscle runs); run with 16: four times the updates.
  train::TrainerOptions o = budgeted(64);
  const std::string note = train::rescale_to_budget(o, 16);
  EXPECT_EQ(o.max_steps, 32000);
  EXPECT_EQ(o.max_steps * 16, 8000 * 64);  // the same number of samples
  EXPECT_EQ(o.lr.warmup_steps, 400);
  EXPECT_EQ(o.lr.decay_steps, 40000);
  EXPECT_EQ(o.validate_every, 2000);
  EXPECT_EQ(o.checkpoint_every, 1000);
  EXPECT_EQ(o.patience, 10);  // counts validations, which now happen after as many samples as before
  EXPECT_NE(note.find("32000"), std::string::npos) << note;
  // The learning rate after the same number of samples is the same.
  const train::TrainerOptions written = budgeted(64);
  for (int64_t samples : {0, 3200, 6400, 64000, 320000, 512000})
    EXPECT_NEAR(o.lr.at(samples / 16), written.lr.at(samples / 64), 1e-12) << samples;

  // A larger global batch: fewer updates, rounded, never below one.
  train::TrainerOptions big = budgeted(8);
  train::rescale_to_budget(big, 24);
  EXPECT_EQ(big.max_steps, 2667);       // 8000 / 3 rounded
  EXPECT_EQ(big.validate_every, 167);   // 500 / 3 rounded
  train::TrainerOptions tiny = budgeted(1);
  tiny.validate_every = 1;
  train::rescale_to_budget(tiny, 64);
  EXPECT_EQ(tiny.validate_every, 1);
  EXPECT_EQ(tiny.max_steps, 125);
}

TEST(TrainerOptions, NoBudgetOrTheSameBatchChangesNothing) {
  for (int64_t budget : {0, 32}) {
    train::TrainerOptions o = budgeted(budget);
    EXPECT_EQ(train::rescale_to_budget(o, 32), "");
    EXPECT_EQ(o.max_steps, 8000);
    EXPECT_EQ(o.validate_every, 500);
    EXPECT_EQ(o.lr.decay_steps, 10000);
  }
}

TEST(TrainerOptions, ShiftInVoxelsNeedsOneValuePerAxis) {
  Config c(YAML::Load("data: {patch: [32, 32]}\naugment: {shift_voxels: [4, 20, 20]}\n"));
  EXPECT_THROW(train::trainer_options_from_config(c), UsageError);
  c.set("augment.shift_voxels=[10, 10]");
  EXPECT_EQ(train::trainer_options_from_config(c).augmentation.max_shift_voxels, (std::vector<double>{10, 10}));
  c.set("augment.shift_voxels=[10, -1]");
  EXPECT_THROW(train::trainer_options_from_config(c), UsageError);
  c.set("augment.shift_voxels=[10, 10]");
  c.set("train.budget_batch=-8");
  EXPECT_THROW(train::trainer_options_from_config(c), UsageError);
}

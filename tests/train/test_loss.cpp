#include "diffseg/train/loss.h"

#include <cmath>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "diffseg/train/loss_scaler.h"

using namespace diffseg::train;

TEST(Loss, PerfectPredictionHasZeroDiceAndNearZeroFocal) {
  const at::Tensor labels = torch::tensor({0, 1, 2, 1}, torch::kLong).view({1, 2, 2});
  const at::Tensor logits = torch::one_hot(labels, 3).movedim(-1, 1).to(torch::kFloat) * 50.0;
  const SegmentationLoss l = segmentation_loss(logits, labels, {});
  EXPECT_NEAR(l.dice[0].item<float>(), 0.0f, 1e-6);
  EXPECT_NEAR(l.focal[0].item<float>(), 0.0f, 1e-6);
  EXPECT_NEAR(l.cross_entropy[0].item<float>(), 0.0f, 1e-6);
}

// Closed form with uniform logits over K = 2: p = 0.5 everywhere.
TEST(Loss, UniformPredictionClosedForms) {
  const at::Tensor labels = torch::tensor({1, 0, 0, 0}, torch::kLong).view({1, 4});
  const SegmentationLoss l = segmentation_loss(torch::zeros({1, 2, 4}), labels, {});
  // Dice for class 1: 1 - 2 * 0.5 / (4 * 0.5 + 1) = 1 - 1/3.
  EXPECT_NEAR(l.dice[0].item<float>(), 2.0 / 3.0, 1e-6);
  EXPECT_NEAR(l.cross_entropy[0].item<float>(), std::log(2.0), 1e-6);
  EXPECT_NEAR(l.focal[0].item<float>(), 0.25 * std::log(2.0), 1e-6);  // (1 - 0.5)^2 * log 2
  EXPECT_NEAR(l.per_sample[0].item<float>(), 2.0 / 3.0 + 0.25 * std::log(2.0), 1e-6);
}

// Classes absent from the ground truth are left out; a sample with no foreground has no Dice term (never NaN).
TEST(Loss, AbsentClassesAndEmptyForeground) {
  const at::Tensor labels = torch::tensor({0, 0, 0, 0, 1, 0, 0, 0}, torch::kLong).view({2, 4});
  const at::Tensor logits = torch::zeros({2, 3, 4});
  const SegmentationLoss l = segmentation_loss(logits, labels, {});
  EXPECT_EQ(l.dice[0].item<float>(), 0.0f);  // all background
  EXPECT_NEAR(l.dice[1].item<float>(), 1.0 - 2.0 / 3.0 / (4.0 / 3.0 + 1.0), 1e-6);  // only class 1 counts
  EXPECT_TRUE(torch::isfinite(l.per_sample).all().item<bool>());
  LossWeights ce_only{0.0, 0.0, 1.0};
  EXPECT_NEAR(segmentation_loss(logits, labels, ce_only).per_sample[0].item<float>(), std::log(3.0), 1e-6);
}

// Dynamic loss scaling: halve on overflow (never below 1), double after `interval` good steps, undo the scale.
TEST(LossScaler, HalvesOnOverflowGrowsAfterGoodStepsAndUnscales) {
  diffseg::train::LossScaler s(true, {1024.0, 0}, 3);
  s.update(false);
  EXPECT_EQ(s.scale(), 512.0);
  s.update(true);
  s.update(true);
  EXPECT_EQ(s.scale(), 512.0);
  s.update(true);
  EXPECT_EQ(s.scale(), 1024.0);
  EXPECT_EQ(s.state().good_steps, 0);
  torch::Tensor p = torch::ones({3}, torch::requires_grad());
  (p * 1024.0 * 2.0).sum().backward();
  s.unscale({p});
  EXPECT_TRUE(torch::allclose(p.grad(), torch::full({3}, 2.0)));
  diffseg::train::LossScaler off(false);
  EXPECT_EQ(off.scale(), 1.0);
  off.update(false);
  EXPECT_EQ(off.scale(), 1.0);
  diffseg::train::LossScaler low(true, {1.0, 0}, 3);
  low.update(false);
  EXPECT_EQ(low.scale(), 1.0);
}

#pragma once
// Segmentation loss (method.md: Losses): w_dice · soft Dice + w_focal · softmax focal (γ = 2) + w_ce · CE.
// Returned per sample, so strategies can weight samples (importance time sampling) and the time sampler can learn
// from the un-weighted values.
#include <ATen/core/Tensor.h>

namespace diffseg::train {

struct LossWeights {
  double dice = 1.0;
  double focal = 1.0;
  double cross_entropy = 0.0;
  double focal_gamma = 2.0;
};

struct SegmentationLoss {
  at::Tensor per_sample;  // (B): the weighted sum of the terms
  at::Tensor dice, focal, cross_entropy;  // (B) each, un-weighted
};

// logits (B, K, *spatial), labels (B, *spatial) int64 class ids.
// Dice: 1 − 2Σpy/Σ(p+y) per foreground class present in the sample's ground truth, averaged over those classes;
// 0 for a sample with no foreground (no Dice term, never NaN). Focal and CE: mean over voxels, background included.
SegmentationLoss segmentation_loss(const at::Tensor& logits, const at::Tensor& labels, const LossWeights& weights);

}  // namespace diffseg::train

#include "diffseg/train/loss.h"

#include <torch/torch.h>

namespace diffseg::train {

SegmentationLoss segmentation_loss(const at::Tensor& logits_in, const at::Tensor& labels, const LossWeights& w) {
  const at::Tensor logits = logits_in.to(torch::kFloat);  // the loss in float32, also under bf16 autocast
  const int64_t k = logits.size(1), b = logits.size(0);
  const at::Tensor log_p = torch::log_softmax(logits, 1);
  const at::Tensor p = log_p.exp();
  const at::Tensor y = torch::one_hot(labels.to(torch::kLong), k).movedim(-1, 1).to(logits.scalar_type());

  const at::Tensor p_flat = p.flatten(2), y_flat = y.flatten(2);  // (B, K, N)
  const at::Tensor inter = (p_flat * y_flat).sum(2), total = (p_flat + y_flat).sum(2);
  const at::Tensor present = (y_flat.sum(2) > 0).narrow(1, 1, k - 1).to(logits.scalar_type());  // foreground only
  const at::Tensor per_class = 1.0 - 2.0 * inter.narrow(1, 1, k - 1) / total.narrow(1, 1, k - 1).clamp_min(1e-12);
  const at::Tensor n_present = present.sum(1);
  SegmentationLoss out;
  out.dice = torch::where(n_present > 0, (per_class * present).sum(1) / n_present.clamp_min(1.0),
                          torch::zeros({b}, logits.options()));
  const at::Tensor y_log_p = (y * log_p).sum(1);  // (B, *spatial): log p of the true class
  out.cross_entropy = (-y_log_p).flatten(1).mean(1);
  const at::Tensor p_true = (y * p).sum(1);
  out.focal = (-(1.0 - p_true).pow(w.focal_gamma) * y_log_p).flatten(1).mean(1);
  out.per_sample = w.dice * out.dice + w.focal * out.focal + w.cross_entropy * out.cross_entropy;
  return out;
}

}  // namespace diffseg::train

#include "diffseg/diffusion/mask_space.h"

#include <torch/torch.h>

namespace diffseg::diffusion {

at::Tensor labels_to_x(const at::Tensor& labels, int64_t num_classes) {
  // one_hot puts classes last; move them to dim 1 (channels-first).
  at::Tensor onehot = torch::one_hot(labels.to(torch::kLong), num_classes).to(torch::kFloat);
  onehot = onehot.movedim(-1, 1).contiguous();
  return onehot * 2.0 - 1.0;
}

at::Tensor mask_to_x(const at::Tensor& mask) { return mask * 2.0 - 1.0; }

at::Tensor x_to_mask(const at::Tensor& x) { return (x.clamp(-1.0, 1.0) + 1.0) * 0.5; }

at::Tensor x_to_logits(const at::Tensor& x) { return ((x + 1.0) * 0.5).clamp(1e-5, 1.0).log(); }

at::Tensor logits_to_x(const at::Tensor& logits) { return torch::softmax(logits, 1) * 2.0 - 1.0; }

}  // namespace diffseg::diffusion

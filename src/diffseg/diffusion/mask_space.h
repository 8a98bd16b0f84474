#pragma once
// Maps between label maps, class probabilities, logits and the diffusion space x = 2 onehot - 1 (docs/method.md).
// Tensors are channels-first: masks/logits (B, K, *spatial), label maps (B, *spatial).
#include <ATen/core/Tensor.h>

namespace diffseg::diffusion {

// Label map (B, *spatial) of class ids → x0 in {-1, +1}, shape (B, K, *spatial), float32.
at::Tensor labels_to_x(const at::Tensor& labels, int64_t num_classes);
// Probabilities/one-hot mask in [0, 1] → x = 2 mask - 1.
at::Tensor mask_to_x(const at::Tensor& mask);
// x → (clip(x, -1, 1) + 1) / 2: what the network sees of a noisy x_t.
at::Tensor x_to_mask(const at::Tensor& x);
// x → log(clip((x + 1) / 2, 1e-5, 1)): log-probabilities for metrics and aggregation.
at::Tensor x_to_logits(const at::Tensor& x);
// Network logits → x0 = 2 softmax(logits) - 1 over the class axis (bounded, so never clipped).
at::Tensor logits_to_x(const at::Tensor& logits);

}  // namespace diffseg::diffusion

#pragma once
// The network's x0 prediction in one pass from a mask noised to chain level t (docs/method.md, rec_xt1 and rec_xT):
//   x_t = q(x0, t, noise),   x̂0 = predict_x0(net(image, m(x_t), τ(t)), x_t, t).
// Recycling's first pass (the pre-segmentation, from level T−1 for rec_xT) is exactly this call, and the leakage
// diagnostic (eval/leakage_case.h) measures the network with it, so both see the network the same way.
#include <ATen/core/Tensor.h>

#include "diffseg/diffusion/gaussian_diffusion.h"
#include "diffseg/train/strategy.h"

namespace diffseg::train {

// image (B, C, *spatial), x0 and noise (B, K, *spatial) in x-space, t (B) chain indices; returns x̂0 (B, K, *spatial).
// Runs under whatever grad mode and network mode (train/eval) the caller chose.
at::Tensor one_step_x0(const Network& net, const diffusion::GaussianDiffusion& diffusion, const at::Tensor& image,
                       const at::Tensor& x0, const at::Tensor& t, const at::Tensor& noise);

}  // namespace diffseg::train

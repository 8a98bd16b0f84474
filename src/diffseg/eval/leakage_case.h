#pragma once
// The leakage diagnostic on one case (docs/leakage.md), with the network injected as a callable
// (train::Network: image, mask channels, time → output), as the samplers and strategies take it.
//
// Noise: the stream of (seed, step, sample) in diffusion/sample_streams.h. x_{T−1} of case i draws from
// (seed, −1, i); level t of case i draws one ε_t from (seed, t, i), used for both inputs, so the two differ only in
// what is noised. Images larger than `windows.patch` go through the sliding window of inference (data/patches.h):
// image, x0 and noise are cut into the same windows, each window's image channels are rescaled to [0, 1] as in
// inference, and the windows' log-probabilities (for scoring) and x̂0 (recycled) are averaged per voxel.
#include <cstdint>
#include <functional>
#include <vector>

#include <ATen/core/Tensor.h>

#include "diffseg/diffusion/gaussian_diffusion.h"
#include "diffseg/train/strategy.h"

namespace diffseg::eval {

struct LeakageWindows {
  std::vector<int64_t> patch;    // window size in tensor order; empty: the whole image in one window
  std::vector<int64_t> overlap;  // per axis; empty: 0
  int64_t window_batch = 4;
};

struct CaseLeakage {
  // Per level, the case's foreground Dice (mean over the foreground classes present in prediction or truth, as the
  // evaluator scores a case; NaN when there is none) of the argmax of the one-step prediction from:
  std::vector<double> truth_input;           // q(x0, t, ε_t), x0 = the ground truth
  std::vector<double> own_prediction_input;  // q(x̂0, t, ε_t), x̂0 = the prediction from x_{T−1} = q(x0, T−1, ε)
};

// image (C, *spatial) float, labels (*spatial) class ids, both on the network's device; levels: chain indices of
// `chain`. `after_level` is called once per level done (progress).
CaseLeakage case_leakage(const train::Network& net, const diffusion::GaussianDiffusion& chain,
                         const at::Tensor& image, const at::Tensor& labels, int64_t num_classes,
                         const std::vector<int64_t>& levels, const LeakageWindows& windows, uint64_t seed,
                         uint64_t case_index, int metric_threads = 0, const std::function<void()>& after_level = {});

}  // namespace diffseg::eval

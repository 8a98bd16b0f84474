#pragma once
// Runs a trained network on one image: sliding windows over the image, each window's intensities rescaled to
// [0, 1], the diffusion sampler (or one forward pass for the supervised model) per window batch, and the windows'
// log-probabilities blended per sampling step (docs/method.md). Used by validation and by inference.
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "diffseg/data/patches.h"
#include "diffseg/diffusion/sampler.h"
#include "diffseg/model/unet.h"
#include "diffseg/train/strategy.h"

namespace diffseg::train {

struct PredictOptions {
  diffusion::SamplerOptions sampler;
  std::vector<int64_t> patch;    // window size (tensor axis order)
  std::vector<int64_t> overlap;  // same length; zeros by default
  int64_t window_batch = 4;
  data::Blend blend = data::Blend::mean;
};

// image (C, *spatial) on the network's device. Returns log-probabilities (steps, K, *spatial); steps = 1 for the
// supervised model. The last step is the final segmentation.
at::Tensor predict_log_probabilities(model::UNet& net, const Strategy& strategy,
                                     const diffusion::GaussianDiffusion& diffusion, const at::Tensor& image,
                                     const PredictOptions& options, at::Generator generator);

// Mean Dice over the foreground classes present in prediction or truth (NaN-free mean; 1 when both are empty
// for every class), on label maps of equal shape.
double mean_foreground_dice(const at::Tensor& prediction, const at::Tensor& truth, int64_t num_classes);

}  // namespace diffseg::train

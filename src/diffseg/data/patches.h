#pragma once
// Patches: random training crops (padding images smaller than the patch), and the sliding-window grid used at
// inference with mean or Gaussian blending (docs/method.md, Sliding-window inference).
#include <cstdint>
#include <functional>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

namespace diffseg::data {

// Zero-pads image (C, *spatial) and label (*spatial) symmetrically so every axis is at least `patch`.
void pad_to_at_least(at::Tensor& image, at::Tensor& label, const std::vector<int64_t>& patch);

// Pads if needed, then crops a patch with a uniformly random start in [0, size - patch] per axis.
void random_crop(at::Tensor& image, at::Tensor& label, const std::vector<int64_t>& patch, at::Generator generator);

// How many times its own voxel count an image of spatial `size` costs when it is padded up to `patch` on the axes
// where it is smaller (1 when none is): e.g. 25 for a 108×90 image and a 480×512 patch. Training crops and inference
// windows both pay it, so train and infer warn once it reaches kPaddingWarningFactor.
double padding_factor(const std::vector<int64_t>& size, const std::vector<int64_t>& patch);
constexpr double kPaddingWarningFactor = 4;

// Start indices per axis: 0, step, 2 step, ... below size - patch + 1, plus size - patch if not reached
// (step = patch - overlap). Sizes smaller than the patch give the single start 0 (the caller pads).
std::vector<int64_t> window_starts(int64_t size, int64_t patch, int64_t overlap);
// Cartesian product of the per-axis starts.
std::vector<std::vector<int64_t>> window_grid(const std::vector<int64_t>& size, const std::vector<int64_t>& patch,
                                              const std::vector<int64_t>& overlap);

enum class Blend { mean, gaussian };

// Runs `predict` ((B, C, *patch) → (B, K, *patch)) over the sliding-window grid of `image` (C, *spatial), up to
// `batch` windows at a time, and blends the outputs into (K, *spatial): a weighted average whose weights (constant
// or a Gaussian centred in the patch, sigma = patch/8) sum to one at every voxel.
at::Tensor sliding_window(const at::Tensor& image, const std::vector<int64_t>& patch,
                          const std::vector<int64_t>& overlap, int64_t batch, Blend blend,
                          const std::function<at::Tensor(const at::Tensor&)>& predict);

}  // namespace diffseg::data

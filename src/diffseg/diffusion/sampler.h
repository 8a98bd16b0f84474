#pragma once
// Reverse-process sampling from pure noise with DDPM or DDIM (method.md: Samplers). Every step's x_0
// prediction is returned as class probabilities: each step's segmentation is scored in evaluation.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "diffseg/diffusion/gaussian_diffusion.h"

namespace diffseg::diffusion {

enum class SamplerKind { ddpm, ddim };
SamplerKind parse_sampler(const std::string& name);
std::string to_string(SamplerKind kind);

// Which time the network is told at an inference step that uses training-grid noise level i:
// training = (i + 1) / T_train (diffseg's default, the grid the network was trained on);
// reference = (k + 1) / steps for chain step k (what ImgX-DiffSeg HEAD feeds; for parity only).
enum class TimeInput { training, reference };
TimeInput parse_time_input(const std::string& name);
// The time the network is told at step t of an n-step chain: `training_time` (the chain's model_time of t) for
// TimeInput::training, (t + 1) / n for reference. Shared by the Gaussian and the Bernoulli samplers.
at::Tensor step_time(TimeInput input, const at::Tensor& training_time, int64_t t, int64_t n);

struct SamplerOptions {
  SamplerKind kind = SamplerKind::ddpm;
  int64_t steps = 5;
  double eta = 0.0;             // DDIM only: 0 = deterministic
  TimeInput time_input = TimeInput::training;
  bool self_conditioning = false;  // feed the previous step's x_0 mask (zeros at the first step)
};

// The network as the sampler sees it: (noisy mask in [0, 1] (B, K, ...), previous x_0 mask or an undefined tensor
// when not self-conditioning, time (B) float) → model output (logits, or noise for ε-prediction). It closes over
// the image; the sampler knows nothing about images or networks.
using Denoiser = std::function<at::Tensor(const at::Tensor& noisy_mask, const at::Tensor& prev_mask,
                                          const at::Tensor& time)>;

struct SamplingResult {
  std::vector<at::Tensor> x0_probabilities;  // per step, first (noisiest) to last: (x0_hat + 1) / 2, (B, K, ...)
  std::vector<int64_t> training_indices;     // training-grid noise level each step used, in visiting order
  at::Tensor final_x;                        // the chain's last x (equals the last x0 for DDIM and DDPM's t = 0)
};

// A chain whose noise() is bernoulli is sampled by the categorical sampler (bernoulli_diffusion.h; DDPM only).
// Runs `options.steps` reverse steps of the chain respaced from `training` (see inference_indices), starting from
// x_T ~ N(0, I) of `shape` (B, K, *spatial). Noise comes from `generator` (CPU generators give the same numbers on
// every device), so a seed fixes the result.
SamplingResult sample(const GaussianDiffusion& training, const Denoiser& denoiser, at::IntArrayRef shape,
                      const SamplerOptions& options, at::Generator generator);

// One reverse update from x_t given x0_hat at chain index t (same for the whole batch). Exposed for tests and for
// training strategies that take a reverse step. `noise` is used by DDPM (t > 0) and DDIM with eta > 0.
at::Tensor reverse_step(const GaussianDiffusion& chain, SamplerKind kind, double eta, const at::Tensor& x_t,
                        const at::Tensor& x0_hat, int64_t t, const at::Tensor& noise);

}  // namespace diffseg::diffusion

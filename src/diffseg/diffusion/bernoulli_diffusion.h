#pragma once
// Bernoulli (categorical) mask diffusion (docs/method.md, Bernoulli mask diffusion): masks are noised by flipping
// classes towards a categorical distribution u (uniform 1/K, or a class prior), not by adding Gaussian noise.
// Everything works on probabilities over the class axis, channels-first (B, K, *spatial): x0 a one-hot mask or the
// network's class probabilities, x_t a one-hot {0, 1} mask.
//
//   q(x_t | x_{t-1}) = Cat((1 - beta_t) x_{t-1} + beta_t u)
//   q(x_t | x_0)     = Cat(abar_t x_0 + (1 - abar_t) u)                     abar_t = prod_{j <= t} (1 - beta_j)
//   q(x_s | x_t, x_0) ∝ [a x_t + (1 - a) (u·x_t)] ⊙ [abar_s x_0 + (1 - abar_s) u],   a = abar_t / abar_s, s < t
//
// (s = -1 stands for the clean data, abar = 1.) The schedule, respacing and the network's time input are the
// Gaussian chain's (schedule.h, GaussianDiffusion): a respaced chain's one-step posterior is the jump posterior above.
// Categorical draws use standard normal noise of the mask's shape (one value per voxel and class, as the Gaussian
// process draws it) turned into Gumbel noise, so the project's noise streams (SampleStreams, at::Generator) drive
// them and a noise tensor fixes a draw: x = onehot(argmax_k(log p_k + G_k)), G = -log(-log Phi(eps)).
#include <cstdint>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "diffseg/diffusion/gaussian_diffusion.h"
#include "diffseg/diffusion/sampler.h"
#include "diffseg/diffusion/schedule.h"

namespace diffseg::diffusion {

class BernoulliDiffusion {
 public:
  // betas of the training chain (length T); prior: the stationary distribution u over the K classes (positive, summing
  // to 1; normalised), empty = uniform 1/K for whatever K the masks have.
  explicit BernoulliDiffusion(std::vector<double> betas, std::vector<double> prior = {},
                              c10::Device device = c10::kCPU);
  static BernoulliDiffusion from_schedule(const ScheduleOptions& schedule, std::vector<double> prior = {},
                                          c10::Device device = c10::kCPU);
  // The same chain as a Gaussian one (betas, training-grid indices and size, device): what strategies and samplers
  // use, so both noise families share the schedule, respacing and time input.
  static BernoulliDiffusion from_chain(const GaussianDiffusion& chain, std::vector<double> prior = {});

  // Keeps abar[kept] (increasing indices) and recomputes alpha'_k = abar'_k / abar'_{k-1}, as GaussianDiffusion does.
  BernoulliDiffusion respaced(const std::vector<int64_t>& kept) const;

  int64_t num_timesteps() const { return static_cast<int64_t>(beta_.size()); }
  int64_t training_timesteps() const { return training_timesteps_; }
  const std::vector<int64_t>& training_indices() const { return training_index_; }
  c10::Device device() const { return device_; }
  const std::vector<double>& betas() const { return beta_; }
  const std::vector<double>& alphas_cumprod() const { return abar_; }
  const std::vector<double>& prior() const { return prior_; }

  // Time fed to the network for chain indices t (int64 (B)): (training index + 1) / training T, float32.
  at::Tensor model_time(const at::Tensor& t) const;
  // u as a (1, K, 1, ...) tensor of `ndim` dims (uniform unless a prior was given; K must match it).
  at::Tensor stationary(int64_t num_classes, int64_t ndim, at::ScalarType dtype, c10::Device device) const;

  // q(x_t | x_0) probabilities abar_t x0 + (1 - abar_t) u, per sample t (int64 (B)); x0 (B, K, ...) probabilities.
  at::Tensor q_probabilities(const at::Tensor& x0, const at::Tensor& t) const;
  // A one-hot draw from q(x_t | x_0) with `noise` (standard normal, x0's shape).
  at::Tensor q_sample(const at::Tensor& x0, const at::Tensor& t, const at::Tensor& noise) const;

  // q(x_s | x_t, x_0) for chain indices s < t (the same for the whole batch; s = -1: the clean data, abar = 1):
  // x_t one-hot (B, K, ...), x0 one-hot or probabilities (plugged in: the reverse step's x̂0). Rows sum to 1.
  at::Tensor posterior(const at::Tensor& x_t, const at::Tensor& x0, int64_t t, int64_t s) const;
  // One reverse step t → t-1 of this chain with x̂0 probabilities plugged into the posterior: a one-hot draw with
  // `noise` for t > 0; at t = 0 the posterior probabilities themselves (the target is the clean mask, and DDPM adds
  // no noise at t = 0 either).
  at::Tensor reverse_step(const at::Tensor& x_t, const at::Tensor& x0_hat, int64_t t, const at::Tensor& noise) const;

  // One-hot draw (same shape and dtype as p) from the class probabilities p (B, K, ...) by Gumbel-max with the
  // standard normal `noise` of p's shape. Classes of probability 0 are never drawn.
  static at::Tensor sample_categorical(const at::Tensor& p, const at::Tensor& noise);

 private:
  void build();
  double abar_at(int64_t index) const;  // index -1 = 1 (clean data)

  std::vector<double> beta_, abar_, prior_;
  std::vector<int64_t> training_index_;
  int64_t training_timesteps_;
  c10::Device device_;
  at::Tensor abar_t_, time_t_;  // (T) float64 abar and float32 network times, on device_
};

// The DDPM-style sampler of the categorical chain (docs/method.md, Bernoulli mask diffusion): `options.steps` steps of
// the chain respaced from `training` (inference_indices), starting from x_T ~ u; the denoiser sees the one-hot x_t
// and returns class logits, x̂0 = softmax(logits). Every step's x̂0 is returned; final_x is the last step's
// posterior (x̂0 weighted by the last x_t's likelihood). Noise: one standard normal tensor of `shape` per draw from
// `generator`. DDIM and self-conditioning are refused (UsageError).
SamplingResult sample(const BernoulliDiffusion& training, const Denoiser& denoiser, at::IntArrayRef shape,
                      const SamplerOptions& options, at::Generator generator);

}  // namespace diffseg::diffusion

#pragma once
// The Gaussian diffusion process on masks in x-space ([-1, 1] one-hot): forward noising q(x_t | x_0), the posterior
// q(x_{t-1} | x_t, x_0), and the conversions between what the network outputs and x_0 (docs/method.md). All
// coefficients are computed once in float64 and kept as tensors on the chosen device; per-batch lookups are cast
// to the data's dtype.
#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "diffseg/diffusion/schedule.h"

namespace diffseg::diffusion {

enum class ModelOutput { x_start, noise };           // what the network predicts (x_start is the paper's)
enum class VarianceType { fixed_small, fixed_large };  // reverse-process variance

ModelOutput parse_model_output(const std::string& name);
VarianceType parse_variance_type(const std::string& name);

struct Posterior {
  at::Tensor mean, variance, log_variance;  // variance/log_variance broadcast shape (B, 1, ...)
};

class GaussianDiffusion {
 public:
  // betas of the training schedule (length T). The network's time input for index i is (i + 1) / T.
  GaussianDiffusion(std::vector<double> betas, ModelOutput output = ModelOutput::x_start,
                    VarianceType variance = VarianceType::fixed_small, c10::Device device = c10::kCPU);
  static GaussianDiffusion from_schedule(const ScheduleOptions& schedule, ModelOutput output = ModelOutput::x_start,
                                         VarianceType variance = VarianceType::fixed_small,
                                         c10::Device device = c10::kCPU);

  // A shorter chain that keeps the noise levels abar[kept] (increasing training-grid indices) and recomputes
  // alpha'_k = abar'_k / abar'_{k-1} (method.md: Respacing). It remembers the original indices and grid size, so the
  // network is still told training-grid times.
  GaussianDiffusion respaced(const std::vector<int64_t>& kept) const;
  GaussianDiffusion to(c10::Device device) const;

  int64_t num_timesteps() const { return static_cast<int64_t>(beta_.size()); }
  int64_t training_timesteps() const { return training_timesteps_; }
  const std::vector<int64_t>& training_indices() const { return training_index_; }
  c10::Device device() const { return device_; }
  ModelOutput model_output() const { return output_; }
  VarianceType variance_type() const { return variance_; }
  // The noise family of the run (ScheduleOptions::noise, kept by respaced() and to()). For bernoulli this object
  // carries the chain only (schedule, respacing, model_time): BernoulliDiffusion::from_chain(*this) is the process,
  // and the Gaussian q_sample / posterior / noise_from_x0 / noise-output predict_x0 refuse to run (a logic error).
  NoiseFamily noise() const { return noise_; }

  // Host copies (float64), for printing and tests.
  const std::vector<double>& betas() const { return beta_; }
  const std::vector<double>& alphas_cumprod() const { return abar_; }
  const std::vector<double>& alphas_cumprod_prev() const { return abar_prev_; }
  const std::vector<double>& posterior_variance() const { return post_var_; }

  // Time fed to the network for chain indices t (int64, shape (B)): (training index + 1) / training T, float32.
  at::Tensor model_time(const at::Tensor& t) const;

  // x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, per sample t (int64 (B)).
  at::Tensor q_sample(const at::Tensor& x0, const at::Tensor& t, const at::Tensor& noise) const;

  // Posterior q(x_{t-1} | x_t, x_0): mean = c0_t x_0 + ct_t x_t; log-variance clipped at t = 0 (method.md: Posterior).
  Posterior posterior(const at::Tensor& x0, const at::Tensor& x_t, const at::Tensor& t) const;
  // Log-variance of the reverse step p(x_{t-1} | x_t) for the configured variance type, shape (B, 1, ...).
  at::Tensor reverse_log_variance(const at::Tensor& t, int64_t ndim, at::ScalarType dtype) const;

  // x_0 implied by a network output: 2 softmax(logits) - 1 (x_start; bounded, never clipped) or
  // x_t / sqrt(abar) - sqrt(1/abar - 1) eps (noise; not clipped).
  at::Tensor predict_x0(const at::Tensor& model_out, const at::Tensor& x_t, const at::Tensor& t) const;
  // eps implied by x_0: (x_t / sqrt(abar) - x_0) / sqrt(1/abar - 1).
  at::Tensor noise_from_x0(const at::Tensor& x_t, const at::Tensor& x0, const at::Tensor& t) const;
  // Class logits for the segmentation loss: the output itself (x_start) or x_to_logits(x_0) (noise).
  at::Tensor logits_for_loss(const at::Tensor& model_out, const at::Tensor& x_t, const at::Tensor& t) const;

  // coefficient[t] as a (B, 1, ..., 1) tensor of `ndim` dims in `dtype` (the one lookup everything above uses).
  at::Tensor extract(const at::Tensor& coefficient, const at::Tensor& t, int64_t ndim, at::ScalarType dtype) const;

  struct Tensors {
    at::Tensor beta, abar, abar_prev, sqrt_abar, sqrt_one_minus_abar, sqrt_recip_abar, sqrt_recipm1_abar,
        post_var, post_log_var_clipped, post_c0, post_ct, large_log_var, time;
  };
  const Tensors& tensors() const { return t_; }

 private:
  void build();

  std::vector<double> beta_, abar_, abar_prev_, post_var_;
  std::vector<int64_t> training_index_;
  int64_t training_timesteps_;
  ModelOutput output_;
  VarianceType variance_;
  NoiseFamily noise_ = NoiseFamily::gaussian;
  c10::Device device_;
  Tensors t_;
};

}  // namespace diffseg::diffusion

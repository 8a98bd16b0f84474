#include "diffseg/diffusion/sampler.h"

#include <cmath>

#include <torch/torch.h>

#include "diffseg/core/error.h"
#include "diffseg/diffusion/bernoulli_diffusion.h"
#include "diffseg/diffusion/mask_space.h"

namespace diffseg::diffusion {

SamplerKind parse_sampler(const std::string& name) {
  if (name == "ddpm" || name == "DDPM") return SamplerKind::ddpm;
  if (name == "ddim" || name == "DDIM") return SamplerKind::ddim;
  throw UsageError("unknown sampler '" + name + "' (use ddpm or ddim)");
}

std::string to_string(SamplerKind kind) { return kind == SamplerKind::ddpm ? "ddpm" : "ddim"; }

at::Tensor step_time(TimeInput input, const at::Tensor& training_time, int64_t t, int64_t n) {
  if (input == TimeInput::training) return training_time;
  return torch::full_like(training_time, static_cast<float>(t + 1) / static_cast<float>(n),
                          training_time.options().dtype(torch::kFloat));
}

TimeInput parse_time_input(const std::string& name) {
  if (name == "training") return TimeInput::training;
  if (name == "reference") return TimeInput::reference;
  throw UsageError("unknown time input '" + name + "' (use training or reference)");
}

at::Tensor reverse_step(const GaussianDiffusion& chain, SamplerKind kind, double eta, const at::Tensor& x_t,
                        const at::Tensor& x0_hat, int64_t t, const at::Tensor& noise) {
  const auto batch = x_t.size(0);
  const at::Tensor tt = torch::full({batch}, t, torch::TensorOptions(torch::kLong).device(x_t.device()));
  if (kind == SamplerKind::ddpm) {
    // DDPM: mean of q(x_{t-1} | x_t, x0_hat) plus sigma z, no noise at the last step.
    const Posterior p = chain.posterior(x0_hat, x_t, tt);
    if (t == 0) return p.mean;
    return p.mean + (0.5 * chain.reverse_log_variance(tt, x_t.dim(), x_t.scalar_type())).exp() * noise;
  }
  // DDIM (Song et al. eq. 12): x_{t-1} = sqrt(abar_prev) x0 + sqrt(1 - abar_prev - sigma^2) eps_hat + sigma z,
  // sigma = eta sqrt((1 - abar_prev)/(1 - abar)) sqrt(1 - abar/abar_prev).
  const double abar = chain.alphas_cumprod()[static_cast<size_t>(t)];
  const double abar_prev = chain.alphas_cumprod_prev()[static_cast<size_t>(t)];
  const double sigma = eta * std::sqrt((1.0 - abar_prev) / (1.0 - abar)) * std::sqrt(1.0 - abar / abar_prev);
  const at::Tensor eps = chain.noise_from_x0(x_t, x0_hat, tt);
  at::Tensor x = std::sqrt(abar_prev) * x0_hat + std::sqrt(std::max(0.0, 1.0 - abar_prev - sigma * sigma)) * eps;
  if (sigma > 0) x = x + sigma * noise;
  return x;
}

SamplingResult sample(const GaussianDiffusion& training, const Denoiser& denoiser, at::IntArrayRef shape,
                      const SamplerOptions& o, at::Generator generator) {
  if (o.eta < 0) throw UsageError("DDIM eta must be >= 0");
  // A run trained with Bernoulli mask diffusion samples its categorical chain (same schedule, steps and times).
  if (training.noise() == NoiseFamily::bernoulli)
    return sample(BernoulliDiffusion::from_chain(training), denoiser, shape, o, std::move(generator));
  c10::InferenceMode inference;  // sampling never needs autograd: no graph, no version counters
  const GaussianDiffusion chain = training.respaced(inference_indices(training.num_timesteps(), o.steps));
  const auto device = training.device();
  const auto batch = shape[0];
  // Noise is drawn on the generator's device and moved, so a CPU seed reproduces on any device.
  auto normal = [&] { return torch::randn(shape, generator, torch::kFloat).to(device); };

  SamplingResult result;
  at::Tensor x = normal();
  at::Tensor prev_mask = o.self_conditioning ? torch::zeros(shape, torch::TensorOptions(torch::kFloat).device(device))
                                             : at::Tensor();
  const int64_t n = chain.num_timesteps();
  for (int64_t t = n - 1; t >= 0; --t) {
    const at::Tensor tt = torch::full({batch}, t, torch::TensorOptions(torch::kLong).device(device));
    const at::Tensor time = step_time(o.time_input, chain.model_time(tt), t, n);
    const at::Tensor out = denoiser(x_to_mask(x), prev_mask, time);
    const at::Tensor x0_hat = chain.predict_x0(out, x, tt);
    const bool needs_noise = (o.kind == SamplerKind::ddpm && t > 0) || (o.kind == SamplerKind::ddim && o.eta > 0);
    x = reverse_step(chain, o.kind, o.eta, x, x0_hat, t, needs_noise ? normal() : at::Tensor());
    if (o.self_conditioning) prev_mask = x_to_mask(x0_hat);
    result.x0_probabilities.push_back(x_to_mask(x0_hat));
    result.training_indices.push_back(chain.training_indices()[static_cast<size_t>(t)]);
  }
  result.final_x = x;
  return result;
}

}  // namespace diffseg::diffusion

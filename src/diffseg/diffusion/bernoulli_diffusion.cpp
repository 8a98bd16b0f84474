#include "diffseg/diffusion/bernoulli_diffusion.h"

#include <cmath>
#include <numeric>
#include <string>

#include <torch/torch.h>

#include "diffseg/core/error.h"

namespace diffseg::diffusion {

BernoulliDiffusion::BernoulliDiffusion(std::vector<double> betas, std::vector<double> prior, c10::Device device)
    : beta_(std::move(betas)), prior_(std::move(prior)), training_timesteps_(static_cast<int64_t>(beta_.size())),
      device_(device) {
  if (beta_.empty()) throw UsageError("a diffusion needs at least one timestep");
  for (double b : beta_)
    if (!(b >= 0 && b < 1)) throw UsageError("every beta must be in [0, 1)");
  if (!prior_.empty()) {
    if (prior_.size() < 2) throw UsageError("a class prior needs at least 2 classes");
    double sum = 0;
    for (double p : prior_) {
      if (!(p > 0) || !std::isfinite(p)) throw UsageError("every class prior probability must be > 0");
      sum += p;
    }
    for (double& p : prior_) p /= sum;
  }
  training_index_.resize(beta_.size());
  std::iota(training_index_.begin(), training_index_.end(), int64_t{0});
  build();
}

BernoulliDiffusion BernoulliDiffusion::from_schedule(const ScheduleOptions& schedule, std::vector<double> prior,
                                                     c10::Device device) {
  return BernoulliDiffusion(make_betas(schedule), std::move(prior), device);
}

BernoulliDiffusion BernoulliDiffusion::from_chain(const GaussianDiffusion& chain, std::vector<double> prior) {
  BernoulliDiffusion out(chain.betas(), std::move(prior), chain.device());
  out.training_index_ = chain.training_indices();
  out.training_timesteps_ = chain.training_timesteps();
  out.build();
  return out;
}

void BernoulliDiffusion::build() {
  abar_.resize(beta_.size());
  double prod = 1.0;
  for (size_t i = 0; i < beta_.size(); ++i) abar_[i] = prod *= 1.0 - beta_[i];
  std::vector<double> time(beta_.size());
  for (size_t i = 0; i < beta_.size(); ++i)
    time[i] = static_cast<double>(training_index_[i] + 1) / static_cast<double>(training_timesteps_);
  abar_t_ = torch::tensor(abar_, torch::kDouble).to(device_);
  time_t_ = torch::tensor(time, torch::kDouble).to(torch::kFloat).to(device_);
}

BernoulliDiffusion BernoulliDiffusion::respaced(const std::vector<int64_t>& kept) const {
  if (kept.empty()) throw UsageError("respacing needs at least one timestep");
  std::vector<double> beta(kept.size());
  double prev = 1.0;
  for (size_t k = 0; k < kept.size(); ++k) {
    if (kept[k] < 0 || kept[k] >= num_timesteps() || (k > 0 && kept[k] <= kept[k - 1]))
      throw UsageError("respaced indices must be increasing and inside the schedule");
    const double abar = abar_[static_cast<size_t>(kept[k])];
    beta[k] = 1.0 - abar / prev;
    prev = abar;
  }
  BernoulliDiffusion out(*this);
  out.beta_ = std::move(beta);
  out.training_index_.resize(kept.size());
  for (size_t k = 0; k < kept.size(); ++k) out.training_index_[k] = training_index_[static_cast<size_t>(kept[k])];
  out.build();
  return out;
}

double BernoulliDiffusion::abar_at(int64_t index) const {
  if (index < -1 || index >= num_timesteps())
    throw UsageError("chain index " + std::to_string(index) + " is outside the chain of " +
                     std::to_string(num_timesteps()) + " points");
  return index < 0 ? 1.0 : abar_[static_cast<size_t>(index)];
}

at::Tensor BernoulliDiffusion::model_time(const at::Tensor& t) const {
  return time_t_.index_select(0, t.to(device_, at::kLong));
}

at::Tensor BernoulliDiffusion::stationary(int64_t num_classes, int64_t ndim, at::ScalarType dtype,
                                          c10::Device device) const {
  std::vector<int64_t> shape(static_cast<size_t>(ndim), 1);
  shape[1] = num_classes;
  if (prior_.empty())
    return torch::full(shape, 1.0 / static_cast<double>(num_classes), torch::TensorOptions(dtype).device(device));
  if (static_cast<int64_t>(prior_.size()) != num_classes)
    throw UsageError("the class prior has " + std::to_string(prior_.size()) + " classes, the masks " +
                     std::to_string(num_classes));
  return torch::tensor(prior_, torch::kDouble).to(device, dtype).view(shape);
}

at::Tensor BernoulliDiffusion::q_probabilities(const at::Tensor& x0, const at::Tensor& t) const {
  std::vector<int64_t> shape(static_cast<size_t>(x0.dim()), 1);
  shape[0] = t.size(0);
  const at::Tensor abar = abar_t_.index_select(0, t.to(device_, at::kLong)).to(x0.device(), x0.scalar_type()).view(shape);
  return abar * x0 + (1.0 - abar) * stationary(x0.size(1), x0.dim(), x0.scalar_type(), x0.device());
}

at::Tensor BernoulliDiffusion::q_sample(const at::Tensor& x0, const at::Tensor& t, const at::Tensor& noise) const {
  return sample_categorical(q_probabilities(x0, t), noise);
}

at::Tensor BernoulliDiffusion::posterior(const at::Tensor& x_t, const at::Tensor& x0, int64_t t, int64_t s) const {
  if (!(s < t)) throw UsageError("the posterior goes from a noisier level t to a cleaner s < t");
  const double abar_t = abar_at(t), abar_s = abar_at(s);
  const double a = abar_t / abar_s;  // the (t | s) kernel's "keep" probability
  const at::Tensor u = stationary(x_t.size(1), x_t.dim(), x_t.scalar_type(), x_t.device());
  // q(x_t | x_s = i) as a function of i: a [i = class of x_t] + (1 - a) u_{class of x_t}.
  const at::Tensor likelihood = a * x_t + (1.0 - a) * (x_t * u).sum(1, true);
  // q(x_s = i | x_0) (x0 plugged in: linear in x0, so this is Σ_c x0_c q(x_s | x_0 = c)).
  const at::Tensor prior = abar_s * x0 + (1.0 - abar_s) * u;
  const at::Tensor joint = likelihood * prior;
  // Only a chain without noise (abar_t = 1) and an x0 that excludes x_t can make every entry 0; keep it finite.
  return joint / joint.sum(1, true).clamp_min(1e-30);
}

at::Tensor BernoulliDiffusion::reverse_step(const at::Tensor& x_t, const at::Tensor& x0_hat, int64_t t,
                                            const at::Tensor& noise) const {
  const at::Tensor theta = posterior(x_t, x0_hat, t, t - 1);
  if (t == 0) return theta;
  if (!noise.defined()) throw std::logic_error("BernoulliDiffusion::reverse_step needs noise for t > 0");
  return sample_categorical(theta, noise);
}

at::Tensor BernoulliDiffusion::sample_categorical(const at::Tensor& p, const at::Tensor& noise) {
  TORCH_CHECK(p.sizes() == noise.sizes(), "sample_categorical: noise must have the probabilities' shape");
  // Gumbel-max: eps ~ N(0, 1) → U = Phi(eps) ~ U(0, 1) → G = -log(-log U); log Phi in float64 via log_ndtr, so
  // |eps| up to ~38 stays finite.
  const at::Tensor gumbel = -(-torch::special::log_ndtr(noise.to(p.device(), torch::kDouble))).log();
  const at::Tensor index = (p.to(torch::kDouble).log() + gumbel).argmax(1);
  return torch::one_hot(index, p.size(1)).movedim(-1, 1).to(p.scalar_type()).contiguous();
}

SamplingResult sample(const BernoulliDiffusion& training, const Denoiser& denoiser, at::IntArrayRef shape,
                      const SamplerOptions& o, at::Generator generator) {
  if (o.kind != SamplerKind::ddpm)
    throw UsageError("Bernoulli mask diffusion samples with ddpm only: the categorical chain has no DDIM "
                     "(use --sampler ddpm / eval.sampler: ddpm)");
  if (o.self_conditioning) throw UsageError("Bernoulli mask diffusion has no self-conditioning sampler");
  c10::InferenceMode inference;
  const BernoulliDiffusion chain = training.respaced(inference_indices(training.num_timesteps(), o.steps));
  const auto device = training.device();
  const auto batch = shape[0];
  // Noise is drawn on the generator's device and moved, so a CPU seed reproduces on any device (as sample() does).
  auto normal = [&] { return torch::randn(shape, generator, torch::kFloat).to(device); };
  const at::Tensor u = chain.stationary(shape[1], static_cast<int64_t>(shape.size()), torch::kFloat, device);

  SamplingResult result;
  at::Tensor x = BernoulliDiffusion::sample_categorical(u.expand(shape).contiguous(), normal());  // x_T ~ u
  const int64_t n = chain.num_timesteps();
  for (int64_t t = n - 1; t >= 0; --t) {
    const at::Tensor tt = torch::full({batch}, t, torch::TensorOptions(torch::kLong).device(device));
    const at::Tensor time = step_time(o.time_input, chain.model_time(tt), t, n);
    const at::Tensor x0_hat = torch::softmax(denoiser(x, at::Tensor(), time), 1);
    x = chain.reverse_step(x, x0_hat, t, t > 0 ? normal() : at::Tensor());
    result.x0_probabilities.push_back(x0_hat);
    result.training_indices.push_back(chain.training_indices()[static_cast<size_t>(t)]);
  }
  result.final_x = x;
  return result;
}

}  // namespace diffseg::diffusion

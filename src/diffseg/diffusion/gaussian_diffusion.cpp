#include "diffseg/diffusion/gaussian_diffusion.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

#include "diffseg/core/error.h"
#include "diffseg/diffusion/mask_space.h"

namespace diffseg::diffusion {

ModelOutput parse_model_output(const std::string& name) {
  if (name == "x_start" || name == "x0") return ModelOutput::x_start;
  if (name == "noise" || name == "epsilon") return ModelOutput::noise;
  throw UsageError("unknown model output '" + name + "' (use x_start or noise)");
}

VarianceType parse_variance_type(const std::string& name) {
  if (name == "fixed_small") return VarianceType::fixed_small;
  if (name == "fixed_large") return VarianceType::fixed_large;
  throw UsageError("unknown variance type '" + name + "' (use fixed_small or fixed_large)");
}

GaussianDiffusion::GaussianDiffusion(std::vector<double> betas, ModelOutput output, VarianceType variance,
                                     c10::Device device)
    : beta_(std::move(betas)), training_timesteps_(static_cast<int64_t>(beta_.size())), output_(output),
      variance_(variance), device_(device) {
  if (beta_.size() < 1) throw UsageError("a diffusion needs at least one timestep");
  for (double b : beta_)
    if (!(b >= 0 && b < 1)) throw UsageError("every beta must be in [0, 1)");
  training_index_.resize(beta_.size());
  for (size_t i = 0; i < beta_.size(); ++i) training_index_[i] = static_cast<int64_t>(i);
  build();
}

GaussianDiffusion GaussianDiffusion::from_schedule(const ScheduleOptions& schedule, ModelOutput output,
                                                   VarianceType variance, c10::Device device) {
  GaussianDiffusion d(make_betas(schedule), output, variance, device);
  d.noise_ = schedule.noise;
  return d;
}

namespace {
void require_gaussian(NoiseFamily noise, const char* what) {
  if (noise != NoiseFamily::gaussian)
    throw std::logic_error(std::string("GaussianDiffusion::") + what +
                           " called on a Bernoulli chain (use BernoulliDiffusion::from_chain)");
}
}  // namespace

void GaussianDiffusion::build() {
  const size_t n = beta_.size();
  abar_.resize(n);
  abar_prev_.resize(n);
  post_var_.resize(n);
  double prod = 1.0;
  for (size_t i = 0; i < n; ++i) {
    abar_prev_[i] = prod;
    prod *= 1.0 - beta_[i];
    abar_[i] = prod;
    // DDPM eq. 7: beta_t (1 - abar_{t-1}) / (1 - abar_t); 0 at t = 0 where abar_prev = 1.
    post_var_[i] = beta_[i] * (1.0 - abar_prev_[i]) / (1.0 - abar_[i]);
  }
  auto host = [](const std::vector<double>& v) { return torch::tensor(v, torch::kDouble); };
  const at::Tensor beta = host(beta_), abar = host(abar_), abar_prev = host(abar_prev_), post_var = host(post_var_);
  Tensors& t = t_;
  t.beta = beta;
  t.abar = abar;
  t.abar_prev = abar_prev;
  t.sqrt_abar = abar.sqrt();
  t.sqrt_one_minus_abar = (1.0 - abar).sqrt();
  t.sqrt_recip_abar = abar.rsqrt();
  t.sqrt_recipm1_abar = (1.0 / abar - 1.0).sqrt();
  t.post_var = post_var;
  // log(0) at t = 0 is replaced by the value at t = 1 (method.md: Posterior).
  at::Tensor clipped = post_var.clone();
  if (n > 1) clipped[0] = post_var[1];
  t.post_log_var_clipped = clipped.log();
  t.post_c0 = beta * abar_prev.sqrt() / (1.0 - abar);
  t.post_ct = (1.0 - beta).sqrt() * (1.0 - abar_prev) / (1.0 - abar);
  // fixed_large: variance [post_var[1], beta[1:]] (method.md: Posterior).
  at::Tensor large = beta.clone();
  if (n > 1) large[0] = post_var[1];
  t.large_log_var = large.log();
  std::vector<double> time(n);
  for (size_t i = 0; i < n; ++i)
    time[i] = static_cast<double>(training_index_[i] + 1) / static_cast<double>(training_timesteps_);
  t.time = host(time).to(torch::kFloat);
  for (at::Tensor* p : {&t.beta, &t.abar, &t.abar_prev, &t.sqrt_abar, &t.sqrt_one_minus_abar, &t.sqrt_recip_abar,
                        &t.sqrt_recipm1_abar, &t.post_var, &t.post_log_var_clipped, &t.post_c0, &t.post_ct,
                        &t.large_log_var, &t.time})
    *p = p->to(device_);
}

GaussianDiffusion GaussianDiffusion::respaced(const std::vector<int64_t>& kept) const {
  if (kept.empty()) throw UsageError("respacing needs at least one timestep");
  std::vector<double> beta(kept.size());
  double prev_abar = 1.0;
  for (size_t k = 0; k < kept.size(); ++k) {
    if (kept[k] < 0 || kept[k] >= num_timesteps() || (k > 0 && kept[k] <= kept[k - 1]))
      throw UsageError("respaced indices must be increasing and inside the schedule");
    const double abar = abar_[static_cast<size_t>(kept[k])];
    beta[k] = 1.0 - abar / prev_abar;
    prev_abar = abar;
  }
  GaussianDiffusion out(*this);
  out.beta_ = std::move(beta);
  out.training_index_.resize(kept.size());
  for (size_t k = 0; k < kept.size(); ++k) out.training_index_[k] = training_index_[static_cast<size_t>(kept[k])];
  out.build();
  return out;
}

GaussianDiffusion GaussianDiffusion::to(c10::Device device) const {
  GaussianDiffusion out(*this);
  out.device_ = device;
  out.build();
  return out;
}

at::Tensor GaussianDiffusion::extract(const at::Tensor& coefficient, const at::Tensor& t, int64_t ndim,
                                      at::ScalarType dtype) const {
  std::vector<int64_t> shape(static_cast<size_t>(ndim), 1);
  shape[0] = t.size(0);
  return coefficient.index_select(0, t.to(coefficient.device(), at::kLong)).to(dtype).view(shape);
}

at::Tensor GaussianDiffusion::model_time(const at::Tensor& t) const {
  return t_.time.index_select(0, t.to(device_, at::kLong));
}

at::Tensor GaussianDiffusion::q_sample(const at::Tensor& x0, const at::Tensor& t, const at::Tensor& noise) const {
  require_gaussian(noise_, "q_sample");
  const auto d = x0.dim();
  return extract(t_.sqrt_abar, t, d, x0.scalar_type()) * x0 +
         extract(t_.sqrt_one_minus_abar, t, d, x0.scalar_type()) * noise;
}

Posterior GaussianDiffusion::posterior(const at::Tensor& x0, const at::Tensor& x_t, const at::Tensor& t) const {
  require_gaussian(noise_, "posterior");
  const auto d = x_t.dim();
  const auto type = x_t.scalar_type();
  Posterior p;
  p.mean = extract(t_.post_c0, t, d, type) * x0 + extract(t_.post_ct, t, d, type) * x_t;
  p.variance = extract(t_.post_var, t, d, type);
  p.log_variance = extract(t_.post_log_var_clipped, t, d, type);
  return p;
}

at::Tensor GaussianDiffusion::reverse_log_variance(const at::Tensor& t, int64_t ndim, at::ScalarType dtype) const {
  return extract(variance_ == VarianceType::fixed_small ? t_.post_log_var_clipped : t_.large_log_var, t, ndim, dtype);
}

at::Tensor GaussianDiffusion::predict_x0(const at::Tensor& model_out, const at::Tensor& x_t, const at::Tensor& t) const {
  if (output_ == ModelOutput::x_start) return logits_to_x(model_out);
  require_gaussian(noise_, "predict_x0 (noise output)");
  const auto d = x_t.dim();
  const auto type = x_t.scalar_type();
  return extract(t_.sqrt_recip_abar, t, d, type) * x_t - extract(t_.sqrt_recipm1_abar, t, d, type) * model_out;
}

at::Tensor GaussianDiffusion::noise_from_x0(const at::Tensor& x_t, const at::Tensor& x0, const at::Tensor& t) const {
  require_gaussian(noise_, "noise_from_x0");
  const auto d = x_t.dim();
  const auto type = x_t.scalar_type();
  return (extract(t_.sqrt_recip_abar, t, d, type) * x_t - x0) / extract(t_.sqrt_recipm1_abar, t, d, type);
}

at::Tensor GaussianDiffusion::logits_for_loss(const at::Tensor& model_out, const at::Tensor& x_t,
                                              const at::Tensor& t) const {
  if (output_ == ModelOutput::x_start) return model_out;
  return x_to_logits(predict_x0(model_out, x_t, t));
}

}  // namespace diffseg::diffusion

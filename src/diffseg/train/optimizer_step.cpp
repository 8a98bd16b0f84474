#include "diffseg/train/optimizer_step.h"

#include <cmath>

#include <torch/torch.h>

namespace diffseg::train {

MicroStep accumulate_gradients(Strategy& strategy, StepContext& ctx, const at::Tensor& image, const at::Tensor& labels,
                               Precision precision, c10::Device device, int64_t accumulate_steps,
                               double loss_scale) {
  MicroStep m;
  {
    AutocastScope autocast(precision, device);  // forward passes and loss; backward outside, as autocast wants
    m.step = strategy.step(ctx, image, labels);
  }
  m.loss = m.step.loss.item<double>();
  m.finite = std::isfinite(m.loss);
  const double factor = loss_scale / static_cast<double>(accumulate_steps);
  if (m.finite) (factor != 1.0 ? m.step.loss * factor : m.step.loss).backward();
  return m;
}

double clip_and_step(torch::optim::Optimizer& optimizer, const std::vector<at::Tensor>& parameters, double grad_clip,
                     bool finite_loss, bool& applied) {
  double norm = std::nan("");
  if (finite_loss) norm = torch::nn::utils::clip_grad_norm_(parameters, grad_clip);
  applied = finite_loss && std::isfinite(norm);
  if (applied) optimizer.step();
  optimizer.zero_grad();
  return norm;
}

UpdateResult optimizer_step(Strategy& strategy, StepContext& ctx, torch::optim::Optimizer& optimizer,
                            const std::vector<at::Tensor>& parameters, const at::Tensor& image, const at::Tensor& labels,
                            Precision precision, c10::Device device, double grad_clip) {
  optimizer.zero_grad();
  MicroStep m = accumulate_gradients(strategy, ctx, image, labels, precision, device, 1);
  UpdateResult u;
  u.loss = m.loss;
  u.grad_norm = clip_and_step(optimizer, parameters, grad_clip, m.finite, u.applied);
  if (u.applied && m.step.t.defined()) ctx.time_sampler.update(m.step.t, m.step.terms.per_sample.detach());
  u.step = std::move(m.step);
  return u;
}

}  // namespace diffseg::train

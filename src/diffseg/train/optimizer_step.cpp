#include "diffseg/train/optimizer_step.h"

#include <cmath>

#include <torch/torch.h>

namespace diffseg::train {

UpdateResult optimizer_step(Strategy& strategy, StepContext& ctx, torch::optim::Optimizer& optimizer,
                            const std::vector<at::Tensor>& parameters, const at::Tensor& image, const at::Tensor& labels,
                            Precision precision, c10::Device device, double grad_clip) {
  UpdateResult u;
  optimizer.zero_grad();
  {
    AutocastScope autocast(precision, device);  // forward passes and loss; backward outside, as autocast wants
    u.step = strategy.step(ctx, image, labels);
  }
  u.loss = u.step.loss.item<double>();
  u.grad_norm = std::nan("");
  if (std::isfinite(u.loss)) {
    u.step.loss.backward();
    u.grad_norm = torch::nn::utils::clip_grad_norm_(parameters, grad_clip);
    u.applied = std::isfinite(u.grad_norm);
  }
  if (u.applied) optimizer.step();
  else optimizer.zero_grad();
  return u;
}

}  // namespace diffseg::train

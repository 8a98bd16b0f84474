#include "diffseg/train/loss_scaler.h"

#include <torch/torch.h>

namespace diffseg::train {

LossScaler::LossScaler(bool enabled, LossScalerState initial, int64_t growth_interval)
    : enabled_(enabled), state_(initial), growth_interval_(growth_interval) {}

void LossScaler::unscale(const std::vector<at::Tensor>& parameters) const {
  if (!enabled_) return;
  torch::NoGradGuard no_grad;
  for (const at::Tensor& p : parameters)
    if (p.grad().defined()) p.grad().div_(state_.scale);
}

void LossScaler::update(bool applied) {
  if (!enabled_) return;
  if (!applied) {
    state_.scale = std::max(1.0, state_.scale * 0.5);
    state_.good_steps = 0;
  } else if (++state_.good_steps >= growth_interval_) {
    state_.scale = std::min(16777216.0, state_.scale * 2.0);  // 2^24: beyond it float16 products overflow anyway
    state_.good_steps = 0;
  }
}

}  // namespace diffseg::train

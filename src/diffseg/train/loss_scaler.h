#pragma once
// Dynamic loss scaling for float16 training: float16 gradients underflow, so the loss is multiplied by a large
// scale before backward and the gradients divided by it after (after the all-reduce, so every rank sees the same
// values). A step whose gradient overflows is skipped and the scale halved; after `growth_interval` good steps in
// a row it doubles. bfloat16 has float32's range and needs none (disabled: scale 1, nothing changes).
#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

namespace diffseg::train {

struct LossScalerState {
  double scale = 65536.0;
  int64_t good_steps = 0;
};

class LossScaler {
 public:
  explicit LossScaler(bool enabled, LossScalerState initial = {}, int64_t growth_interval = 2000);
  bool enabled() const { return enabled_; }
  double scale() const { return enabled_ ? state_.scale : 1.0; }
  // Divides the accumulated gradients by the scale (no-op when disabled).
  void unscale(const std::vector<at::Tensor>& parameters) const;
  // After the step: `applied` false (overflow) halves the scale, a run of good steps doubles it.
  void update(bool applied);
  const LossScalerState& state() const { return state_; }

 private:
  bool enabled_;
  LossScalerState state_;
  int64_t growth_interval_;
};

}  // namespace diffseg::train

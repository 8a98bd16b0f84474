#pragma once
// Learning rate: linear warm-up from `init` to `peak`, then cosine decay to `end` reached at `decay_steps`
// (which counts the warm-up, as optax's warmup_cosine_decay_schedule does), then constant (method.md).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace diffseg::train {

struct LrSchedule {
  double init = 1e-5, peak = 8e-4, end = 5e-5;
  int64_t warmup_steps = 100, decay_steps = 10000;

  double at(int64_t step) const {
    if (step < warmup_steps) return init + (peak - init) * static_cast<double>(step) / static_cast<double>(warmup_steps);
    const int64_t span = std::max<int64_t>(1, decay_steps - warmup_steps);
    const double t = static_cast<double>(std::min(step - warmup_steps, span)) / static_cast<double>(span);
    return end + (peak - end) * 0.5 * (1.0 + std::cos(std::numbers::pi * t));
  }
};

}  // namespace diffseg::train

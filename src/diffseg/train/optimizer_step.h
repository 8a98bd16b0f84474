#pragma once
// One parameter update, shared by the training loop and the benchmarks (so they time the code that trains):
// zero the gradients, the strategy's loss under autocast, backward, global-norm clipping, AdamW step — skipped
// when the loss or the gradient norm is not finite (DESIGN §8).
#include <vector>

#include <torch/optim/optimizer.h>

#include "diffseg/train/autocast.h"
#include "diffseg/train/strategy.h"

namespace diffseg::train {

struct UpdateResult {
  StepResult step;
  double loss = 0, grad_norm = 0;
  bool applied = false;  // false: non-finite loss or gradient, parameters unchanged
};

UpdateResult optimizer_step(Strategy& strategy, StepContext& ctx, torch::optim::Optimizer& optimizer,
                            const std::vector<at::Tensor>& parameters, const at::Tensor& image, const at::Tensor& labels,
                            Precision precision, c10::Device device, double grad_clip);

}  // namespace diffseg::train

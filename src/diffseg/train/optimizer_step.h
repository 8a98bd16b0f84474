#pragma once
// The pieces of one parameter update, shared by the training loop and the benchmarks (so they time the code that
// trains): each micro-batch's loss under autocast and its backward pass, then global-norm clipping and the AdamW
// step — skipped when a loss or the gradient norm is not finite (method.md: Optimisation).
#include <vector>

#include <torch/optim/optimizer.h>

#include "diffseg/train/autocast.h"
#include "diffseg/train/strategy.h"

namespace diffseg::train {

struct MicroStep {
  StepResult step;
  double loss = 0;  // the micro-batch's loss (mean over its samples)
  bool finite = true;
};

// The strategy's loss on one micro-batch and the backward pass of loss · loss_scale / accumulate_steps (gradients
// add up in .grad over the micro-batches of a step; loss_scale > 1 for float16, see LossScaler). A non-finite loss
// is not back-propagated.
MicroStep accumulate_gradients(Strategy& strategy, StepContext& ctx, const at::Tensor& image, const at::Tensor& labels,
                               Precision precision, c10::Device device, int64_t accumulate_steps,
                               double loss_scale = 1.0);

struct UpdateResult {
  StepResult step;
  double loss = 0, grad_norm = 0;
  bool applied = false;  // false: non-finite loss or gradient, parameters unchanged
};

// Clips the accumulated gradient to `grad_clip` and steps when `finite_loss` and the norm are finite; returns the
// norm (NaN when the loss was not finite) and whether the parameters changed. Gradients are zeroed either way.
double clip_and_step(torch::optim::Optimizer& optimizer, const std::vector<at::Tensor>& parameters, double grad_clip,
                     bool finite_loss, bool& applied);

// A whole single-process update on one batch (zero, accumulate, step, then the time sampler learns the losses).
UpdateResult optimizer_step(Strategy& strategy, StepContext& ctx, torch::optim::Optimizer& optimizer,
                            const std::vector<at::Tensor>& parameters, const at::Tensor& image, const at::Tensor& labels,
                            Precision precision, c10::Device device, double grad_clip);

}  // namespace diffseg::train

#include <torch/torch.h>

#include "diffseg/train/strategies.h"

namespace diffseg::train {

StepResult Supervised::step(StepContext& ctx, const at::Tensor& image, const at::Tensor& labels) {
  StepResult r;
  r.terms = segmentation_loss(ctx.net(image, {}, {}), labels, ctx.weights);
  r.loss = r.terms.per_sample.mean();
  return r;
}

}  // namespace diffseg::train

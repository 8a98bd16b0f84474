#include "diffseg/train/strategy.h"

#include <torch/torch.h>

namespace diffseg::train {

at::Tensor normal_like(const at::Tensor& like, diffusion::SampleStreams& random) {
  return random.normal(like.sizes(), like.device());
}

StepResult diffusion_loss(StepContext& ctx, const at::Tensor& out, const at::Tensor& x_t, const at::Tensor& t,
                          const diffusion::TimeSample& ts, const at::Tensor& labels) {
  StepResult r;
  r.terms = segmentation_loss(ctx.diffusion.logits_for_loss(out, x_t, t), labels, ctx.weights);
  r.loss = (r.terms.per_sample * ts.weight.to(r.terms.per_sample.device())).mean();
  r.t = t;
  return r;
}

}  // namespace diffseg::train

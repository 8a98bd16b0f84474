#include <torch/torch.h>

#include "diffseg/diffusion/mask_space.h"
#include "diffseg/train/strategies.h"

namespace diffseg::train {

StepResult PlainDiffusion::step(StepContext& ctx, const at::Tensor& image, const at::Tensor& labels) {
  const int64_t T = ctx.diffusion.num_timesteps();
  const diffusion::TimeSample ts = ctx.time_sampler.sample(0, T, ctx.random);
  const at::Tensor t = ts.t.to(image.device());
  const at::Tensor x0 = diffusion::labels_to_x(labels, ctx.num_classes);
  const at::Tensor x_t = ctx.diffusion.q_sample(x0, t, normal_like(x0, ctx.random));
  const at::Tensor out = ctx.net(image, diffusion::x_to_mask(x_t), ctx.diffusion.model_time(t));
  return diffusion_loss(ctx, out, x_t, t, ts, labels);
}

}  // namespace diffseg::train

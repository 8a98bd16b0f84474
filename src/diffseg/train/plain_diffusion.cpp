#include <torch/torch.h>

#include "diffseg/diffusion/bernoulli_diffusion.h"
#include "diffseg/diffusion/mask_space.h"
#include "diffseg/train/strategies.h"

namespace diffseg::train {

StepResult PlainDiffusion::step(StepContext& ctx, const at::Tensor& image, const at::Tensor& labels) {
  const int64_t T = ctx.diffusion.num_timesteps();
  const diffusion::TimeSample ts = ctx.time_sampler.sample(0, T, ctx.random);
  const at::Tensor t = ts.t.to(image.device());
  const at::Tensor x0 = diffusion::labels_to_x(labels, ctx.num_classes);
  if (ctx.diffusion.noise() == diffusion::NoiseFamily::bernoulli) {
    // Bernoulli mask diffusion: x_t is a one-hot draw from q(x_t | x0); the network sees it as it is ({0, 1}).
    const auto b = diffusion::BernoulliDiffusion::from_chain(ctx.diffusion);
    const at::Tensor x_t = b.q_sample(diffusion::x_to_mask(x0), t, normal_like(x0, ctx.random));
    const at::Tensor out = ctx.net(image, x_t, b.model_time(t));
    return diffusion_loss(ctx, out, diffusion::mask_to_x(x_t), t, ts, labels);
  }
  const at::Tensor x_t = ctx.diffusion.q_sample(x0, t, normal_like(x0, ctx.random));
  const at::Tensor out = ctx.net(image, diffusion::x_to_mask(x_t), ctx.diffusion.model_time(t));
  return diffusion_loss(ctx, out, x_t, t, ts, labels);
}

}  // namespace diffseg::train

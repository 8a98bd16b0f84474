#include <torch/torch.h>

#include "diffseg/diffusion/bernoulli_diffusion.h"
#include "diffseg/diffusion/mask_space.h"
#include "diffseg/train/one_step.h"
#include "diffseg/train/strategies.h"

namespace diffseg::train {

at::Tensor one_step_x0(const Network& net, const diffusion::GaussianDiffusion& d, const at::Tensor& image,
                       const at::Tensor& x0, const at::Tensor& t, const at::Tensor& noise) {
  if (d.noise() == diffusion::NoiseFamily::bernoulli) {
    // x_t ~ Cat(abar_t p + (1 - abar_t) u) with p = (x0 + 1) / 2 (the one-hot truth or a prediction's probabilities),
    // drawn with the same standard normal noise (Gumbel-max); x̂0 = 2 softmax - 1 as for x_start.
    const auto b = diffusion::BernoulliDiffusion::from_chain(d);
    const at::Tensor x_t = b.q_sample(diffusion::x_to_mask(x0), t, noise);
    return diffusion::logits_to_x(net(image, x_t, b.model_time(t)));
  }
  const at::Tensor x_t = d.q_sample(x0, t, noise);
  return d.predict_x0(net(image, diffusion::x_to_mask(x_t), d.model_time(t)), x_t, t);
}

StepResult Recycling::step(StepContext& ctx, const at::Tensor& image, const at::Tensor& labels) {
  const auto& d = ctx.diffusion;
  const int64_t T = d.num_timesteps();
  // t on [0, T-1): the recycled level t_re = T-1 (rec_xT) or t+1 (rec_xt1) must be noisier than t.
  const diffusion::TimeSample ts = ctx.time_sampler.sample(0, T - 1, ctx.random);
  const at::Tensor t = ts.t.to(image.device());
  const at::Tensor t_re = previous_ == Previous::max ? torch::full_like(t, T - 1) : t + 1;
  const at::Tensor x0 = diffusion::labels_to_x(labels, ctx.num_classes);

  at::Tensor x_t, mask;
  {
    torch::NoGradGuard no_grad;  // pass 1: the "pre-segmentation", dropout on, no gradient
    const at::Tensor x0_hat = one_step_x0(ctx.net, d, image, x0, t_re, normal_like(x0, ctx.random));
    // Noise the prediction, not the ground truth.
    if (d.noise() == diffusion::NoiseFamily::bernoulli) {
      // Bernoulli: a one-hot draw from q(x_t | x̂0) with x̂0's class probabilities (docs/method.md, Recycling).
      mask = diffusion::BernoulliDiffusion::from_chain(d).q_sample(diffusion::x_to_mask(x0_hat), t,
                                                                   normal_like(x0_hat, ctx.random));
      x_t = diffusion::mask_to_x(mask);
    } else {
      x_t = d.q_sample(x0_hat, t, normal_like(x0_hat, ctx.random));
      mask = diffusion::x_to_mask(x_t);
    }
  }
  const at::Tensor out = ctx.net(image, mask, d.model_time(t));  // pass 2 carries the gradient
  return diffusion_loss(ctx, out, x_t, t, ts, labels);
}

}  // namespace diffseg::train

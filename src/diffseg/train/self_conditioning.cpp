#include <torch/torch.h>

#include "diffseg/diffusion/mask_space.h"
#include "diffseg/train/strategies.h"

namespace diffseg::train {

StepResult SelfConditioning::step(StepContext& ctx, const at::Tensor& image, const at::Tensor& labels) {
  const auto& d = ctx.diffusion;
  const int64_t T = d.num_timesteps(), B = image.size(0);
  const bool next = previous_ == Previous::next;
  const diffusion::TimeSample ts = ctx.time_sampler.sample(0, next ? T - 1 : T, ctx.random);
  const at::Tensor t = ts.t.to(image.device());
  const at::Tensor t_sc = next ? t + 1 : t;
  const at::Tensor x0 = diffusion::labels_to_x(labels, ctx.num_classes);
  const at::Tensor x_sc = d.q_sample(x0, t_sc, normal_like(x0, ctx.random));

  at::Tensor x0_hat1, x_t;
  {
    torch::NoGradGuard no_grad;  // only the second pass carries gradient
    const at::Tensor zeros = torch::zeros_like(x0);
    const at::Tensor out1 = ctx.net(image, torch::cat({diffusion::x_to_mask(x_sc), zeros}, 1), d.model_time(t_sc));
    x0_hat1 = d.predict_x0(out1, x_sc, t_sc);
    // sc_xt1 as published: step back from x_{t+1} to x_t with the posterior mean; the reference keeps x_{t+1}.
    x_t = (next && !options_.reference_sc_next) ? d.posterior(x0_hat1, x_sc, t_sc).mean : x_sc;
  }
  const at::Tensor gate =
      (ctx.random.uniform() <= options_.self_conditioning_probability).to(image.device(), torch::kFloat);
  std::vector<int64_t> gate_shape(static_cast<size_t>(x0.dim()), 1);
  gate_shape[0] = B;
  const at::Tensor cond =
      torch::cat({diffusion::x_to_mask(x_t), gate.view(gate_shape) * diffusion::x_to_mask(x0_hat1)}, 1).detach();
  const at::Tensor out2 = ctx.net(image, cond, d.model_time(t));
  return diffusion_loss(ctx, out2, x_t, t, ts, labels);
}

}  // namespace diffseg::train

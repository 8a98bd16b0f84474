#include "diffseg/train/strategy.h"

#include <torch/torch.h>

#include "diffseg/core/error.h"
#include "diffseg/train/strategies.h"

namespace diffseg::train {

at::Tensor normal_like(const at::Tensor& like, at::Generator& generator) {
  return torch::randn(like.sizes(), generator, torch::kFloat).to(like.device());
}

StepResult diffusion_loss(StepContext& ctx, const at::Tensor& out, const at::Tensor& x_t, const at::Tensor& t,
                          const diffusion::TimeSample& ts, const at::Tensor& labels) {
  StepResult r;
  r.terms = segmentation_loss(ctx.diffusion.logits_for_loss(out, x_t, t), labels, ctx.weights);
  ctx.time_sampler.update(ts.t, r.terms.per_sample.detach());
  r.loss = (r.terms.per_sample * ts.weight.to(r.terms.per_sample.device())).mean();
  r.t = t;
  return r;
}

std::unique_ptr<Strategy> make_strategy(const std::string& name, const StrategyOptions& o) {
  check_strategy_name(name);
  if (name == "supervised") return std::make_unique<Supervised>();
  if (name == "diffusion") return std::make_unique<PlainDiffusion>();
  if (name == "sc_xt") return std::make_unique<SelfConditioning>(SelfConditioning::Previous::same, o);
  if (name == "sc_xt1") return std::make_unique<SelfConditioning>(SelfConditioning::Previous::next, o);
  if (name == "rec_xt1") return std::make_unique<Recycling>(Recycling::Previous::next);
  return std::make_unique<Recycling>(Recycling::Previous::max);  // rec_xT
}

}  // namespace diffseg::train

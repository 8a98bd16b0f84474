#include "diffseg/train/strategy.h"

#include <torch/torch.h>

#include "diffseg/core/error.h"
#include "diffseg/train/strategies.h"

namespace diffseg::train {

at::Tensor normal_like(const at::Tensor& like, at::Generator& generator) {
  return torch::randn(like.sizes(), generator, torch::kFloat).to(like.device());
}

at::Tensor weighted_loss(const at::Tensor& per_sample, const diffusion::TimeSample& ts,
                         diffusion::TimeSampler& sampler) {
  sampler.update(ts.t, per_sample.detach());
  return (per_sample * ts.weight.to(per_sample.device())).mean();
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

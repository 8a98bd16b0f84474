#include "diffseg/train/validation.h"

#include <cmath>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "diffseg/core/seed.h"

namespace diffseg::train {

double validate(model::UNet& net, const Strategy& strategy, const diffusion::GaussianDiffusion& diffusion,
                const std::vector<data::CachedCase>& cases, const PredictOptions& options, uint64_t seed,
                int64_t num_classes, dist::Group& group) {
  if (cases.empty()) return std::nan("");
  const c10::Device device = net->parameters().front().device();
  double sum = 0;
  for (const size_t i : dist::shard_of(cases.size(), group.rank(), group.size())) {
    at::Generator g = at::make_generator<at::CPUGeneratorImpl>(case_seed(seed, i));
    const at::Tensor logp = predict_log_probabilities(net, strategy, diffusion, cases[i].image.to(device), options, g);
    sum += mean_foreground_dice(logp[logp.size(0) - 1].argmax(0).cpu(), cases[i].label, num_classes);
  }
  group.wait_for_all();  // shards differ in length: wait as long as the others are alive, not only the timeout
  at::Tensor total = torch::tensor({sum}, torch::kDouble);
  group.allreduce_sum(total);
  return total.item<double>() / static_cast<double>(cases.size());
}

}  // namespace diffseg::train

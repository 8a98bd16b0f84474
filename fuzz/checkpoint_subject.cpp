#include "fuzz/checkpoint_subject.h"

#include "diffseg/train/checkpoint.h"

namespace diffseg::fuzz {

namespace {
constexpr int64_t kTimesteps = 16;

model::UNetOptions tiny_network() {
  model::UNetOptions o;
  o.spatial_dims = 2;
  o.in_channels = 1;
  o.mask_channels = 2;
  o.out_channels = 2;
  o.channels = {2};
  o.num_res_blocks = 1;
  o.kernel_size = 1;
  o.num_heads = 1;
  o.head_dim = 1;
  o.widening_factor = 1;
  o.num_transformer_layers = 0;
  o.dropout = 0.0;
  return o;
}
}  // namespace

CheckpointSubject make_checkpoint_subject() {
  torch::manual_seed(0);  // the same weights every time: a seed written today equals one written tomorrow
  CheckpointSubject s;
  s.net = model::UNet(tiny_network());
  s.optimizer = std::make_unique<torch::optim::AdamW>(s.net->parameters(), torch::optim::AdamWOptions(1e-3));
  s.time_sampler = diffusion::make_time_sampler({"importance", "unbiased"}, kTimesteps);
  return s;
}

void write_checkpoint_seed(const std::filesystem::path& path) {
  CheckpointSubject s = make_checkpoint_subject();
  for (auto& p : s.net->parameters()) p.mutable_grad() = torch::full_like(p, 0.5);
  s.optimizer->step();
  s.time_sampler->update(torch::arange(kTimesteps, torch::kLong), torch::linspace(0.1, 1.0, kTimesteps));
  train::TrainingState state;
  state.step = 1;
  state.batch_size = 1;
  train::save_checkpoint(path, s.net, *s.optimizer, state, *s.time_sampler);
}

}  // namespace diffseg::fuzz

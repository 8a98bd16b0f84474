#pragma once
// What fuzz_checkpoint loads a checkpoint into: a tiny network (every kind of block, a few hundred parameters),
// its AdamW optimiser and the importance time sampler (the one with state), built the same way every time. The
// seed checkpoint of fuzz/corpus/checkpoint/ is written from the same objects (write_checkpoint_seed), so it
// loads; after a change to the network's parameters, regenerate it with fuzz/make_corpus.py.
#include <filesystem>
#include <memory>

#include <torch/torch.h>

#include "diffseg/diffusion/time_sampler.h"
#include "diffseg/model/unet.h"

namespace diffseg::fuzz {

struct CheckpointSubject {
  model::UNet net{nullptr};
  std::unique_ptr<torch::optim::AdamW> optimizer;
  std::unique_ptr<diffusion::TimeSampler> time_sampler;
};

CheckpointSubject make_checkpoint_subject();

// A valid checkpoint of make_checkpoint_subject()'s objects after one optimiser step (so AdamW has state).
void write_checkpoint_seed(const std::filesystem::path& path);

}  // namespace diffseg::fuzz

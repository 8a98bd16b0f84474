#pragma once
// Checkpoints: model, optimiser, loop position, best score, time-sampler state and RNG states in one file, written
// to a temporary file and renamed, so a kill at any moment leaves the previous checkpoint intact.
#include <filesystem>
#include <limits>

#include <ATen/core/Generator.h>
#include <torch/torch.h>

#include "diffseg/diffusion/time_sampler.h"
#include "diffseg/model/unet.h"

namespace diffseg::train {

struct TrainingState {
  int64_t step = 0;                // completed steps (= batches consumed)
  int64_t skipped = 0;             // steps skipped for a non-finite loss or gradient, in total
  double best_score = -std::numeric_limits<double>::infinity();
  int64_t best_step = -1;
  int64_t evals_without_improvement = 0;
};

void save_checkpoint(const std::filesystem::path& path, model::UNet& net, torch::optim::Optimizer& optimizer,
                     const TrainingState& state, const diffusion::TimeSampler& time_sampler, at::Generator& generator);

// Restores everything saved above, including the default CPU generator (dropout) and `generator`.
void load_checkpoint(const std::filesystem::path& path, model::UNet& net, torch::optim::Optimizer& optimizer,
                     TrainingState& state, diffusion::TimeSampler& time_sampler, at::Generator& generator);

// Only the weights (for inference from a checkpoint).
void load_checkpoint_weights(const std::filesystem::path& path, model::UNet& net);

}  // namespace diffseg::train

#pragma once
// Checkpoints: model, optimiser, loop position, best score, time-sampler state and the job's layout in one file,
// written to a temporary file and renamed, so a kill at any moment leaves the previous checkpoint intact. There is
// no generator state to save: every random stream of a step (data order, augmentation, noise, time steps, dropout)
// is keyed by (seed, step, sample), on every rank, so the step count alone resumes them exactly.
#include <filesystem>
#include <limits>
#include <map>
#include <string>

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
  // How the global batch was made when the checkpoint was written (world × batch × accumulation).
  int64_t world_size = 1, batch_size = 0, accumulate_steps = 1;
  double loss_scale = 65536.0;  // float16 dynamic loss scaling (LossScaler)
  int64_t loss_scale_good_steps = 0;
};

void save_checkpoint(const std::filesystem::path& path, model::UNet& net, torch::optim::Optimizer& optimizer,
                     const TrainingState& state, const diffusion::TimeSampler& time_sampler);

// Restores everything saved above (a checkpoint from before the layout was saved reads as 1 × its batch × 1).
void load_checkpoint(const std::filesystem::path& path, model::UNet& net, torch::optim::Optimizer& optimizer,
                     TrainingState& state, diffusion::TimeSampler& time_sampler);

// Only the weights (for inference from a checkpoint).
void load_checkpoint_weights(const std::filesystem::path& path, model::UNet& net);

// The model's tensors in a checkpoint by their state-dict names ("stem.conv.weight", ...), without a network to load
// them into (train --init-from reads a supervised run's checkpoint this way). InputError naming the file when it is
// missing, damaged or holds no model.
std::map<std::string, torch::Tensor> read_checkpoint_tensors(const std::filesystem::path& path);

}  // namespace diffseg::train

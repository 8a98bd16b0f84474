#pragma once
// Everything a training run needs, read from the run config (see configs/*.yaml for the keys and defaults).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "diffseg/core/config.h"
#include "diffseg/data/augment.h"
#include "diffseg/diffusion/gaussian_diffusion.h"
#include "diffseg/diffusion/sampler.h"
#include "diffseg/diffusion/time_sampler.h"
#include "diffseg/train/loss.h"
#include "diffseg/train/lr_schedule.h"
#include "diffseg/train/strategy.h"

namespace diffseg::train {

struct TrainerOptions {
  std::filesystem::path data;        // dataset folder (dataset.json)
  std::filesystem::path out;         // run folder
  std::string strategy = "rec_xT";
  // train.init_from: a supervised run folder or weights file the network starts from instead of random weights
  // (train/init_from.h); not read on --resume, which continues from the run's own checkpoint.
  std::filesystem::path init_from;
  int64_t max_steps = 1000;
  int64_t batch_size = 8;            // per process and micro-batch
  int64_t accumulate_steps = 1;      // micro-batches per step: global batch = world × batch_size × accumulate_steps
  std::vector<int64_t> patch;        // tensor axis order
  std::vector<int64_t> overlap;      // sliding-window overlap at validation/inference, tensor order (data.overlap)
  LrSchedule lr;
  double weight_decay = 1e-8;
  double grad_clip = 1.0;
  int64_t checkpoint_every = 100;
  int64_t keep_checkpoints = 2;
  int64_t validate_every = 100;
  int64_t validation_cases = 0;      // 0 = all
  int64_t patience = 10;             // evaluations without improvement before stopping (0 = never stop early)
  double min_delta = 1e-4;
  int64_t max_nonfinite_steps = 10;  // consecutive skipped steps before giving up
  // Global batch the step counts above were written for (train.budget_batch; 0 = the run's own): a run with
  // another global batch has them rescaled so they keep their meaning in samples (rescale_to_budget).
  int64_t budget_batch = 0;
  std::string precision = "float32";  // float32 | bf16 | fp16 (autocast of forward + loss)
  bool deterministic = false;  // only deterministic kernels (bit-exact GPU runs and resumes; core/runtime.h)
  int workers = 2;
  bool augment = true;
  data::AugmentOptions augmentation;
  uint64_t seed = 0;
  LossWeights loss;
  StrategyOptions strategy_options;
  diffusion::ScheduleOptions schedule;
  diffusion::ModelOutput model_output = diffusion::ModelOutput::x_start;
  diffusion::VarianceType variance = diffusion::VarianceType::fixed_small;
  diffusion::TimeSamplerOptions time_sampler;
  diffusion::SamplerOptions sampler;  // validation sampling (DDPM, 5 steps)
  // Distributed jobs (dist.*): the longest wait for another rank, the gradient bucket size, and whether buckets
  // all-reduce while backward runs.
  int64_t dist_timeout_s = 300;
  int64_t bucket_mb = 25;
  bool overlap_communication = true;
};

// Reads the train/loss/diffusion/eval sections; data.path, out and the strategy may be overridden by the caller.
TrainerOptions trainer_options_from_config(const Config& config);

// With budget_batch set and a global batch (ranks × batch_size × accumulate_steps) other than it: max_steps, the
// LR warm-up and decay, validate_every and checkpoint_every scaled by budget_batch / global_batch (rounded, at
// least 1), so the run sees as many samples, validates and checkpoints after as many, and follows the same LR
// curve over samples; early-stopping patience counts validations, so it keeps its meaning unchanged. Returns a
// one-line description of the change, empty when nothing changed.
std::string rescale_to_budget(TrainerOptions& options, int64_t global_batch);

}  // namespace diffseg::train

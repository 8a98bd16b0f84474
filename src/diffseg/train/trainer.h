#pragma once
// The one training loop for every strategy (method.md): AdamW with global-norm clipping and a warm-up cosine
// schedule, gradient accumulation, data-parallel training over the ranks of a dist::Group, periodic validation
// with the sampler (mean foreground Dice of the last step), best/last checkpoints, early stopping, skipping of
// non-finite steps, a clean stop on SIGTERM/SIGINT, and exact resumption after any interruption.
//
// Run folder (written by rank 0 only): config.yaml (effective config), log.csv (one row per step),
// validation.csv, checkpoints/ (last.ckpt, best.ckpt, step_NNNNNN.ckpt), model_best.pt / model_last.pt (PyTorch
// state dicts), status.json.
#include <memory>

#include <c10/core/Device.h>

#include "diffseg/core/config.h"
#include "diffseg/dist/process_group.h"
#include "diffseg/train/trainer_options.h"

namespace diffseg::train {

struct TrainResult {
  int64_t steps = 0, skipped = 0, best_step = -1;
  double best_score = 0;
  bool stopped_early = false;
};

// `config` is the effective run config (written into the run folder); `resume` continues from
// checkpoints/last.ckpt of options.out (UsageError when there is none). `group`: the job's processes (null = one
// process). Every rank must call this with the same config and dataset (checked). InterruptedError after a
// SIGTERM/SIGINT, once the checkpoint of the last finished step is written.
TrainResult run_training(Config config, TrainerOptions options, c10::Device device, bool resume,
                         std::shared_ptr<dist::Group> group = nullptr);

}  // namespace diffseg::train

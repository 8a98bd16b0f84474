#pragma once
// The one training loop for every strategy (DESIGN §5, §8): AdamW with global-norm clipping and a warm-up cosine
// schedule, periodic validation with the sampler (mean foreground Dice of the last step), best/last checkpoints,
// early stopping, skipping of non-finite steps, and exact resumption after any interruption.
//
// Run folder: config.yaml (effective config), log.csv (one row per step), validation.csv, checkpoints/
// (last.ckpt, best.ckpt, step_NNNNNN.ckpt), model_best.pt / model_last.pt (PyTorch state dicts), status.json.
#include <c10/core/Device.h>

#include "diffseg/core/config.h"
#include "diffseg/train/trainer_options.h"

namespace diffseg::train {

struct TrainResult {
  int64_t steps = 0, skipped = 0, best_step = -1;
  double best_score = 0;
  bool stopped_early = false;
};

// `config` is the effective run config (written into the run folder); `resume` continues from
// checkpoints/last.ckpt of options.out (UsageError when there is none).
TrainResult run_training(Config config, TrainerOptions options, c10::Device device, bool resume);

}  // namespace diffseg::train

#pragma once
// An experiment: a grid of training strategies × samplers on one dataset, run to completion (resumable: finished
// runs and evaluations are skipped, interrupted runs resume), then tabulated like the paper:
//   results/table1.{csv,md}  Dice / HD95 of the last step per strategy × sampler
//   results/table2.{csv,md}  supervised vs a diffusion strategy vs their ensemble: Wilcoxon p on Dice and HD95,
//                            bootstrap 95 % interval of the mean Dice difference (experiment/table2.h)
//   results/table4.{csv,md}  seed variance per step (mean over cases of max − min across seeds), DDPM
//   results/steps.csv        Dice and HD95 per sampling step for every strategy × sampler
//   results/train_seeds.{csv,md}  with train_seeds > 1: mean ± std over training seeds beside the inference-seed
//                            variance (Tables 1, 2 and 4 use the first training seed)
//   results/leakage.{csv,md} the leakage diagnostic (eval/leakage.h, docs/leakage.md) of every diffusion strategy's
//                            first training seed on the test split: one row per strategy and level
#include <filesystem>
#include <string>
#include <vector>

#include <c10/core/Device.h>

#include "diffseg/core/config.h"

namespace diffseg::experiment {

struct ExperimentSpec {
  std::string name;
  std::filesystem::path config;       // run config (absolute after loading)
  std::filesystem::path data;         // dataset folder; empty = generate synthetic data into OUT/data
  int synthetic_dims = 2, synthetic_cases = 40, synthetic_classes = 3;
  std::vector<int64_t> synthetic_size{48, 48};
  uint64_t synthetic_seed = 0;
  std::vector<std::string> strategies, samplers;
  int64_t steps = 5, seeds = 1;
  int64_t train_seeds = 1;  // each strategy trained this many times (train.seed, train.seed + 1, ...)
  int64_t examples = 3;  // test cases shown as figures in the report
  std::string ensemble_supervised;                 // strategy name of the supervised run ("" = no ensemble)
  std::vector<std::string> ensemble_with;          // diffusion strategies to ensemble with it
  std::vector<Setting> overrides;                  // run-config settings for every run, in order
  bool leakage = true;  // run the leakage diagnostic (`leakage: false` skips it in long experiments)
};

ExperimentSpec load_experiment(const std::filesystem::path& yaml);

struct ExperimentOptions {
  std::filesystem::path out;
  c10::Device device = c10::kCPU;
  int threads = 0;
};

// Builds and checks every run's config (presets, overrides, grid entries, training seeds) as run_experiment would,
// without training, reading the data or writing anything; returns the number of runs. UsageError or InputError
// naming the setting for the first run that would fail. `diffseg experiment --check`.
int64_t check_experiment(const ExperimentSpec& spec);

// Runs everything not yet done; returns the path of results/table1.md.
std::filesystem::path run_experiment(const ExperimentSpec& spec, const ExperimentOptions& options);

}  // namespace diffseg::experiment

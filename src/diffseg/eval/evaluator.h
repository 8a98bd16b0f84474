#pragma once
// Evaluation the way the paper does it (docs/method.md): every sampling step's segmentation scored per
// case and class (Dice, HD95, ASSD, NSD), several inference seeds for the seed-variance table, and optionally the
// ensemble of a diffusion run with a supervised run (class probabilities averaged).
//
// Writes into `out`: cases.csv/.json (case, seed, step, label, metrics), steps.csv/.md (mean ± std per step over
// cases, seed 0, with the seed variance in dice_seed_range/hd95_seed_range: mean over cases of max − min across
// seeds), ensemble.csv/.md when
// asked, summary.json, with `examples` > 0 colour figures of the first cases in examples/ (index.json lists them),
// and with `save_predictions` the label and uncertainty maps infer would write, in predictions/.
//
// ensemble.csv: one row each for the supervised run, the diffusion run (seed 0, last step) and their ensemble, with
// columns method, dice_mean, dice_std, hd95_mean, hd95_std, then against the supervised run on the same cases:
// dice_p_vs_supervised, hd95_p_vs_supervised (two-sided Wilcoxon signed-rank on per-case scores) and
// dice_diff_vs_supervised, dice_diff_ci_low, dice_diff_ci_high (mean per-case Dice difference, row − supervised,
// with its paired percentile bootstrap 95 % interval: 10000 resamples, seed 0). NaN in the supervised row.
#include <filesystem>
#include <string>
#include <vector>

#include <c10/core/Device.h>

#include "diffseg/diffusion/sampler.h"
#include "diffseg/dist/process_group.h"
#include "diffseg/metrics/segmentation_metrics.h"

namespace diffseg::eval {

struct EvalOptions {
  std::string split = "test";
  std::string checkpoint = "best";
  diffusion::SamplerOptions sampler;   // kind and steps; the run's time input is kept
  int64_t seeds = 1;
  std::vector<int64_t> overlap;        // sliding-window overlap (default 0)
  metrics::MetricOptions metrics;
  std::filesystem::path ensemble_with; // a supervised run to ensemble with (optional)
  std::filesystem::path data;          // dataset folder; default: the run's data.path
  int64_t examples = 0;                // figures for the first N cases (examples/, for the report)
  bool save_predictions = false;       // predictions/<case>.nii.gz and <case>_uncertainty.nii.gz, as infer does
  // The dataset holds raw scans and their own labels (class ids): the run's preprocessing is applied to each scan
  // and the predictions are scored on the scan's grid (`evaluate --on raw`); summary.json says which grid.
  bool on_raw_grid = false;
};

struct StepSummary {
  int64_t step;                 // 1-based, as in the paper ("step 1" = first denoising step)
  double dice_mean, dice_std, hd95_mean, hd95_std;
  int64_t hd95_nan;
  double dice_seed_range, hd95_seed_range;  // seed variance (NaN with one seed)
};

struct EvalSummary {
  std::string run, strategy, sampler;
  std::vector<StepSummary> steps;
  int64_t failed_cases = 0;  // unreadable cases, reported and left out
  double ensemble_dice = std::nan(""), ensemble_hd95 = std::nan("");
  // Two-sided Wilcoxon signed-rank p against the supervised run's per-case Dice and HD95 (metrics/statistics.h).
  double ensemble_p_value = std::nan(""), ensemble_hd95_p_value = std::nan("");
};

// `group`: under torchrun, case i is evaluated by rank i mod N and the results gathered; every rank returns the
// summary, rank 0 writes the files (null = one process).
EvalSummary evaluate_run(const std::filesystem::path& run, const EvalOptions& options, c10::Device device,
                         const std::filesystem::path& out, dist::Group* group = nullptr);

}  // namespace diffseg::eval

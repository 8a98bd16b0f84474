#pragma once
// The leakage diagnostic (`diffseg diagnose`, docs/leakage.md): how much better a diffusion run's one-step x0
// prediction is when its mask input is the noised ground truth (what plain diffusion training shows it) than when it
// is its own noised prediction (what it sees when sampling). For each chain level t, over the cases of a split:
//   dice_truth_input           Dice of the prediction from q(x0, t)
//   dice_own_prediction_input  Dice of the prediction from q(x̂0, t), x̂0 = the network's prediction from x_{T−1}
//                              (recycling's pre-segmentation, train/one_step.h)
//   gap                        their difference (first − second)
// The per-case work, with the network injected, is eval/leakage_case.h.
//
// Writes into `out`: leakage.csv and leakage.md (columns strategy, t, schedule_index, alpha_bar, dice_truth_input,
// dice_own_prediction_input, gap, n_cases), and leakage_cases.csv (case, t, the two Dice values).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <c10/core/Device.h>

namespace diffseg::eval {

struct LeakageOptions {
  std::string split = "validation";
  std::string checkpoint = "best";
  std::vector<int64_t> levels;   // chain indices t (`--t`); empty: default_leakage_levels of the run's chain
  uint64_t seed = 0;             // noise of (case i, level t) comes from the stream (seed, t, i): leakage_case.h
  std::filesystem::path data;    // dataset folder; default: the run's data.path
  int metric_threads = 0;        // Dice scoring (0 = all cores)
};

struct LeakageRow {
  int64_t t = 0;               // index into the run's training chain
  int64_t schedule_index = 0;  // the base schedule's index of that level (differs from t on a respaced chain)
  double alpha_bar = 0;        // ā_t of the chain
  double dice_truth_input = 0, dice_own_prediction_input = 0, gap = 0;  // means over the n_cases cases
  int64_t n_cases = 0;         // cases with a Dice under both inputs (a case with no foreground anywhere has none)
};

struct LeakageReport {
  std::string run, strategy, split;
  int64_t chain_points = 0;        // T of the run's training chain
  std::vector<LeakageRow> rows;    // one per level, in increasing t
  int64_t failed_cases = 0;        // unreadable cases, reported and left out
};

// Levels used when none are asked for: 11 evenly spread over the chain, round(linspace(0, T−1, min(T, 11))) —
// 0, 100, …, 1000 on a 1001-point chain; every index of a chain of at most 11 points (the paper-era 5-point chain:
// 0 … 4, the base schedule's 0, 250, 500, 750, 1000).
std::vector<int64_t> default_leakage_levels(int64_t chain_points);

// UsageError (exit 2) for a supervised run (it has no mask input) and for levels outside the chain; InputError for
// a missing run file, unreadable data or a case without a label.
LeakageReport diagnose_leakage(const std::filesystem::path& run, const LeakageOptions& options, c10::Device device,
                               const std::filesystem::path& out);

}  // namespace diffseg::eval

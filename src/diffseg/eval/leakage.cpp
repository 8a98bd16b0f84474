#include "diffseg/eval/leakage.h"

#include <algorithm>
#include <cmath>

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "diffseg/core/atomic_file.h"
#include "diffseg/core/error.h"
#include "diffseg/core/progress.h"
#include "diffseg/core/results.h"
#include "diffseg/data/augment.h"
#include "diffseg/data/case_cache.h"
#include "diffseg/data/patches.h"
#include "diffseg/data/tensor_image.h"
#include "diffseg/diffusion/mask_space.h"
#include "diffseg/diffusion/sample_streams.h"
#include "diffseg/diffusion/schedule.h"
#include "diffseg/eval/inference.h"
#include "diffseg/eval/leakage_case.h"
#include "diffseg/eval/trained_run.h"
#include "diffseg/io/splits.h"
#include "diffseg/metrics/segmentation_metrics.h"
#include "diffseg/train/one_step.h"

namespace diffseg::eval {
namespace fs = std::filesystem;

namespace {

// Standard normal noise of one case shaped like `like` (K, *spatial), from the stream (seed, key, case).
at::Tensor case_noise(const at::Tensor& like, uint64_t seed, int64_t key, uint64_t case_index) {
  diffusion::SampleStreams streams(seed, key, static_cast<int64_t>(case_index), 1);
  std::vector<int64_t> shape{1};
  for (int64_t s : like.sizes()) shape.push_back(s);
  return streams.normal(shape, like.device())[0];
}

}  // namespace

CaseLeakage case_leakage(const train::Network& net, const diffusion::GaussianDiffusion& chain,
                         const at::Tensor& image, const at::Tensor& labels, int64_t k,
                         const std::vector<int64_t>& levels, const LeakageWindows& windows, uint64_t seed,
                         uint64_t case_index, int metric_threads, const std::function<void()>& after_level) {
  c10::InferenceMode inference;
  const int64_t c = image.size(0);
  const int64_t dims = image.dim() - 1;
  const std::vector<int64_t> patch = windows.patch.empty() ? image.sizes().slice(1).vec() : windows.patch;
  std::vector<int64_t> overlap = windows.overlap;
  overlap.resize(patch.size(), 0);
  if (static_cast<int64_t>(patch.size()) != dims)
    throw UsageError("the window has " + std::to_string(patch.size()) + " axes, the image " + std::to_string(dims));

  // The one-step prediction of the windows (B, C + 2K, *patch) of image, x0 and noise, all at `level`: the windows'
  // log-probabilities and x̂0 (B, 2K, *patch). Each window's image channels are rescaled as inference does.
  const auto predict_windows = [&](const at::Tensor& w, int64_t level) {
    const int64_t b = w.size(0);
    std::vector<at::Tensor> scaled;
    for (int64_t i = 0; i < b; ++i) scaled.push_back(data::rescale_intensity(w[i].narrow(0, 0, c)));
    const at::Tensor t = torch::full({b}, level, w.options().dtype(torch::kLong));
    const at::Tensor x0_hat =
        train::one_step_x0(net, chain, torch::stack(scaled), w.narrow(1, c, k), t, w.narrow(1, c + k, k));
    return torch::cat({diffusion::x_to_logits(x0_hat), x0_hat}, 1);
  };
  // The same over the whole image, from x0 (K, *spatial) noised to `level` with `noise`, window by window as
  // inference runs: (2K, *spatial) = the windows' mean log-probabilities, then their mean x̂0.
  const auto predict = [&](const at::Tensor& x0, const at::Tensor& noise, int64_t level) {
    return data::sliding_window(torch::cat({image, x0, noise}, 0), patch, overlap, windows.window_batch,
                                data::Blend::mean, [&](const at::Tensor& w) { return predict_windows(w, level); });
  };

  // Scored as the evaluator scores a case: per foreground class Dice (NaN when absent from both), mean of the rest.
  const std::vector<int32_t> truth = data::to_label_vector(labels);
  metrics::Grid grid;
  grid.dims = static_cast<int>(dims);
  for (int64_t a = 0; a < dims; ++a) grid.size[static_cast<size_t>(a)] = labels.size(dims - 1 - a);  // x fastest
  metrics::MetricOptions mo;
  mo.threads = metric_threads;
  std::vector<int> classes;
  for (int64_t cl = 1; cl < k; ++cl) classes.push_back(static_cast<int>(cl));
  const auto dice = [&](const at::Tensor& blended) {
    const std::vector<int32_t> predicted = data::to_label_vector(blended.narrow(0, 0, k).argmax(0));
    std::vector<double> per_class;
    for (const metrics::ClassMetrics& m : metrics::compare_label_maps(predicted, truth, grid, classes, mo))
      per_class.push_back(m.dice);
    return summarise(per_class).mean;  // over the classes that are not NaN; NaN when every class is
  };

  const at::Tensor x0 = diffusion::labels_to_x(labels.unsqueeze(0), k)[0].to(image.device());
  const int64_t last = chain.num_timesteps() - 1;
  // Recycling's pre-segmentation: the prediction from x_{T-1} = q(x0, T-1, ε), as rec_xT's first pass makes it.
  const at::Tensor own = predict(x0, case_noise(x0, seed, -1, case_index), last).narrow(0, k, k);

  CaseLeakage out;
  for (const int64_t level : levels) {
    const at::Tensor eps = case_noise(x0, seed, level, case_index);
    out.truth_input.push_back(dice(predict(x0, eps, level)));
    out.own_prediction_input.push_back(dice(predict(own, eps, level)));
    if (after_level) after_level();
  }
  return out;
}

std::vector<int64_t> default_leakage_levels(int64_t chain_points) {
  return diffusion::inference_indices(chain_points, std::min<int64_t>(chain_points, 11));
}

LeakageReport diagnose_leakage(const fs::path& run_folder, const LeakageOptions& o, c10::Device device,
                               const fs::path& out) {
  TrainedRun run = load_run(run_folder, o.checkpoint, device);
  const std::string strategy = run.strategy->name();
  if (!run.strategy->is_diffusion())
    throw UsageError("diagnose needs a diffusion run: " + (run_folder / "config.yaml").string() +
                     " says strategy " + strategy + ", whose network has no mask input to be shown the ground truth");
  const diffusion::GaussianDiffusion& chain = *run.diffusion;
  const int64_t T = chain.num_timesteps();
  std::vector<int64_t> levels = o.levels.empty() ? default_leakage_levels(T) : o.levels;
  for (const int64_t t : levels)
    if (t < 0 || t >= T)
      throw UsageError("--t: level " + std::to_string(t) + " is outside the training chain of " +
                       (run_folder / "config.yaml").string() + " (diffusion.num_timesteps = " + std::to_string(T) +
                       ": levels 0 to " + std::to_string(T - 1) + ")");
  std::sort(levels.begin(), levels.end());
  levels.erase(std::unique(levels.begin(), levels.end()), levels.end());

  const fs::path data_path = o.data.empty() ? run.options.data : o.data;
  const io::Dataset dataset = io::read_dataset(data_path, io::SplitOptions::from_config(run.config));
  const data::CaseCache cases(dataset, o.split, 0, /*skip_bad=*/true);
  if (cases.size() == 0 && !cases.failures().empty())
    throw InputError(data_path, "none of the " + std::to_string(cases.failures().size()) + " case(s) of the " +
                                    o.split + " split could be read; the first: " + cases.failures().front());
  if (cases.size() == 0)
    throw UsageError("the " + o.split + " split of " + data_path.string() + " has no usable cases (--split)");
  for (const data::CachedCase& c : cases.cases())
    if (!c.label.defined()) throw InputError(c.id, "has no label to compare the predictions with");
  ensure_directory(out);

  // The run's network as inference runs it (evaluation mode); a self-conditioning network's second mask input
  // gets zeros, as at its first sampling step.
  const bool self_conditioning = run.strategy->self_conditioning();
  const train::Network net = [&](const at::Tensor& image, const at::Tensor& mask, const at::Tensor& time) {
    return run.net->forward(image, self_conditioning ? torch::cat({mask, torch::zeros_like(mask)}, 1) : mask, time);
  };
  const train::PredictOptions po = predict_options(run, InferenceOptions{});
  LeakageWindows windows;
  windows.patch = po.patch;
  windows.overlap = po.overlap;
  windows.window_batch = po.window_batch;

  std::vector<CaseLeakage> per_case;
  {
    Progress progress("diagnose " + strategy, static_cast<int64_t>(cases.size() * levels.size()), "levels");
    for (size_t i = 0; i < cases.size(); ++i) {
      const data::CachedCase& c = cases[i];
      per_case.push_back(case_leakage(net, chain, c.image.to(device), c.label.to(device), run.num_classes, levels,
                                      windows, o.seed, i, o.metric_threads, [&] { progress.advance(); }));
    }
    progress.finish();
  }

  LeakageReport report;
  report.run = run_folder.filename().string();
  report.strategy = strategy;
  report.split = o.split;
  report.chain_points = T;
  report.failed_cases = static_cast<int64_t>(cases.failures().size());
  const diffusion::ScheduleOptions& schedule = run.options.schedule;
  const std::vector<int64_t> kept = T < schedule.schedule_points
                                        ? diffusion::inference_indices(schedule.schedule_points, T)
                                        : std::vector<int64_t>{};
  ResultTable table({"strategy", "t", "schedule_index", "alpha_bar", "dice_truth_input", "dice_own_prediction_input",
                     "gap", "n_cases"});
  ResultTable case_table({"case", "t", "dice_truth_input", "dice_own_prediction_input"});
  for (size_t l = 0; l < levels.size(); ++l) {
    std::vector<double> a, b;  // the cases scored under both inputs
    for (size_t i = 0; i < cases.size(); ++i) {
      const double da = per_case[i].truth_input[l], db = per_case[i].own_prediction_input[l];
      case_table.add({cases[i].id, levels[l], da, db});
      if (std::isnan(da) || std::isnan(db)) continue;
      a.push_back(da);
      b.push_back(db);
    }
    LeakageRow row;
    row.t = levels[l];
    row.schedule_index = kept.empty() ? row.t : kept[static_cast<size_t>(row.t)];
    row.alpha_bar = chain.alphas_cumprod()[static_cast<size_t>(row.t)];
    row.dice_truth_input = summarise(a).mean;
    row.dice_own_prediction_input = summarise(b).mean;
    row.gap = row.dice_truth_input - row.dice_own_prediction_input;
    row.n_cases = static_cast<int64_t>(a.size());
    report.rows.push_back(row);
    table.add({strategy, row.t, row.schedule_index, row.alpha_bar, row.dice_truth_input, row.dice_own_prediction_input,
               row.gap, row.n_cases});
  }
  table.write_csv(out / "leakage.csv");
  case_table.write_csv(out / "leakage_cases.csv");
  const std::string md =
      "# Leakage: " + report.run + " (" + strategy + "), " + o.split + " split, " + std::to_string(cases.size()) +
      " case(s), seed " + std::to_string(o.seed) + "\n\n"
      "Foreground Dice of the network's one-step x0 prediction at chain level t (of " + std::to_string(T) +
      "), given the ground truth noised to t (dice_truth_input) or its own prediction from x_T noised to t "
      "(dice_own_prediction_input); gap = the first minus the second (docs/leakage.md).\n\n" +
      table.to_markdown() + "\n";
  write_text_atomically(out / "leakage.md", md);
  if (report.failed_cases > 0)
    spdlog::error("{} case(s) could not be read and were left out", report.failed_cases);
  return report;
}

}  // namespace diffseg::eval

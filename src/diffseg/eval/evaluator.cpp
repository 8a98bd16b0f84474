#include "diffseg/eval/evaluator.h"

#include <ATen/CPUGeneratorImpl.h>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <type_traits>
#include <variant>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "diffseg/core/atomic_file.h"
#include "diffseg/core/error.h"
#include "diffseg/core/fingerprint.h"
#include "diffseg/core/progress.h"
#include "diffseg/core/results.h"
#include "diffseg/data/case_cache.h"
#include "diffseg/eval/figures.h"
#include "diffseg/eval/inference.h"
#include "diffseg/eval/model_grid.h"
#include "diffseg/data/tensor_image.h"
#include "diffseg/io/splits.h"
#include "diffseg/metrics/mask_postprocess.h"
#include "diffseg/metrics/regions.h"
#include "diffseg/metrics/statistics.h"
#include "diffseg/eval/trained_run.h"
#include "diffseg/train/predictor.h"

namespace diffseg::eval {
namespace fs = std::filesystem;

namespace {

double nanmean(const std::vector<double>& v) {
  double s = 0;
  int64_t n = 0;
  for (double x : v)
    if (!std::isnan(x)) s += x, ++n;
  return n ? s / static_cast<double>(n) : std::nan("");
}

metrics::Grid grid_of(const data::CachedCase& c) {
  metrics::Grid g;
  g.dims = c.spatial_dims;
  const auto s = c.label.sizes();
  g.size = c.spatial_dims == 2 ? std::array<int64_t, 3>{s[1], s[0], 1} : std::array<int64_t, 3>{s[2], s[1], s[0]};
  g.spacing = c.geometry.spacing;
  return g;
}


// Writes <dir>/<case>_{image,truth,step<k>,uncertainty}.png and returns their index entry.
nlohmann::json write_case_figures(const fs::path& dir, const data::CachedCase& c, const std::vector<at::Tensor>& steps,
                                  const at::Tensor& uncertainty, int64_t k) {
  ensure_directory(dir);
  const CaseFigure figure(c.image, c.label, c.spacing);
  nlohmann::json entry = {{"case", c.id}, {"spatial_dims", c.spatial_dims}};
  auto save = [&](const std::string& name, const at::Tensor& rgb) {
    const std::string file = c.id + "_" + name + ".png";
    write_rgb_png(dir / file, rgb);
    return file;
  };
  entry["image"] = save("image", figure.image());
  entry["truth"] = save("truth", figure.overlay(c.label, k));
  entry["steps"] = nlohmann::json::array();
  for (size_t t = 0; t < steps.size(); ++t)
    entry["steps"].push_back(save("step" + std::to_string(t + 1), figure.overlay(steps[t], k)));
  entry["uncertainty"] = save("uncertainty", figure.heat(uncertainty));
  return entry;
}

struct CaseScores {
  double dice, hd95;
};

}  // namespace

namespace {

// What one case contributes: its table rows, the (seed, step) scores, the ensemble's numbers, its figures' entry.
struct CaseResult {
  std::vector<std::vector<Cell>> rows;
  std::vector<std::vector<CaseScores>> scores;  // [seed][step]
  double ens_dice = std::nan(""), ens_hd95 = std::nan(""), sup_dice = std::nan(""), sup_hd95 = std::nan("");
  nlohmann::json example;  // null when the case has no figures
};

// JSON has no NaN or infinity (an empty-mask distance can be +inf): NaN travels as null, ±inf as text.
nlohmann::json number(double v) {
  if (std::isnan(v)) return nullptr;
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}
double number(const nlohmann::json& j) {
  if (j.is_null()) return std::nan("");
  if (j.is_string()) return j.get<std::string>() == "inf" ? INFINITY : -INFINITY;
  return j.get<double>();
}

nlohmann::json to_json(const CaseResult& r) {
  nlohmann::json rows = nlohmann::json::array(), scores = nlohmann::json::array();
  for (const auto& row : r.rows) {
    nlohmann::json cells = nlohmann::json::array();
    for (const Cell& c : row)
      std::visit([&](const auto& v) {
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, double>) cells.push_back(number(v));
        else cells.push_back(v);
      }, c);
    rows.push_back(cells);
  }
  for (const auto& per_seed : r.scores) {
    nlohmann::json steps = nlohmann::json::array();
    for (const CaseScores& x : per_seed) steps.push_back({number(x.dice), number(x.hd95)});
    scores.push_back(steps);
  }
  return {{"rows", rows}, {"scores", scores}, {"ensemble", {number(r.ens_dice), number(r.ens_hd95),
                                                            number(r.sup_dice), number(r.sup_hd95)}},
          {"example", r.example}};
}

CaseResult case_result_from_json(const nlohmann::json& j, const std::vector<std::string>& text_columns,
                                 const std::vector<std::string>& columns) {
  CaseResult r;
  for (const auto& cells : j.at("rows")) {
    std::vector<Cell> row;
    for (size_t c = 0; c < cells.size(); ++c) {
      const bool text = std::find(text_columns.begin(), text_columns.end(), columns[c]) != text_columns.end();
      if (text) row.emplace_back(cells[c].get<std::string>());
      else if (cells[c].is_number_integer()) row.emplace_back(cells[c].get<int64_t>());
      else row.emplace_back(number(cells[c]));
    }
    r.rows.push_back(std::move(row));
  }
  for (const auto& steps : j.at("scores")) {
    std::vector<CaseScores> per_seed;
    for (const auto& x : steps) per_seed.push_back({number(x[0]), number(x[1])});
    r.scores.push_back(std::move(per_seed));
  }
  const auto& e = j.at("ensemble");
  r.ens_dice = number(e[0]), r.ens_hd95 = number(e[1]), r.sup_dice = number(e[2]), r.sup_hd95 = number(e[3]);
  r.example = j.at("example");
  return r;
}

// Everything that is the same for every case of one evaluation.
struct CaseEvaluator {
  const EvalOptions& o;
  TrainedRun& run;
  TrainedRun* supervised;
  InferenceOptions inference;
  int64_t k, steps, seeds;
  std::vector<int> labels;
  std::vector<io::Region> regions;  // scored instead of the classes when the dataset defines them
  c10::Device device;
  fs::path out;

  CaseResult evaluate(size_t i, const data::CachedCase& c) const {
    if (!c.label.defined()) throw InputError(c.id, "has no label to evaluate against");
    CaseResult result;
    const auto truth = data::to_label_vector(c.label);
    const metrics::Grid grid = grid_of(c);
    // On the raw grid (--on raw) the case is a raw scan with its own labels: the network sees it through the run's
    // preprocessing, and every prediction goes back onto the scan's grid before it is scored (eval/model_grid.h).
    const io::Image scan = o.on_raw_grid ? data::to_image(c.image, c.spatial_dims, c.geometry) : io::Image{};
    const ModelInput model_input =
        o.on_raw_grid ? to_model_grid(scan, run, InputKind::automatic, c.id) : ModelInput{};
    const at::Tensor image = (o.on_raw_grid ? data::to_tensor(model_input.image) : c.image).to(device);
    auto on_case_grid = [&](const at::Tensor& p) {
      return o.on_raw_grid ? to_scan_grid(p.to(torch::kCPU, torch::kFloat), model_input.image, scan) : p;
    };
    // Scores the label map that is written and shown (eval/inference.h: argmax, then the run's post-processing).
    std::vector<std::vector<int32_t>> truth_regions;
    for (const io::Region& r : regions) truth_regions.push_back(metrics::region_mask(truth, r.labels));
    // Per class, or per region (its index from 1 in the label column) when the dataset defines regions.
    auto compare = [&](const std::vector<int32_t>& predicted) {
      if (regions.empty()) return metrics::compare_label_maps(predicted, truth, grid, labels, o.metrics);
      std::vector<metrics::ClassMetrics> m;
      for (size_t r = 0; r < regions.size(); ++r) {
        metrics::ClassMetrics x = metrics::compare_label_maps(metrics::region_mask(predicted, regions[r].labels),
                                                              truth_regions[r], grid, {1}, o.metrics)
                                      .front();
        x.label = static_cast<int>(r + 1);
        m.push_back(x);
      }
      return m;
    };
    auto score = [&](const at::Tensor& scores, const TrainedRun& model, int64_t seed, int64_t step) {
      const auto m = compare(data::to_label_vector(final_labels(scores, model)));
      std::vector<double> d, h;
      for (const auto& x : m) {
        if (seed >= 0)
          result.rows.push_back({c.id, seed, step, static_cast<int64_t>(x.label), x.dice, x.iou, x.hd95, x.assd,
                                 x.nsd, x.volume_pred, x.volume_ref});
        d.push_back(x.dice);
        h.push_back(x.hd95);
      }
      return CaseScores{nanmean(d), nanmean(h)};
    };
    const CasePrediction prediction =
        predict_case(run, image, i, inference, [&](int64_t s, const at::Tensor& logp) {
          std::vector<CaseScores> per_step;
          for (int64_t t = 0; t < steps; ++t) per_step.push_back(score(on_case_grid(torch::softmax(logp[t], 0)), run, s, t + 1));
          result.scores.push_back(per_step);
        });
    if (o.save_predictions) {
      // The seed ensemble's label map and uncertainty, exactly as infer writes them for this case.
      const fs::path dir = out / "predictions";
      ensure_directory(dir);
      const at::Tensor p = on_case_grid(prediction.mean_probabilities);
      write_label_map(dir / (c.id + ".nii.gz"), p, run, c.spatial_dims, c.geometry);
      write_uncertainty_map(dir / (c.id + "_uncertainty.nii.gz"), p, c.spatial_dims, c.geometry);
    }
    if (static_cast<int64_t>(i) < o.examples) {
      // Figures for the report: image, truth, each step's scored prediction (seed 0), and the uncertainty map.
      std::vector<at::Tensor> step_labels;
      for (int64_t t = 0; t < steps; ++t)
        step_labels.push_back(final_labels(on_case_grid(torch::softmax(prediction.first_seed[t], 0)), run));
      result.example = write_case_figures(out / "examples", c, step_labels,
                                          normalised_entropy(on_case_grid(prediction.mean_probabilities)), k);
    }
    if (supervised) {
      // A supervised run has one seed and one step (seeds_of, steps_of), whatever was asked for the diffusion run.
      const at::Tensor sup = on_case_grid(predict_case(*supervised, image, i, inference).mean_probabilities);
      // The two models' class probabilities averaged (the paper's ensemble); the diffusion side is seed 0's last step.
      const at::Tensor p_diff = on_case_grid(torch::softmax(prediction.first_seed[steps - 1], 0));
      const CaseScores e = score((sup + p_diff) / 2, run, -1, 0);
      const CaseScores su = score(sup, *supervised, -1, 0);
      result.ens_dice = e.dice, result.ens_hd95 = e.hd95, result.sup_dice = su.dice, result.sup_hd95 = su.hd95;
    }
    return result;
  }
};

}  // namespace

EvalSummary evaluate_run(const fs::path& run_folder, const EvalOptions& o, c10::Device device, const fs::path& out,
                         dist::Group* group_in) {
  const std::shared_ptr<dist::Group> single = group_in ? nullptr : dist::Group::single();
  dist::Group& group = group_in ? *group_in : *single;
  TrainedRun run = load_run(run_folder, o.checkpoint, device);
  const fs::path data_path = o.data.empty() ? run.options.data : o.data;
  const io::Dataset dataset = io::read_dataset(data_path, io::SplitOptions::from_config(run.config));
  const data::CaseCache cases(dataset, o.split, 0, /*skip_bad=*/true);
  if (cases.size() == 0 && !cases.failures().empty())  // bad data, not a bad request: exit 3
    throw InputError(data_path, "none of the " + std::to_string(cases.failures().size()) + " case(s) of the " +
                                    o.split + " split could be read; the first: " + cases.failures().front());
  if (cases.size() == 0)
    throw UsageError("the " + o.split + " split of " + data_path.string() + " has no usable cases");
  std::unique_ptr<TrainedRun> supervised;
  if (!o.ensemble_with.empty()) {
    supervised = std::make_unique<TrainedRun>(load_run(o.ensemble_with, o.checkpoint, device));
    if (supervised->strategy->is_diffusion())
      throw UsageError("--ensemble-with needs a supervised run; " + o.ensemble_with.string() + " is " +
                       supervised->strategy->name());
  }
  ensure_directory(out);

  InferenceOptions inference;
  inference.sampler = o.sampler;
  inference.seeds = o.seeds;
  inference.overlap = o.overlap;
  CaseEvaluator ev{o, run, supervised.get(), inference, run.num_classes, steps_of(run, inference),
                   seeds_of(run, inference), {}, {}, device, out};
  const int64_t k = run.num_classes;
  const int64_t steps = ev.steps;
  const int64_t seeds = ev.seeds;
  for (int c = 1; c < k; ++c) ev.labels.push_back(c);
  ev.regions = dataset.regions;

  // Case i is evaluated by rank i mod N; every rank then holds every result (a gather of small JSON texts).
  const std::vector<std::string> columns{"case", "seed", "step", "label", "dice", "iou", "hd95", "assd", "nsd",
                                         "volume_pred", "volume_ref"};
  std::vector<CaseResult> results(cases.size());
  nlohmann::json mine = nlohmann::json::array();
  const std::vector<size_t> my_cases = dist::shard_of(cases.size(), group.rank(), group.size());
  if (group.size() > 1) {
    std::string ids;
    for (const auto& c : cases.cases()) ids += c.id + "\n";
    group.require_identical("list of readable " + o.split + " cases", fingerprint(ids));
  }
  group.run_everywhere("evaluating its cases", [&] {
    Progress progress("evaluate " + run.strategy->name(), static_cast<int64_t>(my_cases.size()) * seeds,
                      "predictions");
    for (const size_t i : my_cases) {
      results[i] = ev.evaluate(i, cases[i]);
      if (group.size() > 1) mine.push_back({{"index", i}, {"result", to_json(results[i])}});
      progress.advance(seeds);
    }
    progress.finish();
  });
  if (group.size() > 1)
    for (const std::string& text : group.allgather_strings(mine.dump()))
      for (const auto& entry : nlohmann::json::parse(text))
        results.at(entry.at("index").get<size_t>()) = case_result_from_json(entry.at("result"), {"case"}, columns);

  ResultTable table(columns);
  std::vector<double> ens_dice, ens_hd95, sup_dice, sup_hd95, diff_dice, diff_hd95;
  nlohmann::json examples = nlohmann::json::array();
  for (const CaseResult& r : results) {
    for (const auto& row : r.rows) table.add(row);
    if (!r.example.is_null()) examples.push_back(r.example);
    if (supervised) {
      ens_dice.push_back(r.ens_dice);
      ens_hd95.push_back(r.ens_hd95);
      sup_dice.push_back(r.sup_dice);
      sup_hd95.push_back(r.sup_hd95);
      diff_dice.push_back(r.scores[0].back().dice);
      diff_hd95.push_back(r.scores[0].back().hd95);
    }
  }

  EvalSummary summary;
  summary.run = run_folder.filename().string();
  summary.strategy = run.strategy->name();
  summary.sampler = run.strategy->is_diffusion() ? diffusion::to_string(o.sampler.kind) : "none";
  summary.failed_cases = static_cast<int64_t>(cases.failures().size());
  ResultTable steps_table({"step", "dice_mean", "dice_std", "hd95_mean", "hd95_std", "hd95_nan", "dice_seed_range",
                           "hd95_seed_range"});
  for (int64_t t = 0; t < steps; ++t) {
    std::vector<double> d, h, dr, hr;
    for (const CaseResult& r : results) {
      const auto& per_seed = r.scores;
      d.push_back(per_seed[0][static_cast<size_t>(t)].dice);
      h.push_back(per_seed[0][static_cast<size_t>(t)].hd95);
      if (seeds > 1) {
        double dmin = INFINITY, dmax = -INFINITY, hmin = INFINITY, hmax = -INFINITY;
        for (const auto& per_step : per_seed) {
          dmin = std::min(dmin, per_step[static_cast<size_t>(t)].dice);
          dmax = std::max(dmax, per_step[static_cast<size_t>(t)].dice);
          hmin = std::min(hmin, per_step[static_cast<size_t>(t)].hd95);
          hmax = std::max(hmax, per_step[static_cast<size_t>(t)].hd95);
        }
        dr.push_back(dmax - dmin);
        hr.push_back(std::isfinite(hmax - hmin) ? hmax - hmin : std::nan(""));
      }
    }
    const Summary sd = summarise(d), sh = summarise(h);
    StepSummary st{t + 1, sd.mean, sd.std, sh.mean, sh.std, sh.nan, seeds > 1 ? nanmean(dr) : std::nan(""),
                   seeds > 1 ? nanmean(hr) : std::nan("")};
    summary.steps.push_back(st);
    steps_table.add({t + 1, st.dice_mean, st.dice_std, st.hd95_mean, st.hd95_std, st.hd95_nan, st.dice_seed_range,
                     st.hd95_seed_range});
  }
  const bool write = group.is_main();  // every rank has the summary; rank 0 writes the tables
  if (write) {
    table.write_csv(out / "cases.csv");
    table.write_json(out / "cases.json");
    steps_table.write_csv(out / "steps.csv");
    write_text_atomically(out / "steps.md", steps_table.to_markdown());
  }
  nlohmann::json js{{"run", summary.run}, {"strategy", summary.strategy}, {"sampler", summary.sampler},
                    {"split", o.split}, {"cases", cases.size()}, {"failed_cases", cases.failures()},
                    {"seeds", seeds}, {"steps", steps}, {"ranks", group.size()}};
  // What the "label" column of cases.csv counts: the classes, or the dataset's regions (1 = the first).
  js["scored"] = ev.regions.empty() ? "classes" : "regions";
  js["grid"] = o.on_raw_grid ? "raw" : "prepared";  // which voxels the metrics were computed on
  if (!ev.regions.empty()) {
    nlohmann::json names = nlohmann::json::array();
    for (const io::Region& r : ev.regions) names.push_back({{"label", names.size() + 1}, {"name", r.name}, {"classes", r.labels}});
    js["regions"] = names;
  }
  if (supervised) {
    // Each method against the supervised run on the same cases (the columns are described in evaluator.h).
    struct VersusSupervised {
      metrics::WilcoxonResult dice, hd95;
      metrics::MeanDifferenceInterval dice_difference;
    };
    auto versus_supervised = [&](const std::vector<double>& dice, const std::vector<double>& hd95) {
      return VersusSupervised{metrics::wilcoxon_signed_rank(dice, sup_dice),
                              metrics::wilcoxon_signed_rank(hd95, sup_hd95),
                              metrics::bootstrap_mean_difference(dice, sup_dice)};
    };
    ResultTable ens({"method", "dice_mean", "dice_std", "hd95_mean", "hd95_std", "dice_p_vs_supervised",
                     "hd95_p_vs_supervised", "dice_diff_vs_supervised", "dice_diff_ci_low", "dice_diff_ci_high"});
    auto add = [&](const std::string& method, const std::vector<double>& dice, const std::vector<double>& hd95,
                   const VersusSupervised& v) {
      const Summary sd = summarise(dice), sh = summarise(hd95);
      ens.add({method, sd.mean, sd.std, sh.mean, sh.std, v.dice.p_value, v.hd95.p_value, v.dice_difference.mean,
               v.dice_difference.low, v.dice_difference.high});
    };
    const VersusSupervised diffusion = versus_supervised(diff_dice, diff_hd95);
    const VersusSupervised ensemble = versus_supervised(ens_dice, ens_hd95);
    add("supervised", sup_dice, sup_hd95, VersusSupervised{});  // all NaN: the reference itself
    add(summary.strategy, diff_dice, diff_hd95, diffusion);
    add("ensemble", ens_dice, ens_hd95, ensemble);
    summary.ensemble_dice = summarise(ens_dice).mean;
    summary.ensemble_hd95 = summarise(ens_hd95).mean;
    summary.ensemble_p_value = ensemble.dice.p_value;
    summary.ensemble_hd95_p_value = ensemble.hd95.p_value;
    if (write) {
      ens.write_csv(out / "ensemble.csv");
      write_text_atomically(out / "ensemble.md", ens.to_markdown());
    }
    js["ensemble"] = {{"dice", summary.ensemble_dice}, {"hd95", summary.ensemble_hd95},
                      {"dice_p_vs_supervised", summary.ensemble_p_value},
                      {"hd95_p_vs_supervised", summary.ensemble_hd95_p_value},
                      {"dice_diff_vs_supervised", number(ensemble.dice_difference.mean)},
                      {"dice_diff_ci", {number(ensemble.dice_difference.low), number(ensemble.dice_difference.high)}}};
  }
  const StepSummary& last = summary.steps.back();
  js["final"] = {{"dice", last.dice_mean}, {"dice_std", last.dice_std}, {"hd95", last.hd95_mean},
                 {"hd95_std", last.hd95_std}};
  if (write && !examples.empty()) write_text_atomically(out / "examples" / "index.json", examples.dump(2) + "\n");
  if (write) write_text_atomically(out / "summary.json", js.dump(2) + "\n");
  return summary;
}

}  // namespace diffseg::eval

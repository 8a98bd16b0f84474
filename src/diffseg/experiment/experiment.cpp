#include "diffseg/experiment/experiment.h"

#include <algorithm>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include "diffseg/core/atomic_file.h"
#include "diffseg/core/config.h"
#include "diffseg/core/error.h"
#include "diffseg/core/progress.h"
#include "diffseg/core/results.h"
#include "diffseg/core/seed.h"
#include "diffseg/data/synthetic.h"
#include "diffseg/eval/evaluator.h"
#include "diffseg/eval/leakage.h"
#include "diffseg/experiment/grid_entry.h"
#include "diffseg/experiment/table2.h"
#include "diffseg/model/model_config.h"
#include "diffseg/train/run_config_keys.h"
#include "diffseg/train/strategy_registry.h"
#include "diffseg/train/trainer.h"

namespace diffseg::experiment {
namespace fs = std::filesystem;

namespace {
bool finished(const fs::path& run) {
  std::ifstream in(run / "status.json");
  if (!in) return false;
  try {
    return nlohmann::json::parse(in).value("finished", false);
  } catch (...) {
    return false;
  }
}
double number(const nlohmann::json& j) { return j.is_number() ? j.get<double>() : std::nan(""); }
nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}
constexpr const char* kTrainSeedsLegend =
    "dice_mean ± dice_std, hd95_mean ± hd95_std: over the training seeds, of each training run's test-set mean at "
    "the last sampling step (inference seed 0; population standard deviation, as in the other tables). "
    "*_inference_seed_range: Table 4's seed variance at the last step (mean over cases of max − min across "
    "inference seeds), averaged over the training seeds; NaN for one inference seed.";
// Strategy `st` trained with the k-th training seed: the first keeps the folder it had before training seeds
// existed, so finished experiments are reused.
fs::path run_folder(const fs::path& out, const std::string& st, int64_t k) {
  return out / "runs" / (k == 0 ? st : st + "_train_seed" + std::to_string(k));
}
// A run folder of the experiment trained (or training) with other settings than the ones asked for now: reusing it
// would put another configuration's numbers in the tables. Compared: the preset and every overridden key.
void require_same_settings(const fs::path& run, const Config& now, const std::vector<Setting>& overrides) {
  const Config recorded = Config::load(run / "config.yaml");
  std::vector<std::string> keys{"preset", "train.seed"};
  for (const Setting& o : overrides) keys.push_back(o.key);
  for (const std::string& key : keys) {
    const auto text = [&](const Config& c) {
      return c.has(key) ? YAML::Dump(c.get<YAML::Node>(key, YAML::Node())) : std::string("(not set)");
    };
    if (text(recorded) != text(now))
      throw UsageError(run.string() + " was trained with " + key + " = " + text(recorded) + ", this experiment asks "
                       "for " + text(now) + ": give the experiment another --out, or delete that run to retrain it");
  }
}
// "<diffusion strategy>_from_supervised" (GridEntry::from_supervised): recycling (or another diffusion strategy) as a
// fine-tuning stage. A supervised network is trained for the first half of the step budget (in RUN_stage1), and the
// diffusion strategy continues from it (train.init_from) for the second half, each stage with the configured LR
// schedule compressed to its share, so the grid compares it at equal total steps with either strategy trained alone.

// The config of one stage: `share` of every step count of `whole` (max_steps, LR warm-up and decay); the remainder
// when `rest` (the second stage gets whatever the first did not).
void set_stage_steps(Config& config, const train::TrainerOptions& whole, bool rest) {
  const auto part = [&](int64_t n) { return rest ? n - n / 2 : n / 2; };
  config.set({"train.max_steps", YAML::Node(std::max<int64_t>(1, part(whole.max_steps)))});
  config.set({"train.lr.warmup_steps", YAML::Node(part(whole.lr.warmup_steps))});
  config.set({"train.lr.decay_steps", YAML::Node(std::max<int64_t>(1, part(whole.lr.decay_steps)))});
}
}  // namespace

ExperimentSpec load_experiment(const fs::path& yaml) {
  const Config c = Config::load(yaml);
  // The experiment file's own keys; what `overrides` holds is a run config, checked when each run is built.
  c.check_known_keys({"name", "config", "data.path", "data.synthetic.dims", "data.synthetic.cases",
                      "data.synthetic.classes", "data.synthetic.size", "data.synthetic.seed", "strategies",
                      "samplers", "steps", "seeds", "train_seeds", "examples", "ensemble.supervised", "ensemble.with",
                      "preset", "leakage"},
                     {"overrides"}, "experiment");
  const fs::path base = yaml.parent_path();
  ExperimentSpec s;
  s.name = c.get<std::string>("name", yaml.stem().string());
  s.config = fs::absolute(base / c.require<std::string>("config"));
  if (c.has("data.path")) s.data = fs::absolute(base / c.get<std::string>("data.path", ""));
  s.synthetic_dims = c.get<int>("data.synthetic.dims", s.synthetic_dims);
  s.synthetic_cases = c.get<int>("data.synthetic.cases", s.synthetic_cases);
  s.synthetic_classes = c.get<int>("data.synthetic.classes", s.synthetic_classes);
  s.synthetic_size = c.get<std::vector<int64_t>>("data.synthetic.size", s.synthetic_size);
  s.synthetic_seed = c.get<uint64_t>("data.synthetic.seed", s.synthetic_seed);
  s.strategies = c.get<std::vector<std::string>>("strategies", {"supervised", "rec_xT"});
  s.samplers = c.get<std::vector<std::string>>("samplers", {"ddpm"});
  for (const auto& sm : s.samplers) diffusion::parse_sampler(sm);
  for (const auto& st : s.strategies) {
    try {
      entry_samplers(parse_grid_entry(st), s.samplers);
    } catch (const UsageError& e) {
      throw InputError(yaml, e.what());
    }
  }
  s.steps = c.get<int64_t>("steps", s.steps);
  s.seeds = c.get<int64_t>("seeds", s.seeds);
  s.train_seeds = c.get<int64_t>("train_seeds", s.train_seeds);
  if (s.train_seeds < 1) throw InputError(yaml, "train_seeds must be at least 1, got " + std::to_string(s.train_seeds));
  s.examples = c.get<int64_t>("examples", s.examples);
  s.ensemble_supervised = c.get<std::string>("ensemble.supervised", "");
  s.ensemble_with = c.get<std::vector<std::string>>("ensemble.with", {});
  s.leakage = c.get<bool>("leakage", s.leakage);
  // The run config's preset, as if it were the first override (so an override can still change one of its values).
  if (c.has("preset")) s.overrides.push_back({"preset", c.root()["preset"]});
  if (c.has("overrides")) {
    const YAML::Node o = c.root()["overrides"];
    if (!o.IsMap()) throw InputError(yaml, "\"overrides\" must map config keys to values");
    for (auto it = o.begin(); it != o.end(); ++it)
      s.overrides.push_back({it->first.as<std::string>(), it->second});
  }
  if (!fs::exists(s.config)) throw InputError(yaml, "config " + s.config.string() + " not found");
  return s;
}

namespace {

// Every run's config, built and checked before anything trains (a bad combination fails now, not after hours):
// entry × training seed k, whose train.seed is the config's + k (the data split, data.split_seed, stays the same).
// Nothing is read or written: the runs go to `out`, the data is `data`.
struct PlannedRun {
  Config config;
  train::TrainerOptions options;  // from `config`, with out = the run folder
};

std::vector<PlannedRun> plan_runs(const ExperimentSpec& spec, const std::vector<GridEntry>& entries,
                                  const fs::path& out, const fs::path& data) {
  const auto planned = [](const fs::path& folder, const Config& config) {
    PlannedRun r{config, train::trainer_options_from_config(config)};
    r.options.out = folder;
    // The network's settings too (the trainer builds it only when its run starts).
    const train::NetworkInputs inputs =
        train::network_inputs(r.options.strategy, config.require<int64_t>("data.num_classes"));
    (void)model::unet_options_from_config(config, inputs.mask_channels, inputs.time_conditioning);
    return r;
  };
  std::vector<PlannedRun> plan;
  for (const GridEntry& e : entries)
    for (int64_t k = 0; k < spec.train_seeds; ++k) {
      Config config = Config::load(spec.config);
      std::vector<Setting> sets{{"data.path", YAML::Node(data.string())},
                                {"train.strategy", YAML::Node(e.strategy)}};
      sets.insert(sets.end(), spec.overrides.begin(), spec.overrides.end());
      if (e.bernoulli) sets.push_back({"diffusion.noise", YAML::Node("bernoulli")});
      train::apply_run_settings(config, sets);
      config.set({"train.seed", YAML::Node(training_seed(config.get<uint64_t>("train.seed", 0), k))});
      const fs::path run = run_folder(out, e.name, k);
      if (e.from_supervised) {
        const train::TrainerOptions whole = train::trainer_options_from_config(config);
        Config stage1(YAML::Clone(config.root()));  // a Config shares its YAML tree when copied
        stage1.set({"train.strategy", YAML::Node("supervised")});
        stage1.set({"diffusion.noise", YAML::Node("gaussian")});  // a supervised network has no mask to noise
        set_stage_steps(stage1, whole, /*rest=*/false);
        const fs::path first = run_folder(out, e.name + "_stage1", k);
        plan.push_back(planned(first, stage1));
        set_stage_steps(config, whole, /*rest=*/true);
        config.set({"train.init_from", YAML::Node(first.string())});
      }
      plan.push_back(planned(run, config));
    }
  return plan;
}

// The dataset the runs read: the file's data.path, else the synthetic data generated into OUT/data.
fs::path data_folder(const ExperimentSpec& spec, const fs::path& out) {
  return spec.data.empty() ? out / "data" : spec.data;
}

std::vector<GridEntry> grid_entries(const ExperimentSpec& spec) {
  std::vector<GridEntry> entries;
  for (const auto& st : spec.strategies) entries.push_back(parse_grid_entry(st));
  return entries;
}

}  // namespace

int64_t check_experiment(const ExperimentSpec& spec) {
  const fs::path out = fs::path("runs") / spec.name;
  return static_cast<int64_t>(plan_runs(spec, grid_entries(spec), out, data_folder(spec, out)).size());
}

fs::path run_experiment(const ExperimentSpec& spec, const ExperimentOptions& o) {
  ensure_directory(o.out / "results");
  const fs::path data = data_folder(spec, o.out);
  if (spec.data.empty() && !fs::exists(data / "dataset.json")) {
    data::SyntheticOptions so;
    so.dims = spec.synthetic_dims;
    so.cases = spec.synthetic_cases;
    so.foreground_classes = spec.synthetic_classes;
    for (size_t a = 0; a < spec.synthetic_size.size() && a < 3; ++a) so.size[a] = spec.synthetic_size[a];
    so.seed = spec.synthetic_seed;
    data::write_synthetic_dataset(data, so);
  }
  const std::vector<GridEntry> entries = grid_entries(spec);
  const std::vector<PlannedRun> plan = plan_runs(spec, entries, o.out, data);

  int64_t total = static_cast<int64_t>(plan.size());
  for (const GridEntry& e : entries)
    total += spec.train_seeds * static_cast<int64_t>(entry_samplers(e, spec.samplers).size());
  total += static_cast<int64_t>(spec.ensemble_with.size());
  std::vector<std::string> leakage_strategies;  // a supervised run has no mask input to diagnose
  if (spec.leakage)
    for (const GridEntry& e : entries)
      if (train::strategy_info(e.strategy).diffusion) leakage_strategies.push_back(e.name);
  total += static_cast<int64_t>(leakage_strategies.size());
  Progress progress("experiment " + spec.name, total, "jobs");

  // Train every run (skip finished ones, resume interrupted ones); a fine-tuning stage follows its supervised one.
  for (const PlannedRun& r : plan) {
    const fs::path& run = r.options.out;
    if (fs::exists(run / "config.yaml")) require_same_settings(run, r.config, spec.overrides);
    if (!finished(run)) {
      const bool resume = fs::exists(run / "checkpoints" / "last.ckpt");
      spdlog::info("experiment: {} {}", resume ? "resuming" : "training", run.filename().string());
      train::run_training(r.config, r.options, o.device, resume);
    }
    progress.advance(1, "trained " + run.filename().string());
  }
  // 2. Evaluate every strategy with every sampler (supervised once).
  ResultTable table1({"strategy", "sampler", "dice_mean", "dice_std", "hd95_mean", "hd95_std"});
  ResultTable steps({"strategy", "sampler", "step", "dice_mean", "dice_std", "hd95_mean", "hd95_std"});
  ResultTable table4({"strategy", "step", "dice_seed_range", "hd95_seed_range"});
  ResultTable train_seeds({"strategy", "sampler", "train_seeds", "dice_mean", "dice_std", "hd95_mean", "hd95_std",
                           "dice_inference_seed_range", "hd95_inference_seed_range"});
  for (const GridEntry& e : entries) {
    const std::string& st = e.name;
    const bool supervised = e.strategy == "supervised";
    for (const auto& sm : entry_samplers(e, spec.samplers)) {
      const std::string sampler_name = supervised ? "-" : sm;
      // Per training seed: the test-set means and the inference-seed variance at the last step.
      std::vector<double> dice, hd95, dice_range, hd95_range;
      for (int64_t k = 0; k < spec.train_seeds; ++k) {
        const fs::path run = run_folder(o.out, st, k);
        const fs::path out = run / ("eval_test_" + (supervised ? std::string("none") : sm));
        if (!fs::exists(out / "summary.json")) {
          eval::EvalOptions eo;
          eo.sampler.kind = diffusion::parse_sampler(sm);
          eo.sampler.steps = spec.steps;
          eo.seeds = spec.seeds;
          eo.examples = k == 0 ? spec.examples : 0;  // the report shows the first training seed's figures
          eo.metrics.threads = o.threads;
          eval::evaluate_run(run, eo, o.device, out);
        }
        const nlohmann::json summary = read_json(out / "summary.json");
        const nlohmann::json& f = summary["final"];
        dice.push_back(number(f["dice"]));
        hd95.push_back(number(f["hd95"]));
        const CsvData per_step = read_csv(out / "steps.csv");
        if (!per_step.rows.empty()) {
          dice_range.push_back(per_step.number(per_step.rows.size() - 1, "dice_seed_range"));
          hd95_range.push_back(per_step.number(per_step.rows.size() - 1, "hd95_seed_range"));
        }
        progress.advance(1, "evaluated " + run.filename().string() + " " + sampler_name);
        if (k > 0) continue;
        // Tables 1 and 4 and steps.csv: the first training seed.
        table1.add({st, sampler_name, number(f["dice"]), number(f["dice_std"]), number(f["hd95"]), number(f["hd95_std"])});
        for (size_t r = 0; r < per_step.rows.size(); ++r) {
          auto at = [&](const std::string& column) { return per_step.number(r, column); };
          const auto step = static_cast<int64_t>(at("step"));
          steps.add({st, sampler_name, step, at("dice_mean"), at("dice_std"), at("hd95_mean"), at("hd95_std")});
          if (sm == "ddpm" && !supervised) table4.add({st, step, at("dice_seed_range"), at("hd95_seed_range")});
        }
      }
      const Summary d = summarise(dice), h = summarise(hd95);
      train_seeds.add({st, sampler_name, spec.train_seeds, d.mean, d.std, h.mean, h.std, summarise(dice_range).mean,
                       summarise(hd95_range).mean});
    }
  }
  // 3. Ensembles (DDPM, last step) with the supervised run.
  ResultTable table2 = empty_table2();
  for (const auto& with : spec.ensemble_with) {
    if (spec.ensemble_supervised.empty()) break;
    const fs::path run = o.out / "runs" / with, out = run / "eval_test_ensemble";
    const bool stale = fs::exists(out / "ensemble.csv") && !has_table2_columns(out / "ensemble.csv");
    if (stale) spdlog::info("experiment: {} lacks the HD95 test or the Dice interval; evaluating the ensemble again",
                            (out / "ensemble.csv").string());
    if (!fs::exists(out / "ensemble.csv") || stale) {
      eval::EvalOptions eo;
      eo.sampler.steps = spec.steps;
      eo.ensemble_with = o.out / "runs" / spec.ensemble_supervised;
      eo.metrics.threads = o.threads;
      eval::evaluate_run(run, eo, o.device, out);
    }
    add_ensemble_rows(table2, out / "ensemble.csv", with);
    progress.advance(1, "ensemble " + with);
  }
  // 4. The leakage diagnostic of each diffusion strategy (first training seed, test split) in RUN/leakage_test/, named
  // like the eval_test_* folders: `diagnose` by hand writes RUN/leakage/ (validation split by default), and reusing
  // that here would put another split's numbers in the tables. A run that has its leakage.csv is not diagnosed again.
  ResultTable leakage({"strategy", "t", "schedule_index", "alpha_bar", "dice_truth_input", "dice_own_prediction_input",
                       "gap", "n_cases"});
  for (const auto& st : leakage_strategies) {
    const fs::path run = run_folder(o.out, st, 0), out = run / "leakage_test";
    if (!fs::exists(out / "leakage.csv")) {
      eval::LeakageOptions lo;
      lo.split = "test";
      lo.metric_threads = o.threads;
      eval::diagnose_leakage(run, lo, o.device, out);
    }
    const CsvData d = read_csv(out / "leakage.csv");
    for (size_t r = 0; r < d.rows.size(); ++r) {
      const auto integer = [&](const std::string& column) { return static_cast<int64_t>(d.number(r, column)); };
      leakage.add({st, integer("t"), integer("schedule_index"), d.number(r, "alpha_bar"),
                   d.number(r, "dice_truth_input"), d.number(r, "dice_own_prediction_input"), d.number(r, "gap"),
                   integer("n_cases")});
    }
    progress.advance(1, "leakage " + st);
  }
  progress.finish();
  const fs::path results = o.out / "results";
  table1.write_csv(results / "table1.csv");
  write_text_atomically(results / "table1.md", "# Table 1: last sampling step, test split\n\n" + table1.to_markdown());
  steps.write_csv(results / "steps.csv");
  table4.write_csv(results / "table4.csv");
  write_text_atomically(results / "table4.md", "# Table 4: seed variance per step (DDPM)\n\n" + table4.to_markdown());
  if (spec.train_seeds > 1) {
    train_seeds.write_csv(results / "train_seeds.csv");
    write_text_atomically(results / "train_seeds.md", "# Training-seed variance: last sampling step, test split\n\n" +
                                                          train_seeds.to_markdown() + "\n" + kTrainSeedsLegend + "\n");
  }
  if (!table2.rows().empty()) {
    table2.write_csv(results / "table2.csv");
    write_text_atomically(results / "table2.md", table2_markdown(read_csv(results / "table2.csv")));
  }
  if (!leakage.rows().empty()) {
    leakage.write_csv(results / "leakage.csv");
    write_text_atomically(results / "leakage.md",
                          "# Leakage: one-step Dice given the noised truth vs the network's own noised prediction, test "
                          "split\n\nPer diffusion strategy (first training seed) and chain level t; schedule_index is "
                          "t's index in the base schedule. gap = dice_truth_input − dice_own_prediction_input: large "
                          "when the network copies its noised mask input instead of reading the image "
                          "(docs/leakage.md).\n\n" + leakage.to_markdown() + "\n");
  }
  return results / "table1.md";
}

}  // namespace diffseg::experiment

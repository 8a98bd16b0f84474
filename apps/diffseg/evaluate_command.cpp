// diffseg evaluate --run DIR — per-step, per-seed metrics of a trained run on a split, in the paper's tables.
#include <cstdio>
#include <iostream>
#include <memory>

#include <spdlog/spdlog.h>

#include "commands.h"
#include "diffseg/core/error.h"
#include "diffseg/core/runtime.h"
#include "diffseg/dist/process_group.h"
#include "diffseg/eval/evaluator.h"

namespace diffseg::cli {
namespace {

struct EvaluateCmdOptions {
  std::string run, split = "test", sampler = "ddpm", checkpoint = "best", ensemble_with, out, data, device = "cpu";
  int64_t steps = 5, seeds = 1, examples = 0;
  bool save_predictions = false;
  std::string on = "prepared";
  std::string overlap;
};

int run_evaluate(const EvaluateCmdOptions& o, const GlobalOptions& global) {
  // Under torchrun the ranks split the cases and rank 0 writes the tables.
  const dist::LaunchEnv env = dist::launch_env_from_process();
  set_threads(dist::threads_per_process(global.threads, env));
  const c10::Device device = dist::device_for_rank(parse_device(o.device), env);
  dist::GroupOptions go;
  go.device = device;
  const std::shared_ptr<dist::Group> group = dist::Group::join(env, go);
  if (!group->is_main()) spdlog::set_level(spdlog::level::warn);
  eval::EvalOptions eo;
  eo.split = o.split;
  eo.checkpoint = o.checkpoint;
  eo.sampler.kind = diffusion::parse_sampler(o.sampler);
  eo.sampler.steps = o.steps;
  eo.seeds = o.seeds;
  eo.examples = o.examples;
  eo.save_predictions = o.save_predictions;
  eo.on_raw_grid = o.on == "raw";
  eo.ensemble_with = o.ensemble_with;
  eo.data = o.data;
  eo.metrics.threads = global.threads;
  if (!o.overlap.empty()) eo.overlap = parse_int_list(o.overlap, "--overlap", Sign::non_negative);
  const std::filesystem::path out =
      o.out.empty() ? std::filesystem::path(o.run) / ("eval_" + o.split + "_" + o.sampler) : std::filesystem::path(o.out);
  const eval::EvalSummary s = eval::evaluate_run(o.run, eo, device, out, group.get());
  if (!group->is_main()) return s.failed_cases > 0 ? static_cast<int>(ExitCode::bad_input) : 0;
  std::printf("%s (%s, sampler %s) on %s\n", s.run.c_str(), s.strategy.c_str(), s.sampler.c_str(), o.split.c_str());
  std::printf("%-5s %-18s %-18s %-12s\n", "step", "Dice", "HD95", "Dice range");
  for (const auto& st : s.steps)
    std::printf("%-5lld %7.4f ± %-8.4f %7.3f ± %-8.3f %-12.4f\n", static_cast<long long>(st.step), st.dice_mean,
                st.dice_std, st.hd95_mean, st.hd95_std, st.dice_seed_range);
  if (!o.ensemble_with.empty())
    std::printf("ensemble with %s: Dice %.4f, HD95 %.3f (Wilcoxon p vs supervised: Dice %.3g, HD95 %.3g)\n",
                o.ensemble_with.c_str(), s.ensemble_dice, s.ensemble_hd95, s.ensemble_p_value, s.ensemble_hd95_p_value);
  spdlog::info("tables written to {}", out.string());
  if (s.failed_cases > 0) {
    spdlog::error("{} case(s) could not be read and were left out (see above and summary.json)", s.failed_cases);
    return static_cast<int>(ExitCode::bad_input);
  }
  return 0;
}

}  // namespace

void add_evaluate_command(CLI::App& app, const GlobalOptions& global, Action& run) {
  auto o = std::make_shared<EvaluateCmdOptions>();
  CLI::App* cmd = app.add_subcommand("evaluate", "Score a trained run per sampling step, seed and class");
  cmd->add_option("--run", o->run, "run folder written by diffseg train")->required();
  cmd->add_option("--split", o->split, "training, validation or test")->capture_default_str();
  cmd->add_option("--sampler", o->sampler, "ddpm or ddim")->capture_default_str()->check(sampler_name());
  cmd->add_option("--steps", o->steps, "sampling steps")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--seeds", o->seeds, "inference seeds (seed-variance table)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--examples", o->examples, "write figures (image, truth, steps, uncertainty) of the first N cases")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--on", o->on,
                  "prepared: the dataset is prepare output; raw: raw scans with their own labels (class ids), "
                  "preprocessed as the run's data was and scored on each scan's own grid")
      ->capture_default_str()
      ->check(CLI::IsMember({"prepared", "raw"}));
  cmd->add_flag("--save-predictions", o->save_predictions,
                "also write each case's label map and uncertainty map (predictions/, NIfTI; what infer writes)");
  cmd->add_option("--checkpoint", o->checkpoint, "best or last")->capture_default_str()->check(CLI::IsMember({"best", "last"}));
  cmd->add_option("--ensemble-with", o->ensemble_with, "a supervised run to ensemble with");
  cmd->add_option("--overlap", o->overlap, "sliding-window overlap per axis (tensor order)");
  cmd->add_option("--data", o->data, "dataset folder (default: the run's)");
  cmd->add_option("--out", o->out, "output folder (default: RUN/eval_SPLIT_SAMPLER)");
  cmd->add_option("--device", o->device, "cpu, cuda or cuda:N")->capture_default_str()->check(device_name());
  cmd->callback([&run, o, &global] { run = [o, &global] { return run_evaluate(*o, global); }; });
}

}  // namespace diffseg::cli

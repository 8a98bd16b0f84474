// diffseg diagnose --run DIR — the leakage diagnostic (docs/leakage.md): argument parsing only; the work is
// eval::diagnose_leakage.
#include <cstdio>
#include <memory>

#include <spdlog/spdlog.h>

#include "commands.h"
#include "diffseg/core/error.h"
#include "diffseg/core/runtime.h"
#include "diffseg/eval/leakage.h"

namespace diffseg::cli {
namespace {

struct DiagnoseCmdOptions {
  std::string run, split = "validation", levels, out, data, checkpoint = "best", device = "cpu";
  uint64_t seed = 0;
};

int run_diagnose(const DiagnoseCmdOptions& o, const GlobalOptions& global) {
  set_threads(global.threads);
  const c10::Device device = parse_device(o.device);
  eval::LeakageOptions lo;
  lo.split = o.split;
  lo.checkpoint = o.checkpoint;
  lo.seed = o.seed;
  lo.data = o.data;
  lo.metric_threads = global.threads;
  if (!o.levels.empty()) lo.levels = parse_int_list(o.levels, "--t", Sign::non_negative);
  const std::filesystem::path out =
      o.out.empty() ? std::filesystem::path(o.run) / "leakage" : std::filesystem::path(o.out);
  const eval::LeakageReport r = eval::diagnose_leakage(o.run, lo, device, out);
  std::printf("%s (%s) on %s: one-step Dice given the noised truth vs its own noised prediction (chain of %lld)\n",
              r.run.c_str(), r.strategy.c_str(), r.split.c_str(), static_cast<long long>(r.chain_points));
  std::printf("%-6s %-10s %-12s %-12s %-8s %s\n", "t", "alpha_bar", "truth input", "own input", "gap", "cases");
  for (const eval::LeakageRow& row : r.rows)
    std::printf("%-6lld %-10.4g %-12.4f %-12.4f %-8.4f %lld\n", static_cast<long long>(row.t), row.alpha_bar,
                row.dice_truth_input, row.dice_own_prediction_input, row.gap, static_cast<long long>(row.n_cases));
  spdlog::info("leakage.csv and leakage.md written to {}", out.string());
  return r.failed_cases > 0 ? static_cast<int>(ExitCode::bad_input) : 0;
}

}  // namespace

void add_diagnose_command(CLI::App& app, const GlobalOptions& global, Action& run) {
  auto o = std::make_shared<DiagnoseCmdOptions>();
  CLI::App* cmd = app.add_subcommand(
      "diagnose", "Leakage diagnostic: a diffusion run's one-step Dice given the noised truth vs its own prediction");
  cmd->add_option("--run", o->run, "run folder written by diffseg train (a diffusion strategy)")->required();
  cmd->add_option("--split", o->split, "training, validation or test")
      ->capture_default_str()
      ->check(CLI::IsMember({"training", "validation", "test"}));
  cmd->add_option("--t", o->levels,
                  "chain levels to probe, e.g. 0,250,500 (default: 11 spread over the run's training chain, "
                  "0,100,...,1000 for 1001 points; every level of a chain of at most 11)");
  cmd->add_option("--seed", o->seed, "noise seed (each case and level has its own stream)")->capture_default_str();
  cmd->add_option("--checkpoint", o->checkpoint, "best or last")
      ->capture_default_str()
      ->check(CLI::IsMember({"best", "last"}));
  cmd->add_option("--data", o->data, "dataset folder (default: the run's)");
  cmd->add_option("--out", o->out, "output folder (default: RUN/leakage)");
  cmd->add_option("--device", o->device, "cpu, cuda or cuda:N")->capture_default_str()->check(device_name());
  cmd->callback([&run, o, &global] { run = [o, &global] { return run_diagnose(*o, global); }; });
}

}  // namespace diffseg::cli

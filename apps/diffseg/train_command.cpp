// diffseg train — trains one strategy on a dataset folder; --resume continues an interrupted run exactly. Started
// by torchrun (or srun with the same variables), every process becomes one rank of a data-parallel job.
#include <memory>

#include <spdlog/spdlog.h>

#include "commands.h"
#include "diffseg/core/error.h"
#include "diffseg/core/runtime.h"
#include "diffseg/dist/process_group.h"
#include "diffseg/train/run_config_keys.h"
#include "diffseg/train/trainer.h"

namespace diffseg::cli {
namespace {

struct TrainCmdOptions {
  std::string config, strategy, out, data, patch, init_from, device = "cpu";
  int64_t max_steps = 0, batch_size = 0, accumulate = 0;
  int64_t seed = -1;
  std::vector<std::string> overrides;
  bool resume = false;
};

int run_train(const TrainCmdOptions& o, const GlobalOptions& global) {
  const dist::LaunchEnv env = dist::launch_env_from_process();
  const int threads = set_threads(dist::threads_per_process(global.threads, env));
  const c10::Device device = dist::device_for_rank(parse_device(o.device), env);
  if (o.resume && !o.init_from.empty())
    throw UsageError("--init-from " + o.init_from + " starts a new run from a supervised network, --resume continues " +
                     o.out + " from its own checkpoint: use one or the other");
  Config config = Config::load(o.config);
  // Shorthands first, then --set, so an explicit --set wins; both win over the config's preset.
  std::vector<Setting> sets;
  if (!o.data.empty()) sets.push_back({"data.path", YAML::Node(o.data)});
  if (!o.strategy.empty()) sets.push_back({"train.strategy", YAML::Node(o.strategy)});
  if (o.max_steps > 0) {  // a number of updates of this run's own batch: no rescaling to the config's budget
    sets.push_back({"train.max_steps", YAML::Node(o.max_steps)});
    sets.push_back({"train.budget_batch", YAML::Node(0)});
  }
  if (o.batch_size > 0) sets.push_back({"train.batch_size", YAML::Node(o.batch_size)});
  if (o.accumulate > 0) sets.push_back({"train.accumulate_steps", YAML::Node(o.accumulate)});
  if (o.seed >= 0) sets.push_back({"train.seed", YAML::Node(o.seed)});
  if (!o.patch.empty()) sets.push_back({"data.patch", flow_list(parse_int_list(o.patch, "--patch"))});
  if (!o.init_from.empty()) sets.push_back({"train.init_from", YAML::Node(o.init_from)});
  for (const Setting& s : parse_settings(o.overrides)) sets.push_back(s);
  train::apply_run_settings(config, sets);
  // 3D with gradient checkpointing: the live activations are small and keeping every freed block only doubles the
  // peak (docs/BENCHMARKS.md: 13.4 → 6.9 GB for the AMOS preset, no slower), so freed memory goes back. Measured
  // for 3D only; 2D runs keep the heap policy main() set.
  if (config.get<bool>("model.gradient_checkpointing", false) && config.get<int64_t>("data.spatial_dims", 2) == 3)
    return_freed_memory();
  train::TrainerOptions options = train::trainer_options_from_config(config);
  if (options.data.empty()) throw UsageError("no dataset: pass --data DIR or set data.path in the config");
  options.out = o.out;
  dist::GroupOptions go;
  go.timeout = std::chrono::seconds(options.dist_timeout_s);
  go.device = device;
  const std::shared_ptr<dist::Group> group = dist::Group::join(env, go);
  if (!group->is_main()) spdlog::set_level(spdlog::level::warn);  // rank 0 reports for the job
  spdlog::info("training {} on {} ({}, {} thread(s){}) into {}", options.strategy, options.data.string(),
               device.str(), threads, group->size() > 1 ? ", " + std::to_string(group->size()) + " ranks" : "", o.out);
  const train::TrainResult r = train::run_training(config, options, device, o.resume, group);
  spdlog::info("done: {} steps ({} skipped), best validation Dice {:.4f} at step {}{}", r.steps, r.skipped,
               r.best_score, r.best_step, r.stopped_early ? " (stopped early)" : "");
  return 0;
}

}  // namespace

void add_train_command(CLI::App& app, const GlobalOptions& global, Action& run) {
  auto o = std::make_shared<TrainCmdOptions>();
  CLI::App* cmd = app.add_subcommand("train", "Train a segmentation model with one of the six strategies");
  cmd->add_option("--config", o->config, "run config (YAML), e.g. configs/synthetic_2d.yaml")->required();
  cmd->add_option("--out", o->out, "run folder (checkpoints, logs, weights)")->required();
  cmd->add_option("--strategy", o->strategy, "supervised, diffusion, sc_xt, sc_xt1, rec_xt1 or rec_xT");
  cmd->add_option("--data", o->data, "dataset folder with dataset.json (overrides data.path)");
  cmd->add_option("--max-steps", o->max_steps, "training steps, updates of this run's global batch (train.max_steps; turns off the rescaling to "
                  "train.budget_batch)")->check(CLI::PositiveNumber);
  cmd->add_option("--batch-size", o->batch_size, "batch size per process and micro-batch (train.batch_size)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--accumulate", o->accumulate,
                  "micro-batches per step (train.accumulate_steps); global batch = ranks x batch size x this")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--patch", o->patch, "training patch, tensor order: H,W or D,H,W (data.patch)");
  cmd->add_option("--seed", o->seed, "random seed (train.seed)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--device", o->device, "cpu, cuda or cuda:N (under torchrun, cuda = cuda:LOCAL_RANK)")
      ->check(device_name())
      ->capture_default_str();
  cmd->add_option("--set", o->overrides, "override any config value, e.g. --set train.lr.peak=1e-3");
  cmd->add_option("--init-from", o->init_from,
                  "start from a trained supervised run (its folder, model_*.pt or a .ckpt) instead of random weights; "
                  "the extra inputs start at zero, so the first prediction is the supervised one (train.init_from)");
  cmd->add_flag("--resume", o->resume, "continue the run in --out from its last checkpoint");
  cmd->callback([&run, o, &global] { run = [o, &global] { return run_train(*o, global); }; });
}

}  // namespace diffseg::cli

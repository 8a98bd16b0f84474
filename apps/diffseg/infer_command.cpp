// diffseg infer --run DIR --input FILE|FOLDER|dataset.json --output DIR: argument parsing only; the work is
// eval::infer_files (label maps in the input's format and geometry, raw scans through the run's preprocessing).
#include <memory>

#include "commands.h"
#include "diffseg/core/error.h"
#include "diffseg/core/runtime.h"
#include "diffseg/dist/launch_env.h"
#include "diffseg/dist/process_group.h"
#include "diffseg/eval/infer_files.h"

namespace diffseg::cli {
namespace {

struct InferCmdOptions {
  eval::InferRequest request;
  std::string sampler = "ddpm", device = "cpu", input_kind = "auto";
  int64_t steps = 5;
};

int run_infer(InferCmdOptions o, const GlobalOptions& global) {
  const dist::LaunchEnv env = dist::launch_env_from_process();
  set_threads(dist::threads_per_process(global.threads, env));
  const c10::Device device = dist::device_for_rank(parse_device(o.device), env);
  o.request.inference.sampler.kind = diffusion::parse_sampler(o.sampler);
  o.request.inference.sampler.steps = o.steps;
  o.request.input_kind = eval::parse_input_kind(o.input_kind);
  const eval::InferSummary summary = eval::infer_files(o.request, device, env);
  return summary.failed ? static_cast<int>(ExitCode::bad_input) : 0;
}

}  // namespace

void add_infer_command(CLI::App& app, const GlobalOptions& global, Action& run) {
  auto o = std::make_shared<InferCmdOptions>();
  eval::InferRequest& r = o->request;
  CLI::App* cmd = app.add_subcommand("infer", "Segment new images (raw scans or prepared images) with a trained run");
  cmd->add_option("--run", r.run, "run folder written by diffseg train")->required();
  cmd->add_option("--input", r.input, "an image, a folder of images, or a dataset folder/dataset.json")->required();
  cmd->add_option("--output", r.output, "output folder")->required();
  cmd->add_option("--split", r.split, "split to segment when --input is a dataset")->capture_default_str();
  cmd->add_option("--input-kind", o->input_kind,
                  "auto: apply the run's preprocessing unless the input already looks prepared; raw: always; "
                  "prepared: never")
      ->capture_default_str();
  cmd->add_option("--sampler", o->sampler, "ddpm or ddim")->capture_default_str()->check(sampler_name());
  cmd->add_option("--steps", o->steps, "sampling steps")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--seeds", r.inference.seeds, "inference seeds; the label map is the argmax of their mean")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--checkpoint", r.checkpoint, "best or last")->capture_default_str()->check(CLI::IsMember({"best", "last"}));
  cmd->add_flag("--save-steps", r.save_steps, "also write every sampling step's label map");
  cmd->add_flag("--uncertainty", r.uncertainty,
                "also write the uncertainty map: entropy of the mean probabilities / log K, in [0, 1] (NIfTI)");
  cmd->add_option("--device", o->device, "cpu, cuda or cuda:N")->capture_default_str()->check(device_name());
  cmd->callback([&run, o, &global] { run = [o, &global] { return run_infer(*o, global); }; });
}

}  // namespace diffseg::cli

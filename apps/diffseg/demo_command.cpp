// diffseg demo — the README's first command: the paper's comparison in miniature on freshly generated synthetic
// data (supervised, plain diffusion, self-conditioning, recycling; DDPM and DDIM with 5 steps; 2 seeds), ending
// with the results table and the path of the HTML report.
#include <filesystem>
#include <memory>

#include "commands.h"
#include "diffseg/core/error.h"

namespace diffseg::cli {

namespace {
struct DemoOptions {
  std::string out = "demo_out", experiment = "experiments/synthetic.yaml", device = "cpu";
};
}  // namespace

void add_demo_command(CLI::App& app, const GlobalOptions& global, Action& run) {
  auto o = std::make_shared<DemoOptions>();
  CLI::App* cmd = app.add_subcommand("demo", "Run the strategy comparison on built-in synthetic data (~6 min on 2 cores)");
  cmd->add_option("--out", o->out, "output folder")->capture_default_str();
  cmd->add_option("--experiment", o->experiment, "experiment file to run")->capture_default_str();
  cmd->add_option("--device", o->device, "cpu, cuda or cuda:N")->capture_default_str()->check(device_name());
  cmd->callback([&run, o, &global] {
    run = [o, &global] {
      if (!std::filesystem::exists(o->experiment))
        throw UsageError(o->experiment + " not found: run the demo from the diffseg source folder or pass --experiment");
      return run_experiment_and_report(o->experiment, o->out, o->device, /*train_seeds: the file's*/ 0, {}, global);
    };
  });
}

}  // namespace diffseg::cli

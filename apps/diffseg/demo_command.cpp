// diffseg demo — the README's first command: the paper's comparison in miniature on freshly generated synthetic
// data (supervised, plain diffusion, self-conditioning, recycling; DDPM and DDIM with 5 steps; 2 seeds), ending
// with the results table and the path of the HTML report.
#include <filesystem>
#include <memory>

#include "commands.h"
#include "diffseg/core/error.h"
#include "version.h"

namespace diffseg::cli {

namespace {
struct DemoOptions {
  std::string out = "demo_out", experiment, device = "cpu";
};

// The built-in demo's experiment file: in the working folder if it has one (a source checkout), else in the source
// tree this binary was built from, so `demo` works from any folder.
std::string default_experiment() {
  const std::string relative = "experiments/synthetic.yaml";
  if (std::filesystem::exists(relative)) return relative;
  return (std::filesystem::path(DIFFSEG_SOURCE_DIR) / relative).string();
}
}  // namespace

void add_demo_command(CLI::App& app, const GlobalOptions& global, Action& run) {
  auto o = std::make_shared<DemoOptions>();
  CLI::App* cmd = app.add_subcommand("demo", "Run the strategy comparison on built-in synthetic data (3 to 4 min on 2 CPU cores)");
  cmd->add_option("--out", o->out, "output folder")->capture_default_str();
  cmd->add_option("--experiment", o->experiment,
                  "experiment file to run (default: experiments/synthetic.yaml here, else in the source tree)");
  cmd->add_option("--device", o->device, "cpu, cuda or cuda:N")->capture_default_str()->check(device_name());
  cmd->callback([&run, o, &global] {
    run = [o, &global] {
      const std::string experiment = o->experiment.empty() ? default_experiment() : o->experiment;
      if (!std::filesystem::exists(experiment))
        throw UsageError(experiment + " not found: pass --experiment FILE (experiments/synthetic.yaml of the sources)");
      return run_experiment_and_report(experiment, o->out, o->device, /*train_seeds: the file's*/ 0, {}, global);
    };
  });
}

}  // namespace diffseg::cli

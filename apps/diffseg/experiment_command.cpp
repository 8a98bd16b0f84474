// diffseg experiment / report — run a strategy × sampler grid and turn its results into one HTML page.
#include <fstream>
#include <iostream>
#include <memory>

#include <spdlog/spdlog.h>

#include "commands.h"
#include "diffseg/core/runtime.h"
#include "diffseg/experiment/experiment.h"
#include "diffseg/experiment/report.h"

namespace diffseg::cli {
namespace fs = std::filesystem;
namespace {

struct ExperimentCmdOptions {
  std::string config, out, device = "cpu";
  int64_t train_seeds = 0;  // 0: as the experiment file says
  std::vector<std::string> overrides;
  bool check = false;
};

void print_file(const fs::path& p) {
  std::ifstream in(p);
  if (in) std::cout << in.rdbuf() << "\n";
}

experiment::ExperimentSpec load_spec(const std::string& spec_path, int64_t train_seeds,
                                     const std::vector<std::string>& overrides) {
  experiment::ExperimentSpec spec = experiment::load_experiment(spec_path);
  if (train_seeds > 0) spec.train_seeds = train_seeds;
  for (const Setting& s : parse_settings(overrides)) spec.overrides.push_back(s);  // after the file's: they win
  return spec;
}

}  // namespace

int run_experiment_and_report(const std::string& spec_path, const std::string& out_arg, const std::string& device,
                              int64_t train_seeds, const std::vector<std::string>& overrides,
                              const GlobalOptions& global) {
  const int threads = set_threads(global.threads);
  const experiment::ExperimentSpec spec = load_spec(spec_path, train_seeds, overrides);
  experiment::ExperimentOptions eo;
  eo.out = out_arg.empty() ? fs::path("runs") / spec.name : fs::path(out_arg);
  eo.device = parse_device(device);
  eo.threads = threads;
  const fs::path table = experiment::run_experiment(spec, eo);
  const fs::path html = eo.out / "report.html";
  experiment::write_report(eo.out, html);
  print_file(table);
  print_file(eo.out / "results" / "table2.md");
  print_file(eo.out / "results" / "train_seeds.md");
  spdlog::info("results: {}", (eo.out / "results").string());
  spdlog::info("report:  {}", fs::absolute(html).string());
  return 0;
}

void add_experiment_command(CLI::App& app, const GlobalOptions& global, Action& run) {
  auto o = std::make_shared<ExperimentCmdOptions>();
  CLI::App* cmd = app.add_subcommand("experiment", "Train and evaluate a grid of strategies and samplers (resumable)");
  cmd->add_option("--config", o->config, "experiment file, e.g. experiments/synthetic.yaml")->required();
  cmd->add_option("--out", o->out, "experiment folder (default: runs/NAME)");
  cmd->add_option("--device", o->device, "cpu, cuda or cuda:N")->capture_default_str()->check(device_name());
  cmd->add_option("--train-seeds", o->train_seeds,
                  "train each strategy with N training seeds and report their variance (results/train_seeds.md); "
                  "default: the file's train_seeds, else 1")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--set", o->overrides,
                  "run-config setting for every run, after the file's overrides (e.g. --set preset=diffseg)");
  cmd->add_flag("--check", o->check,
               "build and check every run's config (presets, overrides, grid entries) and exit: no training, no data "
               "read, nothing written");
  cmd->callback([&run, o, &global] {
    run = [o, &global] {
      if (o->check) {
        const experiment::ExperimentSpec spec = load_spec(o->config, o->train_seeds, o->overrides);
        const int64_t runs = experiment::check_experiment(spec);
        std::cout << "experiment " << spec.name << ": " << runs << " run configs built and checked\n";
        return 0;
      }
      return run_experiment_and_report(o->config, o->out, o->device, o->train_seeds, o->overrides, global);
    };
  });

  auto r = std::make_shared<std::pair<std::string, std::string>>();
  CLI::App* rep = app.add_subcommand("report", "Write the HTML report of an experiment folder");
  rep->add_option("--experiment", r->first, "experiment folder (written by diffseg experiment)")->required();
  rep->add_option("--out", r->second, "HTML file (default: EXPERIMENT/report.html)");
  rep->callback([&run, r] {
    run = [r] {
      const fs::path html = r->second.empty() ? fs::path(r->first) / "report.html" : fs::path(r->second);
      experiment::write_report(r->first, html);
      spdlog::info("report: {}", fs::absolute(html).string());
      return 0;
    };
  });
}

}  // namespace diffseg::cli

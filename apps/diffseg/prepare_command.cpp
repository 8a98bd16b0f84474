// diffseg prepare — turns a public dataset, as downloaded, into a preprocessed diffseg dataset folder (once; the
// result is the on-disk cache training reads). Rerunning it continues where an interrupted run stopped.
#include <cstdio>
#include <memory>

#include <spdlog/spdlog.h>

#include "commands.h"
#include "diffseg/core/error.h"
#include "diffseg/core/runtime.h"
#include "diffseg/data/prepare/prepare_dataset.h"

namespace diffseg::cli {
namespace {

struct PrepareCmdOptions {
  std::string dataset, raw, out, config;
  std::vector<std::string> overrides;
  int workers = 0;
};

int run_prepare(const PrepareCmdOptions& o, const GlobalOptions& global) {
  set_threads(global.threads);
  data::DatasetRecipe recipe = data::recipe_named(o.dataset, o.raw);
  if (!o.config.empty() || !o.overrides.empty()) {
    Config config = o.config.empty() ? Config{} : Config::load(o.config);
    for (const std::string& s : o.overrides) config.set(s);
    if (config.has("preprocess")) recipe.preprocess = data::PreprocessOptions::from_config(config);
  }
  data::PrepareOptions options{o.raw, o.out, o.workers > 0 ? o.workers : global.threads};
  const data::PrepareSummary summary = data::prepare_dataset(recipe, options);
  std::printf("%s", summary.text(recipe).c_str());
  if (summary.cases.empty()) throw InputError(o.raw, "no case could be prepared (see the messages above)");
  return 0;
}

}  // namespace

void add_prepare_command(CLI::App& app, const GlobalOptions& global, Action& run) {
  auto o = std::make_shared<PrepareCmdOptions>();
  CLI::App* cmd = app.add_subcommand(
      "prepare", "Preprocess a downloaded dataset (muscle_us, amos_ct, male_pelvic_mr, brats2021, msd) once");
  std::vector<std::string> names = data::recipe_names();
  cmd->add_option("--dataset", o->dataset, "which dataset layout to read")->required()->check(CLI::IsMember(names));
  cmd->add_option("--raw", o->raw, "the folder as downloaded and unpacked (see docs/datasets.md)")->required();
  cmd->add_option("--out", o->out, "output dataset folder (dataset.json, images/, labels/)")->required();
  cmd->add_option("--workers", o->workers, "cases prepared in parallel (default: --threads)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--config", o->config, "YAML whose preprocess: section replaces the dataset's default");
  cmd->add_option("--set", o->overrides, "preprocess override, e.g. preprocess.spacing_xyz=[1,1,2]");
  cmd->callback([&run, o, &global] { run = [o, &global] { return run_prepare(*o, global); }; });
}

}  // namespace diffseg::cli

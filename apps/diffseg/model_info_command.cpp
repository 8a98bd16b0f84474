// diffseg model-info --config C — the network a config builds: modules, parameter counts, feature-map sizes and the
// memory one training step needs.
#include <iostream>
#include <memory>

#include "commands.h"
#include "diffseg/train/run_config_keys.h"
#include "diffseg/core/config.h"
#include "diffseg/model/model_config.h"
#include "diffseg/model/summary.h"
#include "diffseg/train/strategy_registry.h"

namespace diffseg::cli {
namespace {

struct ModelInfoOptions {
  std::string config, strategy;
  std::vector<std::string> overrides;
};

int run_model_info(const ModelInfoOptions& o) {
  Config config = Config::load(o.config);
  train::apply_run_settings(config, parse_settings(o.overrides));
  train::check_run_config(config);
  const std::string strategy = o.strategy.empty() ? config.get<std::string>("train.strategy", "rec_xT") : o.strategy;
  const int64_t classes = config.require<int64_t>("data.num_classes");
  const train::NetworkInputs inputs = train::network_inputs(strategy, classes);
  const model::UNetOptions options = model::unet_options_from_config(config, inputs.mask_channels, inputs.time_conditioning);
  const auto patch = config.require<std::vector<int64_t>>("data.patch");
  const int64_t batch = config.get<int64_t>("train.batch_size", 1);
  model::UNet net(options);
  std::cout << "strategy " << strategy << "\n"
            << model::format_summary(model::summarise(net, patch, batch), options, patch, batch);
  return 0;
}

}  // namespace

void add_model_info_command(CLI::App& app, Action& run) {
  auto o = std::make_shared<ModelInfoOptions>();
  CLI::App* cmd = app.add_subcommand("model-info", "Print the network a config builds: layers, parameters, memory");
  cmd->add_option("--config", o->config, "run config (YAML), e.g. configs/muscle_us.yaml")->required();
  cmd->add_option("--strategy", o->strategy, "training strategy (default: the config's train.strategy)");
  cmd->add_option("--set", o->overrides, "override a config value, e.g. --set model.channels=[16,32,64]");
  cmd->callback([&run, o] { run = [o] { return run_model_info(*o); }; });
}

}  // namespace diffseg::cli

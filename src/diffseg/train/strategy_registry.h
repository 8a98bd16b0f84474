#pragma once
// The six training strategies (method.md) in one table: name, what inference needs, what the network sees, and
// the factory. Training, experiments, evaluation and model-info all read it, so a strategy's properties are
// defined once. Torch-free: the strategy objects themselves come with the training code.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace diffseg::train {

class Strategy;
struct StrategyOptions;

struct StrategyInfo {
  std::string name;
  std::string summary;           // one line, for help texts and reports
  bool diffusion;                // inference runs the sampler's chain (false: one forward pass)
  bool self_conditioning;        // the network also sees its own previous prediction
  int64_t mask_channels_per_class;  // mask input channels per class: 0, 1 (noisy mask) or 2 (+ previous prediction)
  std::unique_ptr<Strategy> (*make)(const StrategyOptions& options);
};

// supervised | diffusion | sc_xt | sc_xt1 | rec_xt1 | rec_xT, in that order.
const std::vector<StrategyInfo>& strategy_registry();
const StrategyInfo& strategy_info(const std::string& name);  // UsageError listing the names

const std::vector<std::string>& strategy_names();
void check_strategy_name(const std::string& name);  // UsageError listing the names

struct NetworkInputs {
  int64_t mask_channels;  // 0 (supervised), K (diffusion, recycling), 2K (self-conditioning)
  bool time_conditioning;
};
NetworkInputs network_inputs(const std::string& strategy, int64_t num_classes);

}  // namespace diffseg::train

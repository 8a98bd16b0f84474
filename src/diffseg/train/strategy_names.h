#pragma once
// The six training strategies by name, and what each needs from the network (DESIGN §5). Torch-free: the CLI and
// model-info use it without the training code. The strategy objects themselves come with the training loop.
#include <cstdint>
#include <string>
#include <vector>

namespace diffseg::train {

// supervised | diffusion | sc_xt | sc_xt1 | rec_xt1 | rec_xT
const std::vector<std::string>& strategy_names();
void check_strategy_name(const std::string& name);  // UsageError listing the names

struct NetworkInputs {
  int64_t mask_channels;  // 0 (supervised), K (diffusion, recycling), 2K (self-conditioning)
  bool time_conditioning;
};
NetworkInputs network_inputs(const std::string& strategy, int64_t num_classes);

}  // namespace diffseg::train

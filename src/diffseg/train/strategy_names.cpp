#include "diffseg/train/strategy_names.h"

#include <algorithm>

#include "diffseg/core/error.h"

namespace diffseg::train {

const std::vector<std::string>& strategy_names() {
  static const std::vector<std::string> names{"supervised", "diffusion", "sc_xt", "sc_xt1", "rec_xt1", "rec_xT"};
  return names;
}

void check_strategy_name(const std::string& name) {
  const auto& n = strategy_names();
  if (std::find(n.begin(), n.end(), name) != n.end()) return;
  std::string list;
  for (const auto& s : n) list += (list.empty() ? "" : ", ") + s;
  throw UsageError("unknown strategy '" + name + "' (use one of: " + list + ")");
}

NetworkInputs network_inputs(const std::string& strategy, int64_t num_classes) {
  check_strategy_name(strategy);
  if (strategy == "supervised") return {0, false};
  if (strategy == "sc_xt" || strategy == "sc_xt1") return {2 * num_classes, true};
  return {num_classes, true};
}

}  // namespace diffseg::train

#include "diffseg/train/strategy_registry.h"

#include <algorithm>

#include "diffseg/core/error.h"
#include "diffseg/train/strategies.h"

namespace diffseg::train {

namespace {
template <class S, auto... Args>
std::unique_ptr<Strategy> make_plain(const StrategyOptions&) {
  return std::make_unique<S>(Args...);
}
template <SelfConditioning::Previous P>
std::unique_ptr<Strategy> make_self_conditioning(const StrategyOptions& o) {
  return std::make_unique<SelfConditioning>(P, o);
}
}  // namespace

const std::vector<StrategyInfo>& strategy_registry() {
  static const std::vector<StrategyInfo> table{
      {"supervised", "one forward pass from the image alone (no diffusion)", false, false, 0, &make_plain<Supervised>},
      {"diffusion", "denoise the noised ground truth", true, false, 1, &make_plain<PlainDiffusion>},
      {"sc_xt", "self-conditioning on a first prediction at the same noise level", true, true, 2,
       &make_self_conditioning<SelfConditioning::Previous::same>},
      {"sc_xt1", "self-conditioning on a first prediction one noise level up", true, true, 2,
       &make_self_conditioning<SelfConditioning::Previous::next>},
      {"rec_xt1", "recycling: noise the prediction made one noise level up", true, false, 1,
       &make_plain<Recycling, Recycling::Previous::next>},
      {"rec_xT", "recycling: noise the prediction made from pure noise (the paper's proposal)", true, false, 1,
       &make_plain<Recycling, Recycling::Previous::max>},
  };
  return table;
}

const StrategyInfo& strategy_info(const std::string& name) {
  for (const StrategyInfo& s : strategy_registry())
    if (s.name == name) return s;
  std::string list;
  for (const StrategyInfo& s : strategy_registry()) list += (list.empty() ? "" : ", ") + s.name;
  throw UsageError("unknown strategy '" + name + "' (use one of: " + list + ")");
}

const std::vector<std::string>& strategy_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const StrategyInfo& s : strategy_registry()) n.push_back(s.name);
    return n;
  }();
  return names;
}

void check_strategy_name(const std::string& name) { (void)strategy_info(name); }

NetworkInputs network_inputs(const std::string& strategy, int64_t num_classes) {
  const StrategyInfo& s = strategy_info(strategy);
  return {s.mask_channels_per_class * num_classes, s.diffusion};
}

std::unique_ptr<Strategy> make_strategy(const std::string& name, const StrategyOptions& options) {
  return strategy_info(name).make(options);
}

}  // namespace diffseg::train

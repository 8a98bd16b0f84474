#include "diffseg/experiment/grid_entry.h"

#include <algorithm>
#include <string_view>

#include "diffseg/core/error.h"
#include "diffseg/train/strategy_registry.h"

namespace diffseg::experiment {

namespace {
constexpr std::string_view kBernoulli = "_bernoulli";
constexpr std::string_view kFromSupervised = "_from_supervised";

// Removes `suffix` from the end of `name` (keeping at least one character) and says whether it was there.
bool strip_suffix(std::string& name, std::string_view suffix) {
  if (name.size() <= suffix.size() || !name.ends_with(suffix)) return false;
  name.resize(name.size() - suffix.size());
  return true;
}
}  // namespace

GridEntry parse_grid_entry(const std::string& name) {
  GridEntry e;
  e.name = name;
  e.strategy = name;
  e.from_supervised = strip_suffix(e.strategy, kFromSupervised);
  e.bernoulli = strip_suffix(e.strategy, kBernoulli);
  train::check_strategy_name(e.strategy);
  const train::StrategyInfo& info = train::strategy_info(e.strategy);
  if ((e.bernoulli || e.from_supervised) && !info.diffusion)
    throw UsageError("strategy entry " + name + ": " + e.strategy + " has no mask input, so neither " +
                     std::string(kBernoulli) + " nor " + std::string(kFromSupervised) + " applies to it");
  if (e.bernoulli && info.self_conditioning)
    throw UsageError("strategy entry " + name + ": Bernoulli mask noise is not implemented for the "
                     "self-conditioning strategy " + e.strategy + " (use diffusion, rec_xt1 or rec_xT)");
  return e;
}

std::vector<std::string> entry_samplers(const GridEntry& entry, const std::vector<std::string>& samplers) {
  if (entry.strategy == "supervised") return {"ddpm"};
  if (!entry.bernoulli) return samplers;
  if (std::find(samplers.begin(), samplers.end(), "ddpm") == samplers.end())
    throw UsageError("strategy entry " + entry.name + " samples its categorical chain with DDPM only, and the "
                     "experiment's samplers do not include ddpm");
  return {"ddpm"};
}

}  // namespace diffseg::experiment

#pragma once
// One entry of an experiment's `strategies:` list: a strategy, optionally trained with Bernoulli mask noise and/or
// as a fine-tuning stage after a supervised network (docs/method.md: Fine-tuning from a supervised model; Bernoulli
// mask diffusion). The entry's name is also its run folder's name and its row label in every table.
#include <string>
#include <vector>

namespace diffseg::experiment {

struct GridEntry {
  std::string name;               // as written, e.g. "rec_xT_bernoulli_from_supervised"
  std::string strategy;           // the strategy its (final) run trains, e.g. "rec_xT"
  bool bernoulli = false;         // "_bernoulli": diffusion.noise = bernoulli (DDPM sampling only)
  bool from_supervised = false;   // "_from_supervised": a supervised stage first, then `strategy` from it
};

// Parses `<strategy>[_bernoulli][_from_supervised]`; UsageError naming the entry when the strategy is unknown or a
// suffix does not apply to it (only diffusion strategies take either; Bernoulli noise has no self-conditioning).
GridEntry parse_grid_entry(const std::string& name);

// The samplers an entry is evaluated with: supervised has no chain (one pass, listed as "ddpm"), a Bernoulli chain
// samples with DDPM only; others every sampler asked for.
std::vector<std::string> entry_samplers(const GridEntry& entry, const std::vector<std::string>& samplers);

}  // namespace diffseg::experiment

#pragma once
// Validation during training: mean foreground Dice of the sampler's last step over the validation cases. In a
// distributed job each rank predicts the cases i with i mod world = rank and the sums are all-reduced, so every
// rank gets the same score; each case's sampling noise is seeded by case_seed(seed, index) (core/seed.h), so the
// score does not depend on the number of ranks, and a case gets the noise `evaluate` draws for it with inference
// seed `seed`.
#include <cstdint>
#include <vector>

#include "diffseg/data/case_cache.h"
#include "diffseg/dist/process_group.h"
#include "diffseg/train/predictor.h"

namespace diffseg::train {

// NaN when there are no validation cases.
double validate(model::UNet& net, const Strategy& strategy, const diffusion::GaussianDiffusion& diffusion,
                const std::vector<data::CachedCase>& cases, const PredictOptions& options, uint64_t seed,
                int64_t num_classes, dist::Group& group);

}  // namespace diffseg::train

#pragma once
// Which cases train, validate and test, when dataset.json alone does not say:
// - a split file, JSON {"training": [ids], "validation": [ids], "test": [ids]}, reassigns the dataset's cases
//   (all of its entries pooled) by case id — the way to reuse a published split or a cross-validation fold;
// - otherwise, when dataset.json lists no validation cases, a seeded fraction of the training cases is held out,
//   so the same seed always picks the same cases.
#include <cstdint>
#include <filesystem>

#include "diffseg/core/config.h"
#include "diffseg/io/dataset.h"

namespace diffseg::io {

struct SplitOptions {
  std::filesystem::path split_file;   // empty: use dataset.json's lists
  double validation_fraction = 0.1;   // held out of training when there is no validation list (0: none)
  uint64_t seed = 0;

  // data.split_file, data.validation_fraction, data.split_seed.
  static SplitOptions from_config(const Config& config);
};

// InputError naming the split file for unknown or repeated ids, or a file that is not such JSON.
Dataset apply_split_file(const Dataset& dataset, const std::filesystem::path& split_file);
Dataset hold_out_validation(const Dataset& dataset, double fraction, uint64_t seed);
void write_split_file(const Dataset& dataset, const std::filesystem::path& split_file);

// read_dataset, then the split file or the seeded hold-out as configured.
Dataset read_dataset(const std::filesystem::path& folder_or_file, const SplitOptions& splits);

}  // namespace diffseg::io

#pragma once
// Runs a dataset recipe: reads every raw case, checks it, maps its labels, preprocesses it and writes it into the
// output folder with a dataset.json. Cases are independent and done in parallel; each one's outputs are written
// atomically and a marker (.prepare/<id>.json) last, so an interrupted run can be restarted and only redoes the
// cases without a marker (or whose preprocessing settings changed). Bad cases (a missing file, channels or label
// on another grid, label values outside the dataset's codes, NaN) are reported and skipped, never fatal.
#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "diffseg/data/prepare/recipe.h"
#include "diffseg/io/dataset.h"

namespace diffseg::data {

struct PrepareOptions {
  std::filesystem::path raw, out;
  int workers = 0;  // 0: all cores
};

struct PreparedCase {
  std::string id, split;
  std::filesystem::path image, label;  // relative to the output folder
  int spatial_dims = 3;
  std::array<int64_t, 3> shape{1, 1, 1};  // x, y, z
  std::array<double, 3> spacing{1, 1, 1};
  std::vector<int64_t> class_voxels;     // per class id; empty when unlabelled
};

struct SkippedCase {
  std::string id, problem;
};

struct PrepareSummary {
  io::Dataset dataset;
  std::vector<PreparedCase> cases;
  std::vector<SkippedCase> skipped;
  int reused = 0;  // cases already done by an earlier run
  std::string text(const DatasetRecipe& recipe) const;  // the summary printed at the end
};

PrepareSummary prepare_dataset(const DatasetRecipe& recipe, const PrepareOptions& options);

}  // namespace diffseg::data

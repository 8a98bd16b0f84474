#pragma once
// A dataset recipe says how one public dataset, as users download it, becomes a diffseg dataset folder: where the
// cases are in its folder layout, which split each belongs to (the paper's split), how its label codes map to
// class ids, and how each case is preprocessed (docs/datasets.md). `prepare_dataset` runs any recipe the same way.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "diffseg/data/preprocess.h"
#include "diffseg/io/dataset.h"

namespace diffseg::data {

struct RawCase {
  std::string id;
  std::vector<std::filesystem::path> images;  // one file per channel, in the recipe's modality order
  std::filesystem::path label;                // empty for unlabelled cases
  std::string split;                          // "training", "validation" or "test"
};

struct DatasetRecipe {
  std::string name;                       // what --dataset takes
  std::string title;                      // dataset and publication, for dataset.json and logs
  std::vector<std::string> modalities;    // channel names
  std::vector<std::string> class_names;   // index = class id, 0 = background
  int raw_label_values = 0;               // label files hold values in [0, raw_label_values)
  std::vector<int> label_map;             // raw value → class id; empty = identity
  PreprocessOptions preprocess;
  std::vector<io::Region> regions;        // scored instead of the classes when given (BraTS' overlapping regions)
  // Lists the cases under the user's download folder; InputError naming the folder when the layout is not there.
  std::function<std::vector<RawCase>(const std::filesystem::path& raw)> discover;
};

// "muscle_us", "amos_ct", "male_pelvic_mr", "brats2021", "brats2021_regions", and "msd" (any folder with an MSD dataset.json,
// preprocessed as the config's `preprocess:` section says). `raw` is read by recipes whose classes come from it.
DatasetRecipe recipe_named(const std::string& name, const std::filesystem::path& raw);
std::vector<std::string> recipe_names();

DatasetRecipe muscle_us_recipe();
DatasetRecipe amos_ct_recipe();
DatasetRecipe male_pelvic_mr_recipe();
DatasetRecipe brats2021_recipe();
DatasetRecipe brats2021_regions_recipe();
DatasetRecipe msd_recipe(const std::filesystem::path& raw);

}  // namespace diffseg::data

// Any dataset with a Medical Segmentation Decathlon style dataset.json: its own splits and classes, preprocessed as
// the `preprocess:` section of --config says (nothing by default).
#include "diffseg/data/prepare/recipe.h"
#include "diffseg/io/dataset.h"

namespace diffseg::data {
namespace fs = std::filesystem;

DatasetRecipe msd_recipe(const fs::path& raw) {
  const io::Dataset d = io::read_dataset(raw, io::ListedFiles::may_be_missing);  // missing files: skipped cases
  DatasetRecipe r;
  r.name = "msd";
  r.title = d.name.empty() ? "dataset.json at " + raw.string() : d.name;
  r.modalities = d.modalities;
  for (const auto& [id, name] : d.labels) r.class_names.push_back(name);
  r.raw_label_values = static_cast<int>(r.class_names.size());
  r.regions = d.regions;  // a dataset.json that defines regions keeps them
  r.discover = [d](const fs::path&) {
    std::vector<RawCase> cases;
    const std::pair<const std::vector<io::DatasetEntry>*, const char*> splits[] = {
        {&d.training, "training"}, {&d.validation, "validation"}, {&d.test, "test"}};
    for (const auto& [list, split] : splits)
      for (const io::DatasetEntry& e : *list) cases.push_back({e.id, e.images, e.label, split});
    return cases;
  };
  return r;
}

}  // namespace diffseg::data

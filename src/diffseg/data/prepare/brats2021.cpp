// BraTS 2021 task 1 training data (Baid et al. 2021), docs/datasets.md: one folder per case,
// BraTS2021_NNNNN/BraTS2021_NNNNN_{t1,t1ce,t2,flair,seg}.nii.gz, labels {0, 1, 2, 4}. The reference's task is
// binary: whole tumour (any label ≥ 1). Split over sorted ids in the proportions 938 / 31 / 282 of 1251.
// brats2021_regions is the challenge's own task: the three sub-regions as classes, scored as the overlapping
// regions whole tumour, tumour core and enhancing tumour.
#include <regex>

#include "diffseg/core/error.h"
#include "diffseg/data/prepare/raw_layout.h"
#include "diffseg/data/prepare/recipe.h"

namespace diffseg::data {
namespace fs = std::filesystem;

DatasetRecipe brats2021_recipe() {
  DatasetRecipe r;
  r.name = "brats2021";
  r.title = "BraTS 2021 brain tumour MR, whole tumour (Baid et al., 2021)";
  r.modalities = {"T1", "T1ce", "T2", "FLAIR"};
  r.class_names = {"background", "whole tumour"};
  r.raw_label_values = 5;
  r.label_map = {0, 1, 1, 1, 1};  // necrotic core (1), oedema (2), enhancing tumour (4) → whole tumour
  r.preprocess.crop_lower_xyz = Index3{37, 10, 0};
  r.preprocess.crop_upper_xyz = Index3{24, 11, 0};
  r.preprocess.intensity = {IntensityOptions::Mode::percentile, 0.95, 99.5};
  r.discover = [](const fs::path& raw) {
    if (!fs::is_directory(raw)) throw InputError(raw, "is not a folder");
    const std::regex case_name("BraTS2021_[0-9]+");
    std::vector<fs::path> folders;
    for (auto it = fs::recursive_directory_iterator(raw); it != fs::recursive_directory_iterator(); ++it) {
      if (it.depth() > 3) it.disable_recursion_pending();
      if (it->is_directory() && std::regex_match(it->path().filename().string(), case_name)) {
        folders.push_back(it->path());
        it.disable_recursion_pending();
      }
    }
    if (folders.empty()) throw InputError(raw, "no BraTS2021_NNNNN case folders here or below");
    std::sort(folders.begin(), folders.end(),
              [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
    const auto [n_train, n_val] = proportional_split(folders.size(), 938, 31, 1251);
    std::vector<RawCase> cases;
    for (std::size_t i = 0; i < folders.size(); ++i) {
      const std::string id = folders[i].filename().string();
      RawCase c{id, {}, folders[i] / (id + "_seg.nii.gz"), i < n_train ? "training" : i < n_train + n_val ? "validation" : "test"};
      for (const char* m : {"t1", "t1ce", "t2", "flair"}) c.images.push_back(folders[i] / (id + "_" + m + ".nii.gz"));
      cases.push_back(std::move(c));
    }
    return cases;
  };
  return r;
}

DatasetRecipe brats2021_regions_recipe() {
  DatasetRecipe r = brats2021_recipe();
  r.name = "brats2021_regions";
  r.title = "BraTS 2021 brain tumour MR, three regions (Baid et al., 2021)";
  r.class_names = {"background", "necrotic tumour core", "peritumoral oedema", "enhancing tumour"};
  // Raw 4 (enhancing) becomes class 3; raw 3 is not used since BraTS 2017, when non-enhancing tumour (3) was merged
  // into the necrotic core (1), so a stray 3 goes there too.
  r.label_map = {0, 1, 2, 1, 3};
  // The challenge's regions: the network predicts exclusive classes (softmax), evaluation scores their unions.
  r.regions = {{"whole tumour", {1, 2, 3}}, {"tumour core", {1, 3}}, {"enhancing tumour", {3}}};
  return r;
}

}  // namespace diffseg::data

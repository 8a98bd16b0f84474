// Male pelvic T2w MR (Li et al. 2022, 589 images from 7 institutions; Zenodo 7013610), docs/datasets.md:
// data/<uid>_img.nii and data/<uid>_mask.nii, institution.txt lists "uid institution". Per institution, in file
// order: the first 2 validate, uids[2 : int(0.75 n) - 2] train, the rest test.
#include <fstream>
#include <map>
#include <sstream>

#include "diffseg/core/error.h"
#include "diffseg/data/prepare/raw_layout.h"
#include "diffseg/data/prepare/recipe.h"

namespace diffseg::data {
namespace fs = std::filesystem;

DatasetRecipe male_pelvic_mr_recipe() {
  DatasetRecipe r;
  r.name = "male_pelvic_mr";
  r.title = "Male pelvic T2-weighted MR, 8 structures (Li et al., 2022)";
  r.modalities = {"T2"};
  r.class_names = {"background",      "bladder", "bone",           "obturator internus",  "transition zone",
                   "central gland",   "rectum",  "seminal vesicle", "neurovascular bundle"};
  r.raw_label_values = 9;
  r.preprocess.spacing_xyz = std::array<double, 3>{0.75, 0.75, 2.5};
  r.preprocess.intensity = {IntensityOptions::Mode::percentile, 0.95, 99.5};
  r.preprocess.shape_xyz = Index3{256, 256, 48};
  r.discover = [](const fs::path& raw) {
    const fs::path list_folder = find_folder_containing(raw, {"institution.txt"});
    const fs::path list = list_folder / "institution.txt";
    const fs::path data = fs::is_directory(list_folder / "data") ? list_folder / "data" : list_folder;
    std::ifstream in(list);
    std::vector<std::string> institutions;  // first-appearance order
    std::map<std::string, std::vector<std::string>> uids;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
      std::istringstream fields(line);
      std::string uid, institution;
      if (!(fields >> uid)) continue;  // blank line
      if (!(fields >> institution))
        throw InputError(list, "line " + std::to_string(number) + " is not 'uid institution': " + line);
      if (!uids.count(institution)) institutions.push_back(institution);
      uids[institution].push_back(uid);
    }
    if (institutions.empty()) throw InputError(list, "lists no cases");
    std::vector<RawCase> cases;
    for (const std::string& institution : institutions) {
      const auto& ids = uids[institution];
      const std::size_t n = ids.size();
      // Python's uids[2 : int(0.75 n) - 2]: empty when the end is not past 2 (for n <= 2 it is negative, still empty).
      const auto train_end = std::max<int64_t>(2, static_cast<int64_t>(0.75 * static_cast<double>(n)) - 2);
      for (std::size_t i = 0; i < n; ++i) {
        const char* split = i < 2 ? "validation" : static_cast<int64_t>(i) < train_end ? "training" : "test";
        cases.push_back({ids[i], {data / (ids[i] + "_img.nii")}, data / (ids[i] + "_mask.nii"), split});
      }
    }
    return cases;
  };
  return r;
}

}  // namespace diffseg::data

// AMOS 2022 abdominal CT (Ji et al., NeurIPS 2022; Zenodo 7262581), docs/datasets.md: amos22/dataset.json lists
// the official training and validation cases; CT scans are those with id ≤ 500. Training CTs train; the first 10 %
// of the validation CTs (file order) validate and the rest test.
#include <nlohmann/json.hpp>

#include "diffseg/core/error.h"
#include "diffseg/data/prepare/raw_layout.h"
#include "diffseg/data/prepare/recipe.h"
#include "diffseg/io/image_file.h"
#include "diffseg/io/json_file.h"

namespace diffseg::data {
namespace fs = std::filesystem;

namespace {
constexpr int kLastCtId = 500;

std::vector<RawCase> ct_cases(const nlohmann::json& list, const fs::path& root, const fs::path& json_path) {
  std::vector<RawCase> out;
  if (!list.is_array()) throw InputError(json_path, "expected lists \"training\" and \"validation\"");
  for (const auto& entry : list) {
    if (!entry.is_object() || !entry.contains("image") || !entry["image"].is_string())
      throw InputError(json_path, "an entry has no \"image\" path: " + entry.dump());
    const fs::path image = root / entry["image"].get<std::string>();
    const std::string id = io::stem_of(image);  // amos_0001
    const auto digits = id.find_first_of("0123456789");
    if (digits == std::string::npos) throw InputError(json_path, "case '" + id + "' has no numeric id");
    if (std::stoi(id.substr(digits)) > kLastCtId) continue;  // MRI
    fs::path label;
    if (entry.contains("label") && entry["label"].is_string()) label = root / entry["label"].get<std::string>();
    out.push_back({id, {image}, label, ""});
  }
  return out;
}
}  // namespace

DatasetRecipe amos_ct_recipe() {
  DatasetRecipe r;
  r.name = "amos_ct";
  r.title = "AMOS 2022 abdominal CT, CT only (Ji et al., NeurIPS 2022)";
  r.modalities = {"CT"};
  r.class_names = {"background", "spleen", "right kidney", "left kidney", "gall bladder", "esophagus", "liver",
                   "stomach", "aorta", "postcava", "pancreas", "right adrenal gland", "left adrenal gland",
                   "duodenum", "bladder", "prostate/uterus"};
  r.raw_label_values = 16;
  r.preprocess.spacing_xyz = std::array<double, 3>{1.5, 1.5, 5.0};
  r.preprocess.intensity = {IntensityOptions::Mode::window, -991, 362};
  r.preprocess.shape_xyz = Index3{192, 128, 128};
  r.discover = [](const fs::path& raw) {
    const fs::path root = find_folder_containing(raw, {"dataset.json", "imagesTr"});
    const fs::path json_path = root / "dataset.json";
    const nlohmann::json j = io::read_json_file(json_path);
    std::vector<RawCase> cases = ct_cases(j.value("training", nlohmann::json::array()), root, json_path);
    for (RawCase& c : cases) c.split = "training";
    std::vector<RawCase> held = ct_cases(j.value("validation", nlohmann::json::array()), root, json_path);
    // 100 validation CTs → 10 + 90; small folders keep at least one of each.
    const std::size_t n_val = proportional_split(held.size(), 10, 90, 100).first;
    for (std::size_t i = 0; i < held.size(); ++i) {
      held[i].split = i < n_val ? "validation" : "test";
      cases.push_back(held[i]);
    }
    return cases;
  };
  return r;
}

}  // namespace diffseg::data

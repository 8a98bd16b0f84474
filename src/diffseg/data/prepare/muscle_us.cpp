// Muscle ultrasound, Marzola et al. 2021 (Mendeley Data 3jykz7wz8d v1), docs/datasets.md: 2D PNGs in
// train/ val/ test/ with masks of the same file name in trainannot/ valannot/ testannot/; the folders are the split.
#include "diffseg/data/prepare/raw_layout.h"
#include "diffseg/data/prepare/recipe.h"
#include "diffseg/io/image_file.h"

namespace diffseg::data {
namespace fs = std::filesystem;

DatasetRecipe muscle_us_recipe() {
  DatasetRecipe r;
  r.name = "muscle_us";
  r.title = "Transverse musculoskeletal ultrasound (Marzola et al., Comput Biol Med 2021)";
  r.modalities = {"US"};
  r.class_names = {"background", "muscle"};
  r.raw_label_values = 2;  // masks are 0/255 PNGs, which read_label_map reads as {0, 1}
  r.discover = [](const fs::path& raw) {
    const fs::path root = find_folder_containing(raw, {"train", "trainannot", "val", "valannot", "test", "testannot"});
    std::vector<RawCase> cases;
    const std::pair<const char*, const char*> splits[] = {{"train", "training"}, {"val", "validation"}, {"test", "test"}};
    for (const auto& [folder, split] : splits)
      for (const fs::path& image : files_ending_with(root / folder, ".png"))
        // A mask missing from the annotation folder is reported as such by prepare.
        cases.push_back({io::stem_of(image), {image}, root / (std::string(folder) + "annot") / image.filename(), split});
    return cases;
  };
  return r;
}

}  // namespace diffseg::data

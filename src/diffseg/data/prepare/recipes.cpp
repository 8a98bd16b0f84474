#include "diffseg/core/error.h"
#include "diffseg/data/prepare/recipe.h"

namespace diffseg::data {

std::vector<std::string> recipe_names() { return {"muscle_us", "amos_ct", "male_pelvic_mr", "brats2021", "brats2021_regions", "msd"}; }

DatasetRecipe recipe_named(const std::string& name, const std::filesystem::path& raw) {
  if (name == "muscle_us") return muscle_us_recipe();
  if (name == "amos_ct") return amos_ct_recipe();
  if (name == "male_pelvic_mr") return male_pelvic_mr_recipe();
  if (name == "brats2021") return brats2021_recipe();
  if (name == "brats2021_regions") return brats2021_regions_recipe();
  if (name == "msd") return msd_recipe(raw);
  std::string known;
  for (const auto& n : recipe_names()) known += (known.empty() ? "" : ", ") + n;
  throw UsageError("unknown dataset '" + name + "'; known: " + known);
}

}  // namespace diffseg::data

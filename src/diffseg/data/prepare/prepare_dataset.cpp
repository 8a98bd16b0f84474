#include "diffseg/data/prepare/prepare_dataset.h"

#include <algorithm>
#include <omp.h>

#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "diffseg/core/atomic_file.h"
#include "diffseg/core/error.h"
#include "diffseg/core/parallel.h"
#include "diffseg/core/progress.h"
#include "diffseg/core/results.h"
#include "diffseg/data/tensor_image.h"
#include "diffseg/io/case_loader.h"
#include "diffseg/io/image_file.h"
#include "diffseg/io/png.h"

namespace diffseg::data {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A 2D single-channel image of whole numbers in 0..255 on the pixel grid (spacing 1, origin 0: no resampling) stays
// a PNG; everything else becomes float32 NIfTI.
bool fits_png(const io::Image& image) {
  if (image.spatial_dims() != 2 || image.size().channels != 1) return false;
  if (!io::png_holds_geometry(image.geometry())) return false;
  const at::Tensor t = to_tensor(image);
  return t.min().item<double>() >= 0 && t.max().item<double>() <= 255 && torch::equal(t, t.round());
}

io::Image map_labels(const io::Image& label, const std::vector<int>& label_map) {
  if (label_map.empty()) return label;
  const at::Tensor lut = torch::tensor(std::vector<int64_t>(label_map.begin(), label_map.end()), torch::kLong);
  const at::Tensor mapped = lut.index({to_tensor(label).to(torch::kLong)}).to(torch::kByte);
  return to_image(mapped, label.spatial_dims(), label.geometry());
}

json to_json(const PreparedCase& c, const std::string& settings) {
  return {{"id", c.id},           {"split", c.split},
          {"image", c.image.generic_string()}, {"label", c.label.generic_string()},
          {"spatial_dims", c.spatial_dims}, {"shape", c.shape},
          {"spacing", c.spacing}, {"class_voxels", c.class_voxels},
          {"settings", settings}};
}

// The marker of a finished case, when it exists, matches the settings, and its files are still there.
bool read_marker(const fs::path& marker, const fs::path& out, const std::string& settings, PreparedCase& c) {
  std::ifstream in(marker);
  if (!in) return false;
  try {
    const json j = json::parse(in);
    if (j.at("settings").get<std::string>() != settings) return false;
    c.image = j.at("image").get<std::string>();
    c.label = j.at("label").get<std::string>();
    c.spatial_dims = j.at("spatial_dims").get<int>();
    c.shape = j.at("shape").get<std::array<int64_t, 3>>();
    c.spacing = j.at("spacing").get<std::array<double, 3>>();
    c.class_voxels = j.at("class_voxels").get<std::vector<int64_t>>();
  } catch (const json::exception&) {
    return false;  // a marker from another version: redo the case
  }
  return fs::exists(out / c.image) && (c.label.empty() || fs::exists(out / c.label));
}

PreparedCase prepare_case(const DatasetRecipe& recipe, const io::Dataset& raw_dataset, const RawCase& raw,
                          const fs::path& out) {
  for (const fs::path& f : raw.images)
    if (!fs::exists(f)) throw InputError(f, "missing (case " + raw.id + ")");
  if (!raw.label.empty() && !fs::exists(raw.label)) throw InputError(raw.label, "missing (case " + raw.id + ")");

  io::Case c = io::load_case(raw_dataset, io::DatasetEntry{raw.id, raw.images, raw.label});
  if (!c.label.empty()) c.label = map_labels(c.label, recipe.label_map);
  c = preprocess_case(std::move(c), recipe.preprocess);

  PreparedCase p;
  p.id = raw.id;
  p.split = raw.split;
  p.spatial_dims = c.image.spatial_dims();
  p.shape = {c.image.size().x, c.image.size().y, c.image.size().z};
  p.spacing = c.image.geometry().spacing;
  const bool png = fits_png(c.image);
  p.image = fs::path("images") / (raw.id + (png ? ".png" : ".nii.gz"));
  io::write_image(out / p.image, png ? c.image.cast(io::DType::uint8) : c.image);
  if (!c.label.empty()) {
    // The label has the image's geometry, so it is a PNG exactly when the image's geometry fits one.
    const bool png_label = p.spatial_dims == 2 && io::png_holds_geometry(c.label.geometry());
    p.label = fs::path("labels") / (raw.id + (png_label ? ".png" : ".nii.gz"));
    io::write_image(out / p.label, c.label);
    const at::Tensor counts =
        torch::bincount(to_tensor(c.label).flatten().to(torch::kLong), {}, static_cast<int64_t>(recipe.class_names.size()));
    p.class_voxels.assign(counts.data_ptr<int64_t>(), counts.data_ptr<int64_t>() + counts.numel());
  }
  return p;
}

std::string shape_text(const PreparedCase& c) {
  std::ostringstream s;
  s << c.shape[0] << "x" << c.shape[1];
  if (c.spatial_dims == 3) s << "x" << c.shape[2];
  return s.str();
}

std::string spacing_text(const PreparedCase& c) {
  std::ostringstream s;
  s << c.spacing[0] << " x " << c.spacing[1];
  if (c.spatial_dims == 3) s << " x " << c.spacing[2];
  return s.str();
}

}  // namespace

PrepareSummary prepare_dataset(const DatasetRecipe& recipe, const PrepareOptions& o) {
  // The download is never written into: an --out at or inside --raw would replace its dataset.json or mix files.
  {
    std::error_code ec;
    const fs::path raw = fs::weakly_canonical(o.raw, ec), out = fs::weakly_canonical(o.out, ec);
    const auto [r, _] = std::mismatch(raw.begin(), raw.end(), out.begin(), out.end());
    if (r == raw.end())
      throw UsageError("--out " + o.out.string() + " is the raw folder or inside it; choose a folder outside " +
                       o.raw.string());
  }
  std::vector<RawCase> raw_cases = recipe.discover(o.raw);
  if (raw_cases.empty()) throw InputError(o.raw, "no cases found for dataset " + recipe.name);
  // Output names and markers are per id: a name used in two splits gets the split appended.
  std::map<std::string, int> uses;
  for (const RawCase& c : raw_cases) ++uses[c.id];
  for (RawCase& c : raw_cases)
    if (uses[c.id] > 1) c.id += "_" + c.split;
  ensure_directory(o.out / "images");
  ensure_directory(o.out / "labels");
  ensure_directory(o.out / ".prepare");

  // What load_case needs to validate a raw case: its channels and the raw label codes.
  io::Dataset raw_dataset;
  raw_dataset.root = o.raw;
  for (int v = 0; v < recipe.raw_label_values; ++v) raw_dataset.labels[v] = std::to_string(v);
  raw_dataset.modalities = recipe.modalities;
  const std::string settings = recipe.name + ": " + recipe.preprocess.describe();
  spdlog::info("preparing {} ({} cases found) from {} into {}", recipe.title, raw_cases.size(), o.raw.string(),
               o.out.string());
  spdlog::info("preprocessing: {}", recipe.preprocess.describe());

  std::vector<std::optional<PreparedCase>> done(raw_cases.size());
  std::vector<std::string> problems(raw_cases.size());
  std::vector<bool> reused(raw_cases.size(), false);
  std::mutex progress_mutex;
  Progress progress("prepare " + recipe.name, static_cast<int64_t>(raw_cases.size()), "case");
  parallel_for(static_cast<int64_t>(raw_cases.size()), o.workers, [&](int64_t i) {
    omp_set_num_threads(1);  // cases run in parallel: no nested thread teams inside each
    const RawCase& raw = raw_cases[i];
    const fs::path marker = o.out / ".prepare" / (raw.id + ".json");
    PreparedCase p;
    p.id = raw.id;
    p.split = raw.split;
    if (read_marker(marker, o.out, settings, p)) {
      done[i] = p;
      reused[i] = true;
    } else {
      try {
        done[i] = prepare_case(recipe, raw_dataset, raw, o.out);
        write_text_atomically(marker, to_json(*done[i], settings).dump() + "\n");
      } catch (const InputError& e) {
        problems[i] = e.what();
      } catch (const std::exception& e) {  // e.g. a crop larger than the image: still this case's problem
        problems[i] = raw.id + ": " + e.what();
      }
    }
    std::lock_guard<std::mutex> lock(progress_mutex);
    progress.advance(1);
  });
  progress.finish();

  PrepareSummary summary;
  summary.dataset.root = o.out;
  summary.dataset.name = recipe.name;
  summary.dataset.description = recipe.title + "; prepared by diffseg (" + recipe.preprocess.describe() + ")";
  summary.dataset.modalities = recipe.modalities;
  summary.dataset.preprocessing = recipe.preprocess.to_json();  // what infer applies to a raw scan
  summary.dataset.regions = recipe.regions;
  for (size_t k = 0; k < recipe.class_names.size(); ++k) summary.dataset.labels[static_cast<int>(k)] = recipe.class_names[k];
  ResultTable table({"id", "split", "shape", "spacing_mm", "foreground_voxels"});
  for (size_t i = 0; i < raw_cases.size(); ++i) {
    if (!done[i]) {
      summary.skipped.push_back({raw_cases[i].id, problems[i]});
      spdlog::warn("skipped {}: {}", raw_cases[i].id, problems[i]);
      continue;
    }
    const PreparedCase& p = *done[i];
    summary.reused += reused[i];
    io::DatasetEntry entry{p.id, {o.out / p.image}, p.label.empty() ? fs::path{} : o.out / p.label};
    (p.split == "training" ? summary.dataset.training : p.split == "validation" ? summary.dataset.validation
                                                                                : summary.dataset.test)
        .push_back(entry);
    int64_t foreground = 0;
    for (size_t k = 1; k < p.class_voxels.size(); ++k) foreground += p.class_voxels[k];
    table.add({p.id, p.split, shape_text(p), spacing_text(p), foreground});
    summary.cases.push_back(p);
  }
  ResultTable skipped_table({"id", "problem"});
  for (const auto& s : summary.skipped) skipped_table.add({s.id, s.problem});
  if (summary.cases.empty()) {
    // Every case failed: say why (skipped.csv) but write no dataset.json that looks usable.
    skipped_table.write_csv(o.out / "skipped.csv");
    throw InputError(o.raw, "none of the " + std::to_string(raw_cases.size()) + " case(s) could be prepared; the "
                                "first problem: " + (summary.skipped.empty() ? std::string("?") : summary.skipped.front().problem));
  }
  io::write_dataset(summary.dataset);
  table.write_csv(o.out / "cases.csv");
  skipped_table.write_csv(o.out / "skipped.csv");
  return summary;
}

std::string PrepareSummary::text(const DatasetRecipe& recipe) const {
  std::ostringstream s;
  s << "Prepared " << recipe.name << " into " << dataset.root.string() << ": " << cases.size() << " cases ("
    << dataset.training.size() << " training, " << dataset.validation.size() << " validation, " << dataset.test.size()
    << " test)";
  if (reused > 0) s << ", " << reused << " already done by an earlier run";
  s << "\n";
  std::map<std::string, int> shapes, spacings;
  std::vector<int64_t> voxels(recipe.class_names.size(), 0), present(recipe.class_names.size(), 0);
  for (const PreparedCase& c : cases) {
    ++shapes[shape_text(c)];
    ++spacings[spacing_text(c)];
    for (size_t k = 0; k < c.class_voxels.size() && k < voxels.size(); ++k) {
      voxels[k] += c.class_voxels[k];
      present[k] += c.class_voxels[k] > 0;
    }
  }
  auto list = [&](const std::map<std::string, int>& counts) {
    std::string text;
    int shown = 0;
    for (const auto& [value, n] : counts) {
      if (shown++ == 5) { text += ", ..."; break; }
      text += (text.empty() ? "" : ", ") + value + " (" + std::to_string(n) + ")";
    }
    return text;
  };
  s << "  shape (x y z): " << list(shapes) << "\n  spacing (mm):  " << list(spacings) << "\n";
  int64_t total = 0;
  for (int64_t v : voxels) total += v;
  s << "  labels:";
  for (size_t k = 0; k < voxels.size(); ++k) {
    char share[32];
    std::snprintf(share, sizeof share, "%.3g%%", total > 0 ? 100.0 * voxels[k] / total : 0.0);
    s << (k == 0 ? " " : ", ") << recipe.class_names[k] << " " << share << " in " << present[k] << " cases";
  }
  s << "\n";
  if (!skipped.empty()) {
    s << "  skipped " << skipped.size() << " case(s) (listed in skipped.csv):\n";
    for (size_t i = 0; i < skipped.size() && i < 10; ++i) s << "    " << skipped[i].id << ": " << skipped[i].problem << "\n";
  }
  s << "  dataset.json: " << (dataset.root / "dataset.json").string() << "\n";
  return s.str();
}

}  // namespace diffseg::data

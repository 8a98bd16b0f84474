#pragma once
// The offline preprocessing of one case (docs/datasets.md), in this order: reorient to RAS+, resample to a target
// spacing (linear for the image, nearest for the label), a fixed crop (BraTS), intensity clip + rescale to [0, 1]
// (percentiles are taken after the fixed crop, before padding), and pad/crop to a fixed shape around the foreground. Every step keeps the geometry, so the written files still map
// each voxel to its place in the patient. `diffseg prepare` runs it once per case and caches the result on disk.
#include <array>
#include <optional>
#include <string>

#include "diffseg/core/config.h"
#include "diffseg/data/crop_pad.h"
#include "diffseg/io/case_loader.h"

namespace diffseg::data {

struct IntensityOptions {
  enum class Mode { none, window, percentile } mode = Mode::none;
  double low = 0, high = 1;  // HU for window, percentiles (0..100) for percentile
};

struct PreprocessOptions {
  bool reorient = false;
  std::optional<std::array<double, 3>> spacing_xyz;  // mm
  IntensityOptions intensity;
  std::optional<Index3> crop_lower_xyz, crop_upper_xyz;  // voxels removed at each end (BraTS' fixed crop)
  std::optional<Index3> shape_xyz;                       // final shape, window around the foreground

  // From the `preprocess:` section (or another one: a run records its data's recipe as data.preprocessing);
  // UsageError naming the key for a bad value.
  static PreprocessOptions from_config(const Config& config, const std::string& section = "preprocess");
  // The same keys as a JSON object (dataset.json's "preprocessing"; the run config holds it as YAML, of which JSON
  // is a subset), and back from such a node.
  std::string to_json() const;
  static PreprocessOptions from_yaml(const YAML::Node& node);
  std::string describe() const;  // one line for logs and dataset.json
};

io::Case preprocess_case(io::Case c, const PreprocessOptions& options);

}  // namespace diffseg::data

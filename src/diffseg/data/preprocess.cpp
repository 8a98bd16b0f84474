#include "diffseg/data/preprocess.h"

#include <sstream>

#include <nlohmann/json.hpp>

#include "diffseg/core/error.h"
#include "diffseg/data/intensity.h"
#include "diffseg/data/reorient.h"
#include "diffseg/data/resample.h"

namespace diffseg::data {

namespace {
template <class T>
std::optional<std::array<T, 3>> triple(const Config& config, const std::string& key) {
  if (!config.has(key)) return std::nullopt;
  const auto values = config.get<std::vector<T>>(key, {});
  if (values.size() < 2 || values.size() > 3)
    throw UsageError(key + " needs 2 (x, y) or 3 (x, y, z) values");
  std::array<T, 3> out{values[0], values[1], values.size() == 3 ? values[2] : T(1)};
  return out;
}

template <class T>
std::string text(const std::array<T, 3>& v) {
  std::ostringstream s;
  s << "(" << v[0] << ", " << v[1] << ", " << v[2] << ")";
  return s.str();
}
}  // namespace

PreprocessOptions PreprocessOptions::from_config(const Config& config, const std::string& section) {
  PreprocessOptions o;
  const std::string p = section + ".";
  o.reorient = config.get<bool>(p + "reorient", false);
  o.spacing_xyz = triple<double>(config, p + "spacing_xyz");
  o.crop_lower_xyz = triple<int64_t>(config, p + "crop_lower_xyz");
  o.crop_upper_xyz = triple<int64_t>(config, p + "crop_upper_xyz");
  if (o.crop_lower_xyz.has_value() != o.crop_upper_xyz.has_value())
    throw UsageError(p + "crop_lower_xyz and " + p + "crop_upper_xyz go together");
  o.shape_xyz = triple<int64_t>(config, p + "shape_xyz");
  const std::string mode = config.get<std::string>(p + "intensity.mode", "none");
  if (mode == "window") {
    o.intensity.mode = IntensityOptions::Mode::window;
  } else if (mode == "percentile") {
    o.intensity.mode = IntensityOptions::Mode::percentile;
  } else if (mode != "none") {
    throw UsageError(p + "intensity.mode must be none, window or percentile, not '" + mode + "'");
  }
  if (o.intensity.mode != IntensityOptions::Mode::none) {
    o.intensity.low = config.require<double>(p + "intensity.low");
    o.intensity.high = config.require<double>(p + "intensity.high");
    if (!(o.intensity.high > o.intensity.low)) throw UsageError(p + "intensity needs high > low");
  }
  return o;
}

std::string PreprocessOptions::to_json() const {
  nlohmann::json j = {{"reorient", reorient}};
  if (spacing_xyz) j["spacing_xyz"] = *spacing_xyz;
  if (crop_lower_xyz) j["crop_lower_xyz"] = *crop_lower_xyz, j["crop_upper_xyz"] = *crop_upper_xyz;
  if (shape_xyz) j["shape_xyz"] = *shape_xyz;
  if (intensity.mode != IntensityOptions::Mode::none)
    j["intensity"] = {{"mode", intensity.mode == IntensityOptions::Mode::window ? "window" : "percentile"},
                      {"low", intensity.low}, {"high", intensity.high}};
  return j.dump();
}

PreprocessOptions PreprocessOptions::from_yaml(const YAML::Node& node) {
  YAML::Node root(YAML::NodeType::Map);
  root["preprocess"] = node;
  return from_config(Config(root), "preprocess");
}

std::string PreprocessOptions::describe() const {
  std::ostringstream s;
  if (reorient) s << ", reorient to RAS+";
  if (spacing_xyz) s << ", spacing " << text(*spacing_xyz) << " mm";
  if (intensity.mode == IntensityOptions::Mode::window)
    s << ", clip [" << intensity.low << ", " << intensity.high << "] → [0, 1]";
  if (intensity.mode == IntensityOptions::Mode::percentile)
    s << ", clip percentiles [" << intensity.low << ", " << intensity.high << "] → [0, 1]";
  if (crop_lower_xyz) s << ", crop lower " << text(*crop_lower_xyz) << " upper " << text(*crop_upper_xyz);
  if (shape_xyz) s << ", pad/crop to " << text(*shape_xyz) << " around the foreground";
  const std::string all = s.str();
  return all.empty() ? "none" : all.substr(2);
}

io::Case preprocess_case(io::Case c, const PreprocessOptions& o) {
  const bool has_label = !c.label.empty();
  if (o.reorient) {
    c.image = reorient_to_canonical(c.image);
    if (has_label) c.label = reorient_to_canonical(c.label);
  }
  if (o.spacing_xyz) {
    c.image = resample(c.image, *o.spacing_xyz, Interpolation::linear);
    if (has_label) c.label = resample(c.label, *o.spacing_xyz, Interpolation::nearest);
  }
  if (o.crop_lower_xyz) {
    const Index3& lo = *o.crop_lower_xyz;
    const Index3& hi = *o.crop_upper_xyz;
    const Index3 size = size_xyz(c.image);
    Index3 shape{1, 1, 1};
    for (int j = 0; j < c.image.spatial_dims(); ++j) {
      shape[j] = size[j] - lo[j] - hi[j];
      if (shape[j] < 1)
        throw InputError(c.id, "image size " + text(size) + " is too small for the fixed crop " + text(lo) + " + " +
                                   text(hi));
    }
    c.image = extract_region(c.image, lo, shape);
    if (has_label) c.label = extract_region(c.label, lo, shape);
  }
  if (o.intensity.mode == IntensityOptions::Mode::window)
    c.image = clip_and_rescale(c.image, o.intensity.low, o.intensity.high);
  if (o.intensity.mode == IntensityOptions::Mode::percentile)
    c.image = percentile_clip_and_rescale(c.image, o.intensity.low, o.intensity.high);
  if (o.shape_xyz) {
    const Index3 size = size_xyz(c.image);
    const BoundingBox box = has_label ? foreground_box(c.label) : BoundingBox{};
    const Index3 start = window_start(size, c.image.spatial_dims(), box, *o.shape_xyz);
    c.image = extract_region(c.image, start, *o.shape_xyz);
    if (has_label) c.label = extract_region(c.label, start, *o.shape_xyz);
  }
  return c;
}

}  // namespace diffseg::data

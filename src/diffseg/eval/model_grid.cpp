#include "diffseg/eval/model_grid.h"

#include <cmath>
#include <sstream>

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "diffseg/core/error.h"
#include "diffseg/data/crop_pad.h"
#include "diffseg/data/reorient.h"
#include "diffseg/data/resample.h"
#include "diffseg/data/tensor_image.h"

namespace diffseg::eval {

InputKind parse_input_kind(const std::string& text) {
  if (text == "auto") return InputKind::automatic;
  if (text == "raw") return InputKind::raw;
  if (text == "prepared") return InputKind::prepared;
  throw UsageError("--input-kind must be auto, raw or prepared, not '" + text + "'");
}

namespace {

// Why the scan is not yet on the model's grid, or "" when every property the recipe sets already holds.
// `lowest` and `highest`: the scan's intensity range.
std::string why_raw(const io::Image& scan, double lowest, double highest, const data::PreprocessOptions& r) {
  const int nd = scan.spatial_dims();
  if (r.reorient && nd == 3 && !data::canonical_axis_mapping(scan.geometry()).identity())
    return "not in RAS+ orientation";
  if (r.spacing_xyz)
    for (int j = 0; j < nd; ++j)
      if (std::abs(scan.geometry().spacing[j] / (*r.spacing_xyz)[j] - 1.0) > 0.01) return "not at the training spacing";
  if (r.intensity.mode != data::IntensityOptions::Mode::none && (lowest < -1e-3 || highest > 1 + 1e-3))
    return "intensities outside [0, 1]";
  return "";
}

std::string format_spacing(const std::vector<double>& spacing) {
  std::ostringstream s;
  for (size_t j = 0; j < spacing.size(); ++j) s << (j ? " x " : "") << spacing[j];
  return s.str() + " mm";
}

}  // namespace

ModelInput to_model_grid(const io::Image& scan, const TrainedRun& run, InputKind kind, const std::string& name) {
  if (scan.spatial_dims() != run.spatial_dims)
    throw InputError(name, "is a " + std::to_string(scan.spatial_dims()) + "D image but the run segments " +
                               std::to_string(run.spatial_dims) + "D images");
  if (scan.size().channels != run.image_channels)
    throw InputError(name, "has " + std::to_string(scan.size().channels) + " channel(s); the run was trained on " +
                               std::to_string(run.image_channels));
  const io::Image as_float = scan.cast(io::DType::float32);
  const at::Tensor values = data::to_tensor(as_float);
  if (!torch::isfinite(values).all().item<bool>()) throw InputError(name, "holds NaN or infinite voxel values");
  const double lowest = values.min().item<double>(), highest = values.max().item<double>();
  if (!(highest > lowest)) throw InputError(name, "is constant (every voxel has the same value): nothing to segment");

  ModelInput out{as_float, false, "used as it is"};
  if (run.preprocessing && kind != InputKind::prepared) {
    const std::string raw = why_raw(scan, lowest, highest, *run.preprocessing);
    if (kind == InputKind::raw || !raw.empty()) {
      data::PreprocessOptions recipe = *run.preprocessing;
      recipe.shape_xyz.reset();
      io::Case c;
      c.id = name;
      c.image = as_float;
      out.image = data::preprocess_case(std::move(c), recipe).image;
      out.transformed = true;
      out.description = (raw.empty() ? std::string("raw (--input-kind raw)") : raw) + ": " + recipe.describe();
    } else {
      out.description = "already prepared (orientation, spacing and intensities match the run's recipe)";
    }
  } else if (!run.preprocessing) {
    out.description = "used as it is (the run does not record how its training data was prepared)";
  }
  // A spacing far from the training spacing means structures of another size than the network learnt.
  if (run.config.has("data.spacing_xyz")) {
    const auto trained = run.config.get<std::vector<double>>("data.spacing_xyz", {});
    const int nd = out.image.spatial_dims();
    const std::vector<double> seen(out.image.geometry().spacing.begin(), out.image.geometry().spacing.begin() + nd);
    for (int j = 0; j < static_cast<int>(trained.size()) && j < nd; ++j) {
      const double ratio = seen[j] / trained[j];
      if (ratio > 10 || ratio < 0.1) {
        spdlog::warn("{}: the network sees a spacing of {}, the run was trained at {}: more than 10x apart", name,
                     format_spacing(seen), format_spacing(trained));
        break;
      }
    }
  }
  return out;
}

at::Tensor to_scan_grid(const at::Tensor& probabilities, const io::Image& model_grid, const io::Image& scan) {
  const int nd = scan.spatial_dims();
  const bool same = model_grid.geometry().approx_equal(scan.geometry(), 1e-6) &&
              data::size_xyz(model_grid) == data::size_xyz(scan);
  if (same) return probabilities;
  at::Tensor p = data::resample_onto(probabilities, model_grid.geometry(), nd, scan.geometry(), data::size_xyz(scan),
                                     data::Interpolation::linear, data::Outside::zeros);
  // Zero padding leaves the covered fraction as the probabilities' sum: the rest is background.
  const at::Tensor covered = p.sum(0).clamp(0, 1);
  p[0] += 1 - covered;
  return p;
}

}  // namespace diffseg::eval

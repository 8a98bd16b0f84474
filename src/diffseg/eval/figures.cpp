#include "diffseg/eval/figures.h"

#include <algorithm>
#include <cmath>

#include <torch/torch.h>

#include "diffseg/data/tensor_image.h"
#include "diffseg/io/png.h"

namespace diffseg::eval {
namespace F = torch::nn::functional;

namespace {
// Distinct colours for classes 1, 2, ... (cycled).
const float kPalette[][3] = {{0.95f, 0.20f, 0.15f}, {0.15f, 0.65f, 0.95f}, {0.20f, 0.85f, 0.30f},
                             {0.98f, 0.80f, 0.10f}, {0.75f, 0.35f, 0.90f}, {0.10f, 0.85f, 0.80f},
                             {0.98f, 0.50f, 0.10f}, {0.90f, 0.40f, 0.65f}};
constexpr int kPaletteSize = sizeof(kPalette) / sizeof(kPalette[0]);
constexpr int64_t kGap = 2;  // pixels between the three slices of a volume

at::Tensor stretch_rows(const at::Tensor& slice, double row_spacing, double column_spacing) {
  const auto rows = std::max<int64_t>(1, std::llround(slice.size(0) * row_spacing / column_spacing));
  if (rows == slice.size(0)) return slice;
  return F::interpolate(slice.unsqueeze(0).unsqueeze(0),
                        F::InterpolateFuncOptions().size(std::vector<int64_t>{rows, slice.size(1)}).mode(torch::kNearest))
      .squeeze(0)
      .squeeze(0);
}
}  // namespace

CaseFigure::CaseFigure(const at::Tensor& image, const at::Tensor& truth, std::vector<double> spacing, int64_t max_width)
    : spacing_(std::move(spacing)), max_width_(max_width) {
  const at::Tensor first = image[0].to(torch::kCPU, torch::kFloat);
  const double lo = first.min().item<double>(), hi = first.max().item<double>();
  grey_ = hi > lo ? (first - lo) / (hi - lo) : torch::zeros_like(first);
  // Slice through the centre of the structures (the volume centre when there are none).
  const at::Tensor fg = truth.to(torch::kCPU).gt(0).nonzero();
  for (int64_t d = 0; d < truth.dim(); ++d)
    centre_.push_back(fg.size(0) > 0 ? fg.select(1, d).to(torch::kDouble).mean().round().item<int64_t>()
                                     : truth.size(d) / 2);
}

at::Tensor CaseFigure::panel(const at::Tensor& v) const {
  if (v.dim() == 2) return v;
  const at::Tensor axial = v[centre_[0]];                                    // (H, W)
  const at::Tensor coronal = stretch_rows(v.select(1, centre_[1]), spacing_[0], spacing_[2]);  // (D, W)
  const at::Tensor sagittal = stretch_rows(v.select(2, centre_[2]), spacing_[0], spacing_[1]); // (D, H)
  const int64_t height = std::max({axial.size(0), coronal.size(0), sagittal.size(0)});
  std::vector<at::Tensor> parts;
  for (const at::Tensor& s : {axial, coronal, sagittal}) {
    if (!parts.empty()) parts.push_back(torch::zeros({height, kGap}, s.options()));
    parts.push_back(F::pad(s, F::PadFuncOptions({0, 0, 0, height - s.size(0)})));
  }
  return torch::cat(parts, 1);
}

at::Tensor CaseFigure::finish(const at::Tensor& rgb) const {
  at::Tensor out = rgb;
  if (out.size(2) > max_width_) {
    const auto h = std::max<int64_t>(1, out.size(1) * max_width_ / out.size(2));
    out = F::interpolate(out.unsqueeze(0),
                         F::InterpolateFuncOptions().size(std::vector<int64_t>{h, max_width_}).mode(torch::kArea))
              .squeeze(0);
  }
  return (out.clamp(0, 1) * 255).round().to(torch::kByte).contiguous();
}

at::Tensor CaseFigure::image() const { return finish(panel(grey_).unsqueeze(0).expand({3, -1, -1})); }

at::Tensor CaseFigure::overlay(const at::Tensor& labels, int64_t num_classes) const {
  const at::Tensor g = panel(grey_);
  const at::Tensor l = panel(labels.to(torch::kCPU, torch::kFloat)).round().to(torch::kLong);
  at::Tensor rgb = g.unsqueeze(0).repeat({3, 1, 1});
  constexpr float alpha = 0.5f;
  for (int64_t k = 1; k < num_classes; ++k) {
    const at::Tensor where = l.eq(k);
    for (int c = 0; c < 3; ++c)
      rgb[c] = torch::where(where, (1 - alpha) * rgb[c] + alpha * kPalette[(k - 1) % kPaletteSize][c], rgb[c]);
  }
  return finish(rgb);
}

at::Tensor CaseFigure::heat(const at::Tensor& values) const {
  const at::Tensor v = panel(values.to(torch::kCPU, torch::kFloat)).clamp(0, 1);
  return finish(torch::stack({(3 * v).clamp(0, 1), (3 * v - 1).clamp(0, 1), (3 * v - 2).clamp(0, 1)}));
}

void write_rgb_png(const std::filesystem::path& path, const at::Tensor& rgb) {
  io::write_png(path, data::to_image(rgb.to(torch::kByte), 2, io::Geometry{}));
}

}  // namespace diffseg::eval

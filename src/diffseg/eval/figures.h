#pragma once
// Colour figures of one case for the report: the image with a label map blended in (ground truth, each sampling
// step's prediction) and heat maps (uncertainty). A 2D case is shown whole; a 3D case as three orthogonal slices
// (axial, coronal, sagittal) through the centre of its ground-truth structures, stretched by the voxel spacing so
// anatomy keeps its proportions. Figures wider than `max_width` pixels are scaled down.
#include <filesystem>
#include <vector>

#include <ATen/core/Tensor.h>

namespace diffseg::eval {

class CaseFigure {
 public:
  // image: (C, *spatial) float; truth: (*spatial) integer class ids; spacing in tensor axis order.
  CaseFigure(const at::Tensor& image, const at::Tensor& truth, std::vector<double> spacing, int64_t max_width = 384);

  at::Tensor image() const;                                         // uint8 (3, H, W), grey
  at::Tensor overlay(const at::Tensor& labels, int64_t num_classes) const;  // labels (*spatial) blended over it
  at::Tensor heat(const at::Tensor& values) const;                  // values (*spatial) in [0, 1], black→red→yellow

 private:
  at::Tensor panel(const at::Tensor& volume) const;  // (*spatial) float → (H, W) float, slices side by side
  at::Tensor finish(const at::Tensor& rgb) const;     // (3, H, W) float in [0, 1] → scaled uint8

  at::Tensor grey_;  // (*spatial) float in [0, 1]
  std::vector<double> spacing_;
  std::vector<int64_t> centre_;
  int64_t max_width_;
};

// Writes a (3, H, W) uint8 tensor as an RGB PNG (atomically).
void write_rgb_png(const std::filesystem::path& path, const at::Tensor& rgb);

}  // namespace diffseg::eval

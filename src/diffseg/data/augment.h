#pragma once
// On-the-fly augmentation (docs/method.md): random affine in physical space (rotation, zoom, shear, shift, each
// element switched on with probability p), random gamma, then per-channel min-max rescaling to [0, 1]. Tensor ops
// only (affine_grid + grid_sample), same transform for image (linear) and label (nearest), zeros outside.
#include <array>
#include <cstdint>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

namespace diffseg::data {

struct AugmentOptions {
  double probability = 0.5;           // per parameter element
  double max_rotation_deg = 30.0;
  double max_zoom = 0.2;              // scale in [1 - z, 1 + z]
  double max_shear_deg = 30.0;
  double max_shift_fraction = 0.3;    // of the axis size, in voxels
  std::vector<double> max_shift_voxels;  // per axis, tensor order; when given it replaces max_shift_fraction
  double max_log_gamma = 0.3;         // gamma = exp(U(-g, g))
  bool affine = true;
  bool gamma = true;
};

// An affine map in voxel index space, tensor axis order ((H, W) or (D, H, W)): input = matrix · (output − c) + c +
// shift, with c the grid centre. Exposed so tests can apply known transforms.
struct VoxelAffine {
  std::vector<std::vector<double>> matrix;  // n x n
  std::vector<double> shift;                // n
};

// Draws the reference's random affine for a grid of `size` voxels with `spacing` mm (both in tensor axis order).
VoxelAffine random_affine(const std::vector<int64_t>& size, const std::vector<double>& spacing,
                          const AugmentOptions& options, at::Generator generator);

// Resamples image (C, *spatial) linearly and label (*spatial) by nearest neighbour through `transform`.
void apply_affine(const VoxelAffine& transform, at::Tensor& image, at::Tensor& label);

// x^gamma per sample, with probability options.probability (image assumed in [0, 1]).
at::Tensor random_gamma(const at::Tensor& image, const AugmentOptions& options, at::Generator generator);

// Per-channel min-max rescaling of (C, *spatial) to [0, 1] (a constant channel becomes 0).
at::Tensor rescale_intensity(const at::Tensor& image);

// The full training augmentation of one sample, in method.md's order (affine, then the caller crops, then gamma and
// rescale happen in `augment_intensity`).
void augment_geometry(at::Tensor& image, at::Tensor& label, const std::vector<double>& spacing,
                      const AugmentOptions& options, at::Generator generator);
at::Tensor augment_intensity(const at::Tensor& image, const AugmentOptions& options, at::Generator generator);

}  // namespace diffseg::data

#pragma once
// Resampling to a new voxel spacing, ITK-style: origin and direction stay, so voxel i of the output sits at world
// position origin + direction · (i · new_spacing). Output size per axis is round(size · spacing / new_spacing).
#include <array>

#include <ATen/core/Tensor.h>

#include "diffseg/io/image.h"

namespace diffseg::data {

enum class Interpolation { nearest, linear };

// `spacing_xyz` in mm, voxel-axis order (x, y, z); a 2D image uses x and y only. Linear interpolation returns
// float32; nearest keeps the dtype (label maps keep exactly their class ids). Outside the input, the border value
// is repeated (the last output voxel may sit up to half a voxel past the input's last one).
io::Image resample(const io::Image& image, const std::array<double, 3>& spacing_xyz, Interpolation interpolation);

// The general form both use: values (C, *spatial in tensor order) on the grid `from` sampled at the voxel centres of
// another grid (`to`, `to_size_xyz` voxels) by world position, so orientation, spacing and origin may all differ
// (a prediction on the prepared grid carried back to the raw scan's). Linear or nearest; outside `from`, either
// the border value repeats (`border`) or zeros come back (`zeros`: a caller can tell covered voxels apart).
enum class Outside { border, zeros };
at::Tensor resample_onto(const at::Tensor& values, const io::Geometry& from, int spatial_dims,
                         const io::Geometry& to, const std::array<int64_t, 3>& to_size_xyz,
                         Interpolation interpolation, Outside outside);

// Output size per axis (x, y, z) that `resample` produces.
std::array<int64_t, 3> resampled_size(const io::Image& image, const std::array<double, 3>& spacing_xyz);

}  // namespace diffseg::data

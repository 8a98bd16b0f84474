#pragma once
// Resampling to a new voxel spacing, ITK-style: origin and direction stay, so voxel i of the output sits at world
// position origin + direction · (i · new_spacing). Output size per axis is round(size · spacing / new_spacing).
#include <array>

#include "diffseg/io/image.h"

namespace diffseg::data {

enum class Interpolation { nearest, linear };

// `spacing_xyz` in mm, voxel-axis order (x, y, z); a 2D image uses x and y only. Linear interpolation returns
// float32; nearest keeps the dtype (label maps keep exactly their class ids). Outside the input, the border value
// is repeated (the last output voxel may sit up to half a voxel past the input's last one).
io::Image resample(const io::Image& image, const std::array<double, 3>& spacing_xyz, Interpolation interpolation);

// Output size per axis (x, y, z) that `resample` produces.
std::array<int64_t, 3> resampled_size(const io::Image& image, const std::array<double, 3>& spacing_xyz);

}  // namespace diffseg::data

#pragma once
// Reorientation to the closest canonical orientation (NIfTI's RAS+: voxel axis x points right, y anterior,
// z superior), by permuting and flipping voxel axes only — no interpolation, every voxel keeps its world position.
// Makes volumes from different scanners share an axis order before resampling, cropping and training.
#include <array>

#include "diffseg/io/image.h"

namespace diffseg::data {

// For voxel axis a of the result: which input axis it comes from and whether that axis is reversed.
struct AxisMapping {
  std::array<int, 3> source_axis{0, 1, 2};
  std::array<bool, 3> flipped{false, false, false};
  bool identity() const;
};

// The permutation (over all six) whose direction columns best align with +x, +y, +z.
AxisMapping canonical_axis_mapping(const io::Geometry& geometry);

// 3D images are reoriented; 2D images are returned unchanged (their third axis is not a voxel axis).
io::Image reorient_to_canonical(const io::Image& image);

}  // namespace diffseg::data

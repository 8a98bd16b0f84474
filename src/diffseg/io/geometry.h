#pragma once
// Where voxels are in the patient: spacing, origin and direction, as in ITK. The NIfTI affine is
// affine[:3,:3] = direction * diag(spacing), affine[:3,3] = origin, mapping voxel (i, j, k) to world (x, y, z) in mm
// (RAS+ as NIfTI defines it). Every output written for an input carries the input's Geometry.
#include <array>
#include <string>

namespace diffseg::io {

using Matrix3 = std::array<std::array<double, 3>, 3>;
using Affine = std::array<std::array<double, 4>, 4>;

struct Geometry {
  std::array<double, 3> spacing{1.0, 1.0, 1.0};
  std::array<double, 3> origin{0.0, 0.0, 0.0};
  // Column j is the world direction of voxel axis j (unit length).
  Matrix3 direction{{{1.0, 0.0, 0.0}, {0.0, 1.0, 0.0}, {0.0, 0.0, 1.0}}};

  Affine affine() const;
  static Geometry from_affine(const Affine& affine);

  // True when the affines agree to `tolerance` (relative to the larger spacing, absolute in mm for the origin).
  bool approx_equal(const Geometry& other, double tolerance = 1e-4) const;

  std::string describe() const;  // "spacing (0.75, 0.75, 2.5) mm, origin (...), direction [...]"
};

std::string format_affine(const Affine& affine);

// Determinant of the affine's 3x3 (voxel axes → world) part: 0 for a degenerate mapping.
double linear_determinant(const Affine& affine);
// The world → voxel map of a voxel → world affine; std::invalid_argument when its 3x3 part is singular.
Affine inverse_affine(const Affine& affine);

}  // namespace diffseg::io

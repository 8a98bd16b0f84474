#pragma once
// Exact Euclidean distance transform with anisotropic spacing (Felzenszwalb & Huttenlocher 2012: separable 1D
// lower envelopes of parabolas, linear in the number of voxels), multi-threaded over lines.
#include <array>
#include <cstdint>
#include <vector>

namespace diffseg::metrics {

// Grid in memory order x fastest: size = {nx, ny, nz} (nz = 1 for 2D), spacing in mm per axis.
struct Grid {
  int dims = 3;  // 2: the z axis (size 1) is not a spatial axis (no neighbours across it)
  std::array<int64_t, 3> size{1, 1, 1};
  std::array<double, 3> spacing{1.0, 1.0, 1.0};
  int64_t voxels() const { return size[0] * size[1] * size[2]; }
};

// For every voxel, the Euclidean distance (mm) to the nearest voxel where `features` is non-zero; +inf everywhere
// when there is none.
std::vector<double> distance_to_features(const std::vector<uint8_t>& features, const Grid& grid, int threads = 0);

// The same, squared (mm²): callers that need distances at a few voxels only take those square roots.
std::vector<double> squared_distance_to_features(const std::vector<uint8_t>& features, const Grid& grid,
                                                 int threads = 0);

}  // namespace diffseg::metrics

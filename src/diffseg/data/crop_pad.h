#pragma once
// Cropping and padding on the voxel grid with geometry kept: the origin moves so that every kept voxel stays at
// the same world position (ITK's region extraction). Used to bring volumes to the configured shape.
#include <array>
#include <cstdint>

#include "diffseg/io/image.h"

namespace diffseg::data {

using Index3 = std::array<int64_t, 3>;  // voxel-axis order (x, y, z)

// The image's size in voxels along x, y, z (z = 1 for 2D images).
inline Index3 size_xyz(const io::Image& image) { return {image.size().x, image.size().y, image.size().z}; }

// The region [start, start + shape) of the voxel grid. `start` may be negative and the region may run past the
// image: those voxels are `fill`. A 2D image uses x and y only.
io::Image extract_region(const io::Image& image, const Index3& start, const Index3& shape, double fill = 0.0);

// Voxel-axis bounding box of values != 0: {min, max} inclusive; empty() when there is no foreground.
struct BoundingBox {
  Index3 min{-1, -1, -1}, max{-1, -1, -1};
  bool empty() const { return min[0] < 0; }
};
BoundingBox foreground_box(const io::Image& label);

// Start of a `shape` window over an image of `size` as docs/datasets.md places it: axes where the image is smaller are
// padded symmetrically (the extra voxel after); on the others the window is centred on `box` (the image centre
// when it is empty) and shifted to stay inside the image.
Index3 window_start(const Index3& size, int spatial_dims, const BoundingBox& box, const Index3& shape);

}  // namespace diffseg::data

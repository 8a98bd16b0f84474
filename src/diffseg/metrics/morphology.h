#pragma once
// 2D binary morphology on masks (uint8, 0/1, row-major: x fastest), for the muscle-ultrasound post-processing
// (docs/metrics.md). Border conventions follow MATLAB/OpenCV: erosion treats pixels outside the image as foreground,
// dilation as background, so shapes touching the border are not eaten away.
#include <cstdint>
#include <vector>

namespace diffseg::metrics {

struct Mask2D {
  int64_t width = 0, height = 0;
  std::vector<uint8_t> pixels;  // width * height, 0 or 1
  uint8_t at(int64_t x, int64_t y) const { return pixels[y * width + x]; }
};

// Background regions not 4-connected to the image border become foreground.
Mask2D fill_holes(const Mask2D& mask);

// Square (side × side, odd) structuring element, separable min/max filters.
Mask2D erode_box(const Mask2D& mask, int side);
Mask2D dilate_box(const Mask2D& mask, int side);

// Disk of radius r: offsets with dx² + dy² ≤ (r + 0.5)², a (2r+1)² footprint (r = 4: 9×9, r = 9: 19×19). Exact via
// the Euclidean distance transform, linear in the number of pixels for any r.
Mask2D erode_disk(const Mask2D& mask, int radius);
Mask2D dilate_disk(const Mask2D& mask, int radius);
Mask2D open_disk(const Mask2D& mask, int radius);

// 8-connected components in raster order (label 1 is the first component met scanning rows top to bottom).
struct Component {
  int64_t area = 0;
  int64_t left = 0;  // smallest column (OpenCV's CC_STAT_LEFT)
  int64_t top = 0;
};
struct Components {
  std::vector<int32_t> labels;  // 0 = background, 1..n
  std::vector<Component> stats;  // stats[i] is label i + 1
};
Components connected_components(const Mask2D& mask);

}  // namespace diffseg::metrics

#include "diffseg/data/crop_pad.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <torch/torch.h>

#include "diffseg/data/tensor_image.h"

namespace diffseg::data {

io::Image extract_region(const io::Image& image, const Index3& start, const Index3& shape, double fill) {
  const int nd = image.spatial_dims();
  const Index3 size = size_xyz(image);
  for (int j = 0; j < nd; ++j)
    if (shape[j] < 1) throw std::invalid_argument("region shape must be positive");
  // constant_pad_nd takes (before, after) pairs from the last dim (x) backwards; negative amounts crop.
  std::vector<int64_t> pad;
  for (int j = 0; j < nd; ++j) {
    pad.push_back(-start[j]);
    pad.push_back(start[j] + shape[j] - size[j]);
  }
  at::Tensor t = at::constant_pad_nd(to_tensor(image), pad, fill);

  io::Geometry g = image.geometry();
  for (int r = 0; r < 3; ++r)
    for (int j = 0; j < nd; ++j) g.origin[r] += g.direction[r][j] * g.spacing[j] * static_cast<double>(start[j]);
  return to_image(t.contiguous(), nd, g);
}

BoundingBox foreground_box(const io::Image& label) {
  const int nd = label.spatial_dims();
  const at::Tensor fg = to_tensor(label).ne(0).any(0);  // (z, y, x) or (y, x)
  BoundingBox box;
  if (!fg.any().item<bool>()) return box;
  for (int j = 0; j < nd; ++j) {
    // Reduce every other axis to find where axis j has foreground.
    const int64_t dim = nd - 1 - j;
    at::Tensor along = fg;
    for (int64_t d = nd - 1; d >= 0; --d)
      if (d != dim) along = along.any(d);
    const at::Tensor idx = along.nonzero().flatten();
    box.min[j] = idx.min().item<int64_t>();
    box.max[j] = idx.max().item<int64_t>();
  }
  return box;
}

Index3 window_start(const Index3& size, int nd, const BoundingBox& box, const Index3& shape) {
  Index3 start{0, 0, 0};
  for (int j = 0; j < nd; ++j) {
    if (size[j] <= shape[j]) {
      start[j] = -((shape[j] - size[j]) / 2);
      continue;
    }
    const double centre = box.empty() ? (size[j] - 1) / 2.0 : (box.min[j] + box.max[j]) / 2.0;
    const int64_t s = std::llround(centre - (shape[j] - 1) / 2.0);
    start[j] = std::clamp<int64_t>(s, 0, size[j] - shape[j]);
  }
  return start;
}

}  // namespace diffseg::data

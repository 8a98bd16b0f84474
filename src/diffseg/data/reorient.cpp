#include "diffseg/data/reorient.h"

#include <algorithm>
#include <cmath>

#include <torch/torch.h>

#include "diffseg/data/tensor_image.h"

namespace diffseg::data {

bool AxisMapping::identity() const {
  for (int a = 0; a < 3; ++a)
    if (source_axis[a] != a || flipped[a]) return false;
  return true;
}

AxisMapping canonical_axis_mapping(const io::Geometry& geometry) {
  const auto& d = geometry.direction;  // d[row = world axis][column = voxel axis]
  std::array<int, 3> perm{0, 1, 2}, best = perm;
  double best_score = -1;
  do {  // perm[a] = input voxel axis that becomes output axis a (world axis a)
    double score = 0;
    for (int a = 0; a < 3; ++a) score += std::abs(d[a][perm[a]]);
    if (score > best_score + 1e-12) best_score = score, best = perm;
  } while (std::next_permutation(perm.begin(), perm.end()));
  AxisMapping m;
  m.source_axis = best;
  for (int a = 0; a < 3; ++a) m.flipped[a] = d[a][best[a]] < 0;
  return m;
}

io::Image reorient_to_canonical(const io::Image& image) {
  if (image.spatial_dims() != 3) return image;
  const AxisMapping m = canonical_axis_mapping(image.geometry());
  if (m.identity()) return image;

  const io::Geometry& g = image.geometry();
  const std::array<int64_t, 3> size{image.size().x, image.size().y, image.size().z};
  io::Geometry out = g;
  for (int a = 0; a < 3; ++a) {
    const int j = m.source_axis[a];
    const double sign = m.flipped[a] ? -1.0 : 1.0;
    out.spacing[a] = g.spacing[j];
    for (int r = 0; r < 3; ++r) out.direction[r][a] = sign * g.direction[r][j];
  }
  // A reversed axis starts at the input's last voxel along it.
  for (int a = 0; a < 3; ++a) {
    if (!m.flipped[a]) continue;
    const int j = m.source_axis[a];
    for (int r = 0; r < 3; ++r)
      out.origin[r] += g.direction[r][j] * g.spacing[j] * static_cast<double>(size[j] - 1);
  }

  // Tensor dims are (C, z, y, x): voxel axis j lives in dim 3 - j.
  at::Tensor t = to_tensor(image);
  std::vector<int64_t> order{0, 3 - m.source_axis[2], 3 - m.source_axis[1], 3 - m.source_axis[0]};
  t = t.permute(order);
  std::vector<int64_t> flip_dims;
  for (int a = 0; a < 3; ++a)
    if (m.flipped[a]) flip_dims.push_back(3 - a);
  if (!flip_dims.empty()) t = t.flip(flip_dims);
  return to_image(t.contiguous(), 3, out);
}

}  // namespace diffseg::data

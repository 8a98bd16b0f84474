#include "diffseg/data/resample.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

#include "diffseg/data/crop_pad.h"
#include "diffseg/data/tensor_image.h"

namespace diffseg::data {
namespace F = torch::nn::functional;

std::array<int64_t, 3> resampled_size(const io::Image& image, const std::array<double, 3>& spacing_xyz) {
  std::array<int64_t, 3> out = size_xyz(image);
  for (int j = 0; j < image.spatial_dims(); ++j) {
    if (!(spacing_xyz[j] > 0)) throw std::invalid_argument("target spacing must be positive");
    const double extent = static_cast<double>(out[j]) * image.geometry().spacing[j];
    out[j] = std::max<int64_t>(1, std::llround(extent / spacing_xyz[j]));
  }
  return out;
}

namespace {
using Matrix4 = std::array<std::array<double, 4>, 4>;

// Inverse of an affine voxel → world map (its 3x3 part must be invertible: geometry checks guarantee it).
Matrix4 inverse_affine(const io::Affine& a) {
  const double m00 = a[0][0], m01 = a[0][1], m02 = a[0][2], m10 = a[1][0], m11 = a[1][1], m12 = a[1][2],
               m20 = a[2][0], m21 = a[2][1], m22 = a[2][2];
  const double det = m00 * (m11 * m22 - m12 * m21) - m01 * (m10 * m22 - m12 * m20) + m02 * (m10 * m21 - m11 * m20);
  if (!(std::abs(det) > 0)) throw std::invalid_argument("resample_onto: singular affine");
  Matrix4 r{};
  r[0] = {(m11 * m22 - m12 * m21) / det, (m02 * m21 - m01 * m22) / det, (m01 * m12 - m02 * m11) / det, 0};
  r[1] = {(m12 * m20 - m10 * m22) / det, (m00 * m22 - m02 * m20) / det, (m02 * m10 - m00 * m12) / det, 0};
  r[2] = {(m10 * m21 - m11 * m20) / det, (m01 * m20 - m00 * m21) / det, (m00 * m11 - m01 * m10) / det, 0};
  for (int i = 0; i < 3; ++i) r[i][3] = -(r[i][0] * a[0][3] + r[i][1] * a[1][3] + r[i][2] * a[2][3]);
  r[3] = {0, 0, 0, 1};
  return r;
}
}  // namespace

at::Tensor resample_onto(const at::Tensor& values, const io::Geometry& from, int nd, const io::Geometry& to,
                         const std::array<int64_t, 3>& out, Interpolation interpolation, Outside outside) {
  // Source voxel index of target voxel (i, j, k): inverse(from) · to · (i, j, k, 1).
  const Matrix4 inv = inverse_affine(from.affine());
  const io::Affine t = to.affine();
  Matrix4 m{};
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) {
      double sum = 0;
      for (int q = 0; q < 4; ++q) sum += inv[r][q] * (q < 3 ? t[q][c] : (c == 3 ? 1.0 : 0.0));
      m[r][c] = sum;
    }
  // The source size per voxel axis x, y, z (tensor order is reversed: values is (C, [z,] y, x)).
  std::array<int64_t, 3> in{1, 1, 1};
  for (int j = 0; j < nd; ++j) in[j] = values.size(values.dim() - 1 - j);
  // Target index along each voxel axis, shaped to broadcast over the target's tensor-order grid.
  std::vector<at::Tensor> index(nd);
  for (int j = 0; j < nd; ++j) {
    std::vector<int64_t> shape(nd, 1);
    shape[nd - 1 - j] = out[j];
    index[j] = torch::arange(out[j], torch::kDouble).view(shape);
  }
  // grid_sample with align_corners=true maps -1/+1 to the first/last voxel centre: index p ↦ 2p/(n-1) - 1. A
  // source axis of one voxel: inside within half a voxel of it, else past ±1 (outside).
  std::vector<at::Tensor> normalised(nd);
  for (int r = 0; r < nd; ++r) {
    at::Tensor p = torch::full({}, m[r][3], torch::kDouble);
    for (int c = 0; c < nd; ++c) p = p + index[c] * m[r][c];
    normalised[r] = (in[r] > 1 ? p * (2.0 / static_cast<double>(in[r] - 1)) - 1.0 : p * 2.0).to(torch::kFloat);
  }
  std::vector<int64_t> grid_shape;
  for (int j = nd - 1; j >= 0; --j) grid_shape.push_back(out[j]);
  for (auto& n : normalised) n = n.expand(grid_shape);
  const at::Tensor grid = torch::stack(normalised, -1).unsqueeze(0).to(values.device());  // (1, *out, nd) x first
  auto options = F::GridSampleFuncOptions().align_corners(true);
  if (outside == Outside::border) options.padding_mode(torch::kBorder);
  else options.padding_mode(torch::kZeros);
  if (interpolation == Interpolation::linear) options.mode(torch::kBilinear);
  else options.mode(torch::kNearest);
  return F::grid_sample(values.to(torch::kFloat).unsqueeze(0), grid, options).squeeze(0);
}

io::Image resample(const io::Image& image, const std::array<double, 3>& spacing_xyz, Interpolation interpolation) {
  const int nd = image.spatial_dims();
  const std::array<int64_t, 3> out = resampled_size(image, spacing_xyz);
  io::Geometry geometry = image.geometry();
  bool unchanged = true;
  for (int j = 0; j < nd; ++j) unchanged = unchanged && std::abs(geometry.spacing[j] - spacing_xyz[j]) < 1e-9;
  for (int j = 0; j < nd; ++j) geometry.spacing[j] = spacing_xyz[j];
  if (unchanged) return image;
  // Same origin and direction, new spacing: the general resampling onto that grid.
  const at::Tensor t = to_tensor(image);
  at::Tensor sampled = resample_onto(t, image.geometry(), nd, geometry, out, interpolation, Outside::border);
  if (interpolation == Interpolation::nearest) sampled = sampled.round().to(t.scalar_type());
  return to_image(sampled, nd, geometry);
}

}  // namespace diffseg::data

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

at::Tensor resample_onto(const at::Tensor& values, const io::Geometry& from, int nd, const io::Geometry& to,
                         const std::array<int64_t, 3>& out, Interpolation interpolation, Outside outside) {
  // Source voxel index of target voxel (i, j, k): inverse(from) · to · (i, j, k, 1).
  const io::Affine inv = io::inverse_affine(from.affine());
  const io::Affine t = to.affine();
  io::Affine m{};
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

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

io::Image resample(const io::Image& image, const std::array<double, 3>& spacing_xyz, Interpolation interpolation) {
  const int nd = image.spatial_dims();
  const std::array<int64_t, 3> in = size_xyz(image);
  const std::array<int64_t, 3> out = resampled_size(image, spacing_xyz);
  io::Geometry geometry = image.geometry();
  bool unchanged = true;
  for (int j = 0; j < nd; ++j) unchanged = unchanged && std::abs(geometry.spacing[j] - spacing_xyz[j]) < 1e-9;
  for (int j = 0; j < nd; ++j) geometry.spacing[j] = spacing_xyz[j];
  if (unchanged) return image;

  // grid_sample with align_corners=true maps -1/+1 to the first/last voxel centre: input index p ↦ 2p/(n-1) - 1.
  std::vector<at::Tensor> coords(nd);  // per voxel axis (x, y, z)
  for (int j = 0; j < nd; ++j) {
    at::Tensor p = torch::arange(out[j], torch::kDouble) * (spacing_xyz[j] / image.geometry().spacing[j]);
    coords[j] = in[j] > 1 ? (p * (2.0 / static_cast<double>(in[j] - 1)) - 1.0).to(torch::kFloat)
                          : torch::zeros({out[j]}, torch::kFloat);
  }
  // meshgrid in tensor order (z, y, x); the grid's last dimension lists (x, y, z).
  std::vector<at::Tensor> tensor_order(coords.rbegin(), coords.rend());
  std::vector<at::Tensor> mesh = torch::meshgrid(tensor_order, "ij");
  std::vector<at::Tensor> xyz(mesh.rbegin(), mesh.rend());
  const at::Tensor grid = torch::stack(xyz, -1).unsqueeze(0);

  const at::Tensor t = to_tensor(image);
  auto options = F::GridSampleFuncOptions().padding_mode(torch::kBorder).align_corners(true);
  if (interpolation == Interpolation::linear) options.mode(torch::kBilinear);
  else options.mode(torch::kNearest);
  at::Tensor sampled = F::grid_sample(t.to(torch::kFloat).unsqueeze(0), grid, options).squeeze(0);
  if (interpolation == Interpolation::nearest) sampled = sampled.round().to(t.scalar_type());
  return to_image(sampled, nd, geometry);
}

}  // namespace diffseg::data

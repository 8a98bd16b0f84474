#include "diffseg/data/augment.h"

#include <cmath>
#include <numbers>

#include <torch/torch.h>

namespace diffseg::data {
namespace F = torch::nn::functional;

namespace {
using Mat = std::vector<std::vector<double>>;

Mat identity(size_t n) {
  Mat m(n, std::vector<double>(n, 0.0));
  for (size_t i = 0; i < n; ++i) m[i][i] = 1.0;
  return m;
}
Mat mul(const Mat& a, const Mat& b) {
  const size_t n = a.size();
  Mat c(n, std::vector<double>(n, 0.0));
  for (size_t i = 0; i < n; ++i)
    for (size_t k = 0; k < n; ++k)
      for (size_t j = 0; j < n; ++j) c[i][j] += a[i][k] * b[k][j];
  return c;
}
double uniform(at::Generator& g, double lo, double hi) {
  return lo + (hi - lo) * torch::rand({1}, g, torch::kDouble).item<double>();
}
bool coin(at::Generator& g, double p) { return torch::rand({1}, g, torch::kDouble).item<double>() < p; }
Mat rotation_about(size_t n, size_t a, size_t b, double angle) {
  Mat r = identity(n);
  r[a][a] = std::cos(angle);
  r[a][b] = -std::sin(angle);
  r[b][a] = std::sin(angle);
  r[b][b] = std::cos(angle);
  return r;
}
}  // namespace

VoxelAffine random_affine(const std::vector<int64_t>& size, const std::vector<double>& spacing,
                          const AugmentOptions& o, at::Generator g) {
  const size_t n = size.size();
  const double deg = std::numbers::pi / 180.0;
  // Rotation: one angle in 2D; in 3D about each axis in turn (x, then y, then z). Tensor axes are reversed (z, y, x).
  Mat rot = identity(n);
  if (n == 2) {
    if (coin(g, o.probability)) rot = rotation_about(2, 0, 1, uniform(g, -o.max_rotation_deg, o.max_rotation_deg) * deg);
  } else {
    const std::pair<size_t, size_t> planes[3] = {{0, 1}, {0, 2}, {1, 2}};  // about x, y, z in (z, y, x) order
    for (const auto& [a, b] : planes)
      if (coin(g, o.probability))
        rot = mul(rotation_about(3, a, b, uniform(g, -o.max_rotation_deg, o.max_rotation_deg) * deg), rot);
  }
  Mat scale = identity(n);
  for (size_t i = 0; i < n; ++i)
    if (coin(g, o.probability)) scale[i][i] = uniform(g, 1.0 - o.max_zoom, 1.0 + o.max_zoom);
  Mat shear = identity(n);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j)
      if (i != j && coin(g, o.probability)) shear[i][j] = std::tan(uniform(g, -o.max_shear_deg, o.max_shear_deg) * deg);
  // Physical transform, conjugated into voxel space: S^-1 · Shear · Scale · Rot · S.
  Mat phys = mul(shear, mul(scale, rot));
  VoxelAffine t;
  t.matrix = identity(n);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) t.matrix[i][j] = phys[i][j] * spacing[j] / spacing[i];
  t.shift.assign(n, 0.0);
  for (size_t i = 0; i < n; ++i)
    if (coin(g, o.probability))
    {
      const double limit = o.max_shift_voxels.empty() ? o.max_shift_fraction * static_cast<double>(size[i])
                                                      : o.max_shift_voxels.at(i);
      t.shift[i] = uniform(g, -limit, limit);
    }
  return t;
}

void apply_affine(const VoxelAffine& t, at::Tensor& image, at::Tensor& label) {
  const int64_t n = label.dim();
  std::vector<int64_t> size = label.sizes().vec();
  // Normalised coordinates (align_corners): i = h (u + 1), h = (size - 1)/2, so u_in = H^-1 M H u_out + H^-1 shift.
  // affine_grid wants rows/columns in (x, y[, z]) order, the reverse of tensor axes.
  std::vector<double> h(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) h[i] = std::max<double>(1.0, static_cast<double>(size[i] - 1) / 2.0);
  at::Tensor theta = torch::zeros({1, n, n + 1}, torch::kFloat);
  auto th = theta.accessor<float, 3>();
  for (int64_t r = 0; r < n; ++r) {
    const int64_t i = n - 1 - r;  // tensor axis of this row
    for (int64_t c = 0; c < n; ++c) {
      const int64_t j = n - 1 - c;
      th[0][r][c] = static_cast<float>(t.matrix[i][j] * h[j] / h[i]);
    }
    th[0][r][n] = static_cast<float>(t.shift[i] / h[i]);
  }
  std::vector<int64_t> out_size{1, image.size(0)};
  out_size.insert(out_size.end(), size.begin(), size.end());
  const at::Tensor grid = F::affine_grid(theta.to(image.device()), out_size, /*align_corners=*/true);
  image = F::grid_sample(image.unsqueeze(0).to(torch::kFloat), grid,
                         F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kZeros).align_corners(true))
              .squeeze(0);
  label = F::grid_sample(label.unsqueeze(0).unsqueeze(0).to(torch::kFloat), grid,
                         F::GridSampleFuncOptions().mode(torch::kNearest).padding_mode(torch::kZeros).align_corners(true))
              .squeeze(0)
              .squeeze(0)
              .round()
              .to(label.scalar_type());
}

at::Tensor random_gamma(const at::Tensor& image, const AugmentOptions& o, at::Generator g) {
  if (!coin(g, o.probability)) return image;
  const double gamma = std::exp(uniform(g, -o.max_log_gamma, o.max_log_gamma));
  return image.clamp_min(0.0).pow(gamma);
}

at::Tensor rescale_intensity(const at::Tensor& image) {
  const at::Tensor flat = image.flatten(1);
  const at::Tensor lo = std::get<0>(flat.min(1, true)), hi = std::get<0>(flat.max(1, true));
  const at::Tensor range = hi - lo;
  return ((flat - lo) / torch::where(range > 0, range, torch::ones_like(range))).view_as(image);
}

void augment_geometry(at::Tensor& image, at::Tensor& label, const std::vector<double>& spacing,
                      const AugmentOptions& o, at::Generator g) {
  if (!o.affine) return;
  apply_affine(random_affine(label.sizes().vec(), spacing, o, g), image, label);
}

at::Tensor augment_intensity(const at::Tensor& image, const AugmentOptions& o, at::Generator g) {
  at::Tensor x = o.gamma ? random_gamma(image, o, g) : image;
  return rescale_intensity(x);
}

}  // namespace diffseg::data

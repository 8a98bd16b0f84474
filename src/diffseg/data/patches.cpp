#include "diffseg/data/patches.h"

#include <cmath>

#include <torch/torch.h>

#include "diffseg/core/error.h"

namespace diffseg::data {
namespace F = torch::nn::functional;
using torch::indexing::Slice;

void pad_to_at_least(at::Tensor& image, at::Tensor& label, const std::vector<int64_t>& patch) {
  const int64_t n = label.dim();
  std::vector<int64_t> pad(static_cast<size_t>(2 * n), 0);  // F::pad order: last axis first
  bool any = false;
  for (int64_t a = 0; a < n; ++a) {
    const int64_t missing = std::max<int64_t>(0, patch[a] - label.size(a));
    pad[static_cast<size_t>(2 * (n - 1 - a))] = missing / 2;
    pad[static_cast<size_t>(2 * (n - 1 - a) + 1)] = missing - missing / 2;
    any |= missing > 0;
  }
  if (!any) return;
  image = F::pad(image, F::PadFuncOptions(pad));
  label = F::pad(label, F::PadFuncOptions(pad));
}

void random_crop(at::Tensor& image, at::Tensor& label, const std::vector<int64_t>& patch, at::Generator g) {
  pad_to_at_least(image, label, patch);
  for (int64_t a = 0; a < label.dim(); ++a) {
    const int64_t room = label.size(a) - patch[a];
    const int64_t start = room > 0 ? torch::randint(0, room + 1, {1}, g, torch::kLong).item<int64_t>() : 0;
    label = label.narrow(a, start, patch[a]);
    image = image.narrow(a + 1, start, patch[a]);
  }
  image = image.contiguous();
  label = label.contiguous();
}

double padding_factor(const std::vector<int64_t>& size, const std::vector<int64_t>& patch) {
  double factor = 1;
  for (size_t a = 0; a < size.size() && a < patch.size(); ++a)
    if (size[a] > 0 && patch[a] > size[a]) factor *= static_cast<double>(patch[a]) / static_cast<double>(size[a]);
  return factor;
}

std::vector<int64_t> window_starts(int64_t size, int64_t patch, int64_t overlap) {
  if (patch <= 0 || overlap < 0 || overlap >= patch) throw UsageError("sliding window needs 0 <= overlap < patch");
  if (size <= patch) return {0};
  const int64_t step = patch - overlap;
  std::vector<int64_t> starts;
  for (int64_t s = 0; s < size - patch + 1; s += step) starts.push_back(s);
  if (starts.back() != size - patch) starts.push_back(size - patch);
  return starts;
}

std::vector<std::vector<int64_t>> window_grid(const std::vector<int64_t>& size, const std::vector<int64_t>& patch,
                                              const std::vector<int64_t>& overlap) {
  std::vector<std::vector<int64_t>> grid{{}};
  for (size_t a = 0; a < size.size(); ++a) {
    std::vector<std::vector<int64_t>> next;
    for (const auto& prefix : grid)
      for (int64_t s : window_starts(size[a], patch[a], overlap[a])) {
        auto p = prefix;
        p.push_back(s);
        next.push_back(p);
      }
    grid = std::move(next);
  }
  return grid;
}

at::Tensor sliding_window(const at::Tensor& image_in, const std::vector<int64_t>& patch,
                          const std::vector<int64_t>& overlap, int64_t batch, Blend blend,
                          const std::function<at::Tensor(const at::Tensor&)>& predict) {
  const int64_t n = image_in.dim() - 1;
  const std::vector<int64_t> original = image_in.sizes().slice(1).vec();
  at::Tensor image = image_in, dummy = torch::zeros(original, torch::kByte);
  pad_to_at_least(image, dummy, patch);
  const std::vector<int64_t> size = image.sizes().slice(1).vec();
  // Blending weight of one patch.
  at::Tensor weight = torch::ones(patch, image.options().dtype(torch::kFloat));
  if (blend == Blend::gaussian) {
    for (int64_t a = 0; a < n; ++a) {
      const double sigma = static_cast<double>(patch[a]) / 8.0, c = (static_cast<double>(patch[a]) - 1) / 2.0;
      at::Tensor w = torch::exp(-(torch::arange(patch[a], torch::kFloat) - c).pow(2) / (2 * sigma * sigma));
      std::vector<int64_t> shape(static_cast<size_t>(n), 1);
      shape[a] = patch[a];
      weight = weight * w.view(shape).to(image.device());
    }
    weight = weight.clamp_min(1e-6);  // keep borders covered by a single patch well defined
  }
  at::Tensor sum, norm = torch::zeros(size, weight.options());
  const auto grid = window_grid(size, patch, overlap);
  for (size_t first = 0; first < grid.size(); first += static_cast<size_t>(batch)) {
    const size_t last = std::min(grid.size(), first + static_cast<size_t>(batch));
    std::vector<at::Tensor> crops;
    for (size_t w = first; w < last; ++w) {
      at::Tensor c = image;
      for (int64_t a = 0; a < n; ++a) c = c.narrow(a + 1, grid[w][a], patch[a]);
      crops.push_back(c);
    }
    const at::Tensor out = predict(torch::stack(crops));
    if (!sum.defined()) {
      std::vector<int64_t> s{out.size(1)};
      s.insert(s.end(), size.begin(), size.end());
      sum = torch::zeros(s, out.options());
    }
    for (size_t w = first; w < last; ++w) {
      at::Tensor region = sum, region_norm = norm;
      for (int64_t a = 0; a < n; ++a) {
        region = region.narrow(a + 1, grid[w][a], patch[a]);
        region_norm = region_norm.narrow(a, grid[w][a], patch[a]);
      }
      region.add_(out[static_cast<int64_t>(w - first)] * weight);
      region_norm.add_(weight);
    }
  }
  at::Tensor result = sum / norm;
  // Undo the padding: crop the centre back to the original size.
  for (int64_t a = 0; a < n; ++a) {
    const int64_t missing = size[a] - original[a];
    result = result.narrow(a + 1, missing / 2, original[a]);
  }
  return result.contiguous();
}

}  // namespace diffseg::data

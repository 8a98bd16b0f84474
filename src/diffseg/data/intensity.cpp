#include "diffseg/data/intensity.h"

#include <cmath>
#include <stdexcept>

#include <torch/torch.h>

#include "diffseg/core/percentile.h"
#include "diffseg/data/tensor_image.h"

namespace diffseg::data {

namespace {
double percentile_of(const at::Tensor& values, double q) {
  if (q < 0 || q > 100) throw std::invalid_argument("percentile must be in [0, 100]");
  const at::Tensor flat = values.flatten().to(torch::kDouble);
  const int64_t n = flat.numel();
  if (n == 0) throw std::invalid_argument("percentile of an empty image");
  const PercentilePosition p = percentile_position(static_cast<size_t>(n), q);
  // kthvalue is a selection (no full sort); k is 1-based.
  const auto value_of_rank = [&](size_t rank) { return std::get<0>(flat.kthvalue(static_cast<int64_t>(rank) + 1)).item<double>(); };
  const double v_lo = value_of_rank(p.lo);
  return p.between(v_lo, p.hi == p.lo ? v_lo : value_of_rank(p.hi));
}

at::Tensor rescale(at::Tensor channel, double low, double high) {
  if (!(high > low)) return torch::zeros_like(channel);
  // The final clamp absorbs float32 rounding ((high - low) / (high - low) can exceed 1 by an ulp).
  return ((channel.clamp(low, high) - low) / (high - low)).clamp(0.0, 1.0);
}
}  // namespace

double percentile(const io::Image& single_channel, double q) { return percentile_of(to_tensor(single_channel), q); }

io::Image clip_and_rescale(const io::Image& image, double low, double high) {
  if (!(high > low)) throw std::invalid_argument("intensity window needs high > low");
  const at::Tensor t = to_tensor(image).to(torch::kFloat);
  return to_image(rescale(t, low, high).contiguous(), image.spatial_dims(), image.geometry());
}

io::Image percentile_clip_and_rescale(const io::Image& image, double q_low, double q_high) {
  at::Tensor t = to_tensor(image).to(torch::kFloat);
  for (int64_t c = 0; c < t.size(0); ++c) {
    const at::Tensor channel = t[c];
    const double low = percentile_of(channel, q_low), high = percentile_of(channel, q_high);
    t[c].copy_(rescale(channel, low, high));
  }
  return to_image(t, image.spatial_dims(), image.geometry());
}

}  // namespace diffseg::data

#include "diffseg/diffusion/sample_streams.h"

#include <algorithm>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "diffseg/core/seed.h"

namespace diffseg::diffusion {

SampleStreams::SampleStreams(uint64_t seed, int64_t step, int64_t first, int64_t count)
    : key_(mix_seed(seed ^ 0x5EED5EEDull, static_cast<uint64_t>(step))), first_(first), count_(count) {}

uint64_t SampleStreams::next_bits(int64_t sample) const {
  return mix_seed(mix_seed(key_, static_cast<uint64_t>(first_ + sample)), static_cast<uint64_t>(draws_));
}

double SampleStreams::next_unit(int64_t sample) const {
  return static_cast<double>(next_bits(sample) >> 11) * 0x1.0p-53;  // 53 random bits: uniform on [0, 1)
}

at::Tensor SampleStreams::normal(at::IntArrayRef sizes, c10::Device device) {
  TORCH_CHECK(!sizes.empty() && sizes[0] == count_, "SampleStreams::normal: leading size must be ", count_);
  const std::vector<int64_t> one(sizes.begin() + 1, sizes.end());
  std::vector<at::Tensor> parts;
  for (int64_t i = 0; i < count_; ++i)
    parts.push_back(torch::randn(one, at::make_generator<at::CPUGeneratorImpl>(next_bits(i)), torch::kFloat));
  ++draws_;
  return torch::stack(parts).to(device);
}

at::Tensor SampleStreams::uniform() {
  at::Tensor out = torch::empty({count_}, torch::kFloat);
  float* v = out.data_ptr<float>();
  for (int64_t i = 0; i < count_; ++i) v[i] = static_cast<float>(next_unit(i));
  ++draws_;
  return out;
}

at::Tensor SampleStreams::integers(int64_t low, int64_t high) {
  at::Tensor out = torch::empty({count_}, torch::kLong);
  int64_t* v = out.data_ptr<int64_t>();
  const auto range = static_cast<double>(high - low);
  for (int64_t i = 0; i < count_; ++i) v[i] = std::min(high - 1, low + static_cast<int64_t>(next_unit(i) * range));
  ++draws_;
  return out;
}

at::Tensor SampleStreams::categorical(const at::Tensor& p) {
  const at::Tensor cdf = p.to(torch::kDouble).cumsum(0).contiguous();
  const double* c = cdf.data_ptr<double>();
  const int64_t n = cdf.numel();
  at::Tensor out = torch::empty({count_}, torch::kLong);
  int64_t* v = out.data_ptr<int64_t>();
  for (int64_t i = 0; i < count_; ++i) {
    const double u = next_unit(i) * c[n - 1];  // inverse CDF; the total absorbs rounding in p's sum
    // First k with cdf[k] > u, so p[k] = cdf[k] - cdf[k-1] > 0: an index of probability zero is never drawn.
    v[i] = std::min<int64_t>(std::upper_bound(c, c + n, u) - c, n - 1);
  }
  ++draws_;
  return out;
}

}  // namespace diffseg::diffusion

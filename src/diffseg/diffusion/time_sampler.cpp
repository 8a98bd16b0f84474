#include "diffseg/diffusion/time_sampler.h"

#include <torch/torch.h>

#include "diffseg/core/error.h"

namespace diffseg::diffusion {

namespace {
void check_range(int64_t t_min, int64_t t_max, int64_t n) {
  if (t_min < 0 || t_max > n || t_min >= t_max)
    throw UsageError("time range [" + std::to_string(t_min) + ", " + std::to_string(t_max) + ") is not inside [0, " +
                     std::to_string(n) + ")");
}
}  // namespace

TimeSample UniformTimeSampler::sample(int64_t t_min, int64_t t_max, SampleStreams& streams) {
  check_range(t_min, t_max, num_timesteps_);
  const int64_t batch = streams.size();
  TimeSample s;
  s.t = streams.integers(t_min, t_max);
  s.probability = torch::full({batch}, 1.0 / static_cast<double>(num_timesteps_), torch::kDouble);
  s.weight = torch::ones({batch}, torch::kFloat);
  return s;
}

ImportanceTimeSampler::ImportanceTimeSampler(int64_t num_timesteps, ImportanceWeight weight)
    : num_timesteps_(num_timesteps), weight_(weight), count_(torch::zeros({num_timesteps}, torch::kLong)),
      loss_sq_(torch::zeros({num_timesteps}, torch::kDouble)) {}

TimeSample ImportanceTimeSampler::sample(int64_t t_min, int64_t t_max, SampleStreams& streams) {
  check_range(t_min, t_max, num_timesteps_);
  const int64_t batch = streams.size();
  const double T = static_cast<double>(num_timesteps_);
  const bool warmup = count_.slice(0, t_min, t_max).min().item<int64_t>() < kWarmupCount;
  at::Tensor p;
  if (warmup) {
    p = (kWarmupCount - count_).clamp_min(0).to(torch::kDouble);
    if (p.sum().item<double>() == 0) p = torch::ones_like(p);
    p = p / p.sum();
  } else {
    p = loss_sq_.sqrt();
    const double total = p.sum().item<double>();
    p = total > 0 ? p / total : torch::full_like(p, 1.0 / T);
    p = (1.0 - kUniformProbability) * p + kUniformProbability / T;
  }
  at::Tensor allowed = torch::zeros_like(p);
  allowed.slice(0, t_min, t_max).copy_(p.slice(0, t_min, t_max));
  if (allowed.sum().item<double>() <= 0) allowed.slice(0, t_min, t_max).fill_(1.0);
  const at::Tensor draw_p = allowed / allowed.sum();

  TimeSample s;
  s.t = streams.categorical(draw_p);
  s.probability = warmup ? torch::full({batch}, 1.0 / T, torch::kDouble) : p.index_select(0, s.t);
  if (warmup) {
    s.weight = torch::ones({batch}, torch::kFloat);
  } else if (weight_ == ImportanceWeight::reference) {
    s.weight = (s.probability * T).to(torch::kFloat);
  } else {
    s.weight = (1.0 / (draw_p.index_select(0, s.t) * static_cast<double>(t_max - t_min))).to(torch::kFloat);
  }
  return s;
}

void ImportanceTimeSampler::update(const at::Tensor& t, const at::Tensor& loss) {
  const at::Tensor idx = t.to(torch::kCPU, torch::kLong).contiguous();
  const at::Tensor l = loss.detach().to(torch::kCPU, torch::kDouble).contiguous();
  const at::Tensor old = loss_sq_.clone();
  auto ti = idx.accessor<int64_t, 1>();
  auto li = l.accessor<double, 1>();
  auto sq = loss_sq_.accessor<double, 1>();
  auto o = old.accessor<double, 1>();
  auto c = count_.accessor<int64_t, 1>();
  // Each write uses the value from before this update; with repeated indices the last sample wins (method.md).
  for (int64_t b = 0; b < idx.size(0); ++b) {
    sq[ti[b]] = (1.0 - kDecay) * li[b] * li[b] + kDecay * o[ti[b]];
    c[ti[b]] += 1;
  }
}

std::map<std::string, at::Tensor> ImportanceTimeSampler::state() const {
  return {{"count", count_.clone()}, {"loss_sq", loss_sq_.clone()}};
}

void ImportanceTimeSampler::load_state(const std::map<std::string, at::Tensor>& state) {
  const auto c = state.find("count"), l = state.find("loss_sq");
  if (c == state.end() || l == state.end() || c->second.numel() != num_timesteps_ ||
      l->second.numel() != num_timesteps_)
    throw Error("time-sampler state does not match " + std::to_string(num_timesteps_) + " timesteps");
  count_ = c->second.to(torch::kCPU, torch::kLong).clone();
  loss_sq_ = l->second.to(torch::kCPU, torch::kDouble).clone();
}

std::unique_ptr<TimeSampler> make_time_sampler(const TimeSamplerOptions& o, int64_t num_timesteps) {
  if (o.kind == "uniform") return std::make_unique<UniformTimeSampler>(num_timesteps);
  if (o.kind == "importance") {
    if (o.weight != "unbiased" && o.weight != "reference")
      throw UsageError("unknown importance weight '" + o.weight + "' (use unbiased or reference)");
    return std::make_unique<ImportanceTimeSampler>(
        num_timesteps, o.weight == "reference" ? ImportanceWeight::reference : ImportanceWeight::unbiased);
  }
  throw UsageError("unknown time sampler '" + o.kind + "' (use uniform or importance)");
}

}  // namespace diffseg::diffusion

#pragma once
// Training timestep samplers (docs/method.md): uniform (diffseg's default) and the loss-history importance
// sampler of the reference, whose state is part of a checkpoint.
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <ATen/core/Tensor.h>

#include "diffseg/diffusion/sample_streams.h"

namespace diffseg::diffusion {

struct TimeSample {
  at::Tensor t;            // int64 (B): chain indices in [t_min, t_max)
  at::Tensor probability;  // float64 (B): the reported p_t
  at::Tensor weight;       // float32 (B): per-sample loss weight
};

class TimeSampler {
 public:
  virtual ~TimeSampler() = default;
  // Draws one index in [t_min, t_max) for each sample of `streams`; the results are on the CPU. Within a training
  // step every micro-batch and rank draws from the same state (updates come after the step).
  virtual TimeSample sample(int64_t t_min, int64_t t_max, SampleStreams& streams) = 0;
  // Reports the un-weighted per-sample losses (B) of a whole step's samples, in global sample order.
  virtual void update(const at::Tensor& t, const at::Tensor& loss) {}
  // Named state tensors for checkpoints (empty for stateless samplers).
  virtual std::map<std::string, at::Tensor> state() const { return {}; }
  virtual void load_state(const std::map<std::string, at::Tensor>& state) {}
};

// t ~ U{t_min, ..., t_max - 1}, p_t = 1/T, weight 1.
class UniformTimeSampler final : public TimeSampler {
 public:
  explicit UniformTimeSampler(int64_t num_timesteps) : num_timesteps_(num_timesteps) {}
  TimeSample sample(int64_t t_min, int64_t t_max, SampleStreams& streams) override;

 private:
  int64_t num_timesteps_;
};

enum class ImportanceWeight {
  unbiased,   // weight = (1/(t_max - t_min)) / p_draw: the loss stays an unbiased estimate of the uniform average
  reference,  // weight = p_t · T, as ImgX-DiffSeg does (up-weights frequent timesteps), for parity
};

// Loss-history sampler: during warm-up (some index seen < 10 times) p ∝ max(10 - count, 0) and weight 1;
// afterwards p ∝ sqrt(E[loss²]) mixed with 1 % uniform. E[loss²] is an exponential moving average (decay 0.9).
class ImportanceTimeSampler final : public TimeSampler {
 public:
  ImportanceTimeSampler(int64_t num_timesteps, ImportanceWeight weight);
  TimeSample sample(int64_t t_min, int64_t t_max, SampleStreams& streams) override;
  void update(const at::Tensor& t, const at::Tensor& loss) override;
  std::map<std::string, at::Tensor> state() const override;
  void load_state(const std::map<std::string, at::Tensor>& state) override;

  static constexpr int64_t kWarmupCount = 10;
  static constexpr double kDecay = 0.9;
  static constexpr double kUniformProbability = 0.01;

 private:
  int64_t num_timesteps_;
  ImportanceWeight weight_;
  at::Tensor count_;    // int64 (T)
  at::Tensor loss_sq_;  // float64 (T)
};

struct TimeSamplerOptions {
  std::string kind = "uniform";          // uniform | importance
  std::string weight = "unbiased";       // unbiased | reference (importance only)
};
std::unique_ptr<TimeSampler> make_time_sampler(const TimeSamplerOptions& options, int64_t num_timesteps);

}  // namespace diffseg::diffusion

#pragma once
// Random numbers for one training micro-batch, keyed by each sample's global index in the step's global batch
// rather than by its position in this process's batch: sample j of step s draws the same noise, time step and
// gate whether it is trained as part of 1 process × batch 8, 2 processes × batch 4 or 1 × batch 4 × accumulate 2.
// Each draw of each sample is keyed by (seed, step, sample, draw number): noise comes from a generator seeded
// with that key, single numbers (time steps, gates) straight from its hash bits.
#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

namespace diffseg::diffusion {

class SampleStreams {
 public:
  // `count` samples of step `step`, the first being sample `first` of the global batch.
  SampleStreams(uint64_t seed, int64_t step, int64_t first, int64_t count);
  // One stream for each of `count` samples from one seed (tests, benchmarks).
  static SampleStreams from_seed(uint64_t seed, int64_t count) { return SampleStreams(seed, 0, 0, count); }

  int64_t size() const { return count_; }
  int64_t first() const { return first_; }

  // Standard normal noise of `sizes` (leading dimension = size()), drawn on the CPU, moved to `device`.
  at::Tensor normal(at::IntArrayRef sizes, c10::Device device);
  // (size()) float32 uniform on [0, 1).
  at::Tensor uniform();
  // (size()) int64 uniform on [low, high).
  at::Tensor integers(int64_t low, int64_t high);
  // (size()) int64 indices drawn from the probabilities `p` (1-D, float64, summing to 1).
  at::Tensor categorical(const at::Tensor& p);

 private:
  uint64_t next_bits(int64_t sample) const;  // the key of sample `sample`'s next draw
  double next_unit(int64_t sample) const;    // that key as a uniform number on [0, 1)
  uint64_t key_;
  int64_t first_, count_;
  int64_t draws_ = 0;
};

}  // namespace diffseg::diffusion

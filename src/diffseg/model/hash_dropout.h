#pragma once
// Dropout whose mask is a hash of (seed, element index) instead of a sequential random walk: the mask costs about
// one pass over memory and is computed in parallel (torch's CPU bernoulli_ took ~9 % of a training step, see
// docs/BENCHMARKS.md). One seed per call is drawn from the default generator, so a seed fixes the masks and
// gradient checkpointing, which replays the generator, recomputes the same ones. Backward recomputes the mask from
// the seed instead of storing it. Non-CPU tensors use torch::dropout.
#include <cstdint>

#include <torch/torch.h>

namespace diffseg::model {

// x * keep / (1 - p) with keep = [hash(seed, i + first_sample · per-sample size) >= p]; public for tests.
// `first_sample`: the global index of x's first sample, so a sample's mask does not depend on which batch slice
// (rank, accumulation micro-batch) it is computed in.
torch::Tensor hash_dropout(const torch::Tensor& x, double p, uint64_t seed, int64_t first_sample = 0);

// One mask seed from the default generator (what each dropout call consumes from the random stream).
uint64_t draw_dropout_seed();

// The global index of the first sample of the batch being computed (0 outside data-parallel training).
int64_t dropout_first_sample();
// Sets it for the forward and backward passes of one micro-batch.
class DropoutSampleScope {
 public:
  explicit DropoutSampleScope(int64_t first_sample);
  ~DropoutSampleScope();
  DropoutSampleScope(const DropoutSampleScope&) = delete;
  DropoutSampleScope& operator=(const DropoutSampleScope&) = delete;

 private:
  int64_t previous_;
};

class HashDropoutImpl : public torch::nn::Module {
 public:
  explicit HashDropoutImpl(double p) : p_(p) {}
  torch::Tensor forward(const torch::Tensor& x);
  double p() const { return p_; }

 private:
  double p_;
};
TORCH_MODULE(HashDropout);

}  // namespace diffseg::model

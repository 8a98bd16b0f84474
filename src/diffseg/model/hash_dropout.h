#pragma once
// Dropout whose mask is a hash of (seed, element index) instead of a sequential random walk: the mask costs about
// one pass over memory and is computed in parallel (torch's CPU bernoulli_ took ~9 % of a training step, see
// docs/BENCHMARKS.md). One seed per call is drawn from the default generator, so a seed fixes the masks and
// gradient checkpointing, which replays the generator, recomputes the same ones. Backward recomputes the mask from
// the seed instead of storing it. Non-CPU tensors use torch::dropout.
#include <cstdint>

#include <torch/torch.h>

namespace diffseg::model {

// x * keep / (1 - p) with keep = [hash(seed, i) >= p]; public for tests.
torch::Tensor hash_dropout(const torch::Tensor& x, double p, uint64_t seed);

// One mask seed from the default generator (what each dropout call consumes from the random stream).
uint64_t draw_dropout_seed();

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

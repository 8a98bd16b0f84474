#pragma once
// Residual block with time conditioning, down- and up-sampling (docs/method.md, Network).
#include <torch/torch.h>

#include "diffseg/model/checkpointing.h"
#include "diffseg/model/hash_dropout.h"
#include "diffseg/model/layers.h"

namespace diffseg::model {

// h = GELU(Norm1(conv1(x))); h = Dropout(h); h = Norm2(conv2(h)) + Dense(GELU(e)) (broadcast over space, only with
// a time embedding); out = GELU(h + x). With `time_before_norm` (the reference) the Dense term is added before
// Norm2, which cancels it. Input and output have `channels` channels.
class ResBlockImpl : public torch::nn::Module {
 public:
  ResBlockImpl(int64_t dims, int64_t channels, int64_t kernel, double dropout, int64_t time_dim,
               bool time_before_norm = false, bool checkpoint = false);
  // `time_embedding` (B, time_dim) may be undefined when time_dim == 0 (supervised). With checkpointing on, a
  // training forward keeps only the block's inputs and recomputes the rest in backward.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& time_embedding);

 private:
  torch::Tensor compute(const torch::Tensor& x, const torch::Tensor& time_embedding);
  bool checkpoint_;
  BlockFunction block_fn_;
  Conv conv1{nullptr}, conv2{nullptr};
  Norm norm1{nullptr}, norm2{nullptr};
  HashDropout dropout{nullptr};
  torch::nn::Linear time_proj{nullptr};
  bool time_before_norm_;
};
TORCH_MODULE(ResBlock);

// conv with kernel = stride = factor, no bias → Norm (no activation).
class DownsampleImpl : public torch::nn::Module {
 public:
  DownsampleImpl(int64_t dims, int64_t in, int64_t out, std::vector<int64_t> factor);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  Conv conv{nullptr};
  Norm norm{nullptr};
};
TORCH_MODULE(Downsample);

// transposed conv with kernel = stride = factor, no bias → Norm, then crop (from the origin) to `like`'s size.
class UpsampleImpl : public torch::nn::Module {
 public:
  UpsampleImpl(int64_t dims, int64_t in, int64_t out, std::vector<int64_t> factor);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& like);

 private:
  ConvTranspose conv{nullptr};
  Norm norm{nullptr};
};
TORCH_MODULE(Upsample);

// Sinusoidal embedding of t ∈ (0, 1]: a_i = 10000 t exp(-ln(10000) i / half), e = [cos(a), sin(a)], dim = 2 half.
torch::Tensor time_embedding(const torch::Tensor& t, int64_t dim);

}  // namespace diffseg::model

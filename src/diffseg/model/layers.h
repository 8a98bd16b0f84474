#pragma once
// Building blocks shared by the 2D and 3D networks (DESIGN §7): one implementation per concept, with the number of
// spatial axes a run-time setting. Parameters are registered under stable names that the Python mirror
// (bench/reference/unet.py) uses too.
#include <torch/torch.h>

namespace diffseg::model {

// GELU with the tanh approximation (JAX's default, as in the reference).
inline torch::Tensor gelu_tanh(const torch::Tensor& x) { return torch::gelu(x, "tanh"); }

// "Instance norm": per sample and channel over the spatial axes, learnable scale and bias, eps 1e-6 — GroupNorm
// with one group per channel, for any number of spatial axes. Computed in the parameters' precision (float32), so
// it also works inside bf16 autocast, whose CPU kernels in LibTorch 1.13 refuse mixed input/weight types.
class InstanceNormImpl : public torch::nn::Module {
 public:
  explicit InstanceNormImpl(int64_t channels);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight, bias;

 private:
  int64_t channels_;
};
TORCH_MODULE(InstanceNorm);

// LayerNorm over the last axis (eps 1e-6), in the parameters' precision like InstanceNorm.
class TokenNormImpl : public torch::nn::Module {
 public:
  explicit TokenNormImpl(int64_t channels);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight, bias;

 private:
  int64_t channels_;
};
TORCH_MODULE(TokenNorm);

InstanceNorm make_norm(int64_t channels);

// N-d convolution with "SAME" padding for odd kernels (stride 1) or kernel = stride down-sampling (padding 0).
// Parameter `weight` (out, in, k...) and, when asked, `bias`.
class ConvImpl : public torch::nn::Module {
 public:
  ConvImpl(int64_t dims, int64_t in, int64_t out, std::vector<int64_t> kernel, std::vector<int64_t> stride,
           bool bias);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight, bias;

 private:
  int64_t dims_;
  std::vector<int64_t> stride_, padding_;
};
TORCH_MODULE(Conv);

// N-d transposed convolution with kernel = stride (exact up-sampling by that factor), no bias.
// Parameter `weight` (in, out, k...) as in PyTorch.
class ConvTransposeImpl : public torch::nn::Module {
 public:
  ConvTransposeImpl(int64_t dims, int64_t in, int64_t out, std::vector<int64_t> factor);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;

 private:
  int64_t dims_;
  std::vector<int64_t> factor_;
};
TORCH_MODULE(ConvTranspose);

// conv k → norm → GELU (the stem).
class ConvNormActImpl : public torch::nn::Module {
 public:
  ConvNormActImpl(int64_t dims, int64_t in, int64_t out, int64_t kernel);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  Conv conv{nullptr};
  InstanceNorm norm{nullptr};
};
TORCH_MODULE(ConvNormAct);

}  // namespace diffseg::model

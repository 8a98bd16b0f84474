#pragma once
// Building blocks shared by the 2D and 3D networks (method.md): one implementation per concept, with the number of
// spatial axes a run-time setting. Parameters are registered under stable names that the Python mirror
// (bench/reference/unet.py) uses too.
#include <torch/torch.h>

#include "diffseg/model/fused_norm_act.h"

namespace diffseg::model {

// GELU with the tanh approximation (JAX's default, as in the reference).
inline torch::Tensor gelu_tanh(const torch::Tensor& x) { return torch::gelu(x, "tanh"); }

// Normalisation with a learnable per-channel scale and bias (eps 1e-6), over
//   spatial: every channel's spatial axes per sample — the "instance norm" (GroupNorm with one group per channel),
//            for any number of spatial axes;
//   last:    the last axis (LayerNorm over transformer tokens' features).
// Computed in the parameters' precision (float32), so it also works inside bf16 autocast, whose CPU kernels in
// LibTorch 1.13 refuse mixed input/weight types.
enum class NormAxes { spatial, last };

class NormImpl : public torch::nn::Module {
 public:
  NormImpl(int64_t channels, NormAxes axes);
  torch::Tensor forward(const torch::Tensor& x);
  // Spatial norm followed by what `chain` adds (shift, residual, GELU, dropout), fused where possible.
  torch::Tensor forward_with(const torch::Tensor& x, const NormActOptions& chain);
  torch::Tensor weight, bias;

 private:
  int64_t channels_;
  NormAxes axes_;
};
TORCH_MODULE(Norm);

Norm make_norm(int64_t channels);  // the instance norm of the convolutional blocks

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
  Norm norm{nullptr};
};
TORCH_MODULE(ConvNormAct);

}  // namespace diffseg::model

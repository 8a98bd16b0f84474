#pragma once
// The memory-bound chain around every convolution of the UNet, as one operation:
//   y = dropout(act(GroupNorm_C(x)·w + b + shift + residual))
// (instance norm per (sample, channel) over the spatial axes, eps as given; act = GELU(tanh) or identity). On CPUs
// with AVX2/FMA and float32 tensors it runs as one fused pass over memory per plane, forward and backward (a custom
// autograd function that saves only x and two numbers per plane and recomputes the rest); otherwise, and with
// DIFFSEG_FUSED_KERNELS=0, it runs the same chain as separate ATen ops (norm_act_reference). Both use the same
// hash dropout mask, so they agree to rounding.
#include <cstdint>

#include <torch/torch.h>

namespace diffseg::model {

struct NormActOptions {
  bool gelu = true;
  torch::Tensor shift;     // (B, C), added after the normalisation; optional
  torch::Tensor residual;  // x's shape, added before the activation; optional
  double dropout = 0;      // applied after the activation with the hash mask of `seed`
  uint64_t seed = 0;
  int64_t first_sample = 0;  // global index of x's first sample (the mask follows the sample, see hash_dropout)
  double eps = 1e-6;
};

torch::Tensor norm_act(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                       const NormActOptions& options);

// The unfused chain of ATen ops (and the path for GPUs, reduced precision and CPUs without AVX2).
torch::Tensor norm_act_reference(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                 const NormActOptions& options);

// Whether norm_act would take the fused path for these inputs (CPU support, float32 CPU tensors, not disabled).
bool norm_act_uses_fused_kernel(const torch::Tensor& x, const NormActOptions& options);

}  // namespace diffseg::model

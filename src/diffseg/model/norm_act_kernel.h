#pragma once
// Raw kernels of the fused instance-norm → (+ per-sample shift) → (+ residual) → GELU(tanh) → dropout chain, one
// (sample, channel) plane at a time. Torch-free on purpose: norm_act_kernel.cpp is compiled with AVX2/FMA flags
// (see src/diffseg/CMakeLists.txt) and is only called after a run-time CPU check (norm_act_kernel_supported).
#include <cstdint>

#include "diffseg/model/hash_mask.h"

namespace diffseg::model::kernel {

// One plane of n contiguous floats. z = (h - mean)·rstd·weight + offset + residual, y = gelu(z) (or z) · mask.
// `offset` = bias + shift of this (sample, channel); `residual` may be null; `first_index` is the flat index of
// the plane's first element in the whole tensor (the dropout mask is a function of it).
struct PlaneArgs {
  const float* h = nullptr;
  const float* residual = nullptr;
  int64_t n = 0;
  int64_t first_index = 0;
  float weight = 1.0f;
  float offset = 0.0f;
  bool gelu = true;
  HashMask mask;
};

// True when this CPU can run the kernels as compiled (AVX2 + FMA on x86-64; always elsewhere).
bool norm_act_kernel_supported();

// Writes y (n floats) and returns the plane's mean and 1/sqrt(var + eps) (biased variance, as GroupNorm).
void norm_act_forward(const PlaneArgs& a, float eps, float* y, float* mean, float* rstd);

// Given dy, writes dz (the gradient w.r.t. the pre-activation sum, = the residual's gradient) and dh; returns
// Σdz and Σdz·x̂ over the plane (the shift's/bias's and the weight's gradient contributions). dz may alias dh
// only when the residual's gradient is not needed.
void norm_act_backward(const PlaneArgs& a, float mean, float rstd, const float* dy, float* dz, float* dh,
                       double* sum_dz, double* sum_dz_xhat);

}  // namespace diffseg::model::kernel

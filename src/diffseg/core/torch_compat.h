#pragma once
// The LibTorch API differences between the versions diffseg builds against: Debian's 1.13 (the default build) and
// the 2.x wheel (scripts/build_torch2.sh, docs/gpu.md). Code uses these instead of testing versions itself.
// Light headers only; the autocast calls are in torch_compat.cpp (diffseg_runtime).
#include <memory>
#include <utility>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/DeviceType.h>
#include <c10/core/ScalarType.h>
#include <c10/util/Optional.h>
#include <torch/version.h>

#define DIFFSEG_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

// at::scaled_dot_product_attention (fused attention kernels) exists from 2.0 on.
#define DIFFSEG_HAS_SDPA DIFFSEG_TORCH_AT_LEAST(2, 0)

namespace diffseg::torch_compat {

// c10::optional is its own type in 1.13 and an alias of std::optional in 2.x; LibTorch signatures take it.
template <class T>
using optional = c10::optional<T>;

// Holds a LibTorch handle alive without naming its type. Autograd nodes (grad_fn, impl::grad_accumulator) are
// std::shared_ptr<Node> in 1.13 and c10::intrusive_ptr<Node> in recent 2.x (PyTorch PR 181782, 2026), and a
// header that only forward-declares Node cannot tell which: store std::shared_ptr<void> from this instead.
template <class Handle>
std::shared_ptr<void> keep_alive(Handle handle) {
  return std::make_shared<Handle>(std::move(handle));
}

// Autocast state per device type (CPU and CUDA). 2.4 made device-type calls the API and deprecated 1.13's
// per-device functions (is_enabled/set_enabled for CUDA, is_cpu_enabled/set_cpu_enabled, set_autocast_*_dtype).
bool is_autocast_enabled(c10::DeviceType type);
void set_autocast_enabled(c10::DeviceType type, bool enabled);
at::ScalarType get_autocast_dtype(c10::DeviceType type);
void set_autocast_dtype(c10::DeviceType type, at::ScalarType dtype);

// softmax(q kᵀ / sqrt(d)) v through LibTorch's fused attention kernels (flash / memory-efficient on GPUs, 2.0+);
// an undefined tensor where this LibTorch has none, so the caller computes it itself. q, k, v: (B, heads, N, d).
at::Tensor fused_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v);

// Peak bytes held by tensors on an accelerator device since the last reset, from LibTorch's caching allocator
// (what Python's torch.cuda.max_memory_allocated reports): -1 on the CPU and where this LibTorch has no
// device-independent allocator statistics (before 2.10).
int64_t peak_device_memory_bytes(const c10::Device& device);
void reset_peak_device_memory(const c10::Device& device);

}  // namespace diffseg::torch_compat

#include "diffseg/core/torch_compat.h"

#include <ATen/autocast_mode.h>
#if DIFFSEG_TORCH_AT_LEAST(2, 10)
#include <ATen/DeviceAccelerator.h>
#endif
#if DIFFSEG_HAS_SDPA
#include <ATen/ops/scaled_dot_product_attention.h>
#endif

namespace diffseg::torch_compat {

#if !DIFFSEG_TORCH_AT_LEAST(2, 4)
namespace {
bool is_cuda(c10::DeviceType type) { return type == c10::DeviceType::CUDA; }
}  // namespace
#endif

bool is_autocast_enabled(c10::DeviceType type) {
#if DIFFSEG_TORCH_AT_LEAST(2, 4)
  return at::autocast::is_autocast_enabled(type);
#else
  return is_cuda(type) ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

void set_autocast_enabled(c10::DeviceType type, bool enabled) {
#if DIFFSEG_TORCH_AT_LEAST(2, 4)
  at::autocast::set_autocast_enabled(type, enabled);
#else
  if (is_cuda(type))
    at::autocast::set_enabled(enabled);
  else
    at::autocast::set_cpu_enabled(enabled);
#endif
}

at::ScalarType get_autocast_dtype(c10::DeviceType type) {
#if DIFFSEG_TORCH_AT_LEAST(2, 4)
  return at::autocast::get_autocast_dtype(type);
#else
  return is_cuda(type) ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
#endif
}

void set_autocast_dtype(c10::DeviceType type, at::ScalarType dtype) {
#if DIFFSEG_TORCH_AT_LEAST(2, 4)
  at::autocast::set_autocast_dtype(type, dtype);
#else
  if (is_cuda(type))
    at::autocast::set_autocast_gpu_dtype(dtype);
  else
    at::autocast::set_autocast_cpu_dtype(dtype);
#endif
}

at::Tensor fused_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
#if DIFFSEG_HAS_SDPA
  return at::scaled_dot_product_attention(q, k, v);
#else
  (void)q, (void)k, (void)v;
  return {};
#endif
}

int64_t peak_device_memory_bytes(const c10::Device& device) {
#if DIFFSEG_TORCH_AT_LEAST(2, 10)
  if (!device.is_cpu()) {
    const auto stats = at::accelerator::getDeviceStats(device.has_index() ? device.index() : 0);
    // Index 0 of a StatArray is the aggregate over the large and small pools.
    return stats.allocated_bytes[0].peak;
  }
#endif
  (void)device;
  return -1;
}

void reset_peak_device_memory(const c10::Device& device) {
#if DIFFSEG_TORCH_AT_LEAST(2, 10)
  if (!device.is_cpu()) at::accelerator::resetPeakStats(device.has_index() ? device.index() : 0);
#endif
  (void)device;
}

}  // namespace diffseg::torch_compat

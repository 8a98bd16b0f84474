#include "diffseg/train/autocast.h"

#include <ATen/autocast_mode.h>

#include "diffseg/core/error.h"
#include "diffseg/core/torch_compat.h"

namespace diffseg::train {

Precision parse_precision(const std::string& name) {
  if (name == "none" || name == "float32" || name == "fp32") return Precision::float32;
  if (name == "bf16" || name == "bfloat16") return Precision::bfloat16;
  if (name == "fp16" || name == "float16") return Precision::float16;
  throw UsageError("unknown precision '" + name + "' (use float32, bf16 or fp16)");
}

AutocastScope::AutocastScope(Precision precision, c10::Device device) {
  if (precision == Precision::float32) return;
  cuda_ = device.is_cuda();
  if (!cuda_ && precision == Precision::float16) throw UsageError("fp16 autocast needs a CUDA device; use bf16 on CPU");
  const at::ScalarType type = precision == Precision::bfloat16 ? at::kBFloat16 : at::kHalf;
  const c10::DeviceType where = cuda_ ? c10::DeviceType::CUDA : c10::DeviceType::CPU;
  was_enabled_ = torch_compat::is_autocast_enabled(where);
  torch_compat::set_autocast_dtype(where, type);
  torch_compat::set_autocast_enabled(where, true);
  at::autocast::increment_nesting();
  active_ = true;
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  torch_compat::set_autocast_enabled(cuda_ ? c10::DeviceType::CUDA : c10::DeviceType::CPU, was_enabled_);
}

}  // namespace diffseg::train

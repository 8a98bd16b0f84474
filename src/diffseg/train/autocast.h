#pragma once
// Mixed precision for the forward pass and loss: while an AutocastScope lives, LibTorch runs matmuls and
// convolutions in bfloat16 (CPU or CUDA) or float16 (CUDA) and keeps precision-sensitive ops in float32.
// Parameters, gradients and optimiser state stay float32; backward runs outside the scope.
#include <string>

#include <c10/core/Device.h>

namespace diffseg::train {

enum class Precision { float32, bfloat16, float16 };
Precision parse_precision(const std::string& name);  // "none"/"float32", "bf16"/"bfloat16", "fp16"/"float16"

class AutocastScope {
 public:
  AutocastScope(Precision precision, c10::Device device);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false, cuda_ = false, was_enabled_ = false;
};

}  // namespace diffseg::train

#include "diffseg/core/runtime.h"

#include <malloc.h>

#include <cstdlib>
#include <thread>

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/cuda.h>

#include "diffseg/core/error.h"

namespace diffseg {

int set_threads(int n) {
  if (n <= 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(n);
  return n;
}

bool keep_freed_memory() {
  // No mmapped blocks at all, not just none below glibc's largest mmap threshold (32 MiB): a 3D activation of 32
  // channels at 128^3 is 268 MB, and faulting its pages in again on every use took 70 % of a 128^3 training step.
  const bool heap_ok = mallopt(M_MMAP_MAX, 0) == 1;
  const bool trim_ok = mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1;
  return heap_ok && trim_ok;
}

bool return_freed_memory() {
  const bool heap_ok = mallopt(M_MMAP_MAX, 65536) == 1;            // glibc's default count of mmapped blocks
  const bool trim_ok = mallopt(M_TRIM_THRESHOLD, 128 * 1024) == 1;  // and its default trim threshold
  return heap_ok && trim_ok;
}

void use_deterministic_algorithms(bool on) {
  // cuBLAS is deterministic only with a fixed workspace per stream (CUDA's documented setting); a value the user
  // set stays.
  if (on) setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", /*overwrite=*/0);
  at::globalContext().setDeterministicAlgorithms(on, /*warn_only=*/false);
  at::globalContext().setDeterministicCuDNN(on);
  if (on) at::globalContext().setBenchmarkCuDNN(false);
}

c10::Device parse_device(const std::string& text) {
  c10::Device device(c10::kCPU);
  try {
    device = c10::Device(text);
  } catch (const std::exception&) {
    throw UsageError("unknown device '" + text + "' (use cpu, cuda or cuda:N)");
  }
  if (device.is_cuda()) {
    if (!torch::cuda::is_available())
      throw UsageError("device '" + text + "' requested but this LibTorch build has no usable CUDA device");
    const auto count = static_cast<int>(torch::cuda::device_count());
    if (device.has_index() && device.index() >= count)
      throw UsageError("device '" + text + "' does not exist (" + std::to_string(count) + " CUDA devices)");
  } else if (!device.is_cpu()) {
    throw UsageError("device '" + text + "' is not supported (use cpu, cuda or cuda:N)");
  }
  return device;
}

}  // namespace diffseg

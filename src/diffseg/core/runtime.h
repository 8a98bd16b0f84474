#pragma once
// Process-wide compute settings: the thread count (LibTorch defaults to 1 on Debian) and the device, chosen at
// run time from the command line. Only light c10 headers here, not <torch/torch.h>.
#include <string>

#include <c10/core/Device.h>

namespace diffseg {

// Sets intra-op threads for LibTorch (and OpenMP/BLAS under it). n <= 0 means all cores. Returns the count set.
int set_threads(int n);

// Keeps freed large blocks in glibc's heap instead of returning them to the OS: without it, every training step
// mmaps and unmaps its activations and pays the page faults again (docs/BENCHMARKS.md). Serves every block from
// the heap, whatever its size, and raises the trim threshold to 1 GiB. Returns false if glibc refused.
bool keep_freed_memory();
// Back to glibc's defaults (large blocks mmapped and returned when freed). For runs whose live memory is small
// next to what keeping every freed block costs: a gradient-checkpointed 3D 128^3 step peaked at 13.4 GB kept and
// 6.9 GB returned, without being faster kept (docs/BENCHMARKS.md). Returns false if glibc refused.
bool return_freed_memory();

// train.deterministic: LibTorch may use only deterministic kernels (cuDNN without autotuning, cuBLAS with a fixed
// workspace), so a GPU run repeats bit for bit and --resume continues exactly; an operation that has no
// deterministic kernel then stops with LibTorch's error naming it. Off: cuDNN and cuBLAS choose freely (faster;
// runs agree only to float rounding). CPU kernels diffseg uses are deterministic either way. Call before the first
// CUDA matmul: cuBLAS reads its workspace setting once.
void use_deterministic_algorithms(bool on);

// Parses "cpu", "cuda", "cuda:1" and checks the device is usable here; UsageError otherwise.
c10::Device parse_device(const std::string& text);

}  // namespace diffseg

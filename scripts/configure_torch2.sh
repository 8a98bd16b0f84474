#!/usr/bin/env bash
# Configures a build folder against LibTorch 2.x from a torch wheel (shared by build_torch2.sh and gpu_check.sh).
#   configure_torch2.sh PREFIX [cmake args...]   PREFIX: the wheel's torch.utils.cmake_prefix_path
#   BUILD_DIR (build-torch2)  BUILD_TYPE (Release)  CUDA_HOME (/usr/local/cuda)  TORCH_CUDA_ARCH_LIST (9.0)
# The CUDA wheel's TorchConfig needs a CUDA toolkit to configure, though diffseg compiles no CUDA code; 9.0
# (H100/H200) only spares Torch's configure-time GPU detection. The log is $BUILD_DIR/configure.log.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:?usage: configure_torch2.sh CMAKE_PREFIX_PATH [cmake args...]}
shift
cuda=${CUDA_HOME:-/usr/local/cuda}
if [[ ! -x $cuda/bin/nvcc ]]; then
  echo "configure_torch2: no nvcc in $cuda/bin: the CUDA wheel's CMake config needs a CUDA toolkit (set CUDA_HOME)" >&2
  exit 2
fi
BUILD_DIR=${BUILD_DIR:-build-torch2}
mkdir -p "$BUILD_DIR"
if ! cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_CUDA_COMPILER="$cuda/bin/nvcc" -DCUDA_TOOLKIT_ROOT_DIR="$cuda" \
    -DTORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}" "$@" >"$BUILD_DIR/configure.log" 2>&1; then
  cat "$BUILD_DIR/configure.log" >&2
  exit 1
fi
grep -E '^-- (diffseg:|PyTorch: CUDA detected)' "$BUILD_DIR/configure.log"

#!/usr/bin/env bash
# The second, optional build: against LibTorch 2.x with CUDA (the torch wheel, installed by setup_torch2.sh) in
# build-torch2/, then the test suite (on the CPU unless a GPU is there). docs/gpu.md says what it shows.
#   BUILD_DIR  build folder (build-torch2)      JOBS  compile jobs (all cores)      BUILD_TYPE  (Release)
#   CUDA_HOME  CUDA toolkit with nvcc (/usr/local/cuda); the wheel's TorchConfig needs one to configure
#   TORCH_CUDA_ARCH_LIST  GPU architectures for CUDA sources (9.0: H100/H200); diffseg has none, so this only
#              spares Torch's GPU detection
#   TEST_JOBS  ctest jobs (JOBS)                SKIP_TESTS=1  build only
#   DIFFSEG_TORCH2_VENV and the rest: see setup_torch2.sh. Extra arguments go to CMake's configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
prefix=$(bash scripts/setup_torch2.sh | tee /dev/stderr | sed -n 's/^CMAKE_PREFIX_PATH=//p')
BUILD_DIR=${BUILD_DIR:-build-torch2}
BUILD_DIR=$BUILD_DIR bash scripts/configure_torch2.sh "$prefix" "$@"
cmake --build "$BUILD_DIR" -j "${JOBS:-$(nproc)}"
if [[ ${SKIP_TESTS:-0} != 1 ]]; then
  # torchrun must be the wheel's: Debian's (1.13) hosts a TCPStore that 2.x ranks cannot talk to.
  bin="$(realpath "$BUILD_DIR")/torch2-bin"
  mkdir -p "$bin"
  ln -sf "${DIFFSEG_TORCH2_VENV:-/opt/diffseg-torch2}/bin/torchrun" "$bin/torchrun"
  PATH="$bin:$PATH" ctest --test-dir "$BUILD_DIR" --output-on-failure -j "${TEST_JOBS:-${JOBS:-$(nproc)}}"
fi

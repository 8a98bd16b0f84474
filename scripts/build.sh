#!/usr/bin/env bash
# Set-up (idempotent) + configure + build. Extra arguments go to CMake's configure step,
# e.g. -DCMAKE_PREFIX_PATH=/opt/libtorch for an official (CUDA) LibTorch.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" "$@" >/dev/null
cmake --build "$BUILD_DIR" -j "${JOBS:-$(nproc)}"

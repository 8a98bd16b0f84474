#!/usr/bin/env bash
# Installs every Debian package that building, testing and the demo need. Idempotent: when everything is
# present it only checks (a second or two) and installs nothing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libtorch-dev libopenblas0-openmp           # tensors and autograd; OpenBLAS (OpenMP build) instead of the slow reference BLAS
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libnifti2-dev libpng-dev zlib1g-dev
  libgloo-dev                                # headers of the Gloo backend LibTorch ships (distributed training)
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-numpy python3-scipy python3-nibabel python3-torch   # independent references for the tests
  python3-yaml                               # a test reads the shipped experiment files to count their runs
  chromium                                   # renders the HTML report in a test
  libjs-d3                                   # D3 (SVG charts), inlined into the HTML report at build time
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present"
fi

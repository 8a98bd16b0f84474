#!/usr/bin/env bash
# Installs LibTorch 2.x (the `torch` wheel from PyPI, with its CUDA libraries) into a Python venv outside the
# repository, for the second, optional build (scripts/build_torch2.sh). Idempotent: when torch is already
# importable there it installs nothing. Prints the CMake prefix path and the wheel's C++ ABI.
#   DIFFSEG_TORCH2_VENV  venv folder (default /opt/diffseg-torch2)
#   DIFFSEG_TORCH2_SPEC  pip requirement (default: torch, the newest wheel); used only when installing
#   DIFFSEG_TORCH2_PYTHON  interpreter that creates the venv (default /usr/bin/python3, Debian's)
set -euo pipefail
venv=${DIFFSEG_TORCH2_VENV:-/opt/diffseg-torch2}
spec=${DIFFSEG_TORCH2_SPEC:-torch}
python=${DIFFSEG_TORCH2_PYTHON:-/usr/bin/python3}

if ! [[ -x $venv/bin/python ]]; then
  if ! "$python" -m venv --help >/dev/null 2>&1 || ! "$python" -c 'import ensurepip' 2>/dev/null; then
    if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q --no-install-recommends python3-venv
  fi
  echo "setup_torch2: creating venv $venv" >&2
  "$python" -m venv "$venv"
fi

if "$venv/bin/python" -c 'import torch' 2>/dev/null; then
  echo "setup_torch2: torch already installed in $venv" >&2
else
  echo "setup_torch2: pip install $spec into $venv (several GB with the CUDA libraries)" >&2
  "$venv/bin/python" -m pip install --no-input --progress-bar off "$spec"
fi

"$venv/bin/python" -W ignore - <<'EOF'  # -W: the wheel warns that numpy is missing
import torch
print(f"torch {torch.__version__} (CUDA {torch.version.cuda})")
print(f"CMAKE_PREFIX_PATH={torch.utils.cmake_prefix_path}")
print(f"_GLIBCXX_USE_CXX11_ABI={int(torch._C._GLIBCXX_USE_CXX11_ABI)}")
EOF

#!/usr/bin/env bash
# Command 1 of the README: set-up, build, run the main job on built-in synthetic data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
"${BUILD_DIR:-build}/apps/diffseg/diffseg" demo --out "${DEMO_OUT:-demo_out}"

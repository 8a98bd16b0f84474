#!/usr/bin/env bash
# Command 2 of the README: set-up, build, run every test. CI (.ci/run) calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh "$@"
# The fuzzers of the file readers without LibTorch, each for a bounded time (FUZZ_SECONDS, default 10; 0 skips
# them): a clang build of their few torch-free libraries, so it fits beside the main build (clang-14 is installed
# on first use). The checkpoint reader's libFuzzer program does not compile with clang against Debian's LibTorch
# (docs/reliability.md); its committed inputs and seeded mutations of them run in ctest (test_fuzz) below.
# Then the torch-free test suites (io, metrics) in that same ASan + UBSan build, about a minute; the whole suite
# under the sanitizers takes about 19 minutes on 2 cores and runs by hand (scripts/sanitize.sh, docs/reliability.md).
if [[ ${FUZZ_SECONDS:=10} != 0 ]]; then
  FUZZ_SECONDS=$FUZZ_SECONDS FUZZ_SKIP_MISSING=1 bash scripts/fuzz.sh torch-free -- "$@"
  bash scripts/sanitize.sh torch-free
fi
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j "${JOBS:-$(nproc)}"

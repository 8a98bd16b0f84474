#!/usr/bin/env bash
# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer: builds every library, program and test
# with -DDIFFSEG_SANITIZE=ON (GCC, cmake/sanitizers.cmake) in build-asan/ and runs ctest there. Too long for CI
# next to the main build on 2 cores (docs/reliability.md says how long it took and when it last ran clean): run it
# before a release and after changing memory-handling code.
#
#   bash scripts/sanitize.sh [CTEST_ARG...]     e.g. -R 'test_io|cli.bad_input_sweep' for a subset
#   bash scripts/sanitize.sh torch-free         the test suites without LibTorch (io, metrics) in the fuzzers' clang
#                                               ASan + UBSan build (build-fuzz/, made by scripts/fuzz.sh): about a
#                                               minute, so CI runs it after the fuzz step (scripts/test.sh)
# Environment: SANITIZE_BUILD_DIR (build-asan), FUZZ_BUILD_DIR (build-fuzz), JOBS (build and test jobs, default all
# cores).
#
# LibTorch, OpenBLAS and the other system libraries are not instrumented; what they do is checked only through
# ASan's interceptors. Leak reports come from diffseg's own allocations only: LibTorch and its dependencies keep
# process-lifetime allocations (registries, thread pools) on purpose, so those are suppressed by library name
# (scripts/sanitize.supp), never by diffseg function.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${SANITIZE_BUILD_DIR:-build-asan}
JOBS=${JOBS:-$(nproc)}
# Every process the tests start (the CLI tests run the instrumented diffseg program) reads these.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/scripts/sanitize.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

if [[ ${1:-} == torch-free ]]; then
  BUILD=${FUZZ_BUILD_DIR:-build-fuzz}
  if [[ ! -f $BUILD/CMakeCache.txt ]]; then
    echo "sanitize: skipped: $BUILD is not configured (scripts/fuzz.sh makes it; it needs clang-14)"
    exit 0
  fi
  suites=(test_io test_metrics)
  cmake -S . -B "$BUILD" -DDIFFSEG_BUILD_TESTS=ON >/dev/null
  cmake --build "$BUILD" -j "$JOBS" --target "${suites[@]}"
  for t in "${suites[@]}"; do
    "$BUILD/tests/$t" --gtest_brief=1 || { echo "sanitize: $t FAILED under ASan + UBSan ($BUILD)" >&2; exit 1; }
  done
  echo "sanitize: ${suites[*]} clean under ASan + UBSan (commit $(git rev-parse --short HEAD 2>/dev/null || echo ?))"
  exit 0
fi

bash scripts/setup.sh
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDIFFSEG_SANITIZE=ON >/dev/null
start=$(date +%s)
cmake --build "$BUILD" -j "$JOBS"
built=$(date +%s)
status=0
(cd "$BUILD" && ctest --output-on-failure -j "$JOBS" --timeout 2400 "$@") || status=$?
echo "sanitize: build $((built - start)) s, tests $(($(date +%s) - built)) s, commit $(git rev-parse --short HEAD), exit $status"
exit $status

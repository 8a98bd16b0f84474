#!/usr/bin/env bash
# Builds the libFuzzer programs of fuzz/ with clang (ASan + UBSan, in build-fuzz/) and runs each target for
# FUZZ_SECONDS, starting from its seeds (fuzz/corpus/<target>/) and earlier crashes (fuzz/regressions/<target>/).
# A crash, sanitizer report, timeout or out-of-memory is copied into fuzz/regressions/<target>/ — commit it with
# the fix, and the replay test (tests/fuzz/) keeps it fixed — and the script exits 1.
#
#   bash scripts/fuzz.sh [TARGET...] [-- CMAKE_ARG...]
#     targets: nifti nifti_gz png dataset config checkpoint (default, and "torch-free": the five without LibTorch,
#     which build in a few minutes). checkpoint does not compile with clang-14 against Debian's LibTorch 1.13 in
#     C++20 (its headers use std::vector<c10::IValue> where IValue is still incomplete): give it another LibTorch.
#     CMake arguments as for scripts/build.sh (e.g. -DCMAKE_PREFIX_PATH=...)
# Environment: FUZZ_SECONDS (60 per target), FUZZ_SEED (libFuzzer's -seed; 0 = random), FUZZ_BUILD_DIR
# (build-fuzz), JOBS (build jobs, default all cores), CLANGXX (clang++-14), FUZZ_SKIP_MISSING=1 (exit 0 with
# "skipped: why" instead of 2 when clang or libFuzzer is not installed and cannot be).
# New inputs that add coverage are kept in FUZZ_BUILD_DIR/fuzz-corpus/<target>/ for the next run, not committed.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_SEED=${FUZZ_SEED:-0}
BUILD=${FUZZ_BUILD_DIR:-build-fuzz}
CLANGXX=${CLANGXX:-clang++-14}
torch_free=(nifti nifti_gz png dataset config)

targets=()
while (($#)) && [[ $1 != -- ]]; do targets+=("$1"); shift; done
(($#)) && shift  # what follows -- goes to CMake
((${#targets[@]})) || targets=("${torch_free[@]}")
if [[ ${targets[*]} == torch-free ]]; then targets=("${torch_free[@]}"); fi
programs=()
for t in "${targets[@]}"; do
  [[ -d fuzz/corpus/$t ]] || { echo "fuzz: unknown target '$t' (no fuzz/corpus/$t/)" >&2; exit 2; }
  programs+=("fuzz_$t")
done
missing() {
  if [[ ${FUZZ_SKIP_MISSING:-0} == 1 ]]; then echo "fuzz: skipped: $1"; exit 0; fi
  echo "fuzz: $1" >&2
  exit 2
}
# clang is needed only here, so the common set-up (scripts/setup.sh) does not install it: do it on first use.
if ! command -v "$CLANGXX" >/dev/null && [[ $CLANGXX == clang++-14 && $(id -u) == 0 ]] && command -v apt-get >/dev/null
then
  echo "fuzz: installing clang-14 and libclang-rt-14-dev (libFuzzer, sanitizer runtimes)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q clang-14 libclang-rt-14-dev >/dev/null || true
fi
command -v "$CLANGXX" >/dev/null || missing "$CLANGXX not found (Debian: clang-14 libclang-rt-14-dev)"
runtime_dir=$("$CLANGXX" --print-runtime-dir)
[[ -f $runtime_dir/libclang_rt.fuzzer-$(uname -m).a ]] ||
  missing "libFuzzer is not in $runtime_dir (Debian: libclang-rt-14-dev)"

cmake -S . -B "$BUILD" -G Ninja -DCMAKE_CXX_COMPILER="$CLANGXX" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DDIFFSEG_BUILD_FUZZERS=ON -DDIFFSEG_BUILD_TESTS=OFF "$@" >/dev/null
cmake --build "$BUILD" -j "${JOBS:-$(nproc)}" --target "${programs[@]}"

# UBSan: stop with a stack on the first report (the build also makes it fatal); ASan: libFuzzer's defaults.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
for t in "${targets[@]}"; do
  work="$BUILD/fuzz-work/$t"
  rm -rf "$work/artifacts"
  mkdir -p "$work/artifacts" "$BUILD/fuzz-corpus/$t" "fuzz/regressions/$t"
  options=(-max_total_time="$FUZZ_SECONDS" -seed="$FUZZ_SEED" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
           -artifact_prefix="$work/artifacts/")
  [[ -f fuzz/dict/$t.dict ]] && options+=(-dict="fuzz/dict/$t.dict")
  echo "fuzz: $t for ${FUZZ_SECONDS} s"
  status=0
  "$BUILD/fuzz/fuzz_$t" "${options[@]}" "$BUILD/fuzz-corpus/$t" "fuzz/corpus/$t" "fuzz/regressions/$t" \
    >"$work/log.txt" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log.txt" | tail -1)
  crashes=("$work"/artifacts/*)
  if ((status != 0)) || [[ -e ${crashes[0]} ]]; then
    failed+=("$t")
    tail -n 60 "$work/log.txt" >&2
    for f in "${crashes[@]}"; do
      [[ -e $f ]] && cp "$f" "fuzz/regressions/$t/" && echo "fuzz: $t: kept fuzz/regressions/$t/$(basename "$f")" >&2
    done
    echo "fuzz: $t FAILED (exit $status) after ${runs:-?} executions; log: $work/log.txt" >&2
  else
    echo "fuzz: $t clean: ${FUZZ_SECONDS} s, ${runs:-?} executions (commit $(git rev-parse --short HEAD 2>/dev/null || echo ?))"
  fi
done

if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]} (inputs in fuzz/regressions/; replay with $BUILD/fuzz/fuzz_TARGET FILE)" >&2
  exit 1
fi

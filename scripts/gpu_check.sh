#!/usr/bin/env bash
# One command for a machine with an NVIDIA GPU, a CUDA toolkit and a torch 2.x CUDA wheel, but no package registry
# (docs/gpu.md, "gpu_check.sh"): build the GPU-relevant targets against the wheel, run the CUDA-vs-CPU tests, time
# training steps and DDIM inference of the paper's configs against the PyTorch mirror (eager and torch.compile),
# measure the loader, and write OUT/gpu_check.json and OUT/gpu_check.md (bench/gpu_check.py).
#
#   bash scripts/gpu_check.sh OUT [--device cuda|cpu] [--quick]
#     --device  where bench_step runs (cuda); cpu checks this script on a machine without a GPU
#     --quick   small shapes, 1 repeat (minutes on 2 CPU cores): a check of the script, not a measurement
#   BUILD_DIR  build folder (build-gpu-check; point it at build-torch2 to reuse that build)
#   JOBS       compile jobs (all cores)     REPEATS  timed runs per case after a warm-up (5; 1 with --quick)
#   DIFFSEG_TORCH2_VENV  venv holding torch (default: whatever python3 imports)
#   DEBS       folder of .deb files from scripts/pack_build_deps.sh (vendor/debs), installed when packages are missing
#   CASE_TIMEOUT  seconds per benchmark case (900)        CUDA_HOME, TORCH_CUDA_ARCH_LIST: see configure_torch2.sh
#   BUDGET_S   seconds from the start after which no new case starts (450: the whole check within 8 minutes)
#   WORKERS    loader workers measured besides the default 2 (half the cores, at most 8)
#   PEAK_BF16_TFLOPS  the GPU's dense bf16 peak when bench/gpu_check.py does not know its name
# Exit status: 0 when the build, test_cuda and every case succeeded, 1 otherwise (the report lists what failed).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

out="" device=cuda quick=0
while (($#)); do
  case $1 in
    --device) device=${2:?--device needs cpu or cuda}; shift 2 ;;
    --device=*) device=${1#--device=}; shift ;;
    --quick) quick=1; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    -*) echo "gpu_check: unknown option $1" >&2; exit 2 ;;
    *) [[ -z $out ]] || { echo "gpu_check: one output folder only" >&2; exit 2; }; out=$1; shift ;;
  esac
done
[[ -n $out ]] || { echo "usage: gpu_check.sh OUT [--device cuda|cpu] [--quick]" >&2; exit 2; }
[[ $device == cuda || $device == cpu ]] || { echo "gpu_check: --device is cpu or cuda" >&2; exit 2; }
mkdir -p "$out"
out=$(realpath "$out")
BUILD_DIR=${BUILD_DIR:-build-gpu-check}
JOBS=${JOBS:-$(nproc)}
REPEATS=${REPEATS:-$((quick ? 1 : 5))}
DEBS=${DEBS:-vendor/debs}
t_start=$(date +%s)
deadline=$((t_start + ${BUDGET_S:-450}))
log=$out/gpu_check.log
: >"$log"
say() { echo "gpu_check: $*" | tee -a "$log" >&2; }

# 1. The wheel: its CMake prefix, version and CUDA version.
if [[ -n ${DIFFSEG_TORCH2_VENV:-} ]]; then py=$DIFFSEG_TORCH2_VENV/bin/python; else py=python3; fi
if ! torch_info=$("$py" -W ignore -c 'import torch, torch.utils
print(torch.utils.cmake_prefix_path); print(torch.__version__); print(torch.version.cuda or "none")' 2>>"$log"); then
  say "no torch importable by $py (install the wheel, or set DIFFSEG_TORCH2_VENV)"; exit 2
fi
{ read -r prefix; read -r torch_version; read -r torch_cuda; } <<<"$torch_info"
say "torch $torch_version (CUDA $torch_cuda) at $prefix"

# 2. Debian -dev packages the build needs; without a registry they come from the packed .deb folder.
# The same list as scripts/pack_build_deps.sh (which also packs their runtime libraries).
build_deps=(libyaml-cpp-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libcli11-dev libnifti2-dev libpng-dev
            zlib1g-dev libgtest-dev libgloo-dev libjs-d3)
missing=()
for p in "${build_deps[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ -d $DEBS ]] && compgen -G "$DEBS/*.deb" >/dev/null; then
    # Only packages not installed at all: a base package (passwd, adduser) that is there in another version
    # stays as it is. One dpkg call, so the new packages satisfy each other's dependencies.
    new=()
    for deb in "$DEBS"/*.deb; do
      p=$(dpkg-deb -f "$deb" Package)
      dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || new+=("$deb")
    done
    say "installing ${missing[*]} from $DEBS (${#new[@]} .deb files)"
    if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
    $SUDO dpkg -i "${new[@]}" >>"$log" 2>&1 || { say "dpkg -i failed (see $log)"; exit 2; }
  else
    say "missing packages ${missing[*]} and no $DEBS folder (run scripts/pack_build_deps.sh where apt works)"; exit 2
  fi
fi
for tool in cmake ninja g++; do
  command -v "$tool" >/dev/null || { say "$tool not found (needed to build)"; exit 2; }
done

# 3. Configure (the shared logic of build_torch2.sh) and build only what this check runs.
t0=$(date +%s)
BUILD_DIR=$BUILD_DIR bash scripts/configure_torch2.sh "$prefix" -DDIFFSEG_BUILD_TESTS=ON -DDIFFSEG_BUILD_BENCH=ON \
  2>&1 | tee -a "$log" >&2
t1=$(date +%s)
if ! ninja -C "$BUILD_DIR" -j "$JOBS" diffseg test_cuda bench_step bench_loader bench_allreduce >>"$log" 2>&1; then
  say "build failed (see $log)"; tail -30 "$log" >&2; exit 1
fi
t2=$(date +%s)
say "configure $((t1 - t0)) s, build $((t2 - t1)) s with $JOBS jobs"

# 4. CUDA against CPU. On a machine without a GPU every test skips itself.
status=0
set +e
"$BUILD_DIR/tests/test_cuda" --gtest_output="json:$out/test_cuda.json" >"$out/test_cuda.log" 2>&1
test_rc=$?
set -e
((test_rc == 0)) || status=1
say "test_cuda exit $test_rc ($(grep -E '^\[ *(PASSED|FAILED|SKIPPED) *\] [0-9]+ tests?' "$out/test_cuda.log" | tr -s ' ' | paste -sd ';'))"

# 5. Timings (bench/gpu_check.py): diffseg, the PyTorch mirror eager and compiled, loader throughput; cases not
# started by the deadline (BUDGET_S after this script started) are recorded as skipped.
set +e
"$py" bench/gpu_check.py "$BUILD_DIR" "$out" --device "$device" --repeats "$REPEATS" --deadline "$deadline" \
  --case-timeout "${CASE_TIMEOUT:-900}" ${WORKERS:+--workers "$WORKERS"} $( ((quick)) && echo --quick) \
  2> >(tee -a "$log" >&2)
cases_rc=$?
set -e
((cases_rc == 0)) || status=1
python_json=$out/gpu_check.json
if [[ -f $python_json ]]; then
  TEST_RC=$test_rc CONFIGURE_S=$((t1 - t0)) BUILD_S=$((t2 - t1)) JOBS=$JOBS OUT=$out "$py" - <<'EOF'
import json, os
e = os.environ
path = os.path.join(e["OUT"], "gpu_check.json")
report = json.load(open(path))
test = {"exit": int(e["TEST_RC"])}
try:
    t = json.load(open(os.path.join(e["OUT"], "test_cuda.json")))
    tests = [c for s in t.get("testsuites", []) for c in s.get("testsuite", [])]
    test.update(tests=len(tests), failures=t.get("failures", 0),
                skipped=sum(1 for c in tests if c.get("result") == "SKIPPED"))
except Exception:
    pass
report.update(test_cuda=test, configure_s=int(e["CONFIGURE_S"]), build_s=int(e["BUILD_S"]), jobs=int(e["JOBS"]))
json.dump(report, open(path, "w"), indent=1)
md = os.path.join(e["OUT"], "gpu_check.md")
lines = open(md).read().splitlines()
lines[1:1] = ["", f"Configure {report['configure_s']} s, build {report['build_s']} s with {report['jobs']} jobs. "
              f"test_cuda: exit {test['exit']}, {test.get('tests', '?')} tests, {test.get('failures', '?')} failed, "
              f"{test.get('skipped', '?')} skipped."]
open(md, "w").write("\n".join(lines) + "\n")
EOF
fi
say "wrote $out/gpu_check.json and $out/gpu_check.md in $(($(date +%s) - t_start)) s (exit $status)"
exit $status

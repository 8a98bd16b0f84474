#!/usr/bin/env bash
# One command for a machine with an NVIDIA GPU, a CUDA toolkit and a torch 2.x CUDA wheel, but no package registry
# (docs/gpu.md, "gpu_check.sh"): build the GPU-relevant targets against the wheel, run the CUDA-vs-CPU tests, time
# training steps and DDIM inference of the paper's configs, and write OUT/gpu_check.json and OUT/gpu_check.md.
#
#   bash scripts/gpu_check.sh OUT [--device cuda|cpu] [--quick]
#     --device  where bench_step runs (cuda); cpu checks this script on a machine without a GPU
#     --quick   small shapes, 1 repeat (minutes on 2 CPU cores): a check of the script, not a measurement
#   BUILD_DIR  build folder (build-gpu-check; point it at build-torch2 to reuse that build)
#   JOBS       compile jobs (all cores)     REPEATS  timed runs per case after a warm-up (5; 1 with --quick)
#   DIFFSEG_TORCH2_VENV  venv holding torch (default: whatever python3 imports)
#   DEBS       folder of .deb files from scripts/pack_build_deps.sh (vendor/debs), installed when packages are missing
#   CASE_TIMEOUT  seconds per benchmark case (900)        CUDA_HOME, TORCH_CUDA_ARCH_LIST: see configure_torch2.sh
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
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
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
if ! ninja -C "$BUILD_DIR" -j "$JOBS" diffseg test_cuda bench_step bench_allreduce >>"$log" 2>&1; then
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

# 5. Timings. name|config|mode|strategy|shape|batch|classes|precision ("-": inference, which runs no autocast).
if ((quick)); then s2=64,64 b2=2 s3=32,32,32 b3=1; else s2=480,512 b2=8 s3=128,128,128 b3=2; fi
cases=()
for strategy in diffusion rec_xT; do
  for precision in bf16 float32; do
    cases+=("2D ${s2/,/x} b$b2 $strategy $precision|muscle_us.yaml|train|$strategy|$s2|$b2|2|$precision")
    cases+=("3D ${s3//,/x} b$b3 $strategy $precision|amos_ct.yaml|train|$strategy|$s3|$b3|16|$precision")
  done
done
cases+=("2D ${s2/,/x} DDIM 5 steps|muscle_us.yaml|infer|diffusion|$s2|1|2|-")
cases+=("3D ${s3//,/x} DDIM 5 steps|amos_ct.yaml|infer|diffusion|$s3|1|16|-")

results=$out/cases.jsonl
: >"$results"
smi=$(command -v nvidia-smi || true)
for c in "${cases[@]}"; do
  IFS='|' read -r name config mode strategy shape batch classes precision <<<"$c"
  args=(--config "configs/$config" --strategy "$strategy" --mode "$mode" --shape "$shape" --batch "$batch"
        --classes "$classes" --repeats "$REPEATS" --device "$device")
  [[ $precision == - ]] || args+=(--set "train.precision=$precision")
  say "case: $name"
  # GPU memory in use, sampled every 100 ms while the case runs (bench_step reports only host RSS).
  mem=$out/mem.txt
  : >"$mem"
  if [[ $device == cuda && -n $smi ]]; then
    "$smi" --query-gpu=memory.used --format=csv,noheader,nounits -i 0 -lms 100 >"$mem" 2>/dev/null &
    smi_pid=$!
  fi
  set +e
  json=$(timeout "${CASE_TIMEOUT:-900}" "$BUILD_DIR/bench/bench_step" "${args[@]}" 2>"$out/case.err")
  rc=$?
  set -e
  if [[ -n ${smi_pid:-} ]]; then kill "$smi_pid" 2>/dev/null || true; wait "$smi_pid" 2>/dev/null || true; smi_pid=; fi
  ((rc == 0)) || status=1
  NAME=$name MODE=$mode PRECISION=$precision RC=$rc JSON=$json ARGS="${args[*]}" MEM=$mem ERR=$out/case.err \
    "$py" - >>"$results" <<'EOF'
import json, os
r = {"name": os.environ["NAME"], "mode": os.environ["MODE"], "precision": os.environ["PRECISION"],
     "rc": int(os.environ["RC"]), "args": os.environ["ARGS"]}
try:
    r.update(json.loads(os.environ["JSON"].strip().splitlines()[-1]))
except Exception:
    r["error"] = open(os.environ["ERR"]).read()[-2000:]
mem = [int(x) for x in open(os.environ["MEM"]).read().split() if x.strip().isdigit()]
if mem:
    r["gpu_mem_peak_mib"] = max(mem)
print(json.dumps(r))
EOF
done
rm -f "$out/mem.txt" "$out/case.err"

# 6. The report.
gpu=$( [[ -n $smi ]] && "$smi" --query-gpu=name,driver_version,memory.total --format=csv,noheader -i 0 2>/dev/null || echo none)
OUT=$out DEVICE=$device QUICK=$quick REPEATS=$REPEATS GPU=$gpu TORCH="$torch_version (CUDA $torch_cuda)" \
  COMMIT=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown) TEST_RC=$test_rc JOBS=$JOBS \
  CONFIGURE_S=$((t1 - t0)) BUILD_S=$((t2 - t1)) CORES=$(nproc) "$py" - <<'EOF'
import json, os
e = os.environ
cases = [json.loads(l) for l in open(os.path.join(e["OUT"], "cases.jsonl")) if l.strip()]
test = {}
try:
    t = json.load(open(os.path.join(e["OUT"], "test_cuda.json")))
    tests = [c for s in t.get("testsuites", []) for c in s.get("testsuite", [])]
    test = {"tests": len(tests), "failures": t.get("failures", 0),
            "skipped": sum(1 for c in tests if c.get("result") == "SKIPPED")}
except Exception:
    pass
test["exit"] = int(e["TEST_RC"])
report = {"device": e["DEVICE"], "quick": e["QUICK"] == "1", "repeats": int(e["REPEATS"]), "gpu": e["GPU"],
          "torch": e["TORCH"], "commit": e["COMMIT"], "cores": int(e["CORES"]), "jobs": int(e["JOBS"]),
          "configure_s": int(e["CONFIGURE_S"]), "build_s": int(e["BUILD_S"]), "test_cuda": test, "cases": cases}
json.dump(report, open(os.path.join(e["OUT"], "gpu_check.json"), "w"), indent=1)
def fmt(c):
    if c["rc"] != 0 or "median_s" not in c:
        return f"| {c['name']} | failed (exit {c['rc']}) | | | |"
    n = int(c["args"].split("--batch ")[1].split()[0])
    per = f"{n / c['median_s']:.2f} samples/s" if c["mode"] == "train" else f"{c['median_s'] / n:.3f} s/case"
    mem = c.get("gpu_mem_peak_mib", "")
    return f"| {c['name']} | {c['median_s']:.3f} | {per} | {mem} | {c.get('peak_rss_mb', 0):.0f} |"
lines = [f"# gpu_check ({'quick, ' if report['quick'] else ''}device {report['device']})", "",
         f"GPU: {report['gpu']}; torch {report['torch']}; commit {report['commit']}; {report['cores']} cores.",
         f"Configure {report['configure_s']} s, build {report['build_s']} s with {report['jobs']} jobs. "
         f"test_cuda: exit {test['exit']}, {test.get('tests', '?')} tests, {test.get('failures', '?')} failed, "
         f"{test.get('skipped', '?')} skipped.", "",
         f"Median of {report['repeats']} timed runs after a warm-up (bench_step: optimizer_step / "
         "predict_log_probabilities as diffseg runs them).", "",
         "| case | median s | throughput | GPU memory peak MiB (nvidia-smi) | host RSS MiB |", "|---|---|---|---|---|"]
lines += [fmt(c) for c in cases]
open(os.path.join(e["OUT"], "gpu_check.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
EOF
say "wrote $out/gpu_check.json and $out/gpu_check.md (exit $status)"
exit $status

#!/usr/bin/python3
"""diffseg (C++) against the same model in PyTorch-Python, side by side in one run (issue #11).

Every case runs bench_step (diffseg's own optimizer_step / predict_log_probabilities) and bench/reference/step.py
(the PyTorch mirror, Debian's python3-torch) with the same network, initial weights, shapes and thread count; each
reports the median of REPEATS timed runs after one warm-up. Prints a Markdown table with the C++/Python ratio, the
achieved GFLOP/s (convolution + matmul FLOPs counted on the mirror; training = 3 x forward, recycling adds one
forward pass, DDIM inference = 5 forward passes) and the machine's measured peaks (BLAS matmul, oneDNN conv); writes the figures as JSON
for the regression guard.

    bench_vs_pytorch.py BUILD_DIR [--threads 2] [--repeats 5] [--quick | --large] [--malloc-defaults]
                        [--python-keep-freed] [--json OUT] [--compare PREVIOUS.json]
The C++ side runs as the diffseg CLI does: glibc keeps freed memory (--malloc-defaults measures without) and the
BLAS is the one diffseg's programs load (the OpenMP build where installed); the PyTorch side gets the same BLAS,
and glibc's malloc defaults as a Python user has them unless --python-keep-freed gives it diffseg's settings.
--large runs only the 3D 128^3 cases (minutes per step on a CPU; use --repeats 1 there).
--compare flags every C++ figure more than 10 % slower than in PREVIOUS.json (exit status 1), for use by hand or
in a nightly job — not in the unit tests, timings are too noisy there.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = "/usr/bin/python3"  # Debian's interpreter, where python3-torch lives

# name, config, mode, strategy, shape (tensor order), batch, classes
CASES = [
    ("2D 128x128 b8 diffusion", "muscle_us.yaml", "train", "diffusion", "128,128", 8, 2),
    ("2D 128x128 b8 rec_xT", "muscle_us.yaml", "train", "rec_xT", "128,128", 8, 2),
    ("2D 480x512 b1 diffusion", "muscle_us.yaml", "train", "diffusion", "480,512", 1, 2),
    ("2D 480x512 b1 rec_xT", "muscle_us.yaml", "train", "rec_xT", "480,512", 1, 2),
    ("3D 64^3 b1 diffusion", "amos_ct.yaml", "train", "diffusion", "64,64,64", 1, 16),
    ("3D 64^3 b1 rec_xT", "amos_ct.yaml", "train", "rec_xT", "64,64,64", 1, 16),
    ("2D 480x512 DDIM 5 steps", "muscle_us.yaml", "infer", "diffusion", "480,512", 1, 2),
    ("2D 480x512 supervised", "muscle_us.yaml", "infer", "supervised", "480,512", 1, 2),
    ("3D 64^3 DDIM 5 steps", "amos_ct.yaml", "infer", "diffusion", "64,64,64", 1, 16),
]
LARGE = [
    ("3D 128^3 b1 diffusion", "amos_ct.yaml", "train", "diffusion", "128,128,128", 1, 16),
    ("3D 128^3 b1 rec_xT", "amos_ct.yaml", "train", "rec_xT", "128,128,128", 1, 16),
]
QUICK = {"2D 128x128 b8 diffusion", "2D 128x128 b8 rec_xT", "2D 480x512 DDIM 5 steps", "2D 480x512 supervised"}


def blas_of(binary):
    """The libblas.so.3 a program loads (diffseg's programs prefer the OpenMP build through their RPATH)."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if "libblas.so.3" in line and "=>" in line:
            return line.split("=>")[1].split("(")[0].strip()
    return ""


def same_blas_as(binary):
    """Re-executes this script with the C++ program's BLAS first on the library path, so the PyTorch side (and the
    matmul peak) use the same BLAS build; returns its path."""
    blas = blas_of(binary)
    folder = os.path.dirname(blas)
    if blas and folder not in os.environ.get("LD_LIBRARY_PATH", "").split(":") and \
            os.path.realpath(blas) != os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3"):
        env = dict(os.environ, LD_LIBRARY_PATH=":".join(filter(None, [folder, os.environ.get("LD_LIBRARY_PATH")])))
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    return blas


# glibc tunables that give the Python process the allocator settings diffseg sets for itself (keep_freed_memory):
# freed blocks stay in the heap, none is mmapped. A Python user can set the same variable.
PYTHON_KEEP_FREED = "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=1073741824"


def cpu_name():
    """The CPU's model name and its widest vector unit: the machines this runs on change between sessions."""
    model, flags = platform.machine(), ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name") and model == platform.machine():
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags") and not flags:
                flags = line
    except OSError:
        pass
    vector = "AVX-512" if " avx512f" in flags else "AVX2" if " avx2" in flags else "no AVX2"
    return f"{model} ({vector})"


def run_json(cmd, env=None):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def best_gflops(f, flop, repeats=5):
    f()
    best = 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        best = max(best, flop / (time.perf_counter() - t0) / 1e9)
    return best


def machine_peaks(threads):
    """Two measured peaks: a 2048² float32 matmul (the BLAS, which may use narrower vectors than the CPU has) and a
    3x3 convolution, 128 channels, 64², batch 4 (oneDNN, which picks the CPU's widest vector unit; the output fits
    below glibc's mmap threshold, so page faults do not count)."""
    torch.set_num_threads(threads)
    a, b = torch.rand(2048, 2048), torch.rand(2048, 2048)
    matmul = best_gflops(lambda: a @ b, 2 * 2048 ** 3)
    x, w = torch.rand(4, 128, 64, 64), torch.rand(128, 128, 3, 3)
    with torch.no_grad():
        conv = best_gflops(lambda: torch.nn.functional.conv2d(x, w, padding=1), 2 * 128 * 128 * 9 * 64 * 64 * 4)
    return matmul, conv


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="only the 2D 128x128 training and 480x512 inference cases")
    ap.add_argument("--large", action="store_true", help="only the 3D 128^3 training cases")
    ap.add_argument("--malloc-defaults", action="store_true",
                    help="C++ runs with glibc's malloc defaults (the CLI keeps freed memory in the heap)")
    ap.add_argument("--python-keep-freed", action="store_true",
                    help="run the PyTorch side with diffseg's allocator settings too (GLIBC_TUNABLES)")
    ap.add_argument("--json")
    ap.add_argument("--compare")
    a = ap.parse_args()
    step_bin = os.path.join(os.path.abspath(a.build), "bench", "bench_step")
    blas = same_blas_as(step_bin)
    import torch  # after the re-exec: loads the same BLAS as the C++ side
    globals()["torch"] = torch
    env_threads = str(a.threads)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, config, mode, strategy, shape, batch, k in (LARGE if a.large else CASES):
            if a.quick and name not in QUICK:
                continue
            w, o = os.path.join(tmp, "w.pt"), os.path.join(tmp, "o.json")
            common = ["--mode", mode, "--strategy", strategy, "--shape", shape, "--batch", str(batch), "--classes",
                      str(k), "--repeats", str(a.repeats), "--threads", env_threads]
            # Same computation on both sides: float32, no gradient checkpointing (the mirror has neither).
            cpp = run_json([step_bin, "--config", os.path.join(ROOT, "configs", config), *common, "--weights", w,
                            "--options", o, "--set", "train.precision=float32",
                            "--set", "model.gradient_checkpointing=false"] + ([] if a.malloc_defaults else ["--mallopt"]))
            py_env = dict(os.environ, GLIBC_TUNABLES=PYTHON_KEEP_FREED) if a.python_keep_freed else None
            py = run_json([PY, os.path.join(ROOT, "bench", "reference", "step.py"), o, w, *common, "--flops"], py_env)
            fwd = py["forward_flops_per_sample"] * batch
            passes = {"train": 3 + (1 if strategy.startswith("rec") else 0),
                      "infer": 5 if strategy != "supervised" else 1}[mode]
            flops = fwd * passes
            row = {"case": name, "cpp_s": cpp["median_s"], "python_s": py["median_s"],
                   "ratio": cpp["median_s"] / py["median_s"], "gflop": flops / 1e9,
                   "cpp_gflops": flops / cpp["median_s"] / 1e9, "python_gflops": flops / py["median_s"] / 1e9,
                   "cpp_rss_mb": cpp["peak_rss_mb"], "python_rss_mb": py["peak_rss_mb"],
                   "parameters": cpp["parameters"]}
            results.append(row)
            print(f"{name}: C++ {row['cpp_s']:.3f} s, Python {row['python_s']:.3f} s, ratio {row['ratio']:.2f}",
                  file=sys.stderr, flush=True)
    peak, conv_peak = machine_peaks(a.threads)
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    print(f"Machine: {cpu_name()}, {os.cpu_count()} cores, threads {a.threads}, "
          f"commit {commit}, torch {torch.__version__}, BLAS {blas or 'unknown'}, "
          f"peak {peak:.1f} GFLOP/s (BLAS matmul 2048², float32), {conv_peak:.1f} GFLOP/s (oneDNN 3x3 conv)"
          + (", C++ with glibc's malloc defaults" if a.malloc_defaults else ", C++ keeps freed memory (as the CLI)")
          + (", Python keeps freed memory too (GLIBC_TUNABLES)" if a.python_keep_freed else ", Python with glibc's malloc defaults"))
    print()
    print("| case | GFLOP/step | C++ s | Python s | C++ / Python | C++ GFLOP/s | Python GFLOP/s | C++ peak RSS MB | "
          "Python peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['case']} | {r['gflop']:.1f} | {r['cpp_s']:.3f} | {r['python_s']:.3f} | {r['ratio']:.2f} | "
              f"{r['cpp_gflops']:.1f} | {r['python_gflops']:.1f} | {r['cpp_rss_mb']:.0f} | {r['python_rss_mb']:.0f} |")
    by = {r["case"]: r for r in results}
    for plain, rec in [("2D 128x128 b8 diffusion", "2D 128x128 b8 rec_xT"),
                       ("2D 480x512 b1 diffusion", "2D 480x512 b1 rec_xT"),
                       ("3D 64^3 b1 diffusion", "3D 64^3 b1 rec_xT"),
                       ("3D 128^3 b1 diffusion", "3D 128^3 b1 rec_xT")]:
        if plain in by and rec in by:
            print(f"\nRecycling / plain diffusion ({plain.split(' b')[0]}): C++ "
                  f"{by[rec]['cpp_s'] / by[plain]['cpp_s']:.2f}, Python {by[rec]['python_s'] / by[plain]['python_s']:.2f}")
    summary = {"threads": a.threads, "commit": commit, "blas": blas, "matmul_peak_gflops": peak, "conv_peak_gflops": conv_peak, "mallopt": not a.malloc_defaults,
               "python_keep_freed": a.python_keep_freed, "cpu": cpu_name(),
               "results": results}
    if a.json:
        with open(a.json, "w") as f:
            json.dump(summary, f, indent=2)
    if a.compare:
        with open(a.compare) as f:
            before = {r["case"]: r for r in json.load(f)["results"]}
        slower = [(r["case"], before[r["case"]]["cpp_s"], r["cpp_s"]) for r in results
                  if r["case"] in before and r["cpp_s"] > 1.10 * before[r["case"]]["cpp_s"]]
        for case, old, new in slower:
            print(f"REGRESSION {case}: {old:.3f} s -> {new:.3f} s (+{100 * (new / old - 1):.0f} %)")
        if slower:
            sys.exit(1)
        print(f"\nNo C++ figure more than 10 % slower than {a.compare}.")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The measurements of scripts/gpu_check.sh (docs/gpu.md), after it has built BUILD and run the CUDA tests.

In order of importance, so a time-boxed run keeps what matters most when its budget runs out (a case not started
by the deadline is recorded as skipped):
  1. diffseg (bench_step): training steps of plain diffusion and rec_xT, 2D 480x512 batch 8 (muscle-US config) and
     3D 128^3 batch 2 (AMOS config), bf16 and float32, without gradient checkpointing (the computation the mirror
     does); the 3D rec_xT bf16 step once more with the config as it is (checkpointing on); 5-step DDIM inference
     of one 2D image and of a whole 192x128x128 CT volume by sliding windows (the config's patch and overlap);
  2. the PyTorch mirror (bench/reference/step.py) of the same cases, same weights, eager, in one process; it also
     counts each network's FLOPs, from which TFLOP/s follow (training = 3 forward passes, rec_xT one more);
  3. loader throughput (bench_loader) against the fastest training step's consumption;
  4. the mirror under torch.compile (bf16 training cases).

    gpu_check.py BUILD OUT --device cuda|cpu [--quick] [--repeats 5] [--deadline EPOCH_S] [--workers N]
Writes OUT/gpu_check.json and OUT/gpu_check.md; exit status 1 if a case failed (a skipped one is not a failure).
"""
import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Dense (not sparse) bf16 tensor-core peaks in TFLOP/s from the vendors' data sheets, by a name nvidia-smi prints.
# PEAK_BF16_TFLOPS overrides (another GPU, or a power-capped one).
BF16_PEAKS = [("H200", 989.0), ("H100 PCIe", 756.0), ("H100", 989.0), ("GH200", 989.0), ("A100", 312.0),
              ("L40S", 362.0), ("L4", 121.0), ("A10", 125.0), ("RTX 4090", 165.0)]


def gpu_name():
    smi = shutil.which("nvidia-smi")
    if not smi:
        return "none"
    p = subprocess.run([smi, "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader", "-i", "0"],
                       capture_output=True, text=True)
    return p.stdout.strip() or "none"


def bf16_peak(name):
    if os.environ.get("PEAK_BF16_TFLOPS"):
        return float(os.environ["PEAK_BF16_TFLOPS"])
    for key, peak in BF16_PEAKS:
        if key in name:
            return peak
    return None


class SmiSampler:
    """GPU memory in use (MiB, all processes), sampled every 100 ms by nvidia-smi while a case runs."""

    def __init__(self, enabled):
        self.proc, self.values = None, []
        smi = shutil.which("nvidia-smi")
        if enabled and smi:
            self.proc = subprocess.Popen([smi, "--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", "0",
                                          "-lms", "100"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            self.thread = threading.Thread(target=self._read, daemon=True)
            self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            if line.strip().isdigit():
                self.values.append(int(line))

    def peak(self):
        if not self.proc:
            return None
        self.proc.terminate()
        self.proc.wait()
        self.thread.join(timeout=2)
        return max(self.values) if self.values else None


class Budget:
    def __init__(self, deadline):
        self.deadline = deadline

    def left(self):
        return self.deadline - time.time()

    def expired(self):
        return self.left() <= 0


def run_bounded(cmd, timeout):
    """subprocess.run with a timeout that also stops the child's own children (torch.compile's workers keep its
    pipes open, and a plain kill of the child then leaves communicate() waiting). TimeoutExpired carries the
    output printed so far."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, 9)
        out, err = p.communicate()
        raise subprocess.TimeoutExpired(cmd, timeout, output=out, stderr=err)
    return subprocess.CompletedProcess(cmd, p.returncode, out, err)


def last_json(text):
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("no JSON line")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("out")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--deadline", type=float, default=float("inf"))
    ap.add_argument("--workers", type=int, default=min(8, max(1, (os.cpu_count() or 2) // 2)))
    ap.add_argument("--case-timeout", type=float, default=900)
    a = ap.parse_args()
    budget = Budget(a.deadline)
    bench_step = os.path.join(a.build, "bench", "bench_step")
    bench_loader = os.path.join(a.build, "bench", "bench_loader")
    cuda = a.device == "cuda"
    if a.quick:
        s2, b2, s3, b3, vol, vol_patch = "64,64", 2, "32,32,32", 1, "32,32,48", "32,32,32"
    else:
        s2, b2, s3, b3, vol, vol_patch = "480,512", 8, "128,128,128", 2, "128,128,192", "128,128,128"
    x = lambda s: s.replace(",", "x")
    # name, config, mode, strategy, shape, batch, classes, precision, extra --set, patch, mirrored
    cases = []
    for strategy in ("diffusion", "rec_xT"):
        for precision in ("bf16", "float32"):
            cases.append((f"2D {x(s2)} b{b2} {strategy} {precision}", "muscle_us.yaml", "train", strategy, s2, b2,
                          2, precision, ["model.gradient_checkpointing=false"], None, True))
            cases.append((f"3D {x(s3)} b{b3} {strategy} {precision}", "amos_ct.yaml", "train", strategy, s3, b3, 16,
                          precision, ["model.gradient_checkpointing=false"], None, True))
    cases.append((f"3D {x(s3)} b{b3} rec_xT bf16, config as is (checkpointing)", "amos_ct.yaml", "train", "rec_xT",
                  s3, b3, 16, "bf16", [], None, False))
    cases.append((f"2D {x(s2)} DDIM 5 steps, one image", "muscle_us.yaml", "infer", "diffusion", s2, 1, 2, "float32",
                  [], None, True))
    cases.append((f"3D {x(vol)} DDIM 5 steps, whole volume ({x(vol_patch)} windows)", "amos_ct.yaml", "infer",
                  "diffusion", vol, 1, 16, "float32", ["data.overlap=[0,0,16]"] if a.quick else [], vol_patch, False))

    tmp = tempfile.mkdtemp(prefix="gpu_check_")
    results = []
    failed = False
    print(f"gpu_check: {len(cases)} diffseg cases on {a.device}", file=sys.stderr, flush=True)
    # 1. diffseg.
    for i, (name, config, mode, strategy, shape, batch, k, precision, sets, patch, mirrored) in enumerate(cases):
        r = {"name": name, "mode": mode, "strategy": strategy, "shape": shape, "batch": batch, "classes": k,
             "precision": precision, "mirrored": mirrored}
        results.append(r)
        if budget.expired():
            r["diffseg"] = {"skipped": "time budget"}
            continue
        w, o = os.path.join(tmp, f"w{i}.pt"), os.path.join(tmp, f"o{i}.json")
        r["weights"], r["options"] = w, o
        cmd = [bench_step, "--config", os.path.join(ROOT, "configs", config), "--strategy", strategy, "--mode", mode,
               "--shape", shape, "--batch", str(batch), "--classes", str(k), "--repeats", str(a.repeats),
               "--device", a.device, "--weights", w, "--options", o, "--set", f"train.precision={precision}"]
        for s in sets:
            cmd += ["--set", s]
        if patch:
            cmd += ["--patch", patch]
        r["command"] = shlex.join(cmd)
        print(f"gpu_check: diffseg {name}", file=sys.stderr, flush=True)
        smi = SmiSampler(cuda)
        try:
            p = run_bounded(cmd, min(a.case_timeout, max(60, budget.left() + 120)))
            r["diffseg"] = last_json(p.stdout) if p.returncode == 0 else {"error": p.stderr[-2000:], "rc": p.returncode}
        except (subprocess.TimeoutExpired, ValueError) as e:
            r["diffseg"] = {"error": str(e)[-2000:]}
        peak = smi.peak()
        if peak is not None and "median_s" in r["diffseg"]:
            r["diffseg"]["nvidia_smi_peak_mib"] = peak
        failed |= "error" in r["diffseg"]

    # 2. The mirror, eager, every mirrored case in one process (Python and CUDA start once), FLOPs counted.
    def mirror(key, selected, compile_, grace_s):
        lines = []
        for r in selected:
            args = [r["options"], r["weights"], "--mode", r["mode"], "--strategy", r["strategy"], "--shape", r["shape"],
                    "--batch", str(r["batch"]), "--classes", str(r["classes"]), "--repeats", str(a.repeats),
                    "--device", a.device, "--precision", r["precision"], "--name", r["name"]]
            if compile_:
                args.append("--compile")
            else:
                args.append("--flops")
            lines.append(shlex.join(args))
        if not lines:
            return
        if budget.expired():
            for r in selected:
                r[key] = {"skipped": "time budget"}
            return
        path = os.path.join(tmp, f"{key}.txt")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        print(f"gpu_check: mirror ({key}), {len(lines)} cases", file=sys.stderr, flush=True)
        cmd = [sys.executable, os.path.join(ROOT, "bench", "reference", "step.py"), "--many", path]
        if budget.deadline != float("inf"):
            cmd += ["--deadline", str(budget.deadline)]
        try:
            p = run_bounded(cmd, min(a.case_timeout * len(lines), max(60, budget.left() + grace_s)))
            out, err = p.stdout, p.stderr if p.returncode != 0 else "no result"
        except subprocess.TimeoutExpired as e:
            out = e.output or ""
            err = "stopped at the time budget"
        by_name = {}
        for line in out.splitlines():
            if line.startswith("{"):
                j = json.loads(line)
                by_name[j.get("name")] = j
        for r in selected:
            missing = {"skipped": err} if err == "stopped at the time budget" else {"error": err[-2000:] or "no result"}
            r[key] = by_name.get(r["name"], missing)

    mirrored = [r for r in results if r["mirrored"] and "median_s" in r.get("diffseg", {})]
    mirror("mirror_eager", mirrored, False, 300)
    for r in results:
        failed |= "error" in r.get("mirror_eager", {})

    # 3. Loader throughput: augmented samples/s with the default 2 workers and with --workers.
    loader = []
    seconds = "3" if a.quick else "8"
    if a.quick:
        loader_cases = [("2D", "2", "64,64", s2, str(b2)), ("3D", "3", "48,32,32", s3, str(b3))]
    else:
        loader_cases = [("2D", "2", "512,480", s2, str(b2)), ("3D", "3", "192,128,128", s3, str(b3))]
    for dims_name, dims, size, patch, batch in loader_cases:
        for workers in sorted({2, a.workers}):
            row = {"dims": dims_name, "size": size, "patch": patch, "batch": int(batch), "workers": workers}
            loader.append(row)
            if budget.expired():
                row["skipped"] = "time budget"
                continue
            p = subprocess.run([bench_loader, dims, size, patch, batch, str(workers), seconds], capture_output=True,
                               text=True)
            if p.returncode == 0:
                row["samples_per_s"] = float(p.stdout.split()[0])
            else:
                row["error"] = p.stderr[-1000:]
                failed = True
    for row in loader:
        rates = [r["batch"] / r["diffseg"]["median_s"] for r in results
                 if r["mode"] == "train" and r["name"].startswith(row["dims"]) and "median_s" in r.get("diffseg", {})]
        if rates and "samples_per_s" in row:
            row["fastest_training_samples_per_s"] = max(rates)
            row["loader_over_training"] = row["samples_per_s"] / max(rates)

    # 4. torch.compile of the mirror, bf16 training cases, rec_xT and 2D first. A compilation takes minutes, so
    # the process is stopped 60 s after the deadline; what finished by then is kept.
    compiled = sorted((r for r in mirrored if r["mode"] == "train" and r["precision"] == "bf16"),
                      key=lambda r: (r["strategy"] != "rec_xT", r["name"][:2]))
    mirror("mirror_compile", compiled, True, 60)

    # TFLOP/s from the mirror's FLOP count (the same network).
    for r in results:
        fwd = r.get("mirror_eager", {}).get("forward_flops_per_sample")
        if fwd is None:  # an unmirrored case of the same network and shape (whole-volume windows have none)
            twin = next((m for m in results if m["mode"] == r["mode"] and m["shape"] == r["shape"] and
                         m["strategy"] == r["strategy"] and "forward_flops_per_sample" in m.get("mirror_eager", {})),
                        None)
            fwd = twin["mirror_eager"]["forward_flops_per_sample"] if twin else None
        if fwd is None:
            continue
        passes = (3 + (1 if r["strategy"].startswith("rec") else 0)) if r["mode"] == "train" else 5
        r["flops_per_step"] = fwd * r["batch"] * passes
        for side in ("diffseg", "mirror_eager", "mirror_compile"):
            m = r.get(side, {})
            if "median_s" in m:
                m["tflops"] = r["flops_per_step"] / m["median_s"] / 1e12

    gpu = gpu_name()
    peak = bf16_peak(gpu)
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "unknown"
    import torch
    report = {"device": a.device, "quick": a.quick, "repeats": a.repeats, "gpu": gpu, "bf16_peak_tflops": peak,
              "torch": f"{torch.__version__} (CUDA {torch.version.cuda})", "commit": commit,
              "cores": os.cpu_count(), "host": platform.node(), "cases": results, "loader": loader}
    for r in results:
        r.pop("weights", None)
        r.pop("options", None)
    with open(os.path.join(a.out, "gpu_check.json"), "w") as f:
        json.dump(report, f, indent=1)
    md = markdown(report)
    with open(os.path.join(a.out, "gpu_check.md"), "w") as f:
        f.write(md)
    print(md)
    shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


def cell(m, fmt="{:.3f}"):
    if not m:
        return ""
    if "skipped" in m:
        return "skipped"
    if "error" in m:
        return "failed"
    return fmt.format(m["median_s"])


def markdown(rep):
    peak = rep["bf16_peak_tflops"]
    lines = [f"# gpu_check ({'quick, ' if rep['quick'] else ''}device {rep['device']})", "",
             f"GPU: {rep['gpu']}; torch {rep['torch']}; commit {rep['commit']}; {rep['cores']} cores; median of "
             f"{rep['repeats']} timed runs after a warm-up (each ends with a device synchronisation on a GPU).", "",
             "Seconds per training step (batch as named) or per inference; diffseg / mirror < 1 means diffseg is "
             "faster. TFLOP/s counts the network's convolutions and matmuls (training: 3 forward passes, rec_xT "
             f"one more){'' if peak is None else f'; % of the dense bf16 peak of {peak:.0f} TFLOP/s'}. "
             "Memory: peak bytes held by tensors (LibTorch's caching allocator, the same figure on both sides) and "
             "the nvidia-smi peak of the diffseg process.", "",
             "| case | diffseg s | mirror eager s | diffseg / eager | mirror compiled s | diffseg / compiled | "
             "diffseg TFLOP/s | % of bf16 peak | diffseg / mirror GiB allocated | nvidia-smi GiB |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    gib = lambda m, key: f"{m[key] / 1024:.1f}" if key in m else ""
    for r in rep["cases"]:
        d, e, c = r.get("diffseg", {}), r.get("mirror_eager", {}), r.get("mirror_compile", {})
        ratio = lambda m: f"{d['median_s'] / m['median_s']:.2f}" if "median_s" in d and "median_s" in m else ""
        tf = f"{d['tflops']:.3g}" if "tflops" in d else ""
        pct = f"{100 * d['tflops'] / peak:.1f}" if "tflops" in d and peak else ""
        mem = " / ".join(filter(None, [gib(d, "device_peak_allocated_mib"), gib(e, "device_peak_allocated_mib")]))
        lines.append(f"| {r['name']} | {cell(d)} | {cell(e)} | {ratio(e)} | {cell(c)} | {ratio(c)} | {tf} | {pct} | "
                     f"{mem} | {gib(d, 'nvidia_smi_peak_mib')} |")
    lines += ["", "Loader (bench_loader: augmented samples/s) against the fastest training step of the same "
              "dimensionality (its samples/s); above 1 the loader keeps up.", "",
              "| data | patch | batch | workers | loader samples/s | training samples/s | loader / training |",
              "|---|---|---|---|---|---|---|"]
    for row in rep["loader"]:
        state = "skipped" if "skipped" in row else "failed" if "error" in row else f"{row['samples_per_s']:.1f}"
        tr = f"{row['fastest_training_samples_per_s']:.1f}" if "fastest_training_samples_per_s" in row else ""
        ratio = f"{row['loader_over_training']:.2f}" if "loader_over_training" in row else ""
        lines.append(f"| {row['dims']} {row['size']} | {row['patch']} | {row['batch']} | {row['workers']} | {state} | "
                     f"{tr} | {ratio} |")
    def reason(text):  # the line that names the error, not a usage line after it
        lines = [l for l in text.strip().splitlines() if l.strip()]
        named = [l for l in lines if "error" in l.lower()]
        return (named or lines or [""])[-1]
    failures = [(r["name"], side, reason(r[side]["error"]))
                for r in rep["cases"] for side in ("diffseg", "mirror_eager", "mirror_compile")
                if "error" in r.get(side, {})]
    if failures:
        lines += ["", "Failed:"] + [f"- {n} ({side}): {msg[:300]}" for n, side, msg in failures]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())

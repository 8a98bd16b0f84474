#!/usr/bin/python3
"""Loader throughput against training consumption (issue #6 / #11 item 4).

For the 2D muscle shape (480x512, batch 8) and a 3D AMOS-like case (192x128x128 cropped to 128³ patches, batch 1):
  - bench_loader: augmented samples/s of the threaded loader with WORKERS workers;
  - `diffseg train` with the paper's model (configs/muscle_us.yaml, configs/amos_ct.yaml, float32 on CPU) on
    synthetic data of that shape for a few steps: median seconds per step after the first;
  - the ratio (loader samples/s) / (training samples/s), which must be >= 2.
Prints a Markdown table. Usage: loader_vs_training.py BUILD_DIR [THREADS]
"""
import csv
import os
import statistics
import subprocess
import sys
import tempfile

BUILD = os.path.abspath(sys.argv[1])
THREADS = sys.argv[2] if len(sys.argv) > 2 else "2"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIFFSEG = os.path.join(BUILD, "apps", "diffseg", "diffseg")
LOADER = os.path.join(BUILD, "bench", "bench_loader")

cases = [
    # name, dims, synth size (x,y[,z]), patch (tensor order), batch, config, train steps
    ("2D muscle 480x512", 2, "512,480", "480,512", 8, "muscle_us.yaml", 3),
    ("3D AMOS 192x128x128 -> 128^3", 3, "192,128,128", "128,128,128", 1, "amos_ct.yaml", 3),
]
rows = []
with tempfile.TemporaryDirectory() as tmp:
    for name, dims, size, patch, batch, config, steps in cases:
        out = subprocess.run([LOADER, str(dims), size, patch, str(batch), THREADS, "20"], capture_output=True,
                             text=True, check=True).stdout.split()
        loader_rate = float(out[0])
        data = os.path.join(tmp, f"data{dims}")
        subprocess.run([DIFFSEG, "synth", "--dims", str(dims), "--size", size, "--cases", "5", "--out", data, "-q"],
                       check=True)
        run = os.path.join(tmp, f"run{dims}")
        subprocess.run([DIFFSEG, "train", "--config", os.path.join(ROOT, "configs", config), "--data", data,
                        "--out", run, "--max-steps", str(steps), "--batch-size", str(batch), "--threads", THREADS,
                        "--set", "train.precision=float32", "--set", "train.validate_every=1000000",
                        "--set", "train.checkpoint_every=1000000", "--set", f"data.num_classes=4", "-q"], check=True)
        with open(os.path.join(run, "log.csv")) as f:
            elapsed = [float(r["seconds"]) for r in csv.DictReader(f)]  # cumulative since the loop started
        step = statistics.median(b - a for a, b in zip(elapsed, elapsed[1:]))
        train_rate = batch / step
        rows.append((name, batch, loader_rate, step, train_rate, loader_rate / train_rate))

print(f"| case | batch | loader samples/s ({THREADS} workers) | train s/step ({THREADS} threads) | "
      "train samples/s | loader / training |")
print("|---|---|---|---|---|---|")
for name, batch, lr, step, tr, ratio in rows:
    print(f"| {name} | {batch} | {lr:.2f} | {step:.2f} | {tr:.3f} | {ratio:.1f}x |")

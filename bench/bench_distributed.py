#!/usr/bin/python3
"""Distributed training on this machine, over Gloo on loopback (docs/distributed.md, docs/BENCHMARKS.md):

1. the all-reduce of one step's gradients (bench_allreduce, 2 ranks) for the muscle-US diffusion UNet and the
   AMOS 3D model;
2. training steps of the muscle-US network on synthetic 2D data, the same global batch three ways:
   1 process x 2 threads x batch B, 2 ranks x 1 thread x batch B/2 with overlap on, and with overlap off.

Usage: bench_distributed.py BUILD_DIR [--size 128,128] [--batch 8] [--steps 6] [--json OUT.json]
"""
import argparse
import csv
import json
import os
import socket
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(cmd, world, threads):
    port = free_port()
    procs = [subprocess.Popen(cmd, env=dict(os.environ, RANK=str(r), WORLD_SIZE=str(world), LOCAL_RANK=str(r),
                                            LOCAL_WORLD_SIZE=str(world), MASTER_ADDR="127.0.0.1",
                                            MASTER_PORT=str(port), OMP_NUM_THREADS=str(threads)),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for r in range(world)]
    outs = [p.communicate() for p in procs]
    for p, (out, err) in zip(procs, outs):
        if p.returncode != 0:
            sys.exit(f"failed: {' '.join(cmd)}\n{err[-2000:]}")
    return outs[0][0]


def step_seconds(run):
    """Median seconds per step after the first (log.csv's seconds are cumulative)."""
    t = [float(r["seconds"]) for r in csv.DictReader(open(os.path.join(run, "log.csv")))]
    d = sorted(b - a for a, b in zip(t, t[1:]))
    return d[len(d) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--size", default="128,128")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--json")
    a = ap.parse_args()
    diffseg = os.path.join(a.build, "apps", "diffseg", "diffseg")
    bench = os.path.join(a.build, "bench", "bench_allreduce")
    result = {"allreduce": {}, "training": {}}
    for name, config, classes in [("muscle_us", "configs/muscle_us.yaml", 2), ("amos_ct", "configs/amos_ct.yaml", 16)]:
        out = launch([bench, "--config", os.path.join(ROOT, config), "--classes", str(classes)], 2, 1)
        result["allreduce"][name] = json.loads(out.strip().splitlines()[-1])
        r = result["allreduce"][name]
        print(f"all-reduce {name}: {r['parameters'] / 1e6:.2f} M parameters, {r['bytes_per_step'] / 1e6:.1f} MB in "
              f"{r['buckets']} buckets: {r['median_s'] * 1e3:.1f} ms (2 ranks, Gloo, loopback)", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data")
        subprocess.run([diffseg, "-q", "synth", "--out", data, "--cases", "24", "--size", a.size, "--classes", "2",
                        "--seed", "1"], check=True)
        common = ["-q", "train", "--config", os.path.join(ROOT, "configs/muscle_us.yaml"), "--data", data,
                  "--strategy", "diffusion", "--max-steps", str(a.steps), "--patch", a.size, "--accumulate", "1",
                  "--set", "train.validation_cases=1", "--set", f"train.validate_every={a.steps}",
                  "--set", f"train.checkpoint_every={a.steps}", "--set", "train.precision=float32",
                  "--set", "model.gradient_checkpointing=false"]
        cases = [("1 process x 2 threads", 1, 2, a.batch, "true"),
                 ("2 ranks x 1 thread, overlap on", 2, 1, a.batch // 2, "true"),
                 ("2 ranks x 1 thread, overlap off", 2, 1, a.batch // 2, "false")]
        for label, world, threads, batch, overlap in cases:
            run = os.path.join(tmp, label.replace(" ", "_").replace(",", ""))
            cmd = [diffseg, "--threads", str(threads), *common, "--out", run, "--batch-size", str(batch),
                   "--set", f"dist.overlap={overlap}"]
            launch(cmd, world, threads)
            s = step_seconds(run)
            result["training"][label] = {"world": world, "threads": threads, "batch_per_rank": batch,
                                         "overlap": overlap == "true", "step_s": s}
            print(f"training step, global batch {a.batch} at {a.size}, {label}: {s:.3f} s", flush=True)
    mus = result["allreduce"]["muscle_us"]["median_s"]
    on = result["training"]["2 ranks x 1 thread, overlap on"]["step_s"]
    off = result["training"]["2 ranks x 1 thread, overlap off"]["step_s"]
    print(f"all-reduce share of a 2-rank step: {mus / off:.1%} of the overlap-off step; "
          f"overlap on / off = {on / off:.3f}")
    if a.json:
        json.dump(result, open(a.json, "w"), indent=2)


if __name__ == "__main__":
    main()

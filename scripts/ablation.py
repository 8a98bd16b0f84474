#!/usr/bin/python3
"""The ablation that chooses the `diffseg` preset's network and chain (docs/ablation.md).

For each cell of model.time_injection {after_norm, reference} x diffusion.num_timesteps {1001, 5} it runs
`diffseg experiment --config EXPERIMENT --set ...` (resumable: finished runs are reused) into OUT/<cell>, then
reads every training seed's per-step test Dice (runs/STRATEGY[_train_seedK]/eval_test_ddpm/steps.csv) and writes
OUT/ablation.csv (one row per experiment, cell, strategy, step: mean and std over training seeds) and
OUT/ablation.md (the same as a table). Uses nothing but the standard library.

Usage: scripts/ablation.py DIFFSEG_BINARY OUT EXPERIMENT.yaml [EXPERIMENT.yaml ...]
ABLATION_CELLS=after_norm_T1001,reference_T1001 runs only those cells (all four by default).
ABLATION_SET="train.max_steps=200 train.lr.decay_steps=200" adds those --set overrides to every run (e.g. a larger
budget than the experiment file's; give it another OUT, since finished runs with other settings are refused).
"""
import csv
import os
import statistics
import subprocess
import sys
import time

CELLS = [(inj, t) for inj in ("after_norm", "reference") for t in (1001, 5)]
if os.environ.get("ABLATION_CELLS"):
    CELLS = [c for c in CELLS if f"{c[0]}_T{c[1]}" in os.environ["ABLATION_CELLS"].split(",")]


def experiment_name(path):
    with open(path) as f:
        for line in f:
            if line.startswith("name:"):
                return line.split(":", 1)[1].strip()
    return os.path.splitext(os.path.basename(path))[0]


def run_cell(binary, experiment, out, injection, chain):
    cmd = [binary, "-q", "experiment", "--config", experiment, "--out", out,
           "--set", f"model.time_injection={injection}", "--set", f"diffusion.num_timesteps={chain}"]
    for setting in os.environ.get("ABLATION_SET", "").split():
        cmd += ["--set", setting]
    start = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"ablation: {' '.join(cmd)} failed (exit {r.returncode}):\n{r.stderr[-3000:]}")
    return time.time() - start


def per_step_dice(out):
    """{strategy: {step: [dice of each training seed]}} from the experiment folder `out`."""
    result = {}
    runs = os.path.join(out, "runs")
    for name in sorted(os.listdir(runs)):
        strategy = name.split("_train_seed")[0]
        steps_csv = os.path.join(runs, name, "eval_test_ddpm", "steps.csv")
        if not os.path.exists(steps_csv):
            continue
        with open(steps_csv) as f:
            for row in csv.DictReader(f):
                result.setdefault(strategy, {}).setdefault(int(row["step"]), []).append(float(row["dice_mean"]))
    return result


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    binary, out_root, experiments = sys.argv[1], sys.argv[2], sys.argv[3:]
    rows = []
    for experiment in experiments:
        name = experiment_name(experiment)
        for injection, chain in CELLS:
            cell = f"{injection}_T{chain}"
            out = os.path.join(out_root, name, cell)
            seconds = run_cell(binary, experiment, out, injection, chain)
            print(f"ablation: {name} {cell} done in {seconds:.0f} s", flush=True)
            for strategy, steps in per_step_dice(out).items():
                for step, values in sorted(steps.items()):
                    rows.append({"experiment": name, "time_injection": injection, "num_timesteps": chain,
                                 "strategy": strategy, "step": step, "train_seeds": len(values),
                                 "dice_mean": statistics.fmean(values),
                                 "dice_std": statistics.stdev(values) if len(values) > 1 else float("nan")})
    os.makedirs(out_root, exist_ok=True)
    with open(os.path.join(out_root, "ablation.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    # Markdown: one row per experiment, cell and strategy; one column per step (mean ± std over training seeds).
    steps = sorted({r["step"] for r in rows})
    lines = ["| experiment | time_injection | T | strategy | seeds | " +
             " | ".join(f"step {s}" for s in steps) + " |", "|---" * (5 + len(steps)) + "|"]
    keys = []
    for r in rows:
        k = (r["experiment"], r["time_injection"], r["num_timesteps"], r["strategy"])
        if k not in keys:
            keys.append(k)
    for k in keys:
        cells = {r["step"]: r for r in rows if (r["experiment"], r["time_injection"], r["num_timesteps"],
                                                r["strategy"]) == k}
        n = next(iter(cells.values()))["train_seeds"]
        lines.append(f"| {k[0]} | {k[1]} | {k[2]} | {k[3]} | {n} | " + " | ".join(
            f"{cells[s]['dice_mean']:.3f} ± {cells[s]['dice_std']:.3f}" if s in cells else "–" for s in steps) + " |")
    with open(os.path.join(out_root, "ablation.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

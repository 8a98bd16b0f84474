#!/usr/bin/python3
"""`diffseg diagnose` (the leakage diagnostic, docs/leakage.md) as a user runs it, on tiny synthetic runs.

Usage: test_diagnose_cli.py PATH/TO/diffseg   (prints 'N passed, N failed')
"""
import csv
import json
import os
import subprocess
import sys
import tempfile

from harness import check, finish

BIN = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, "tiny_2d.yaml")
COLUMNS = ["strategy", "t", "schedule_index", "alpha_bar", "dice_truth_input", "dice_own_prediction_input", "gap",
           "n_cases"]


def run(*args, timeout=600):
    p = subprocess.run([BIN, "-q", "--threads", "2", *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def rows(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return list(csv.DictReader(f))


def header(path):
    with open(path) as f:
        return f.readline().strip().split(",")


def train(data, out, strategy, *extra):
    return run("train", "--config", CONFIG, "--data", data, "--out", out, "--strategy", strategy, "--max-steps", "4",
               *extra)


with tempfile.TemporaryDirectory() as tmp:
    data = os.path.join(tmp, "data")
    subprocess.run([BIN, "-q", "synth", "--out", data, "--cases", "12", "--size", "32,32", "--seed", "5"], check=True)
    runs = {name: os.path.join(tmp, name) for name in ["rec_xT", "supervised", "diffusion5"]}
    rc, _, err = train(data, runs["rec_xT"], "rec_xT")
    check("train: a tiny rec_xT run", rc == 0, err)
    rc, _, err = train(data, runs["supervised"], "supervised")
    check("train: a tiny supervised run", rc == 0, err)
    # The paper-era chain: 5 points respaced from the 1001-point schedule; 16 x 16 patches, so the 32 x 32 images go
    # through the sliding window (4 windows).
    rc, _, err = train(data, runs["diffusion5"], "diffusion", "--set", "diffusion.num_timesteps=5", "--patch", "16,16")
    check("train: a tiny diffusion run on a 5-point chain with 16 x 16 patches", rc == 0, err)

    # Defaults: the validation split, 11 levels over the 1001-point chain, RUN/leakage/.
    rc, stdout, err = run("diagnose", "--run", runs["rec_xT"])
    out = os.path.join(runs["rec_xT"], "leakage")
    check("diagnose: exits 0 and prints the table", rc == 0 and "own input" in stdout, err)
    for name in ["leakage.csv", "leakage.md", "leakage_cases.csv"]:
        check(f"diagnose: writes {name}", os.path.isfile(os.path.join(out, name)))
    table = rows(os.path.join(out, "leakage.csv"))
    check("leakage.csv: the documented columns", os.path.isfile(os.path.join(out, "leakage.csv")) and
          header(os.path.join(out, "leakage.csv")) == COLUMNS, COLUMNS)
    check("leakage.csv: rows t = 0, 100, ..., 1000", [int(r["t"]) for r in table] == list(range(0, 1001, 100)),
          [r.get("t") for r in table])
    check("leakage.csv: strategy rec_xT, schedule index = t on an unrespaced chain",
          table and all(r["strategy"] == "rec_xT" and r["schedule_index"] == r["t"] for r in table))
    check("leakage.csv: gap = dice_truth_input - dice_own_prediction_input on every row",
          table and all(abs(float(r["gap"]) - (float(r["dice_truth_input"]) - float(r["dice_own_prediction_input"])))
                        < 1e-9 for r in table), table)
    check("leakage.csv: Dice values in [0, 1]",
          table and all(0 <= float(r[c]) <= 1 for r in table
                        for c in ["dice_truth_input", "dice_own_prediction_input"]))
    alpha = [float(r["alpha_bar"]) for r in table]
    check("leakage.csv: alpha_bar falls with t from ~1", alpha and alpha[0] > 0.999 and
          all(a > b for a, b in zip(alpha, alpha[1:])) and alpha[-1] < 1e-4, alpha)

    # The row means recomputed from the per-case file.
    cases = rows(os.path.join(out, "leakage_cases.csv"))
    ids = sorted({c["case"] for c in cases})
    with open(os.path.join(data, "dataset.json")) as f:
        n_validation = len(json.load(f).get("validation", []))
    check("leakage_cases.csv: one row per validation case and level", len(ids) == n_validation > 0 and
          len(cases) == n_validation * 11, (len(ids), n_validation, len(cases)))
    ok = bool(table)
    for r in table:
        mine = [c for c in cases if c["t"] == r["t"] and c["dice_truth_input"] != "" and
                c["dice_own_prediction_input"] != ""]
        a = sum(float(c["dice_truth_input"]) for c in mine) / len(mine)
        b = sum(float(c["dice_own_prediction_input"]) for c in mine) / len(mine)
        ok = ok and int(r["n_cases"]) == len(mine) and abs(a - float(r["dice_truth_input"])) < 1e-8 and \
            abs(b - float(r["dice_own_prediction_input"])) < 1e-8
    check("leakage.csv: each row is the mean of its cases in leakage_cases.csv", ok)

    # Deterministic: the same command again gives the same file, byte for byte.
    again = os.path.join(tmp, "again")
    rc, _, err = run("diagnose", "--run", runs["rec_xT"], "--out", again)
    same = rc == 0 and open(os.path.join(again, "leakage.csv")).read() == open(os.path.join(out, "leakage.csv")).read()
    check("diagnose: a second run gives an identical leakage.csv (--out)", same, err)

    # Chosen levels, split and seed.
    chosen = os.path.join(tmp, "chosen")
    rc, _, err = run("diagnose", "--run", runs["rec_xT"], "--t", "500,0,500", "--split", "test", "--seed", "3",
                     "--out", chosen)
    chosen_rows = rows(os.path.join(chosen, "leakage.csv"))
    check("diagnose --t 500,0,500: rows 0 and 500", rc == 0 and [r["t"] for r in chosen_rows] == ["0", "500"],
          err + str(chosen_rows))
    rc, _, err = run("diagnose", "--run", runs["rec_xT"], "--t", "1001", "--out", os.path.join(tmp, "bad_t"))
    check("diagnose --t beyond the chain: exit 2 naming --t and the chain", rc == 2 and "--t" in err and
          "num_timesteps" in err, err)
    rc, _, err = run("diagnose", "--run", runs["rec_xT"], "--t", "0,ten", "--out", os.path.join(tmp, "bad_t2"))
    check("diagnose --t with text: exit 2 naming --t", rc == 2 and "--t" in err, err)
    rc, _, err = run("diagnose", "--run", runs["rec_xT"], "--split", "nope")
    check("diagnose --split nope: exit 2 naming --split", rc == 2 and "--split" in err, err)

    # A respaced chain: its own five levels, with the base schedule's indices beside them.
    rc, _, err = run("diagnose", "--run", runs["diffusion5"])
    five = rows(os.path.join(runs["diffusion5"], "leakage", "leakage.csv"))
    check("diagnose on a 5-point chain: levels 0..4 at schedule indices 0, 250, ..., 1000",
          rc == 0 and [(int(r["t"]), int(r["schedule_index"])) for r in five] ==
          [(k, 250 * k) for k in range(5)], err + str(five))
    check("diagnose on a 5-point chain, windows: Dice in [0, 1], all validation cases scored", five and all(
        0 <= float(r[c]) <= 1 for r in five for c in ["dice_truth_input", "dice_own_prediction_input"]) and
        all(int(r["n_cases"]) == n_validation for r in five), five)
    check("diagnose on a 5-point chain: gap = a - b", five and all(
        abs(float(r["gap"]) - (float(r["dice_truth_input"]) - float(r["dice_own_prediction_input"]))) < 1e-9
        for r in five))

    # A supervised network has no mask input: refused with exit 2, nothing written.
    rc, _, err = run("diagnose", "--run", runs["supervised"])
    check("diagnose on a supervised run: exit 2 naming the strategy", rc == 2 and "supervised" in err, err)
    check("diagnose on a supervised run: no leakage folder",
          not os.path.exists(os.path.join(runs["supervised"], "leakage")))
    rc, _, err = run("diagnose", "--run", os.path.join(tmp, "no_such_run"))
    check("diagnose on a missing run: exit 2 naming its config.yaml",
          rc == 2 and "no_such_run" in err and "config.yaml" in err, (rc, err))

    rc, stdout, _ = run("--help")
    check("--help lists diagnose", rc == 0 and "diagnose" in stdout)

finish()

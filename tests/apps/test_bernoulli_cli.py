#!/usr/bin/python3
"""Bernoulli mask diffusion (`diffusion.noise: bernoulli`, docs/method.md) end to end: tiny plain diffusion and rec_xT
runs train, validate with the categorical sampler, evaluate (seeded, reproducible), are diagnosed, and what is not
implemented is refused with exit 2.

Usage: test_bernoulli_cli.py PATH/TO/diffseg   (prints 'N passed, N failed')
"""
import csv
import json
import math
import os
import subprocess
import sys
import tempfile

from harness import check, finish

BIN = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, "tiny_2d.yaml")
BERNOULLI = "diffusion.noise=bernoulli"


def run(*args, timeout=600):
    p = subprocess.run([BIN, "-q", "--threads", "2", *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def train(data, out, strategy, *extra):
    return run("train", "--config", CONFIG, "--data", data, "--out", out, "--strategy", strategy, "--max-steps", "4",
               "--set", "train.validate_every=2", *extra)


def rows(path):
    return list(csv.DictReader(open(path))) if os.path.exists(path) else []


with tempfile.TemporaryDirectory() as tmp:
    data = os.path.join(tmp, "data")
    subprocess.run([BIN, "-q", "synth", "--out", data, "--cases", "12", "--size", "32,32", "--seed", "5"], check=True)
    runs = {}
    for strategy in ["diffusion", "rec_xT"]:
        out = os.path.join(tmp, "bernoulli_" + strategy)
        rc, _, err = train(data, out, strategy, "--set", BERNOULLI)
        runs[strategy] = out
        check(f"train: a tiny Bernoulli {strategy} run (exit 0)", rc == 0, err)
        config = open(os.path.join(out, "config.yaml")).read() if rc == 0 else ""
        check(f"train: {strategy} config.yaml records diffusion.noise: bernoulli", "noise: bernoulli" in config, config)
        val = rows(os.path.join(out, "validation.csv"))
        check(f"train: {strategy} validated with the categorical sampler (finite Dice in [0, 1])",
              len(val) >= 1 and all(0 <= float(r["mean_dice"]) <= 1 for r in val), val)

    # The switch changes training: the same run with Gaussian noise has other losses.
    gauss = os.path.join(tmp, "gaussian_diffusion")
    rc, _, err = train(data, gauss, "diffusion")
    losses_g = [r["loss"] for r in rows(os.path.join(gauss, "log.csv"))]
    losses_b = [r["loss"] for r in rows(os.path.join(runs["diffusion"], "log.csv"))]
    check("train: Bernoulli and Gaussian diffusion runs of the same seed log different losses",
          rc == 0 and len(losses_g) == len(losses_b) == 4 and losses_g != losses_b, (err, losses_g, losses_b))

    for strategy, out in runs.items():
        ev = os.path.join(tmp, "ev_" + strategy)
        rc, _, err = run("evaluate", "--run", out, "--seeds", "2", "--steps", "3", "--out", ev)
        recs = json.load(open(os.path.join(ev, "cases.json"))) if rc == 0 else []
        check(f"evaluate: Bernoulli {strategy} exits 0 with records for 3 steps x 2 seeds",
              rc == 0 and {r["step"] for r in recs} == {1, 2, 3} and {r["seed"] for r in recs} == {0, 1}, err)
        summary = json.load(open(os.path.join(ev, "summary.json"))) if rc == 0 else {}
        dice = summary.get("final", {}).get("dice", -1)
        check(f"evaluate: {strategy} summary.json has a final Dice in [0, 1] and cases.csv / steps.csv are written",
              isinstance(dice, (int, float)) and 0 <= dice <= 1 and os.path.exists(os.path.join(ev, "cases.csv"))
              and os.path.exists(os.path.join(ev, "steps.csv")), summary)

    # Seeded: evaluating again gives the same records.
    ev2 = os.path.join(tmp, "ev_rec_xT_again")
    rc, _, err = run("evaluate", "--run", runs["rec_xT"], "--seeds", "2", "--steps", "3", "--out", ev2)
    same = rc == 0 and open(os.path.join(ev2, "cases.csv")).read() == open(
        os.path.join(tmp, "ev_rec_xT", "cases.csv")).read()
    check("evaluate: the Bernoulli sampler is seeded (the same cases.csv twice)", same, err)

    # The leakage diagnostic noises with the run's own process.
    rc, stdout, err = run("diagnose", "--run", runs["rec_xT"], "--t", "0,500,1000")
    leak = rows(os.path.join(runs["rec_xT"], "leakage", "leakage.csv"))
    check("diagnose: a Bernoulli rec_xT run (exit 0, 3 levels)", rc == 0 and len(leak) == 3, (rc, err[-600:]))

    # Refusals (exit 2, naming the setting).
    rc, _, err = run("evaluate", "--run", runs["rec_xT"], "--sampler", "ddim", "--out", os.path.join(tmp, "ev_ddim"))
    check("evaluate --sampler ddim on a Bernoulli run: exit 2 naming ddpm", rc == 2 and "ddpm" in err, (rc, err))
    for name, extra in [("sc_xt", ["--set", BERNOULLI]), ("rec_xT", ["--set", BERNOULLI, "--set", "eval.sampler=ddim"]),
                        ("diffusion", ["--set", BERNOULLI, "--set", "diffusion.model_output=noise"]),
                        ("diffusion", ["--set", "diffusion.noise=poisson"])]:
        bad = os.path.join(tmp, "bad_" + name)
        rc, _, err = train(data, bad, name, *extra)
        check(f"train {name} {' '.join(extra)}: exit 2 naming diffusion.noise or the noise, no log written",
              rc == 2 and ("bernoulli" in err or "poisson" in err) and not os.path.exists(os.path.join(bad, "log.csv")),
              (rc, err[-400:]))

finish()

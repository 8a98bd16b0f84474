#!/usr/bin/python3
"""Data-parallel `diffseg train` as users start it: N processes with the launcher's variables (RANK, WORLD_SIZE,
MASTER_ADDR, MASTER_PORT) on loopback, and through torchrun itself when it is installed.

- 2 ranks x batch 2, 1 process x batch 4 and 1 x batch 2 x accumulate 2 train the same model;
- a rank killed with SIGKILL ends the other within the timeout, naming it; --resume finishes the job exactly;
- a rank with another config, or a rank that never arrives, is refused with exit code 6;
- SIGTERM checkpoints and exits with code 5; --resume continues exactly.

Usage: test_distributed_cli.py PATH/TO/diffseg   (prints 'N passed, N failed')
"""
import csv
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import torch

BIN = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, "tiny_2d.yaml")
STEPS = 8
results = []


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(("ok     " if condition else "FAILED ") + name + ("" if condition else f"  -- {detail}"), flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def train_args(data, out, *extra, steps=STEPS):
    return [BIN, "--threads", "1", "train", "--config", CONFIG, "--data", data, "--out", out,
            "--max-steps", str(steps), "--set", "train.checkpoint_every=2", "--set", "train.validate_every=4",
            "--set", "dist.timeout_s=20", *extra]


def launch(data, out, world, *extra, env_extra=None, ranks=None):
    """Starts the ranks of one job (all of them unless `ranks` lists some); returns the Popen objects."""
    port = free_port()
    procs = []
    for r in (range(world) if ranks is None else ranks):
        env = dict(os.environ, RANK=str(r), WORLD_SIZE=str(world), LOCAL_RANK=str(r), LOCAL_WORLD_SIZE=str(world),
                   MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
        env.update((env_extra or {}).get(r, {}))
        rank_extra = list(extra) + (env.pop("EXTRA_ARGS").split() if "EXTRA_ARGS" in env else [])
        rank_data = env.pop("DATA", data)
        procs.append(subprocess.Popen(train_args(rank_data, out, *rank_extra), env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True))
    return procs


def finish(procs, timeout=600):
    outs = []
    for p in procs:
        try:
            out, _ = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
            out += "\n[test: killed after the timeout]"
        outs.append((p.returncode, out))
    return outs


def weights(run):
    return torch.load(os.path.join(run, "model_last.pt"))


def relative_difference(a, b, start):
    """|a - b| / |a - start| over all weights: the disagreement relative to how far training moved them."""
    num = sum(((a[k] - b[k]).double() ** 2).sum().item() for k in a)
    den = sum(((a[k] - start[k]).double() ** 2).sum().item() for k in a)
    return (num / den) ** 0.5


with tempfile.TemporaryDirectory() as tmp:
    data = os.path.join(tmp, "data")
    subprocess.run([BIN, "-q", "synth", "--out", data, "--cases", "12", "--size", "32,32", "--seed", "5"], check=True)

    # The initial weights (the scale of the comparison): one step with learning rate 0.
    w0_run = os.path.join(tmp, "w0")
    p = subprocess.run(train_args(data, w0_run, "--batch-size", "4", "--set", "train.lr.init=0",
                                  "--set", "train.lr.peak=0", "--set", "train.lr.end=0", steps=1),
                       capture_output=True, text=True, timeout=600)
    check("a 1-step run with learning rate 0 gives the initial weights", p.returncode == 0, p.stdout[-1500:])
    w0 = weights(w0_run) if p.returncode == 0 else None

    single = os.path.join(tmp, "single")
    p = subprocess.run(train_args(data, single, "--batch-size", "4"), capture_output=True, text=True, timeout=600)
    check("1 process x batch 4 trains", p.returncode == 0, p.stderr[-1500:])

    accum = os.path.join(tmp, "accumulate")
    p = subprocess.run(train_args(data, accum, "--batch-size", "2", "--accumulate", "2"), capture_output=True,
                       text=True, timeout=600)
    check("1 process x batch 2 x accumulate 2 trains", p.returncode == 0, p.stderr[-1500:])

    ddp = os.path.join(tmp, "ddp")
    outs = finish(launch(data, ddp, 2, "--batch-size", "2"))
    check("2 ranks x batch 2 train (both exit 0)", all(rc == 0 for rc, _ in outs), [o[-1500:] for _, o in outs])
    check("2 ranks: rank 0 reports the global batch and that all ranks hold identical weights",
          "global batch 4 = 2 × 2 × 1" in outs[0][1] and "all 2 ranks hold identical weights" in outs[0][1],
          outs[0][1][-1500:])
    check("2 ranks: only rank 0 shows progress and writes (rank 1 prints no info lines)",
          "training rec_xT" not in outs[1][1], outs[1][1][-500:])

    # Float summation order differs (per-rank means, then the mean over ranks; accumulated micro-batches), so the
    # runs agree to rounding, amplified a little by Adam over the steps: 1e-3 of the distance the weights moved is
    # far above that and far below what any change of data, noise or dropout per sample gives (order 1; see the
    # seed check below).
    if w0 is not None and all(os.path.exists(os.path.join(r, "model_last.pt")) for r in (single, accum, ddp)):
        ws, wa, wd = weights(single), weights(accum), weights(ddp)
        d_acc, d_ddp = relative_difference(ws, wa, w0), relative_difference(ws, wd, w0)
        check(f"1x4 and 1x2x2 agree to float tolerance (relative difference {d_acc:.2e} <= 1e-3)", d_acc <= 1e-3)
        check(f"1x4 and 2 ranks x 2 agree to float tolerance (relative difference {d_ddp:.2e} <= 1e-3)", d_ddp <= 1e-3)
        other = os.path.join(tmp, "other_seed")
        p = subprocess.run(train_args(data, other, "--batch-size", "4", "--seed", "4"), capture_output=True, text=True,
                           timeout=600)
        d_seed = relative_difference(ws, weights(other), w0) if p.returncode == 0 else 0
        check(f"the tolerance separates: another seed differs by {d_seed:.2f} (> 0.1)", d_seed > 0.1)
        logs = [list(csv.DictReader(open(os.path.join(r, "log.csv")))) for r in (single, ddp)]
        l0, l1 = float(logs[0][0]["loss"]), float(logs[1][0]["loss"])
        check(f"the first step's logged loss is the global batch's ({l0:.6f} vs {l1:.6f})", abs(l0 - l1) <= 1e-5 * abs(l0))
    else:
        check("equivalence runs produced weights", False)

    # Cohort inference: 2 ranks split the cases and write the same files one process writes.
    if os.path.exists(os.path.join(single, "model_last.pt")):
        def infer(out, env=None):
            return subprocess.Popen([BIN, "-q", "--threads", "1", "infer", "--run", single, "--checkpoint", "last",
                                     "--input", data, "--split", "validation", "--output", out],
                                    env=dict(os.environ, **(env or {})), stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)
        one, two = os.path.join(tmp, "infer1"), os.path.join(tmp, "infer2")
        r1 = finish([infer(one)])
        r2 = finish([infer(two, dict(RANK=str(r), WORLD_SIZE="2", LOCAL_RANK=str(r), LOCAL_WORLD_SIZE="2"))
                     for r in range(2)])
        files1 = sorted(os.listdir(one)) if os.path.isdir(one) else []
        files2 = sorted(os.listdir(two)) if os.path.isdir(two) else []
        same = files1 == files2 and len(files1) > 0 and all(
            open(os.path.join(one, f), "rb").read() == open(os.path.join(two, f), "rb").read() for f in files1)
        check(f"2-rank cohort inference writes the same {len(files1)} label maps as 1 process",
              all(rc == 0 for rc, _ in r1 + r2) and same, (files1, files2, [o[-400:] for _, o in r1 + r2]))

        # Sharded evaluation: 2 ranks split the cases, rank 0 writes the same tables one process writes.
        def evaluate(out, env=None):
            return subprocess.Popen([BIN, "-q", "--threads", "1", "evaluate", "--run", single, "--checkpoint", "last",
                                     "--split", "validation", "--seeds", "2", "--steps", "3", "--out", out],
                                    env=dict(os.environ, **(env or {})), stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)
        e1, e2 = os.path.join(tmp, "eval1"), os.path.join(tmp, "eval2")
        r1 = finish([evaluate(e1)])
        port = str(free_port())
        r2 = finish([evaluate(e2, dict(RANK=str(r), WORLD_SIZE="2", LOCAL_RANK=str(r), LOCAL_WORLD_SIZE="2",
                                       MASTER_ADDR="127.0.0.1", MASTER_PORT=port)) for r in range(2)])
        same = all(os.path.exists(os.path.join(d, f)) for d in (e1, e2) for f in ("cases.csv", "steps.csv")) and all(
            open(os.path.join(e1, f)).read() == open(os.path.join(e2, f)).read() for f in ("cases.csv", "steps.csv"))
        check("2-rank evaluate writes the same cases.csv and steps.csv as 1 process",
              all(rc == 0 for rc, _ in r1 + r2) and same, [o[-600:] for _, o in r1 + r2])

    # A rank with another config is refused on every rank.
    mismatch = os.path.join(tmp, "mismatch")
    outs = finish(launch(data, mismatch, 2, "--batch-size", "2",
                         env_extra={1: {"EXTRA_ARGS": "--set train.lr.peak=0.01"}}))
    check("another config on rank 1 is refused on both ranks (exit 6, naming rank 1)",
          all(rc == 6 for rc, _ in outs) and "rank 1 run with a different config or dataset" in outs[0][1],
          [(rc, o[-600:]) for rc, o in outs])

    # A rank that fails while loading reports its own error; the other names it (no wait for the timeout).
    broken = os.path.join(tmp, "broken")
    t0 = time.time()
    outs = finish(launch(data, broken, 2, "--batch-size", "2",
                         env_extra={1: {"DATA": os.path.join(tmp, "nowhere")}}))
    check("a rank that cannot read its data exits 3 naming the folder; the other exits 6 naming that rank",
          outs[1][0] == 3 and "nowhere" in outs[1][1] and outs[0][0] == 6 and
          "rank 1 failed while loading the data" in outs[0][1] and time.time() - t0 < 60,
          [(rc, o[-500:]) for rc, o in outs])

    # SIGTERM to every rank (what torchrun and SLURM do): all stop after the same step, rank 0 saves, exit 5; the
    # job resumes and ends with the uninterrupted 2-rank run's weights.
    termjob = os.path.join(tmp, "termjob")
    procs = launch(data, termjob, 2, "--batch-size", "2", "--set", "train.checkpoint_every=100")
    log = os.path.join(termjob, "log.csv")
    deadline = time.time() + 300
    while time.time() < deadline and (not os.path.exists(log) or sum(1 for _ in open(log)) < 3):
        time.sleep(0.05)
    for p in procs:
        p.send_signal(signal.SIGTERM)
    procs[0].send_signal(signal.SIGTERM)  # delivered twice, as a launcher forwarding it may: still a clean stop
    outs = finish(procs, timeout=120)
    rows = sum(1 for _ in open(log)) - 1
    check(f"SIGTERM to both ranks: both exit 5 after step {rows}, checkpoint saved",
          all(rc == 5 for rc, _ in outs) and os.path.exists(os.path.join(termjob, "checkpoints", "last.ckpt")),
          [(rc, o[-500:]) for rc, o in outs])
    outs = finish(launch(data, termjob, 2, "--batch-size", "2", "--resume"))
    if all(rc == 0 for rc, _ in outs) and os.path.exists(os.path.join(ddp, "model_last.pt")):
        wt, wd = weights(termjob), weights(ddp)
        diff = max((wt[k] - wd[k]).abs().max().item() for k in wt)
        check(f"the SIGTERM'd job resumes to the uninterrupted job's weights (max difference {diff:.1e})", diff == 0)
    else:
        check("the SIGTERM'd job resumes", False, [o[-800:] for _, o in outs])

    # A rank that never arrives.
    lonely = os.path.join(tmp, "lonely")
    t0 = time.time()
    outs = finish(launch(data, lonely, 2, "--batch-size", "2", "--set", "dist.timeout_s=5", ranks=[0]))
    check("a rank that never joins ends rank 0 within the timeout, naming it (exit 6)",
          outs[0][0] == 6 and "rank 1 of 2 did not join within 5 s" in outs[0][1] and time.time() - t0 < 60,
          outs[0][1][-800:])

    # Kill rank 1 after a checkpoint: rank 0 ends within the timeout with a message naming rank 1, then the job
    # resumes and ends with the same weights as the uninterrupted 2-rank run.
    killed = os.path.join(tmp, "killed")
    procs = launch(data, killed, 2, "--batch-size", "2")
    deadline = time.time() + 300
    while time.time() < deadline and not os.path.exists(os.path.join(killed, "checkpoints", "step_000004.ckpt")):
        time.sleep(0.05)
    procs[1].send_signal(signal.SIGKILL)
    t_kill = time.time()
    outs = finish(procs, timeout=120)
    elapsed = time.time() - t_kill
    check(f"a killed rank ends the other within the timeout ({elapsed:.1f} s, exit {outs[0][0]}), naming it",
          outs[0][0] == 6 and "rank 1 stopped responding" in outs[0][1] and elapsed < 20 + 30, outs[0][1][-1200:])
    outs = finish(launch(data, killed, 2, "--batch-size", "2", "--resume"))
    check("the killed job resumes and finishes", all(rc == 0 for rc, _ in outs), [o[-1200:] for _, o in outs])
    if all(rc == 0 for rc, _ in outs) and os.path.exists(os.path.join(ddp, "model_last.pt")):
        wk, wd = weights(killed), weights(ddp)
        diff = max((wk[k] - wd[k]).abs().max().item() for k in wk)
        check(f"killed + resumed weights equal the uninterrupted 2-rank run's (max difference {diff:.1e})", diff == 0)
        steps = [int(r["step"]) for r in csv.DictReader(open(os.path.join(killed, "log.csv")))]
        check("the resumed log has every step once", steps == list(range(STEPS)), steps)

    # Resuming a 2-rank run on one process with the same global batch continues, and says so.
    moved = os.path.join(tmp, "moved")
    shutil.copytree(ddp, moved)
    p = subprocess.run(train_args(data, moved, "--batch-size", "4", "--resume", steps=STEPS + 2),
                       capture_output=True, text=True, timeout=600)
    check("a 2-rank checkpoint resumes on 1 process x 4 and says the global batch is the same",
          p.returncode == 0 and "same global batch 4" in p.stderr + p.stdout, (p.stdout + p.stderr)[-1200:])

    # SIGTERM: the run saves the step it finished and exits with code 5; --resume continues exactly.
    term = os.path.join(tmp, "term")
    proc = subprocess.Popen(train_args(data, term, "--batch-size", "4", "--set", "train.checkpoint_every=100"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log = os.path.join(term, "log.csv")
    deadline = time.time() + 300
    while time.time() < deadline and (not os.path.exists(log) or sum(1 for _ in open(log)) < 3):
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=300)
    rows = sum(1 for _ in open(log)) - 1
    check(f"SIGTERM: exit 5 after saving step {rows}", proc.returncode == 5 and "--resume" in out and
          os.path.exists(os.path.join(term, "checkpoints", "last.ckpt")) and rows < STEPS, (proc.returncode, out[-800:]))
    p = subprocess.run(train_args(data, term, "--batch-size", "4", "--resume"), capture_output=True, text=True,
                       timeout=600)
    if p.returncode == 0 and os.path.exists(os.path.join(single, "model_last.pt")):
        wt, ws = weights(term), weights(single)
        diff = max((wt[k] - ws[k]).abs().max().item() for k in wt)
        check(f"SIGTERM + --resume equals the uninterrupted run (max difference {diff:.1e})", diff == 0)
    else:
        check("SIGTERM + --resume finishes", False, p.stderr[-1200:])

    # torchrun itself (Debian 12's 1.13 needs --no_python and --redirects/--tee; newer ones accept them too).
    torchrun = shutil.which("torchrun")
    if torchrun is None:
        print("skipped: torchrun is not installed (python3-torch provides it)")
    else:
        run = os.path.join(tmp, "torchrun")
        def torchrun_cmd(*extra, steps=STEPS):
            return [torchrun, "--nproc_per_node=2", "--master_port", str(free_port()), "--no_python", "--redirects",
                    "1", "--tee", "1", *train_args(data, run, "--batch-size", "2", *extra, steps=steps)]
        p = subprocess.run(torchrun_cmd(), capture_output=True, text=True, timeout=600)
        ok = p.returncode == 0 and os.path.exists(os.path.join(run, "model_last.pt"))
        check("torchrun --nproc_per_node=2 trains", ok, (p.stdout + p.stderr)[-1500:])
        if ok:
            wr, wd = weights(run), weights(ddp)
            diff = max((wr[k] - wd[k]).abs().max().item() for k in wr)
            check(f"torchrun's job equals the same job started by hand (max difference {diff:.1e})", diff == 0)
            p = subprocess.run(torchrun_cmd("--resume", steps=STEPS + 2), capture_output=True, text=True,
                               timeout=600)
            steps = [int(r["step"]) for r in csv.DictReader(open(os.path.join(run, "log.csv")))]
            check("torchrun --resume continues the job", p.returncode == 0 and steps == list(range(STEPS + 2)),
                  (p.stdout + p.stderr)[-1500:])

passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)

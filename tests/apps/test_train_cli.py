#!/usr/bin/python3
"""`diffseg train` as a user runs it: kill -9 in the middle and --resume gives the same weights as an
uninterrupted run; refusals of bad requests; a short quality check of two strategies on synthetic data; and
rec_xT fine-tuned from the supervised run (--init-from): its first prediction is the supervised one, --resume
continues it, and sources that are not this run's supervised network are refused.

Usage: test_train_cli.py PATH/TO/diffseg   (prints 'N passed, N failed')
"""
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import torch
import yaml

BIN = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, "tiny_2d.yaml")
results = []


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(("ok     " if condition else "FAILED ") + name + ("" if condition else f"  -- {detail}"), flush=True)


def train_args(data, out, *extra):
    return [BIN, "-q", "--threads", "1", "train", "--config", CONFIG, "--data", data, "--out", out, *extra]


with tempfile.TemporaryDirectory() as tmp:
    data = os.path.join(tmp, "data")
    subprocess.run([BIN, "-q", "synth", "--out", data, "--cases", "12", "--size", "32,32", "--seed", "5"], check=True)

    # Uninterrupted reference run.
    a = os.path.join(tmp, "a")
    p = subprocess.run(train_args(data, a), capture_output=True, text=True, timeout=600)
    check("train: a short rec_xT run finishes", p.returncode == 0, p.stderr[-2000:])

    # The same run killed with SIGKILL after its second checkpoint, then resumed; with train.deterministic, which
    # must run every training kernel on the CPU and leave its results as they are (CPU kernels are deterministic).
    b = os.path.join(tmp, "b")
    deterministic = ("--set", "train.deterministic=true")
    proc = subprocess.Popen(train_args(data, b, *deterministic), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline and not os.path.exists(os.path.join(b, "checkpoints", "step_000008.ckpt")):
        time.sleep(0.05)
    time.sleep(0.05)  # into the steps after the checkpoint, well before the end (24 steps)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = sum(1 for _ in open(os.path.join(b, "log.csv"))) - 1
    check("train: the run was killed before it finished", killed_at < 24, f"log rows {killed_at}")
    p = subprocess.run(train_args(data, b, "--resume", *deterministic), capture_output=True, text=True, timeout=600)
    check("train --resume finishes (train.deterministic)", p.returncode == 0, p.stderr[-2000:])
    wa = torch.load(os.path.join(a, "model_last.pt"))
    wb = torch.load(os.path.join(b, "model_last.pt"))
    diff = max((wa[k] - wb[k]).abs().max().item() for k in wa)
    check("train: killed + resumed weights equal the uninterrupted run's (<= 1e-6)",
          set(wa) == set(wb) and diff <= 1e-6, f"max difference {diff}")
    steps = [int(r["step"]) for r in csv.DictReader(open(os.path.join(b, "log.csv")))]
    check("train: the resumed log has every step once", steps == list(range(24)), steps)
    status = json.load(open(os.path.join(b, "status.json")))
    check("train: status.json reports the finished run", status["finished"] and status["steps"] == 24, status)

    # Mixed precision (bf16 autocast on the CPU) and gradient checkpointing run and stay finite.
    c = os.path.join(tmp, "bf16")
    p = subprocess.run(train_args(data, c, "--max-steps", "6", "--set", "train.precision=bf16",
                                  "--set", "model.gradient_checkpointing=true", "--set", "train.validate_every=6"),
                       capture_output=True, text=True, timeout=600)
    rows = list(csv.DictReader(open(os.path.join(c, "log.csv")))) if p.returncode == 0 else []
    check("train: bf16 autocast + gradient checkpointing trains with finite losses",
          len(rows) == 6 and all(r["skipped"] == "0" for r in rows), p.stderr[-1500:])
    p = subprocess.run(train_args(data, os.path.join(tmp, "fp16"), "--set", "train.precision=fp16"),
                       capture_output=True, text=True)
    check("train: fp16 on the CPU is refused with a usage error", p.returncode == 2 and "fp16" in p.stderr, p.stderr)

    # A diverging run: every step after the first has a non-finite loss; it is skipped, and after 3 in a row the run
    # stops with a message naming the last good checkpoint.
    d = os.path.join(tmp, "diverge")
    p = subprocess.run(train_args(data, d, "--set", "train.lr.init=1.0e+8", "--set", "train.lr.peak=1.0e+8",
                                  "--set", "train.max_nonfinite_steps=3", "--set", "train.checkpoint_every=1"),
                       capture_output=True, text=True, timeout=600)
    rows = list(csv.DictReader(open(os.path.join(d, "log.csv")))) if os.path.exists(os.path.join(d, "log.csv")) else []
    check("train: non-finite steps are skipped and the run stops with a clear message",
          p.returncode != 0 and "non-finite" in p.stderr and rows and rows[-1]["skipped"] == "1" and
          os.path.exists(os.path.join(d, "checkpoints", "last.ckpt")), (p.returncode, p.stderr[-800:], rows[-3:]))

    # Refusals.
    p = subprocess.run(train_args(data, a), capture_output=True, text=True)
    check("train: an existing run is not overwritten without --resume (exit 2)", p.returncode == 2, p.stderr)
    p = subprocess.run(train_args(data, os.path.join(tmp, "new"), "--resume"), capture_output=True, text=True)
    check("train: --resume without a checkpoint is a usage error (exit 2)", p.returncode == 2, p.stderr)
    p = subprocess.run(train_args(os.path.join(tmp, "nowhere"), os.path.join(tmp, "c")), capture_output=True, text=True)
    check("train: a missing dataset is a bad-input error naming it (exit 3)",
          p.returncode == 3 and "nowhere" in p.stderr, p.stderr)
    blocker = os.path.join(tmp, "file")
    open(blocker, "w").close()
    p = subprocess.run(train_args(data, os.path.join(blocker, "run")), capture_output=True, text=True)
    check("train: an unwritable run folder fails before training (exit 4)", p.returncode == 4, p.stderr)

    # One writer per run folder: a second train into a busy --out stops at once naming the holder; after the holder
    # is killed (before its first checkpoint) a fresh start takes the folder over and keeps only its own log rows.
    busy = os.path.join(tmp, "busy")
    holder = subprocess.Popen(train_args(data, busy, "--max-steps", "400", "--set", "train.checkpoint_every=400",
                                         "--set", "train.validate_every=400"),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lock = os.path.join(busy, ".lock")
    deadline = time.time() + 120
    while time.time() < deadline and not (os.path.exists(lock) and os.path.getsize(lock) > 0):
        time.sleep(0.05)
    p = subprocess.run(train_args(data, busy, "--max-steps", "4"), capture_output=True, text=True, timeout=300)
    check("train: a second process on a busy run folder is refused naming the holder (exit 2)",
          p.returncode == 2 and "in use by another process" in p.stderr and str(holder.pid) in p.stderr,
          (p.returncode, p.stderr[-800:]))
    while time.time() < deadline and not os.path.exists(os.path.join(busy, "log.csv")):
        time.sleep(0.05)
    time.sleep(0.3)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    open(os.path.join(busy, "checkpoints", ".last.tmp99999_0.ckpt"), "w").write("half a checkpoint")
    p = subprocess.run([BIN, "--threads", "1", "train", "--config", CONFIG, "--data", data, "--out", busy,
                        "--max-steps", "3"], capture_output=True, text=True, timeout=300)
    steps = [int(r["step"]) for r in csv.DictReader(open(os.path.join(busy, "log.csv")))] if p.returncode == 0 else []
    check("train: the lock of a killed process is taken over, its log rows and temporaries dropped",
          p.returncode == 0 and "taking over the lock" in p.stderr and steps == [0, 1, 2] and
          not os.path.exists(os.path.join(busy, "checkpoints", ".last.tmp99999_0.ckpt")), (p.stderr[-800:], steps))

    # A failed --resume leaves the run as it was: the config is not rewritten, and the run still resumes.
    before = open(os.path.join(a, "config.yaml")).read()
    p = subprocess.run(train_args(data, a, "--resume", "--set", "model.channels=[4,8]"), capture_output=True,
                       text=True, timeout=300)
    check("train: --resume with another network fails and leaves config.yaml unchanged",
          p.returncode != 0 and open(os.path.join(a, "config.yaml")).read() == before, (p.returncode, p.stderr[-600:]))

    # Numbers out of range are refused, from the command line or the config, naming the option.
    for extra, word in [(("--batch-size", "0"), "--batch-size"), (("--max-steps", "-5"), "--max-steps"),
                        (("--accumulate", "0"), "--accumulate"), (("--patch", "0,0"), "--patch"),
                        (("--set", "train.lr.peak=-1"), "train.lr.peak"), (("--seed", "-2"), "--seed"),
                        (("--set", "data.patch=[0,16]"), "data.patch"),
                        (("--set", "train.bogus=1"), "train.bogus"), (("--set", "modle.channels=[4]"), "model.channels")]:
        p = subprocess.run(train_args(data, os.path.join(tmp, "bad_opt"), *extra), capture_output=True, text=True,
                           timeout=300)
        check(f"train {' '.join(extra)}: refused naming it (exit 2)",
              p.returncode == 2 and word in p.stderr and not os.path.exists(os.path.join(tmp, "bad_opt", "log.csv")),
              (p.returncode, p.stderr[-400:]))

    # A patch far larger than the images: every crop (and every inference window) is mostly padding. The run goes
    # on, with one warning saying how many times the image's voxels each sample costs (32x32 in a 128x64 patch: 8x);
    # infer says the same once, however many images it segments.
    big = os.path.join(tmp, "big_patch")
    p = subprocess.run(train_args(data, big, "--patch", "128,64", "--max-steps", "2", "--set", "train.validate_every=2"),
                       capture_output=True, text=True, timeout=300)
    check("train: a patch 8x the images' voxels runs, with one warning naming the sizes and the factor",
          p.returncode == 0 and p.stderr.count("zero-padded") == 1 and "32x32" in p.stderr and "128x64" in p.stderr
          and " 8x " in p.stderr, (p.returncode, p.stderr[-600:]))
    p = subprocess.run([BIN, "--threads", "1", "infer", "--run", big, "--input", os.path.join(data, "imagesTr"),
                        "--output", os.path.join(tmp, "big_patch_out"), "--steps", "1"],
                       capture_output=True, text=True, timeout=300)
    check("infer: the same warning once for a folder of images",
          p.returncode == 0 and p.stderr.count("zero-padded") == 1 and " 8x " in p.stderr,
          (p.returncode, p.stderr[-600:]))

    # Quality: supervised and rec_xT learn the synthetic structures far beyond an all-background model (Dice 0).
    for strategy, bound in [("supervised", 0.5), ("rec_xT", 0.5)]:
        out = os.path.join(tmp, "q_" + strategy)
        p = subprocess.run([BIN, "-q", "train", "--config", CONFIG, "--data", data, "--out", out, "--strategy", strategy,
                            "--max-steps", "120", "--batch-size", "8", "--set", "train.validate_every=60",
                            "--set", "train.checkpoint_every=120"], capture_output=True, text=True, timeout=900)
        score = json.load(open(os.path.join(out, "status.json")))["best_mean_dice"] if p.returncode == 0 else None
        check(f"train: {strategy} reaches validation Dice > {bound} in 120 steps (got {score})",
              score is not None and score > bound, p.stderr[-1500:])

    # Fine-tuning from the supervised run (train --init-from; docs/method.md, Fine-tuning from a supervised model).
    # With a learning rate of 0 the rec_xT network keeps its starting weights, and its validation (DDPM, 5 steps
    # from pure noise, the time reaching the network: tiny_2d.yaml keeps time_injection after_norm) scores the
    # supervised model's Dice: every step predicts exactly what the supervised network predicts.
    sup = os.path.join(tmp, "q_supervised")
    sup_weights = os.path.join(sup, "model_best.pt")
    sup_dice = json.load(open(os.path.join(sup, "status.json")))["best_mean_dice"]
    frozen = os.path.join(tmp, "ft_frozen")
    zero_lr = ("--set", "train.lr.init=0", "--set", "train.lr.peak=0", "--set", "train.lr.end=0")
    p = subprocess.run(train_args(data, frozen, "--init-from", sup, "--max-steps", "1", *zero_lr),
                       capture_output=True, text=True, timeout=300)
    recorded = yaml.safe_load(open(os.path.join(frozen, "config.yaml"))) if p.returncode == 0 else {}
    check("train --init-from a supervised run: exit 0, config.yaml records the weights file in train.init_from",
          p.returncode == 0 and recorded["train"].get("init_from") == os.path.abspath(sup_weights),
          (p.returncode, p.stderr[-1500:], recorded.get("train")))
    rows = list(csv.DictReader(open(os.path.join(frozen, "validation.csv")))) if p.returncode == 0 else []
    check(f"train --init-from: the untrained rec_xT network's validation Dice is the supervised one ({sup_dice})",
          len(rows) == 1 and abs(float(rows[0]["mean_dice"]) - sup_dice) <= 1e-4, rows)
    if p.returncode == 0:
        ws, wf = torch.load(sup_weights), torch.load(os.path.join(frozen, "model_last.pt"))
        stem = wf["stem.conv.weight"]
        check("train --init-from: shared weights copied, mask-channel and time-branch weights zero",
              all(torch.equal(wf[k], ws[k]) for k in ws if k != "stem.conv.weight") and
              torch.equal(stem[:, :1], ws["stem.conv.weight"]) and stem[:, 1:].abs().max() == 0 and
              all(wf[k].abs().max() == 0 for k in wf if ".time_proj." in k) and
              any(".time_proj." in k for k in wf), sorted(set(wf) - set(ws))[:4])

    # A weights file outside any run folder, through the config key; --resume continues from the run's own
    # checkpoint (the file is gone by then) and gives the weights of an uninterrupted run.
    loose = os.path.join(tmp, "loose")
    os.makedirs(loose)
    copy = os.path.join(loose, "supervised.pt")
    shutil.copy(sup_weights, copy)
    whole, split = os.path.join(tmp, "ft_whole"), os.path.join(tmp, "ft_split")
    p = subprocess.run(train_args(data, whole, "--set", "train.init_from=" + copy, "--max-steps", "6"),
                       capture_output=True, text=True, timeout=300)
    rows = list(csv.DictReader(open(os.path.join(whole, "log.csv")))) if p.returncode == 0 else []
    check("train --set train.init_from=FILE: rec_xT fine-tunes with finite losses",
          len(rows) == 6 and all(r["skipped"] == "0" for r in rows), p.stderr[-1500:])
    p = subprocess.run(train_args(data, split, "--init-from", copy, "--max-steps", "4"), capture_output=True,
                       text=True, timeout=300)
    check("train --init-from FILE: 4 steps", p.returncode == 0, p.stderr[-1500:])
    os.remove(copy)
    p = subprocess.run(train_args(data, split, "--resume", "--max-steps", "6"), capture_output=True, text=True,
                       timeout=300)
    recorded = yaml.safe_load(open(os.path.join(split, "config.yaml"))) if p.returncode == 0 else {}
    check("train --resume of a fine-tuned run continues from its checkpoint and keeps train.init_from",
          p.returncode == 0 and recorded["train"].get("init_from") == os.path.abspath(copy),
          (p.returncode, p.stderr[-1500:], recorded.get("train")))
    if p.returncode == 0:
        wa, wb = torch.load(os.path.join(whole, "model_last.pt")), torch.load(os.path.join(split, "model_last.pt"))
        diff = max((wa[k] - wb[k]).abs().max().item() for k in wa)
        check("train --init-from: 4 steps + --resume to 6 give the weights of 6 uninterrupted steps (<= 1e-6)",
              diff <= 1e-6, f"max difference {diff}")

    # Refusals, before anything is trained: usage errors (2) and bad input (3), each naming what is wrong.
    shutil.copy(os.path.join(a, "model_last.pt"), os.path.join(loose, "rec.pt"))
    open(os.path.join(loose, "junk.pt"), "w").write("not a weights file")
    for extra, code, words in [
            (("--init-from", a), 2, [os.path.join(a, "config.yaml"), "rec_xT", "supervised"]),
            (("--init-from", os.path.join(loose, "rec.pt")), 2, ["rec.pt", "time branch"]),
            (("--init-from", sup, "--set", "model.channels=[8,16,16]"), 2, [os.path.join(sup, "config.yaml"),
                                                                            "model.channels"]),
            (("--init-from", sup, "--set", "diffusion.model_output=noise"), 2, ["model_output"]),
            (("--init-from", sup, "--resume"), 2, ["--init-from", "--resume"]),
            (("--init-from", os.path.join(tmp, "no_such_run")), 3, ["no_such_run"]),
            (("--init-from", os.path.join(loose, "junk.pt")), 3, ["junk.pt"])]:
        out = os.path.join(tmp, "ft_refused")
        p = subprocess.run(train_args(data, out, *extra), capture_output=True, text=True, timeout=300)
        check(f"train {' '.join(os.path.basename(e) for e in extra)}: refused (exit {code}) naming it",
              p.returncode == code and all(w in p.stderr for w in words) and
              not os.path.exists(os.path.join(out, "log.csv")) and not os.path.exists(os.path.join(out, "config.yaml")),
              (p.returncode, p.stderr[-600:]))

passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)

#!/usr/bin/python3
"""The diffseg command as a user runs it: exit codes, error messages, `info` against nibabel, `synth` determinism.

Usage: test_cli.py PATH/TO/diffseg   (run by ctest; prints 'N passed, N failed')
"""
import filecmp
import json
import os
import subprocess
import sys
import tempfile

import nibabel as nib
import numpy as np
import yaml

BIN = os.path.abspath(sys.argv[1])
results = []


def run(*args):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=240)
    return p.returncode, p.stdout, p.stderr


def check(name, condition, detail=""):
    results.append(condition)
    print(("ok     " if condition else "FAILED ") + name + ("" if condition else f"  -- {detail}"))


with tempfile.TemporaryDirectory() as tmp:
    rc, out, err = run("--version")
    check("--version exits 0 and prints the version", rc == 0 and "diffseg" in out, out + err)

    rc, out, err = run()
    check("no subcommand is a usage error (2)", rc == 2, f"rc={rc}")
    rc, out, err = run("frobnicate")
    check("unknown subcommand is a usage error (2)", rc == 2, f"rc={rc}")
    rc, out, err = run("info")
    check("info without a file is a usage error (2)", rc == 2, f"rc={rc}")

    missing = os.path.join(tmp, "missing.nii.gz")
    rc, out, err = run("info", missing)
    check("missing file: exit 3 and the message names it", rc == 3 and missing in err and "not found" in err,
          f"rc={rc} err={err}")

    broken = os.path.join(tmp, "broken.nii.gz")
    with open(broken, "wb") as f:
        f.write(b"\x1f\x8b\x08\x00garbage")
    rc, out, err = run("info", broken)
    check("corrupt gzip: exit 3, message names file", rc == 3 and broken in err, f"rc={rc} err={err}")

    # info --json reports the affine nibabel reports.
    a, b = 0.3, 0.2
    aff = np.eye(4)
    aff[:3, :3] = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]]) @ \
        np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]]) @ np.diag([0.8, 0.9, 3.0])
    aff[:3, 3] = [-120.5, 33.0, 7.25]
    data = np.random.default_rng(0).integers(0, 4, size=(9, 8, 7)).astype(np.int16)
    path = os.path.join(tmp, "nib.nii.gz")
    nib.save(nib.Nifti1Image(data, aff), path)
    rc, out, err = run("info", "--json", path)
    info = json.loads(out) if rc == 0 else {}
    ref_aff = nib.load(path).affine
    check("info --json affine equals nibabel's", rc == 0 and np.allclose(info["affine"], ref_aff, atol=1e-5),
          f"{info.get('affine')} vs {ref_aff.tolist()}")
    check("info --json size and label counts", rc == 0 and info["size"] == [9, 8, 7] and
          all(info["value_counts"][str(v)] == int((data == v).sum()) for v in range(4)), out)
    rc, out, err = run("info", path)
    check("info text shows the affine and spacing", rc == 0 and "affine" in out and "0.8 x 0.9 x 3 mm" in out, out)

    # synth: reproducible bytes for the same seed, different for another seed.
    outs = {}
    for name, seed in [("a", "3"), ("b", "3"), ("c", "4")]:
        outs[name] = os.path.join(tmp, name)
        rc, out, err = run("-q", "synth", "--out", outs[name], "--dims", "3", "--cases", "3", "--size", "24,20,12",
                           "--seed", seed)
        check(f"synth seed {seed} exits 0", rc == 0, err)
    same = filecmp.cmpfiles(outs["a"], outs["b"], ["dataset.json", "labelsTr/case_001.nii.gz"], shallow=False)
    check("synth: same seed gives identical files", same[0] == ["dataset.json", "labelsTr/case_001.nii.gz"], same)
    la = np.asarray(nib.load(os.path.join(outs["a"], "labelsTr/case_001.nii.gz")).dataobj)
    lc = np.asarray(nib.load(os.path.join(outs["c"], "labelsTr/case_001.nii.gz")).dataobj)
    check("synth: another seed gives other labels", la.shape == lc.shape and not np.array_equal(la, lc))
    with open(os.path.join(outs["a"], "dataset.json")) as f:
        ds = json.load(f)
    check("synth: dataset.json lists classes and splits", len(ds["labels"]) == 4 and
          len(ds["training"]) + len(ds["validation"]) + len(ds["test"]) == 3, ds)

    rc, out, err = run("synth", "--out", os.path.join(tmp, "bad"), "--dims", "3", "--size", "24,20")
    check("synth: wrong number of sizes is a usage error (2)", rc == 2 and "--size" in err, f"rc={rc} err={err}")

# model-info on the paper's muscle config: the parameter count derived in docs/method.md (Parameter counts).
configs = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "configs")
rc, out, err = run("model-info", "--config", os.path.join(configs, "muscle_us.yaml"))
check("model-info: muscle diffusion network has 12,352,514 parameters", rc == 0 and "12352514" in out, out + err)
# The 3D papers' configs: method.md's hand-derived counts for the diffusion networks (and supervised for BraTS).
for name, count in [("amos_ct", 33096656), ("male_pelvic_mr", 33073993), ("brats2021", 33086690)]:
    rc, out, err = run("model-info", "--config", os.path.join(configs, name + ".yaml"))
    check(f"model-info: {name} diffusion network has {count:,} parameters", rc == 0 and str(count) in out, out + err)
rc, out, err = run("model-info", "--config", os.path.join(configs, "brats2021.yaml"), "--strategy", "supervised")
check("model-info: brats2021 supervised network has 32,336,578 parameters", rc == 0 and "32336578" in out, out + err)
rc, out, err = run("model-info", "--config", os.path.join(configs, "muscle_us.yaml"), "--set", "data.patch=[478,512]")
check("model-info: invalid patch is a usage error naming the valid sizes", rc == 2 and "480x512" in err, err)
rc, out, err = run("model-info", "--config", os.path.join(configs, "muscle_us.yaml"), "--strategy", "nope")
check("model-info: unknown strategy is a usage error", rc == 2 and "rec_xT" in err, err)
rc, out, err = run("schedule", "--inference-steps", "5", "--csv")
rows = [r.split(",") for r in out.strip().splitlines()[1:]] if rc == 0 else []
check("schedule: 5-step chain visits 0,250,500,750,1000", [r[1] for r in rows] == ["0", "250", "500", "750", "1000"], out)

# metrics on the muscle ultrasound fixtures (tests/fixtures/muscle_us) (0/255 PNG masks), and refusal of mismatched pairs.
fixtures = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "muscle_us")
with tempfile.TemporaryDirectory() as tmp:
    out_json = os.path.join(tmp, "m.json")
    rc, out, err = run("metrics", "--pred", os.path.join(fixtures, "BB_anon_425_2_mask_pred.png"),
                       "--ref", os.path.join(fixtures, "BB_anon_425_2_mask_pred_postprocessed.png"), "--json", out_json)
    recs = json.load(open(out_json)) if rc == 0 else []
    keys = {"case", "label", "dice", "iou", "hd", "hd95", "assd", "nsd", "centroid_dist", "volume_pred", "volume_ref"}
    check("metrics: one record for class 1 with every key", rc == 0 and len(recs) == 1 and set(recs[0]) == keys and
          recs[0]["label"] == 1 and 0.99 < recs[0]["dice"] <= 1, out + err)
    small, big = os.path.join(tmp, "small.nii.gz"), os.path.join(tmp, "big.nii.gz")
    nib.save(nib.Nifti1Image(np.zeros((9, 8, 6), np.int16), aff), small)
    nib.save(nib.Nifti1Image(np.zeros((9, 8, 7), np.int16), aff), big)
    rc, out, err = run("metrics", "--pred", small, "--ref", big)
    check("metrics: shape mismatch exits 3 naming the file", rc == 3 and "small.nii.gz" in err, err)
    bad_json = os.path.join(tmp, "none.json")
    rc, out, err = run("metrics", "--pred", small, "--ref", big, "--json", bad_json)
    check("metrics: when every case fails no result file is written (exit 3)",
          rc == 3 and not os.path.exists(bad_json), (rc, err))
    for opt, value in [("--tolerance", "-1"), ("--tolerance", "nan")]:
        rc, out, err = run("metrics", "--pred", small, "--ref", small, opt, value)
        check(f"metrics {opt} {value}: refused naming the option (exit 2)", rc == 2 and opt in err, (rc, err))
    for opt, value in [("--noise", "nan"), ("--noise", "-1"), ("--bias", "inf"), ("--spacing", "-1,1,1")]:
        rc, out, err = run("synth", "--out", os.path.join(tmp, "syn_bad"), "--dims", "3", opt, value)
        check(f"synth {opt} {value}: refused naming the option (exit 2), nothing written",
              rc == 2 and opt in err and not os.path.exists(os.path.join(tmp, "syn_bad", "dataset.json")), (rc, err))
    empty_cfg = os.path.join(tmp, "empty.yaml")
    open(empty_cfg, "w").close()
    rc, out, err = run("model-info", "--config", empty_cfg)
    check("an empty config file is a usage error naming it (exit 2)", rc == 2 and "empty.yaml" in err, (rc, err))
    rc, out, err = run("model-info", "--config", os.path.join(tmp, "missing.yaml"))
    check("a missing config file is a usage error naming it (exit 2)", rc == 2 and "missing.yaml" in err, (rc, err))
    typo_cfg = os.path.join(tmp, "typo.yaml")
    open(typo_cfg, "w").write(open(os.path.join(configs, "muscle_us.yaml")).read().replace("model:", "modle:"))
    rc, out, err = run("model-info", "--config", typo_cfg)
    check("a misspelt section is refused with a suggestion (exit 2)",
          rc == 2 and "did you mean model." in err, (rc, err[-400:]))

    # Every shipped experiment file (and each paper preset both ways) builds and checks all its run configs, without
    # training or writing anything. The count is recomputed here from the file: one run per grid entry and training
    # seed, two for an entry fine-tuned from a supervised stage.
    experiments = os.path.join(os.path.dirname(configs), "experiments")
    cwd_before = set(os.listdir(tmp))
    for name in sorted(os.listdir(experiments)):
        with open(os.path.join(experiments, name)) as f:
            spec = yaml.safe_load(f)
        want = sum(2 if e.endswith("_from_supervised") else 1 for e in spec["strategies"]) * spec.get("train_seeds", 1)
        variants = [[], ["--set", "preset=paper"], ["--set", "preset=diffseg"]] if "preset" in spec else [[]]
        for extra in variants:
            p = subprocess.run([BIN, "experiment", "--config", os.path.join(experiments, name), "--check", *extra],
                               capture_output=True, text=True, timeout=120, cwd=tmp)
            check(f"experiment --check {name} {' '.join(extra)}: exit 0, {want} run configs",
                  p.returncode == 0 and f": {want} run configs built and checked" in p.stdout, (p.returncode, p.stdout, p.stderr[-300:]))
    check("experiment --check wrote nothing", set(os.listdir(tmp)) == cwd_before, set(os.listdir(tmp)) - cwd_before)
    p = subprocess.run([BIN, "experiment", "--config", os.path.join(experiments, "synthetic.yaml"), "--check",
                        "--set", "model.time_injection=after_nrom"], capture_output=True, text=True, timeout=120, cwd=tmp)
    check("experiment --check refuses a bad network setting (exit 2, naming it)",
          p.returncode == 2 and "time_injection" in p.stderr, (p.returncode, p.stderr[-300:]))

passed = sum(results)
failed = len(results) - passed
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)

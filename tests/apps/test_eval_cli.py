#!/usr/bin/python3
"""`diffseg experiment`, `evaluate`, `infer` and `report` as a user runs them, on tiny synthetic data.

Usage: test_eval_cli.py PATH/TO/diffseg   (prints 'N passed, N failed')
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile

import nibabel as nib
import numpy as np
import yaml

BIN = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
results = []


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(("ok     " if condition else "FAILED ") + name + ("" if condition else f"  -- {str(detail)[-1500:]}"), flush=True)


def png_header(path):
    """(width, height, colour type) from a PNG's IHDR chunk."""
    with open(path, "rb") as f:
        head = f.read(26)
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big"), head[25]


STATISTICS_COLUMNS = ["dice_p_vs_supervised", "hd95_p_vs_supervised", "dice_diff_vs_supervised", "dice_diff_ci_low",
                      "dice_diff_ci_high"]


def table2_rows(path):
    """results/table2.csv as dicts (columns by name); [] when it is missing."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return list(csv.DictReader(f))


def table2_statistics_ok(row):
    """p-values in [0, 1] (empty: no non-zero difference, the test is undefined), low <= mean <= high."""
    for c in ["dice_p_vs_supervised", "hd95_p_vs_supervised"]:
        if row[c] != "" and not 0 <= float(row[c]) <= 1:
            return False
    low, mean, high = (float(row[c]) for c in ["dice_diff_ci_low", "dice_diff_vs_supervised", "dice_diff_ci_high"])
    return low - 1e-9 <= mean <= high + 1e-9


def train_section(path):
    """The train: section of a run's config.yaml ({} when there is none)."""
    return (yaml.safe_load(open(path)) or {}).get("train", {}) if os.path.exists(path) else {}


def run(*args, timeout=900):
    p = subprocess.run([BIN, "-q", *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


with tempfile.TemporaryDirectory() as tmp:
    spec = os.path.join(tmp, "exp.yaml")
    with open(spec, "w") as f:
        f.write(f"""name: tiny
config: {os.path.join(HERE, 'tiny_2d.yaml')}
data:
  synthetic: {{dims: 2, cases: 14, size: [32, 32], classes: 3, seed: 2}}
strategies: [supervised, rec_xT]
samplers: [ddpm, ddim]
steps: 5
seeds: 2
ensemble: {{supervised: supervised, with: [rec_xT]}}
overrides:
  train.max_steps: 12
  train.validate_every: 6
""")
    out = os.path.join(tmp, "exp")
    rc, stdout, err = run("experiment", "--config", spec, "--out", out)
    check("experiment: finishes and prints Table 1", rc == 0 and "Table 1" in stdout, err)
    t1 = open(os.path.join(out, "results", "table1.csv")).read().splitlines() if rc == 0 else []
    check("experiment: Table 1 has supervised + rec_xT x {ddpm, ddim}", len(t1) == 4 and t1[0].startswith("strategy"), t1)
    t4 = open(os.path.join(out, "results", "table4.csv")).read().splitlines() if rc == 0 else []
    check("experiment: Table 4 has 5 steps of seed variance for rec_xT", len(t4) == 6, t4)
    check("experiment: Table 2 (ensemble) written", os.path.exists(os.path.join(out, "results", "table2.csv")))
    t2 = table2_rows(os.path.join(out, "results", "table2.csv"))
    check("experiment: Table 2 has supervised, rec_xT and their ensemble",
          [r["method"] for r in t2] == ["supervised", "rec_xT", "ensemble (supervised + rec_xT)"], t2)
    check("experiment: Table 2 tests Dice and HD95 and bounds the Dice difference against the supervised model",
          len(t2) == 3 and all(table2_statistics_ok(r) for r in t2[1:]) and
          all(t2[0][c] == "" for c in STATISTICS_COLUMNS), t2)
    md_path = os.path.join(out, "results", "table2.md")
    md = open(md_path).read() if os.path.exists(md_path) else ""
    check("experiment: table2.md shows the interval and explains the marks",
          "ΔDice vs supervised [95 % CI]" in md and "Marked *: p < 0.05" in md and "p (HD95)" in md, md)
    # The leakage diagnostic of every diffusion strategy (here rec_xT; supervised has no mask input), collected.
    leak = table2_rows(os.path.join(out, "results", "leakage.csv"))
    run_leak_path = os.path.join(out, "runs", "rec_xT", "leakage_test", "leakage.csv")
    run_leak = table2_rows(run_leak_path)
    check("experiment: results/leakage.csv has the levels of rec_xT and no supervised rows",
          len(leak) >= 2 and {r["strategy"] for r in leak} == {"rec_xT"}, leak)
    check("experiment: leakage gap = dice_truth_input - dice_own_prediction_input on every row",
          leak and all(abs(float(r["gap"]) - (float(r["dice_truth_input"]) - float(r["dice_own_prediction_input"])))
                       < 1e-8 for r in leak if r["gap"] != ""), leak)
    check("experiment: results/leakage.csv rows equal the run's own leakage_test/leakage.csv", leak and leak == run_leak,
          (leak, run_leak))
    leak_md = os.path.join(out, "results", "leakage.md")
    check("experiment: results/leakage.md written", os.path.exists(leak_md) and "rec_xT" in open(leak_md).read())
    leak_mtime = os.path.getmtime(run_leak_path) if os.path.exists(run_leak_path) else None
    log = os.path.join(out, "runs", "rec_xT", "log.csv")
    mtime = os.path.getmtime(log) if os.path.exists(log) else None
    rc, stdout, err = run("experiment", "--config", spec, "--out", out)
    check("experiment: a second run reuses finished runs (no retraining)", rc == 0 and os.path.getmtime(log) == mtime, err)
    check("experiment: a second run does not diagnose leakage again",
          leak_mtime is not None and os.path.getmtime(run_leak_path) == leak_mtime)
    # --set changes every run's settings; a finished run trained otherwise is refused, not reused or overwritten.
    rc, stdout, err = run("experiment", "--config", spec, "--out", out, "--set", "loss.focal=3")
    check("experiment --set: a run trained with other settings is refused naming the run and the key (exit 2)",
          rc == 2 and "loss.focal" in err and "runs" in err and os.path.getmtime(log) == mtime, (rc, err[-500:]))

    # experiment --train-seeds 2: the first training seed's runs are reused, a second one is trained per strategy.
    rc, stdout, err = run("experiment", "--config", spec, "--out", out, "--train-seeds", "2")
    status = os.path.join(out, "runs", "rec_xT_train_seed1", "status.json")
    check("experiment --train-seeds 2: a second training seed is trained, the first reused",
          rc == 0 and os.path.getmtime(log) == mtime and os.path.exists(status) and
          json.load(open(status)).get("finished"), err)
    ts = table2_rows(os.path.join(out, "results", "train_seeds.csv"))
    by_key = {(r["strategy"], r["sampler"]): r for r in ts}
    check("experiment --train-seeds 2: train_seeds.csv has mean ± std over 2 training seeds per strategy × sampler",
          sorted(by_key) == [("rec_xT", "ddim"), ("rec_xT", "ddpm"), ("supervised", "-")] and
          all(r["train_seeds"] == "2" and float(r["dice_std"]) >= 0 and 0 <= float(r["dice_mean"]) <= 1 for r in ts)
          and float(by_key[("rec_xT", "ddpm")]["dice_inference_seed_range"]) >= 0 and
          by_key[("supervised", "-")]["dice_inference_seed_range"] == "", ts)
    check("experiment --train-seeds 2: Table 1 still has one row per strategy x sampler",
          len(open(os.path.join(out, "results", "table1.csv")).read().splitlines()) == 4)
    check("experiment --train-seeds 2: leakage is diagnosed on the first training seed only",
          not os.path.exists(os.path.join(out, "runs", "rec_xT_train_seed1", "leakage_test")) and
          table2_rows(os.path.join(out, "results", "leakage.csv")) == leak)
    # `leakage: false` skips the diagnostic (everything else is finished, so this run only checks and tabulates).
    spec_off = os.path.join(tmp, "exp_no_leakage.yaml")
    with open(spec, "r") as f, open(spec_off, "w") as g:
        g.write(f.read() + "leakage: false\n")
    moved = os.path.join(tmp, "leakage_moved")
    if os.path.isdir(os.path.dirname(run_leak_path)):
        shutil.move(os.path.dirname(run_leak_path), moved)
    rc, stdout, err = run("experiment", "--config", spec_off, "--out", out)
    check("experiment with leakage: false: no leakage diagnostic is run",
          rc == 0 and not os.path.exists(os.path.dirname(run_leak_path)), err)
    if os.path.isdir(moved):
        shutil.rmtree(os.path.dirname(run_leak_path), ignore_errors=True)
        shutil.move(moved, os.path.dirname(run_leak_path))

    # experiment: the evaluations drew figures of 3 test cases (image, truth, 5 steps, uncertainty), RGB PNGs.
    index_path = os.path.join(out, "runs", "rec_xT", "eval_test_ddpm", "examples", "index.json")
    index = json.load(open(index_path)) if os.path.exists(index_path) else []
    check("experiment: figures of 3 test cases with 5 steps each",
          len(index) == 3 and all(len(e["steps"]) == 5 for e in index), index)
    if index:
        check("experiment: figures are 32x32 RGB PNGs",
              png_header(os.path.join(os.path.dirname(index_path), index[0]["steps"][4])) == (32, 32, 2),
              png_header(os.path.join(os.path.dirname(index_path), index[0]["steps"][4])))

    # "rec_xT_from_supervised": a supervised stage for the first half of the 12 steps, rec_xT started from it for the
    # second half, each with the LR schedule compressed to its share; scored like any diffusion strategy.
    spec_ft = os.path.join(tmp, "exp_finetune.yaml")
    with open(spec_ft, "w") as f:
        f.write(f"""name: finetune
config: {os.path.join(HERE, 'tiny_2d.yaml')}
data: {{path: {os.path.join(out, 'data')}}}
strategies: [rec_xT_from_supervised]
samplers: [ddim]
steps: 3
seeds: 1
examples: 0
leakage: false
overrides:
  train.max_steps: 12
  train.validate_every: 6
  train.lr.warmup_steps: 4
  train.lr.decay_steps: 12
""")
    out_ft = os.path.join(tmp, "exp_ft")
    rc, stdout, err = run("experiment", "--config", spec_ft, "--out", out_ft)
    stage1 = os.path.join(out_ft, "runs", "rec_xT_from_supervised_stage1")
    final = os.path.join(out_ft, "runs", "rec_xT_from_supervised")
    c1 = train_section(os.path.join(stage1, "config.yaml")) if rc == 0 else {}
    c2 = train_section(os.path.join(final, "config.yaml")) if rc == 0 else {}
    check("experiment: X_from_supervised trains supervised for half the steps (and half the LR schedule)",
          c1.get("strategy") == "supervised" and c1.get("max_steps") == 6 and
          c1.get("lr", {}).get("warmup_steps") == 2 and c1.get("lr", {}).get("decay_steps") == 6, (rc, err[-600:], c1))
    check("experiment: ... then rec_xT from it for the other half",
          c2.get("strategy") == "rec_xT" and c2.get("max_steps") == 6 and c2.get("lr", {}).get("decay_steps") == 6 and
          os.path.realpath(os.path.dirname(c2.get("init_from", ""))) == os.path.realpath(stage1), c2)
    t1_ft = table2_rows(os.path.join(out_ft, "results", "table1.csv"))
    check("experiment: the fine-tuned entry has its Table 1 row",
          [(r["strategy"], r["sampler"]) for r in t1_ft] == [("rec_xT_from_supervised", "ddim")], t1_ft)
    bad_ft = os.path.join(tmp, "exp_bad_finetune.yaml")
    with open(bad_ft, "w") as f:
        f.write(open(spec_ft).read().replace("rec_xT_from_supervised", "supervised_from_supervised"))
    rc, stdout, err = run("experiment", "--config", bad_ft, "--out", os.path.join(tmp, "exp_bad_ft"))
    check("experiment: only a diffusion strategy can be fine-tuned (exit 3 naming the entry)",
          rc == 3 and "supervised_from_supervised" in err, (rc, err[-400:]))

    # A grid mixing the noise families: "rec_xT_bernoulli" trains rec_xT with diffusion.noise: bernoulli in its own
    # folder and is evaluated with DDPM only (the grid's DDIM is skipped for it), the Gaussian entry with both; both
    # are diagnosed for leakage, each with its own noise process.
    spec_mix = os.path.join(tmp, "exp_mixed_noise.yaml")
    with open(spec_mix, "w") as f:
        f.write(open(spec_ft).read().replace("[rec_xT_from_supervised]", "[diffusion, rec_xT_bernoulli]")
                .replace("[ddim]", "[ddpm, ddim]").replace("leakage: false", "leakage: true")
                .replace("train.max_steps: 12", "train.max_steps: 6"))
    out_mix = os.path.join(tmp, "exp_mix")
    rc, stdout, err = run("experiment", "--config", spec_mix, "--out", out_mix)
    config_of = lambda entry: (yaml.safe_load(open(os.path.join(out_mix, "runs", entry, "config.yaml"))) or {}
                               if rc == 0 else {})
    noise = {e: config_of(e).get("diffusion", {}).get("noise", "gaussian") for e in ("diffusion", "rec_xT_bernoulli")}
    check("experiment: the _bernoulli entry trains its strategy with Bernoulli noise, the other stays Gaussian",
          rc == 0 and noise == {"diffusion": "gaussian", "rec_xT_bernoulli": "bernoulli"} and
          config_of("rec_xT_bernoulli").get("train", {}).get("strategy") == "rec_xT", (rc, err[-600:], noise))
    t1_mix = table2_rows(os.path.join(out_mix, "results", "table1.csv")) if rc == 0 else []
    check("experiment: the Bernoulli entry is scored with DDPM only, the Gaussian one with both samplers",
          [(r["strategy"], r["sampler"]) for r in t1_mix] ==
          [("diffusion", "ddpm"), ("diffusion", "ddim"), ("rec_xT_bernoulli", "ddpm")], t1_mix)
    leak_mix = table2_rows(os.path.join(out_mix, "results", "leakage.csv")) if rc == 0 else []
    check("experiment: both entries of the mixed grid have leakage rows",
          {r["strategy"] for r in leak_mix} == {"diffusion", "rec_xT_bernoulli"} and
          os.path.exists(os.path.join(out_mix, "runs", "rec_xT_bernoulli", "leakage_test", "leakage.csv")),
          leak_mix[:2])
    for entry, why in (("sc_xt_bernoulli", "self-conditioning"), ("supervised_bernoulli", "no mask input")):
        bad_mix = os.path.join(tmp, f"exp_bad_{entry}.yaml")
        with open(bad_mix, "w") as f:
            f.write(open(spec_mix).read().replace("rec_xT_bernoulli", entry))
        rc, stdout, err = run("experiment", "--config", bad_mix, "--out", os.path.join(tmp, f"exp_bad_{entry}"))
        check(f"experiment: {entry} is refused before training (exit 3 naming the entry and why)",
              rc == 3 and entry in err and why in err and not os.path.exists(os.path.join(tmp, f"exp_bad_{entry}", "runs")),
              (rc, err[-400:]))

    # evaluate: per-step records and seed ranges.
    ev = os.path.join(tmp, "ev")
    rc, stdout, err = run("evaluate", "--run", os.path.join(out, "runs", "rec_xT"), "--seeds", "3", "--steps", "4",
                          "--sampler", "ddim", "--out", ev)
    recs = json.load(open(os.path.join(ev, "cases.json"))) if rc == 0 else []
    steps = {r["step"] for r in recs}
    check("evaluate: records for 4 steps x 3 seeds x 3 classes per case",
          rc == 0 and steps == {1, 2, 3, 4} and {r["seed"] for r in recs} == {0, 1, 2} and
          {r["label"] for r in recs} == {1, 2, 3}, err)
    summary = json.load(open(os.path.join(ev, "summary.json"))) if rc == 0 else {}
    check("evaluate: summary.json has the final Dice", 0 <= summary.get("final", {}).get("dice", -1) <= 1, summary)

    # A corrupt test image is reported and the other cases are still evaluated (exit 3 at the end).
    data_copy = os.path.join(tmp, "data_copy")
    shutil.copytree(os.path.join(out, "data"), data_copy)
    ds = json.load(open(os.path.join(data_copy, "dataset.json")))
    bad = os.path.join(data_copy, ds["test"][0]["image"])
    os.truncate(bad, os.path.getsize(bad) // 2)
    ev2 = os.path.join(tmp, "ev2")
    rc, stdout, err = run("evaluate", "--run", os.path.join(out, "runs", "rec_xT"), "--data", data_copy, "--out", ev2)
    summary2 = json.load(open(os.path.join(ev2, "summary.json"))) if os.path.exists(os.path.join(ev2, "summary.json")) else {}
    check("evaluate: a corrupt case is named, skipped, and the rest evaluated (exit 3)",
          rc == 3 and os.path.basename(bad) in err and summary2.get("cases") == len(ds["test"]) - 1, (rc, err[-800:]))

    # report: renders in headless Chromium with its tables and charts.
    html = os.path.join(out, "report.html")
    rc, stdout, err = run("report", "--experiment", out, "--out", html)
    check("report: written", rc == 0 and os.path.getsize(html) > 2000, err)
    page = open(html).read() if rc == 0 else ""
    leak_html = page.split('id="leakage"')[1].split("</table>")[0] if 'id="leakage"' in page else ""
    check("report: the leakage section with a row per level of rec_xT",
          "Leakage: what the network sees in training vs inference" in page and leak and
          leak_html.count("<td>rec_xT</td>") == len(leak) and "supervised" not in leak_html, leak_html[:500])
    chromium = shutil.which("chromium")
    if chromium:
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={os.path.join(tmp, 'chrome')}"]
        dom = subprocess.run([chromium, *flags, "--dump-dom", "file://" + html], capture_output=True, text=True,
                             timeout=120).stdout
        check("report: Chromium renders the tables and 5 D3 charts with lines (the leakage gap among them)",
              all(f'id="table{k}"' in dom for k in (1, 2, 4)) and dom.count('<svg class="chart"') == 5 and
              dom.count('class="line"') >= 7 and 'class="axis"' in dom and
              'aria-label="Leakage gap per noise level (test split)"' in dom, dom[:500])
        # 3 cases x (rec_xT: image, truth, 5 steps, uncertainty + supervised: image, truth, 1 step, uncertainty).
        check("report: example figures of every strategy, step and case are embedded",
              dom.count('class="example"') == 3 * (8 + 4) and 'src="data:image/png;base64,' in dom,
              dom.count('class="example"'))
        shot = os.path.join(tmp, "report.png")
        subprocess.run([chromium, *flags, f"--screenshot={shot}", "--window-size=1000,1600", "file://" + html],
                       capture_output=True, timeout=120)
        check("report: the screenshot is not blank", os.path.exists(shot) and os.path.getsize(shot) > 20000,
              os.path.getsize(shot) if os.path.exists(shot) else "no screenshot")
    else:
        check("report: chromium is installed (scripts/setup.sh installs it)", False, "chromium not found")

    # infer (2D PNG in → PNG out, same size) and every step + uncertainty.
    pred = os.path.join(tmp, "pred")
    rc, stdout, err = run("infer", "--run", os.path.join(out, "runs", "rec_xT"), "--input",
                          os.path.join(out, "data", "imagesTr"), "--output", pred, "--save-steps", "--seeds", "2",
                          "--uncertainty")
    files = sorted(os.listdir(pred)) if rc == 0 else []
    check("infer: a label map per image, per step, and an uncertainty map",
          rc == 0 and "case_000.png" in files and "case_000_step5.png" in files and
          "case_000_uncertainty.nii.gz" in files and len([f for f in files if f.endswith("_step1.png")]) == 14, err)

    # 3D: NIfTI in → NIfTI out with the input's affine and shape.
    data3 = os.path.join(tmp, "d3")
    subprocess.run([BIN, "-q", "synth", "--out", data3, "--dims", "3", "--cases", "6", "--size", "16,16,8"], check=True)
    run3 = os.path.join(tmp, "r3")
    rc, stdout, err = run("train", "--config", os.path.join(HERE, "tiny_3d.yaml"), "--data", data3, "--out", run3)
    check("train: a tiny 3D run finishes", rc == 0, err)
    pred3 = os.path.join(tmp, "p3")
    rc, stdout, err = run("infer", "--run", run3, "--input", data3, "--split", "test", "--output", pred3)
    ins = nib.load(os.path.join(data3, "imagesTr", "case_005.nii.gz"))
    outp = os.path.join(pred3, "case_005.nii.gz")
    ok = rc == 0 and os.path.exists(outp)
    o3 = nib.load(outp) if ok else None
    check("infer: 3D output keeps the input's shape and affine",
          ok and o3.shape == ins.shape and np.allclose(o3.affine, ins.affine, atol=1e-5), err)
    # 3D figures: axial (16x16), coronal and sagittal (8 slices x 2 mm / 0.9 mm = 18 rows) side by side.
    ev3 = os.path.join(tmp, "ev3")
    rc, stdout, err = run("evaluate", "--run", run3, "--data", data3, "--examples", "1", "--out", ev3)
    index3 = json.load(open(os.path.join(ev3, "examples", "index.json"))) if rc == 0 else []
    check("evaluate: 3D figures show three orthogonal slices at the voxel spacing's proportions",
          len(index3) == 1 and png_header(os.path.join(ev3, "examples", index3[0]["uncertainty"])) == (52, 18, 2),
          (err[-500:], index3))
    # infer and evaluate share one inference path: the same label and uncertainty maps for the same cases, seeds
    # and checkpoint.
    ev3s, pred3s = os.path.join(tmp, "ev3s"), os.path.join(tmp, "p3s")
    rc1, _, err1 = run("evaluate", "--run", run3, "--data", data3, "--seeds", "2", "--save-predictions", "--out", ev3s)
    rc2, _, err2 = run("infer", "--run", run3, "--input", data3, "--split", "test", "--seeds", "2", "--uncertainty",
                       "--output", pred3s)
    same, compared = rc1 == 0 and rc2 == 0, 0
    if same:
        for name in sorted(os.listdir(os.path.join(ev3s, "predictions"))):
            a = np.asarray(nib.load(os.path.join(ev3s, "predictions", name)).dataobj)
            b = np.asarray(nib.load(os.path.join(pred3s, name)).dataobj)
            same = same and a.shape == b.shape and np.allclose(a, b, atol=1e-6)
            compared += 1
    check("infer and evaluate write identical label and uncertainty maps (2 seeds)", same and compared >= 2,
          (err1[-400:], err2[-400:], compared))
    rc, stdout, err = run("infer", "--run", run3, "--input", os.path.join(tmp, "missing.nii.gz"), "--output", pred3)
    check("infer: a missing input is exit 3 naming it", rc == 3 and "missing.nii.gz" in err, err)

passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)

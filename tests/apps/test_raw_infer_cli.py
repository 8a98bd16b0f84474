#!/usr/bin/python3
"""Raw scans in, the scan's own geometry out: `prepare` → `train` → `infer` on the *raw* file.

Synthetic CT in Hounsfield units with an oblique LPS affine and anisotropic voxels (0.7 x 0.8 x 2.5 mm) is prepared
(reorient to RAS+, resample to 1.4 x 1.6 x 2.5 mm, HU window [-1000, 1000]); a small supervised model is trained on
the prepared data; then `infer` gets the raw scan. Checks, each independent of diffseg's own geometry code:
  - the output has the raw scan's shape and affine (nibabel);
  - it agrees with the prediction on the prepared image carried to the raw grid here (affines + scipy nearest);
  - the segmented structure sits where the ground truth is, in world millimetres;
  - a prepared image given to `infer` is recognised: its output keeps the prepared grid.
Usage: test_raw_infer_cli.py PATH/TO/diffseg   (prints 'N passed, N failed')
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, finish  # noqa: E402

import nibabel as nib
import numpy as np
from scipy import ndimage

BIN = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))


def run(*args, timeout=900):
    p = subprocess.run([BIN, "-q", "--threads", "2", *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def raw_affine():
    """LPS (x and y reversed), rotated 0.3 rad about z, anisotropic spacing."""
    a = 0.3
    rot = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    direction = rot @ np.diag([-1.0, -1.0, 1.0])
    aff = np.eye(4)
    aff[:3, :3] = direction @ np.diag([0.7, 0.8, 2.5])
    aff[:3, 3] = [20.0, -15.0, 7.0]
    return aff


def world_of(aff, shape):
    ijk = np.stack(np.meshgrid(*[np.arange(n) for n in shape], indexing="ij"), -1).reshape(-1, 3)
    return (ijk @ aff[:3, :3].T + aff[:3, 3]).reshape(*shape, 3)


def make_case(rng, aff, shape):
    w = world_of(aff, shape)
    centre_voxel = np.array(shape) / 2 + rng.uniform(-6, 6, 3) * np.array([1, 1, 0.2])
    centre = aff[:3, :3] @ centre_voxel + aff[:3, 3]
    label = (np.linalg.norm(w - centre, axis=-1) < 7.0).astype(np.uint8)
    hu = np.where(label > 0, 250.0, -650.0) + rng.normal(0, 40, shape)
    return hu.astype(np.float32), label


def dice(a, b):
    return 2 * np.logical_and(a, b).sum() / max(1, a.sum() + b.sum())


with tempfile.TemporaryDirectory() as tmp:
    rng = np.random.default_rng(3)
    aff, shape = raw_affine(), (48, 44, 10)
    raw = os.path.join(tmp, "raw")
    os.makedirs(os.path.join(raw, "imagesTr"))
    os.makedirs(os.path.join(raw, "labelsTr"))
    training = []
    for i in range(8):
        hu, label = make_case(rng, aff, shape)
        nib.save(nib.Nifti1Image(hu, aff), os.path.join(raw, "imagesTr", f"ct{i}.nii.gz"))
        nib.save(nib.Nifti1Image(label, aff), os.path.join(raw, "labelsTr", f"ct{i}.nii.gz"))
        training.append({"image": f"./imagesTr/ct{i}.nii.gz", "label": f"./labelsTr/ct{i}.nii.gz"})
    with open(os.path.join(raw, "dataset.json"), "w") as f:
        json.dump({"name": "raw_ct", "modality": {"0": "CT"}, "labels": {"0": "background", "1": "ball"},
                   "training": training}, f)
    prep_cfg = os.path.join(tmp, "prep.yaml")
    with open(prep_cfg, "w") as f:
        f.write("preprocess:\n  reorient: true\n  spacing_xyz: [1.4, 1.6, 2.5]\n"
                "  intensity: {mode: window, low: -1000, high: 1000}\n")
    prep = os.path.join(tmp, "prep")
    rc, _, err = run("prepare", "--dataset", "msd", "--raw", raw, "--out", prep, "--config", prep_cfg)
    check("prepare: the raw CT folder is prepared", rc == 0, err)
    doc = json.load(open(os.path.join(prep, "dataset.json")))
    check("prepare: dataset.json records the recipe", doc.get("preprocessing", {}).get("reorient") is True and
          doc["preprocessing"].get("spacing_xyz") == [1.4, 1.6, 2.5], doc.get("preprocessing"))

    run_dir = os.path.join(tmp, "run")
    rc, _, err = run("train", "--config", os.path.join(HERE, "tiny_3d.yaml"), "--data", prep, "--out", run_dir,
                     "--strategy", "supervised", "--max-steps", "80", "--set", "data.patch=[8,16,16]",
                     "--set", "train.lr.peak=3.0e-3", "--set", "train.lr.warmup_steps=5",
                     "--set", "train.validate_every=1000", "--set", "train.checkpoint_every=80")
    check("train: a supervised model on the prepared data", rc == 0, err)
    config = open(os.path.join(run_dir, "config.yaml")).read()
    check("train: the run config records the data's recipe", "preprocessing" in config and "spacing_xyz" in config,
          config[-800:])

    case = os.path.join(raw, "imagesTr", "ct0.nii.gz")
    out_raw = os.path.join(tmp, "out_raw")
    rc, _, err = run("infer", "--run", run_dir, "--input", case, "--output", out_raw, "--uncertainty")
    check("infer: the raw scan is segmented", rc == 0, err)
    pred = nib.load(os.path.join(out_raw, "ct0.nii.gz"))
    src = nib.load(case)
    check("infer: the output has the raw scan's shape and affine",
          pred.shape == src.shape and np.allclose(pred.affine, src.affine, atol=1e-4), (pred.shape, pred.affine))
    unc = nib.load(os.path.join(out_raw, "ct0_uncertainty.nii.gz"))
    u = np.asarray(unc.dataobj)
    check("infer: the uncertainty map is on the raw grid, in [0, 1]",
          unc.shape == src.shape and np.allclose(unc.affine, src.affine, atol=1e-4) and u.min() >= 0 and
          u.max() <= 1 + 1e-6, (unc.shape, u.min(), u.max()))

    # The same case, prepared: its prediction on the prepared grid, carried to the raw grid here.
    prepared_image = [e["image"] for e in doc["training"] if "ct0" in e["image"]][0]
    prepared_image = os.path.normpath(os.path.join(prep, prepared_image))
    out_prep = os.path.join(tmp, "out_prep")
    rc, _, err = run("infer", "--run", run_dir, "--input", prepared_image, "--output", out_prep)
    check("infer: the prepared image is segmented", rc == 0, err)
    pp = nib.load(os.path.join(out_prep, os.path.basename(prepared_image)))
    pimg = nib.load(prepared_image)
    check("infer: a prepared input is recognised and keeps the prepared grid",
          pp.shape == pimg.shape and np.allclose(pp.affine, pimg.affine, atol=1e-4), (pp.shape, pimg.shape))
    to_prep = np.linalg.inv(pp.affine) @ src.affine
    ijk = np.stack(np.meshgrid(*[np.arange(n) for n in src.shape], indexing="ij"), 0).reshape(3, -1)
    coords = to_prep[:3, :3] @ ijk + to_prep[:3, 3:4]
    carried = ndimage.map_coordinates(np.asarray(pp.dataobj), coords, order=0, cval=0).reshape(src.shape)
    p_raw = np.asarray(pred.dataobj) > 0
    check("infer: the prediction has foreground at all", p_raw.sum() > 50, p_raw.sum())
    d = dice(p_raw, carried > 0)
    check("infer: raw-scan output = prepared-grid output carried back by the affines (Dice >= 0.85)", d >= 0.85, d)

    truth = np.asarray(nib.load(os.path.join(raw, "labelsTr", "ct0.nii.gz")).dataobj) > 0
    w = world_of(src.affine, src.shape)
    c_pred, c_true = w[p_raw].mean(0), w[truth].mean(0)
    dist = float(np.linalg.norm(c_pred - c_true))
    check("infer: the segmented ball sits where the truth is (centroids within 3 mm)", dist < 3.0,
          (dist, dice(p_raw, truth)))
    check("infer: and overlaps it (Dice >= 0.6)", dice(p_raw, truth) >= 0.6, dice(p_raw, truth))

    # The same scan forced through as if it were prepared (HU straight into the network): a different answer.
    out_forced = os.path.join(tmp, "out_forced")
    rc, _, err = run("infer", "--run", run_dir, "--input", case, "--output", out_forced, "--input-kind", "prepared")
    forced = np.asarray(nib.load(os.path.join(out_forced, "ct0.nii.gz")).dataobj) > 0 if rc == 0 else None
    check("infer --input-kind prepared skips the recipe (so the raw HU scan is segmented badly)",
          rc == 0 and dice(forced, truth) < dice(p_raw, truth), err)

    # evaluate --on raw: the raw dataset (HU scans, labels on their own grid) scored on each scan's grid.
    ev = os.path.join(tmp, "ev_raw")
    rc, _, err = run("evaluate", "--run", run_dir, "--data", raw, "--split", "training", "--on", "raw",
                     "--save-predictions", "--out", ev)
    check("evaluate --on raw scores the raw scans", rc == 0, err)
    if rc == 0:
        summary = json.load(open(os.path.join(ev, "summary.json")))
        check("evaluate --on raw: summary.json says the numbers are on the raw grid", summary.get("grid") == "raw",
              summary)
        saved = nib.load(os.path.join(ev, "predictions", "ct0.nii.gz"))
        check("evaluate --on raw: its label map for ct0 equals infer's on the raw file",
              np.allclose(saved.affine, src.affine, atol=1e-4) and
              np.array_equal(np.asarray(saved.dataobj), np.asarray(pred.dataobj)), saved.affine)
        import csv
        rows = {r["case"]: float(r["dice"]) for r in csv.DictReader(open(os.path.join(ev, "cases.csv")))}
        expected = dice(np.asarray(saved.dataobj) > 0, truth)
        check("evaluate --on raw: its Dice is the raw-grid Dice against the raw label (numpy)",
              abs(rows.get("ct0", -1) - expected) < 1e-6, (rows.get("ct0"), expected))

    rc, _, err = run("infer", "--run", run_dir, "--input", case, "--output", os.path.join(raw, "imagesTr"))
    check("infer: an output folder that would overwrite the input is refused (exit 2)",
          rc == 2 and "overwrite" in err and os.path.getsize(case) > 0, (rc, err))

finish()

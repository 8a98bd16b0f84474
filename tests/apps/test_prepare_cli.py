#!/usr/bin/python3
"""`diffseg prepare` on miniature copies of each dataset's download layout (same folder nesting, file names,
formats and label codes as upstream, a few tiny cases): dataset.json, split sizes, shapes, spacings, label sets,
intensity range, skipped bad cases, and resuming an interrupted run.

Usage: test_prepare_cli.py PATH/TO/diffseg tests/fixtures/muscle_us   (run by ctest)
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

BIN, FIXTURES = sys.argv[1], sys.argv[2]
results = []
rng = np.random.default_rng(0)


def run(*args):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=600)
    return p.returncode, p.stdout, p.stderr


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(("ok     " if condition else "FAILED ") + name + ("" if condition else f"  -- {detail}"))


def save(path, data, spacing, direction=None, origin=(0, 0, 0)):
    aff = np.eye(4)
    aff[:3, :3] = (np.eye(3) if direction is None else np.asarray(direction)) @ np.diag(spacing)
    aff[:3, 3] = origin
    os.makedirs(os.path.dirname(path), exist_ok=True)
    nib.save(nib.Nifti1Image(data, aff), path)


def blob_label(shape, values):
    """A label volume with one box per value, placed away from the borders."""
    lab = np.zeros(shape, np.uint8)
    for i, v in enumerate(values):
        x0 = 2 + (i * 3) % max(1, shape[0] - 6)
        lab[x0:x0 + 3, shape[1] // 3:shape[1] // 3 + 3, 1:min(shape[2], 3)] = v
    return lab


def dataset(out):
    with open(os.path.join(out, "dataset.json")) as f:
        return json.load(f)


def split_sizes(d):
    return len(d["training"]), len(d.get("validation", [])), len(d.get("test", []))


def entry_path(out, e):
    image = e["image"][0] if isinstance(e["image"], list) else e["image"]
    return os.path.join(out, image), os.path.join(out, e["label"])


def skipped_ids(out):
    with open(os.path.join(out, "skipped.csv")) as f:
        return {row["id"] for row in csv.DictReader(f)}


def check_volumes(name, out, shape, spacing, labels, channels=1):
    d = dataset(out)
    entries = d["training"] + d.get("validation", []) + d.get("test", [])
    shapes, spacings, values, lo, hi = set(), set(), set(), np.inf, -np.inf
    for e in entries:
        ip, lp = entry_path(out, e)
        img, lab = nib.load(ip), nib.load(lp)
        data = img.get_fdata()
        shapes.add(data.shape)
        spacings.add(tuple(np.round(img.header.get_zooms()[:3], 4)))
        values |= set(np.unique(np.asarray(lab.dataobj)).tolist())
        lo, hi = min(lo, data.min()), max(hi, data.max())
        if not np.allclose(img.affine, lab.affine):
            check(f"{name}: image and label affines agree", False, ip)
    want_shape = shape if channels == 1 else shape + (channels,)
    check(f"{name}: every image has shape {want_shape}", shapes == {want_shape}, shapes)
    check(f"{name}: spacing {spacing}", spacings == {tuple(spacing)}, spacings)
    check(f"{name}: label values within {sorted(labels)}", values <= set(labels) and len(values) > 1, values)
    check(f"{name}: intensities rescaled to [0, 1]", 0 <= lo and hi <= 1 and hi > 0.5, (lo, hi))


with tempfile.TemporaryDirectory() as tmp:
    # ---- muscle ultrasound: Polito-Radboud-DeepLearningUS/Segmentation_models/data/MuscleCNN/{train,trainannot,...}
    raw = os.path.join(tmp, "muscle_raw")
    root = os.path.join(raw, "Polito-Radboud-DeepLearningUS", "Segmentation_models", "data", "MuscleCNN")
    image = os.path.join(FIXTURES, "BB_anon_348_1.png")
    mask = os.path.join(FIXTURES, "BB_anon_348_1_mask.png")
    counts = {"train": 3, "val": 1, "test": 2}
    for folder, n in counts.items():
        os.makedirs(os.path.join(root, folder))
        os.makedirs(os.path.join(root, folder + "annot"))
        for i in range(n):
            shutil.copy(image, os.path.join(root, folder, f"BB_anon_{folder}_{i}.png"))
            shutil.copy(mask, os.path.join(root, folder + "annot", f"BB_anon_{folder}_{i}.png"))
    shutil.copy(image, os.path.join(root, "train", "GM_no_mask.png"))  # an image whose mask is missing
    out = os.path.join(tmp, "muscle")
    rc, so, se = run("prepare", "--dataset", "muscle_us", "--raw", raw, "--out", out, "--workers", "2")
    check("muscle_us: exit 0", rc == 0, se)
    d = dataset(out) if rc == 0 else {"training": []}
    check("muscle_us: split from the folders (3/1/2)", split_sizes(d) == (3, 1, 2), split_sizes(d))
    check("muscle_us: two classes", d.get("labels") == {"0": "background", "1": "muscle"}, d.get("labels"))
    check("muscle_us: the image without a mask is reported and skipped",
          rc == 0 and skipped_ids(out) == {"GM_no_mask"} and "GM_no_mask" in so, so)
    if rc == 0:
        # The prepared label is the mask as class ids: 255 → 1, same pixels; read back through diffseg info.
        ip, lp = entry_path(out, d["training"][0])
        rc2, info, _ = run("info", "--json", lp)
        meta = json.loads(info) if rc2 == 0 else {}
        check("muscle_us: label PNG 512x480 with values {0, 1}",
              meta.get("size", [0])[:2] == [512, 480] and meta.get("max") == 1, info)
    # Resampled to 4-pixel spacing, the images become NIfTI and so must the labels: a PNG label would drop the spacing
    # and no longer match its image (the loader refuses such a pair).
    out = os.path.join(tmp, "muscle_4px")
    rc, so, se = run("prepare", "--dataset", "muscle_us", "--raw", raw, "--out", out,
                     "--set", "preprocess.spacing_xyz=[4,4,1]")
    check("muscle_us at 4-pixel spacing: exit 0", rc == 0, se)
    if rc == 0:
        ip, lp = entry_path(out, dataset(out)["training"][0])
        img, lab = nib.load(ip), nib.load(lp)
        check("muscle_us at 4-pixel spacing: image and label NIfTI 128x120, spacing 4, same affine",
              lp.endswith(".nii.gz") and img.shape[:2] == lab.shape[:2] == (128, 120)
              and np.allclose(lab.affine, img.affine) and np.allclose(lab.header.get_zooms()[:2], (4, 4)),
              (lp, img.shape, lab.shape, lab.affine))
        check("muscle_us at 4-pixel spacing: label is the mask block-resampled (nearest), values {0, 1}",
              set(np.unique(np.asarray(lab.dataobj)).tolist()) == {0, 1}
              and abs(float(np.asarray(lab.dataobj).mean()) - 0.219) < 0.01, np.asarray(lab.dataobj).mean())

    # ---- AMOS 2022: amos22/dataset.json + imagesTr/labelsTr/imagesVa/labelsVa; CT = id <= 500
    raw = os.path.join(tmp, "amos_raw")
    root = os.path.join(raw, "amos22")
    listing = {"training": [], "validation": []}
    ct_direction = np.diag([-1.0, -1.0, 1.0])
    for split, folder, ids in [("training", "Tr", [1, 2, 3, 507]), ("validation", "Va", list(range(8, 18)) + [600])]:
        for i in ids:
            name = f"amos_{i:04d}.nii.gz"
            hu = rng.integers(-1100, 1500, size=(40, 30, 10)).astype(np.int16)
            lab = blob_label((40, 30, 10), [1, 6, 15])
            save(os.path.join(root, "images" + folder, name), hu, (1.0, 1.0, 2.5), ct_direction, (100, 80, -20))
            origin = (100, 80, -20) if i != 9 else (90, 80, -20)  # amos_0009: label on another grid
            save(os.path.join(root, "labels" + folder, name), lab, (1.0, 1.0, 2.5), ct_direction, origin)
            listing[split].append({"image": f"./images{folder}/{name}", "label": f"./labels{folder}/{name}"})
    with open(os.path.join(root, "dataset.json"), "w") as f:
        json.dump({"name": "AMOS", "numTraining": 4, **listing}, f)
    out = os.path.join(tmp, "amos")
    rc, so, se = run("prepare", "--dataset", "amos_ct", "--raw", raw, "--out", out)
    check("amos_ct: exit 0", rc == 0, se)
    d = dataset(out) if rc == 0 else {"training": []}
    # 3 training CTs; 10 validation CTs → 1 validation + 9 test, minus amos_0009 (skipped); MR ids > 500 left out.
    check("amos_ct: CT only, 10 % of validation CTs validate, the rest test", split_sizes(d) == (3, 1, 8),
          split_sizes(d))
    check("amos_ct: mismatched label geometry is reported and skipped",
          rc == 0 and skipped_ids(out) == {"amos_0009"} and "amos_0009" in so, so)
    check("amos_ct: 16 classes", len(d.get("labels", {})) == 16, d.get("labels"))
    if rc == 0:
        check_volumes("amos_ct", out, (192, 128, 128), (1.5, 1.5, 5.0), {0, 1, 6, 15})
        # Interrupt simulation: drop one finished case's marker; a rerun redoes only that case.
        os.remove(os.path.join(out, ".prepare", "amos_0002.json"))
        rc, so, se = run("prepare", "--dataset", "amos_ct", "--raw", raw, "--out", out)
        check("amos_ct: rerun reuses the finished cases", rc == 0 and "11 already done" in so, so)

    # ---- male pelvic MR: data/<uid>_img.nii, data/<uid>_mask.nii, institution.txt
    raw = os.path.join(tmp, "pelvic_raw")
    uids = [(f"A{i:02d}", "InstA") for i in range(8)] + [(f"B{i:02d}", "InstB") for i in range(3)]
    with open(os.path.join(tmp, "institution.txt"), "w") as f:
        f.write("".join(f"{u} {inst}\n" for u, inst in uids))
    os.makedirs(os.path.join(raw, "data"))
    shutil.move(os.path.join(tmp, "institution.txt"), os.path.join(raw, "institution.txt"))
    for u, _ in uids:
        save(os.path.join(raw, "data", f"{u}_img.nii"), rng.gamma(2.0, 200.0, size=(48, 40, 12)).astype(np.float32),
             (0.6, 0.6, 3.0))
        if u != "A05":  # one case without its mask
            save(os.path.join(raw, "data", f"{u}_mask.nii"), blob_label((48, 40, 12), [1, 4, 8]), (0.6, 0.6, 3.0))
    out = os.path.join(tmp, "pelvic")
    rc, so, se = run("prepare", "--dataset", "male_pelvic_mr", "--raw", raw, "--out", out)
    check("male_pelvic_mr: exit 0", rc == 0, se)
    d = dataset(out) if rc == 0 else {"training": []}
    # InstA (8): 2 valid, uids[2:4] train, 4 test (A05 skipped → 3); InstB (3): 2 valid, 0 train, 1 test.
    check("male_pelvic_mr: per-institution split (2 train, 4 valid, 4 test)", split_sizes(d) == (2, 4, 4),
          split_sizes(d))
    check("male_pelvic_mr: missing mask reported", rc == 0 and skipped_ids(out) == {"A05"}, so)
    if rc == 0:
        check_volumes("male_pelvic_mr", out, (256, 256, 48), (0.75, 0.75, 2.5), {0, 1, 4, 8})

    # ---- BraTS 2021: BraTS2021_NNNNN/BraTS2021_NNNNN_{t1,t1ce,t2,flair,seg}.nii.gz, labels {0,1,2,4}
    raw = os.path.join(tmp, "brats_raw", "RSNA_ASNR_MICCAI_BraTS2021_TrainingData")
    brats_dir = np.diag([-1.0, -1.0, 1.0])
    for n in range(8):
        case = f"BraTS2021_{n * 7:05d}"
        folder = os.path.join(raw, case)
        for m in ["t1", "t1ce", "t2", "flair"]:
            if case == "BraTS2021_00014" and m == "flair":
                continue  # a case missing one sequence
            origin = (0, 239, 0) if not (case == "BraTS2021_00021" and m == "t2") else (0, 230, 0)
            save(os.path.join(folder, f"{case}_{m}.nii.gz"), rng.integers(0, 3000, size=(70, 30, 6)).astype(np.int16),
                 (1.0, 1.0, 1.0), brats_dir, origin)
        seg = np.zeros((70, 30, 6), np.uint8)  # tumour inside the fixed crop (x 37..45, y 10..18)
        seg[38:41, 12:15, 1:3], seg[41:43, 12:15, 1:3], seg[43:45, 12:15, 1:3] = 1, 2, 4
        save(os.path.join(folder, f"{case}_seg.nii.gz"), seg, (1.0, 1.0, 1.0), brats_dir, (0, 239, 0))
    out = os.path.join(tmp, "brats")
    rc, so, se = run("prepare", "--dataset", "brats2021", "--raw", os.path.join(tmp, "brats_raw"), "--out", out)
    check("brats2021: exit 0", rc == 0, se)
    d = dataset(out) if rc == 0 else {"training": []}
    # 8 sorted ids: 6 train, 1 valid, 1 test (proportions 938/31/282); two bad training cases skipped.
    check("brats2021: sorted-id split, bad cases skipped (4/1/1)", split_sizes(d) == (4, 1, 1), split_sizes(d))
    check("brats2021: missing sequence and mismatched affine reported",
          rc == 0 and skipped_ids(out) == {"BraTS2021_00014", "BraTS2021_00021"} and "t2" in so, so)
    check("brats2021: binary whole-tumour task", d.get("labels") == {"0": "background", "1": "whole tumour"},
          d.get("labels"))
    check("brats2021: four channels in order T1, T1ce, T2, FLAIR",
          d.get("modality") == {"0": "T1", "1": "T1ce", "2": "T2", "3": "FLAIR"}, d.get("modality"))
    if rc == 0:
        # fixed crop lower (37, 10, 0), upper (24, 11, 0): 70x30x6 → 9x9x6
        check_volumes("brats2021", out, (9, 9, 6), (1.0, 1.0, 1.0), {0, 1}, channels=4)

    # ---- BraTS 2021 as the challenge defines it: classes 1, 2, 3 (raw 4 → 3), scored as the overlapping regions
    # whole tumour {1, 2, 3}, tumour core {1, 3}, enhancing tumour {3}.
    out_r = os.path.join(tmp, "brats_regions")
    rc, so, se = run("prepare", "--dataset", "brats2021_regions", "--raw", os.path.join(tmp, "brats_raw"), "--out", out_r)
    check("brats2021_regions: exit 0", rc == 0, se)
    dr = dataset(out_r) if rc == 0 else {}
    check("brats2021_regions: four classes", dr.get("labels") == {"0": "background", "1": "necrotic tumour core",
                                                               "2": "peritumoral oedema", "3": "enhancing tumour"},
          dr.get("labels"))
    regions = [("whole tumour", [1, 2, 3]), ("tumour core", [1, 3]), ("enhancing tumour", [3])]
    check("brats2021_regions: dataset.json lists the three regions",
          [(r["name"], r["labels"]) for r in dr.get("regions", [])] == regions, dr.get("regions"))
    if rc == 0:
        check_volumes("brats2021_regions", out_r, (9, 9, 6), (1.0, 1.0, 1.0), {0, 1, 2, 3}, channels=4)
        here = os.path.dirname(os.path.abspath(__file__))
        run_r, ev_r = os.path.join(tmp, "brats_run"), os.path.join(tmp, "brats_eval")
        rc, so, se = run("-q", "--threads", "2", "train", "--config", os.path.join(here, "tiny_3d.yaml"), "--data",
                         out_r, "--out", run_r, "--strategy", "supervised", "--max-steps", "20",
                         "--set", "data.patch=[6,8,8]", "--set", "train.lr.peak=3.0e-3")
        check("brats2021_regions: a small model trains on the four classes", rc == 0, se)
        rc, so, se = run("-q", "--threads", "2", "evaluate", "--run", run_r, "--split", "training",
                         "--save-predictions", "--out", ev_r)
        check("brats2021_regions: evaluate scores it", rc == 0, se)
        summary = json.load(open(os.path.join(ev_r, "summary.json"))) if rc == 0 else {}
        check("brats2021_regions: the summary says regions are scored, and which",
              summary.get("scored") == "regions" and [r["name"] for r in summary.get("regions", [])] ==
              [n for n, _ in regions], summary.get("regions"))
        # Region Dice recomputed here from the saved label maps and the prepared labels.
        rows = list(csv.DictReader(open(os.path.join(ev_r, "cases.csv")))) if rc == 0 else []
        worst, compared = 0.0, 0
        for e in dr["training"]:
            ip, lp = entry_path(out_r, e)
            case = os.path.basename(ip).split(".")[0]
            pred = np.asarray(nib.load(os.path.join(ev_r, "predictions", case + ".nii.gz")).dataobj)
            truth = np.asarray(nib.load(lp).dataobj)
            for r, (name, members) in enumerate(regions, start=1):
                p, t = np.isin(pred, members), np.isin(truth, members)
                expected = 2 * (p & t).sum() / (p.sum() + t.sum()) if p.sum() + t.sum() else float("nan")
                got = [float(x["dice"]) for x in rows if x["case"] == case and x["label"] == str(r)]
                if len(got) == 1 and not (np.isnan(expected) and np.isnan(got[0])):
                    worst = max(worst, abs(got[0] - expected))
                    compared += 1
        check("brats2021_regions: region Dice equals an independent computation (every case and region)",
              compared == 3 * len(dr["training"]) and worst < 1e-6, (compared, worst))

    # ---- an MSD folder with a listed file missing: that case is skipped, the others prepared; an --out inside the
    # raw folder is refused before anything is written; when every case fails there is no dataset.json.
    msd = os.path.join(tmp, "msd_raw")
    entries = []
    for i in range(3):
        save(os.path.join(msd, "imagesTr", f"c{i}.nii.gz"), rng.random((12, 10, 4)).astype(np.float32), (1, 1, 2))
        save(os.path.join(msd, "labelsTr", f"c{i}.nii.gz"), blob_label((12, 10, 4), [1]), (1, 1, 2))
        entries.append({"image": f"./imagesTr/c{i}.nii.gz", "label": f"./labelsTr/c{i}.nii.gz"})
    os.remove(os.path.join(msd, "labelsTr", "c1.nii.gz"))
    with open(os.path.join(msd, "dataset.json"), "w") as f:
        json.dump({"name": "msd_mock", "labels": {"0": "background", "1": "organ"}, "training": entries}, f)
    raw_json = open(os.path.join(msd, "dataset.json")).read()
    out_m = os.path.join(tmp, "msd_out")
    rc, so, se = run("prepare", "--dataset", "msd", "--raw", msd, "--out", out_m)
    check("msd: a listed file that is missing skips only its case",
          rc == 0 and skipped_ids(out_m) == {"c1"} and len(dataset(out_m)["training"]) == 2, (rc, se[-500:]))
    rc, so, se = run("prepare", "--dataset", "msd", "--raw", msd, "--out", os.path.join(msd, "prepared"))
    check("prepare: an --out inside --raw is refused (exit 2), the raw dataset.json untouched",
          rc == 2 and open(os.path.join(msd, "dataset.json")).read() == raw_json and
          not os.path.exists(os.path.join(msd, "prepared")), (rc, se[-300:]))
    for i in (0, 2):
        os.remove(os.path.join(msd, "labelsTr", f"c{i}.nii.gz"))
    out_none = os.path.join(tmp, "msd_none")
    rc, so, se = run("prepare", "--dataset", "msd", "--raw", msd, "--out", out_none)
    check("prepare: every case failing is exit 3 and leaves no dataset.json",
          rc == 3 and not os.path.exists(os.path.join(out_none, "dataset.json")), (rc, se[-300:]))

    # ---- usage errors
    rc, so, se = run("prepare", "--dataset", "amos_ct", "--raw", os.path.join(tmp, "pelvic_raw"), "--out",
                     os.path.join(tmp, "x"))
    check("wrong layout: exit 3 naming the folder and what is missing",
          rc == 3 and "pelvic_raw" in se and "dataset.json" in se, se)
    rc, so, se = run("prepare", "--dataset", "kidneys", "--raw", tmp, "--out", os.path.join(tmp, "y"))
    check("unknown dataset: exit 2", rc == 2, se)

print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
sys.exit(0 if all(results) else 1)

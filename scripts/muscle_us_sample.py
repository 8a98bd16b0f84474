#!/usr/bin/python3
"""A muscle-ultrasound sample dataset cut from the one real image the repository holds (docs/ablation.md).

The muscle-ultrasound dataset has to be downloaded; the repository keeps a single expert-annotated transverse
biceps image (tests/fixtures/muscle_us, Apache-2.0, PROVENANCE.md there). This script turns that image into the
smallest honest train/test split real ultrasound allows: the left half of the image trains, the right half is the
test case, so a model is scored on muscle boundary and speckle it never saw. It is a sample for checking that an
ordering seen on synthetic data also shows on real ultrasound texture, not a benchmark.

Steps, all through diffseg's own tools except the cut:
  1. the fixture pair is copied into the download's folder layout (train/, trainannot/, ...);
  2. `diffseg prepare --dataset muscle_us` resamples it to 4-pixel spacing (linear image, nearest mask):
     480x512 -> 120x128, so 2 CPU cores can train on it;
  3. the prepared image and mask are cut at the middle column with nibabel; each half keeps its place in the
     image (the affine's origin moves with the cut), and an MSD-style dataset.json lists the left half as training
     and the right half as test (no validation split: runs keep their last weights);
  4. `diffseg prepare --dataset msd` writes the dataset folder the experiment reads (OUT/dataset).

Usage: scripts/muscle_us_sample.py DIFFSEG_BINARY OUT      (OUT: e.g. data/muscle_us_sample)
Needs /usr/bin/python3 with numpy and nibabel (Debian's python3-numpy, python3-nibabel; scripts/setup.sh).
"""
import json
import os
import shutil
import subprocess
import sys

import nibabel as nib
import numpy as np

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "muscle_us")
CASE = "BB_anon_348_1"
SPACING = 4  # pixels of the original image per sample pixel


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"muscle_us_sample: {' '.join(cmd)} failed (exit {r.returncode}):\n{r.stderr[-3000:]}")


def download_layout(raw):
    """The fixture pair in the dataset's own folder layout (an image and its mask share the file name)."""
    for folder in ("train", "trainannot", "val", "valannot", "test", "testannot"):
        os.makedirs(os.path.join(raw, folder), exist_ok=True)
    shutil.copyfile(os.path.join(FIXTURES, CASE + ".png"), os.path.join(raw, "train", CASE + ".png"))
    shutil.copyfile(os.path.join(FIXTURES, CASE + "_mask.png"), os.path.join(raw, "trainannot", CASE + ".png"))


def prepared_pair(folder):
    """(image, label) NIfTI paths of the one case in a prepared dataset folder."""
    with open(os.path.join(folder, "dataset.json")) as f:
        entries = json.load(f)["training"]
    if len(entries) != 1:
        sys.exit(f"muscle_us_sample: expected one prepared case in {folder}, found {len(entries)}")
    image = entries[0]["image"]
    image = image[0] if isinstance(image, list) else image
    return os.path.join(folder, image), os.path.join(folder, entries[0]["label"])


def cut_at_middle_column(image_path, label_path, raw):
    """Left half -> imagesTr/labelsTr, right half -> imagesTs/labelsTs, with an MSD dataset.json."""
    image, label = nib.load(image_path), nib.load(label_path)
    columns = image.shape[0]  # NIfTI axis 0 is x, the image's columns
    halves = {"left": (0, columns // 2, "Tr"), "right": (columns // 2, columns, "Ts")}
    listing = {"training": [], "test": []}
    for name, (first, end, suffix) in halves.items():
        affine = image.affine.copy()
        affine[:3, 3] = image.affine[:3, :3] @ np.array([first, 0, 0]) + image.affine[:3, 3]
        entry = {}
        for kind, volume, dtype in (("images", image, np.float32), ("labels", label, np.uint8)):
            data = np.asanyarray(volume.dataobj)[first:end].astype(dtype)
            path = f"{kind}{suffix}/{CASE}_{name}.nii.gz"
            os.makedirs(os.path.join(raw, f"{kind}{suffix}"), exist_ok=True)
            nib.save(nib.Nifti1Image(data, affine), os.path.join(raw, path))
            entry["image" if kind == "images" else "label"] = path
        listing["training" if suffix == "Tr" else "test"].append(entry)
    with open(os.path.join(raw, "dataset.json"), "w") as f:
        json.dump({"name": "muscle_us_sample", "modality": {"0": "US"},
                   "labels": {"0": "background", "1": "muscle"}, **listing}, f, indent=2)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    binary, out = sys.argv[1], sys.argv[2]
    if os.path.exists(os.path.join(out, "dataset", "dataset.json")):
        print(f"muscle_us_sample: {out}/dataset exists, nothing to do")
        return
    work = os.path.join(out, "work")
    shutil.rmtree(work, ignore_errors=True)
    download_layout(os.path.join(work, "download"))
    run([binary, "-q", "prepare", "--dataset", "muscle_us", "--raw", os.path.join(work, "download"),
         "--out", os.path.join(work, "resampled"), "--set", f"preprocess.spacing_xyz=[{SPACING},{SPACING},1]"])
    cut_at_middle_column(*prepared_pair(os.path.join(work, "resampled")), os.path.join(work, "halves"))
    run([binary, "-q", "prepare", "--dataset", "msd", "--raw", os.path.join(work, "halves"),
         "--out", os.path.join(out, "dataset")])
    shutil.rmtree(work)
    print(f"muscle_us_sample: {out}/dataset (training: left half, test: right half, {SPACING}-pixel spacing)")


if __name__ == "__main__":
    main()

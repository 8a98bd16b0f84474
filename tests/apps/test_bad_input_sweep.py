#!/usr/bin/python3
"""Bad-input sweep: every kind of broken input against every command that reads it (docs/reliability.md).

Each case asserts the README's exit code, a message that names the file or option and the problem, and that no
output that could pass for a result was left behind. Usage: test_bad_input_sweep.py PATH/TO/diffseg (run by ctest).
"""
import gzip
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, finish  # noqa: E402

try:
    import numpy as np
    import nibabel as nib
except ImportError as e:  # Debian's python3-numpy / python3-nibabel (scripts/setup.sh)
    print(f"skipped: /usr/bin/python3 lacks numpy or nibabel ({e})")
    sys.exit(0)

BIN = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
tmp = tempfile.mkdtemp(prefix="diffseg_sweep_")
USAGE, BAD_DATA = 2, 3


def path(*parts):
    return os.path.join(tmp, *parts)


def run(args, timeout=300):
    return subprocess.run([BIN, "-q"] + args, capture_output=True, text=True, timeout=timeout)


def leftovers(paths):
    """The outputs that exist although the command failed (a file, or a folder that is not empty)."""
    found = []
    for p in paths:
        if os.path.isfile(p) or (os.path.isdir(p) and os.listdir(p)):
            found.append(p)
    return found


def expect(name, args, code, words, outputs=()):
    """Runs one case: exit code `code`, every word of `words` in the message, none of `outputs` written."""
    for p in outputs:  # each case starts without its outputs
        shutil.rmtree(p, ignore_errors=True) if os.path.isdir(p) else (os.path.exists(p) and os.remove(p))
    r = run(args)
    message = r.stderr + r.stdout
    missing = [w for w in words if w.lower() not in message.lower()]
    left = leftovers(outputs)
    ok = r.returncode == code and not missing and not left and "internal error" not in message
    check(name, ok, f"exit {r.returncode} (want {code}); missing words {missing}; left behind {left}; "
                    f"message: {message.strip()[-700:]}")


# ---------------------------------------------------------------- valid material the broken inputs are made from
def must(args):
    r = run(args, timeout=600)
    if r.returncode != 0:
        print("set-up failed:", args, r.stderr[-2000:])
        sys.exit(1)


must(["synth", "--out", path("d2"), "--cases", "6", "--classes", "1", "--size", "32,32", "--seed", "1"])
must(["synth", "--out", path("d3"), "--dims", "3", "--cases", "2", "--classes", "1", "--size", "16,16,8"])
must(["train", "--config", os.path.join(HERE, "tiny_2d.yaml"), "--data", path("d2"), "--out", path("run"),
      "--max-steps", "2", "--set", "data.num_classes=2"])

GOOD_PNG_LABEL = path("d2", "labelsTr", "case_000.png")
GOOD_NII_LABEL = path("d3", "labelsTr", "case_000.nii.gz")
with gzip.open(path("d3", "imagesTr", "case_000.nii.gz"), "rb") as f:
    GOOD_NII = f.read()  # a valid NIfTI-1 single file (header 348 + 4 extension bytes + float32 voxels)


def write(name, data):
    p = path("bad", name)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data)
    return p


def patched(**fields):
    """GOOD_NII with header fields replaced: name -> (offset, struct format, value)."""
    b = bytearray(GOOD_NII)
    for offset, fmt, value in fields.values():
        struct.pack_into("<" + fmt, b, offset, *(value if isinstance(value, tuple) else (value,)))
    return bytes(b)


def nan_volume():
    img = nib.Nifti1Image(np.full((16, 16, 8), np.nan, dtype=np.float32), np.diag([1.0, 1.0, 2.0, 1.0]))
    p = path("bad", "nan_voxels.nii.gz")
    nib.save(img, p)
    return p


os.makedirs(path("bad", "folder.nii"), exist_ok=True)
png = open(GOOD_PNG_LABEL, "rb").read()
# (file, words the message must contain besides the file name, also refused by `info`?)
BAD_IMAGES = [
    (path("bad", "missing.nii.gz"), ["not found"], True),
    (write("empty.nii", b""), ["empty"], True),
    (write("truncated.nii", GOOD_NII[: len(GOOD_NII) // 2]), ["truncated"], True),
    (write("truncated.nii.gz", gzip.compress(GOOD_NII)[:120]), ["truncated"], True),
    (write("corrupt.nii.gz", b"\x1f\x8b\x08\x00" + b"not really gzip" * 20), ["gzip"], True),
    (write("magic.nii", patched(magic=(344, "4s", b"xyz\0"))), ["magic"], True),
    (write("datatype.nii", patched(datatype=(70, "h", 99))), ["data type"], True),
    (write("gzip_named.nii", gzip.compress(GOOD_NII)), ["rename"], True),
    (write("huge_dims.nii", patched(dim=(40, "4h", (3, 32767, 32767, 32767)))), ["corrupt header"], True),
    (write("vox_offset.nii", patched(vox_offset=(108, "f", 1e12))), ["vox_offset"], True),
    (write("pixdim_nan.nii", patched(pixdim=(80, "f", float("nan")))), ["pixdim"], True),
    (write("zero_sform.nii", patched(qform=(252, "h", 0), sform=(254, "h", 1),
                                     srow=(280, "12f", tuple([0.0] * 12)))), ["sform"], True),
    (write("truncated.png", png[: len(png) // 2]), ["png"], True),
    (write("not_an_image.png", b"this is text, not a PNG file"), ["png"], True),
    (write("unknown.mha", b"ObjectType = Image"), ["format"], True),
    (nan_volume(), ["nan"], False),  # `info` shows such a file as it is; everything that computes refuses it
]

for image, words, info_refuses in BAD_IMAGES:
    base = os.path.basename(image)
    if info_refuses:
        expect(f"info refuses {base}", ["info", image], BAD_DATA, [base] + words)
    ref = GOOD_PNG_LABEL if image.endswith(".png") else GOOD_NII_LABEL
    out = path("out", "metrics.json")
    expect(f"metrics refuses {base} as prediction", ["metrics", "--pred", image, "--ref", ref, "--json", out],
           BAD_DATA, [base], [out])
    expect(f"metrics refuses {base} as reference", ["metrics", "--pred", ref, "--ref", image, "--json", out],
           BAD_DATA, [base], [out])
    infer_out = path("out", "infer")
    expect(f"infer refuses {base}", ["infer", "--run", path("run"), "--input", image, "--output", infer_out],
           BAD_DATA, [base], [infer_out])

# A folder named like an image: `info` says it is a folder; metrics and infer take folders, so they say what they
# expected instead (two folders; images inside it) — a usage error, naming the folder.
folder = path("bad", "folder.nii")
expect("info refuses a folder named like an image", ["info", folder], BAD_DATA, ["folder.nii", "folder"])
expect("metrics refuses a folder against a file", ["metrics", "--pred", folder, "--ref", GOOD_NII_LABEL],
       USAGE, ["folder.nii", "is a folder", "--ref"])
expect("metrics refuses a file against a folder", ["metrics", "--pred", GOOD_NII_LABEL, "--ref", folder],
       USAGE, ["folder.nii", "is a folder", "--pred"])
expect("infer refuses an input folder without images", ["infer", "--run", path("run"), "--input", folder,
       "--output", path("out", "infer")], USAGE, ["folder.nii", "no input images"], [path("out", "infer")])

# A valid image the 2D run cannot segment: a 3D volume.
infer_out = path("out", "infer")
expect("infer refuses a 3D volume for a 2D run", ["infer", "--run", path("run"), "--input",
       path("d3", "imagesTr", "case_000.nii.gz"), "--output", infer_out], BAD_DATA, ["case_000", "3D"],
       [infer_out])
# Images whose shapes do not match.
expect("metrics refuses a prediction of another shape", ["metrics", "--pred", GOOD_PNG_LABEL, "--ref",
       os.path.join(HERE, "..", "fixtures", "muscle_us", "BB_anon_425_2_mask_pred.png"), "--json",
       path("out", "m.json")], BAD_DATA, ["case_000"], [path("out", "m.json")])


# ---------------------------------------------------------------- datasets whose cases or dataset.json are broken
def dataset_with(name, edit):
    """A copy of d2 changed by edit(folder, dataset_dict) -> dataset_dict or raw bytes for dataset.json."""
    folder = path("sets", name)
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(path("d2"), folder)
    with open(os.path.join(folder, "dataset.json")) as f:
        ds = json.load(f)
    new = edit(folder, ds)
    with open(os.path.join(folder, "dataset.json"), "wb") as f:
        f.write(new if isinstance(new, bytes) else json.dumps(new).encode())
    return folder


def every_image_truncated(folder, ds):
    for entry in ds["training"] + ds["test"]:
        p = os.path.join(folder, entry["image"])
        data = open(p, "rb").read()
        open(p, "wb").write(data[: len(data) // 3])
    return ds


def labels_out_of_range(folder, ds):
    lab = os.path.join(folder, "labelsTr", "case_000.png")
    # A label map with value 7 in a 2-class dataset (0/255 masks map 255 to 1; 7 is neither).
    must(["synth", "--out", path("tmp7"), "--cases", "6", "--classes", "7", "--size", "32,32", "--seed", "4"])
    for entry in ds["training"] + ds["test"]:
        shutil.copy(os.path.join(path("tmp7"), entry["label"]), os.path.join(folder, entry["label"]))
    return ds


DATASETS = [
    ("every image truncated", dataset_with("truncated", every_image_truncated), ["case_00", "truncated"]),
    ("labels outside the classes", dataset_with("labels", labels_out_of_range), ["label"]),
    ("dataset.json truncated", dataset_with("json_truncated", lambda f, ds: json.dumps(ds).encode()[:40]),
     ["dataset.json"]),
    ("dataset.json without training cases", dataset_with("json_empty", lambda f, ds: {"labels": ds["labels"]}),
     ["dataset.json"]),
    ("dataset.json naming a missing file", dataset_with("json_missing", lambda f, ds: dict(
        ds, training=[{"image": f"./imagesTr/nope{i}.png", "label": f"./labelsTr/nope{i}.png"} for i in range(4)],
        test=[{"image": "./imagesTr/nope9.png", "label": "./labelsTr/nope9.png"}])), ["nope0.png", "do not exist"]),
]
for what, folder, words in DATASETS:
    run_out = path("out", "train_run")
    expect(f"train refuses a dataset with {what}", ["train", "--config", os.path.join(HERE, "tiny_2d.yaml"),
           "--data", folder, "--out", run_out, "--max-steps", "1", "--set", "data.num_classes=2"], BAD_DATA, words,
           [os.path.join(run_out, "model_last.pt"), os.path.join(run_out, "checkpoints")])
    if what != "labels outside the classes":  # evaluate scores labels as given (values beyond K are scored as absent)
        eval_out = path("out", "eval")
        expect(f"evaluate refuses a dataset with {what}", ["evaluate", "--run", path("run"), "--data", folder,
               "--out", eval_out], BAD_DATA, words if "json" in what or "missing" in what else ["case_00"],
               [os.path.join(eval_out, "summary.json")])

# ---------------------------------------------------------------- options and settings (exit 2, option named)
OPTIONS = [
    (["train", "--config", os.path.join(HERE, "tiny_2d.yaml"), "--out", "RUN", "--data", path("d2"),
      "--batch-size", "0"], ["--batch-size"]),
    (["train", "--config", os.path.join(HERE, "tiny_2d.yaml"), "--out", "RUN", "--data", path("d2"),
      "--max-steps", "-5"], ["--max-steps"]),
    (["train", "--config", os.path.join(HERE, "tiny_2d.yaml"), "--out", "RUN", "--data", path("d2"),
      "--patch", "0,0"], ["--patch"]),
    (["train", "--config", os.path.join(HERE, "tiny_2d.yaml"), "--out", "RUN", "--data", path("d2"),
      "--device", "gpu"], ["--device"]),
    (["train", "--config", os.path.join(HERE, "tiny_2d.yaml"), "--out", "RUN", "--data", path("d2"),
      "--strategy", "recycle"], ["recycle"]),
    (["train", "--config", os.path.join(HERE, "tiny_2d.yaml"), "--out", "RUN", "--data", path("d2"),
      "--set", "train.lr.peak=-1"], ["train.lr.peak"]),
    (["train", "--config", os.path.join(HERE, "tiny_2d.yaml"), "--out", "RUN", "--data", path("d2"),
      "--set", "train.bogus_key=1"], ["train.bogus_key"]),
    (["train", "--config", os.path.join(HERE, "tiny_2d.yaml"), "--out", "RUN", "--data", path("d2"),
      "--set", "diffusion.num_timesteps=2000"], ["diffusion.num_timesteps"]),
    (["train", "--config", path("missing.yaml"), "--out", "RUN", "--data", path("d2")], ["missing.yaml"]),
    (["evaluate", "--run", path("run"), "--seeds", "0"], ["--seeds"]),
    (["evaluate", "--run", path("run"), "--sampler", "euler"], ["--sampler"]),
    (["evaluate", "--run", path("run"), "--checkpoint", "newest"], ["--checkpoint"]),
    (["evaluate", "--run", path("run"), "--examples", "-1"], ["--examples"]),
    (["infer", "--run", path("run"), "--input", path("d2"), "--output", "OUT", "--steps", "0"], ["--steps"]),
    (["infer", "--run", path("run"), "--input", path("d2"), "--output", "OUT", "--input-kind", "scan"],
     ["--input-kind"]),
    (["infer", "--run", path("run"), "--input", path("d2"), "--output", "OUT", "--steps", "5000"], ["steps"]),
    (["metrics", "--pred", GOOD_PNG_LABEL, "--ref", GOOD_PNG_LABEL, "--tolerance", "nan"], ["--tolerance"]),
    (["metrics", "--pred", GOOD_PNG_LABEL, "--ref", GOOD_PNG_LABEL, "--hd95", "foo"], ["--hd95"]),
    (["metrics", "--pred", GOOD_PNG_LABEL, "--ref", GOOD_PNG_LABEL, "--labels", "0,x"], ["--labels"]),
    (["synth", "--out", "OUT", "--noise", "-1"], ["--noise"]),
    (["synth", "--out", "OUT", "--bias", "inf"], ["--bias"]),
    (["synth", "--out", "OUT", "--dims", "3", "--spacing", "-1,1,1"], ["--spacing"]),
    (["schedule", "--name", "sigmoid"], ["--name"]),
    (["prepare", "--dataset", "msd", "--raw", path("d2"), "--out", path("d2", "inside")], ["--out"]),
    (["frobnicate"], ["frobnicate"]),
]
for args, words in OPTIONS:
    outs = [a for a in args if a in ("RUN", "OUT")]
    args = [path("out", a) if a in ("RUN", "OUT") else a for a in args]
    expect(f"{args[0]} refuses {' '.join(a for a in args[1:] if a.startswith('-') or '=' in a)[-60:] or args[0]}",
           args, USAGE, words, [path("out", a) for a in outs])

# Config files that are not settings: empty, not YAML, a misspelt section.
for name, text, word in [("empty.yaml", "", "empty"), ("broken.yaml", "train: [1, 2\n", "broken.yaml"),
                         ("typo.yaml", "modle:\n  channels: [8]\n", "modle")]:
    cfg = path("cfg", name)
    os.makedirs(os.path.dirname(cfg), exist_ok=True)
    open(cfg, "w").write(text)
    run_out = path("out", "cfg_run")
    expect(f"train refuses the config {name}", ["train", "--config", cfg, "--data", path("d2"), "--out", run_out],
           USAGE, [word], [run_out])

shutil.rmtree(tmp, ignore_errors=True)
finish()

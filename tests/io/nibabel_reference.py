#!/usr/bin/python3
"""Independent reference for diffseg's NIfTI I/O, using nibabel (Debian python3-nibabel).

  nibabel_reference.py write DIR   writes NIfTI files with nibabel plus DIR/expected.json describing them
  nibabel_reference.py read DIR    prints JSON describing every .nii/.nii.gz in DIR as nibabel reads it

Values are listed in memory order with x fastest (Fortran order), matching diffseg's buffers.
"""
import json
import os
import sys

import nibabel as nib
import numpy as np


def describe(path):
    img = nib.load(path)
    data = np.asanyarray(img.dataobj)
    return {
        "file": os.path.basename(path),
        "shape": list(img.shape),
        "dtype": str(data.dtype),
        "version": 2 if isinstance(img, nib.Nifti2Image) else 1,
        "affine": img.affine.tolist(),
        "values": data.ravel(order="F").astype(np.float64).tolist(),
    }


def reference_affine(ndim):
    a, b = 0.4, -0.25
    rz = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    aff = np.eye(4)
    aff[:3, :3] = rz @ rx @ np.diag([0.7, 1.3, 2.5 if ndim >= 3 else 1.0])
    aff[:3, 3] = [-91.5, 12.25, 40.0]
    return aff


def write(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(7)
    expected = []
    shapes = {"2d": (6, 5), "3d": (5, 4, 3), "4d": (4, 3, 2, 2)}
    for dtype in ["uint8", "int16", "uint16", "int32", "float32", "float64"]:
        for version, cls in [(1, nib.Nifti1Image), (2, nib.Nifti2Image)]:
            for ext in [".nii", ".nii.gz"]:
                for key, shape in shapes.items():
                    if np.dtype(dtype).kind == "f":
                        data = rng.normal(0, 100, size=shape).astype(dtype)
                    else:
                        data = rng.integers(0, 200, size=shape).astype(dtype)
                    img = cls(data, reference_affine(len(shape)))
                    img.set_data_dtype(np.dtype(dtype))
                    name = f"nib_{dtype}_v{version}_{key}{ext}"
                    nib.save(img, os.path.join(out_dir, name))
                    expected.append(describe(os.path.join(out_dir, name)))
    # Scaled integers: stored int16, read as float via scl_slope/scl_inter.
    data = rng.integers(-300, 300, size=(4, 4, 3)).astype(np.int16)
    img = nib.Nifti1Image(data, reference_affine(3))
    img.header.set_data_dtype(np.int16)
    img.header.set_slope_inter(0.25, 10.0)
    nib.save(img, os.path.join(out_dir, "nib_scaled.nii.gz"))
    expected.append(describe(os.path.join(out_dir, "nib_scaled.nii.gz")))
    # qform only (sform code 0): the affine must come from the quaternion.
    img = nib.Nifti1Image(rng.normal(size=(3, 4, 5)).astype(np.float32), reference_affine(3))
    img.set_sform(None, code=0)
    img.set_qform(reference_affine(3), code=1)
    nib.save(img, os.path.join(out_dir, "nib_qform_only.nii"))
    expected.append(describe(os.path.join(out_dir, "nib_qform_only.nii")))
    with open(os.path.join(out_dir, "expected.json"), "w") as f:
        json.dump(expected, f)


def read(in_dir):
    files = sorted(f for f in os.listdir(in_dir) if f.endswith((".nii", ".nii.gz")))
    print(json.dumps([describe(os.path.join(in_dir, f)) for f in files]))


if __name__ == "__main__":
    {"write": write, "read": read}[sys.argv[1]](sys.argv[2])

#!/usr/bin/python3
"""HD95 for one 192x128x128 pair with ~10 % foreground: diffseg (C++, via bench_hd95) vs SciPy EDT, same run.

Usage: /usr/bin/python3 bench/hd95_vs_scipy.py BUILD_DIR [THREADS]
Prints a Markdown table row for docs/BENCHMARKS.md.
"""
import os
import subprocess
import sys
import tempfile
import time

import nibabel as nib
import numpy as np
from scipy import ndimage

build = sys.argv[1]
threads = sys.argv[2] if len(sys.argv) > 2 else "2"
shape, spacing = (192, 128, 128), (1.5, 1.5, 5.0)
rng = np.random.default_rng(0)
g = np.meshgrid(*[np.arange(s) for s in shape], indexing="ij")


def blob(cx):
    r = ((g[0] - cx) / 50.0) ** 2 + ((g[1] - 64) / 40.0) ** 2 + ((g[2] - 64) / 42.0) ** 2
    return r < 1 + 0.05 * rng.standard_normal(shape)


pred, ref = blob(92), blob(100)
print(f"foreground: pred {pred.mean():.3f}, ref {ref.mean():.3f}", file=sys.stderr)


def scipy_hd95(a, b):
    st = ndimage.generate_binary_structure(3, 1)
    sa = a ^ ndimage.binary_erosion(a, st, border_value=0)
    sb = b ^ ndimage.binary_erosion(b, st, border_value=0)
    da = ndimage.distance_transform_edt(~sb, sampling=spacing)[sa]
    db = ndimage.distance_transform_edt(~sa, sampling=spacing)[sb]
    return max(np.percentile(da, 95), np.percentile(db, 95))


times = []
for _ in range(5):
    t0 = time.perf_counter()
    ref_value = scipy_hd95(pred, ref)
    times.append(time.perf_counter() - t0)
scipy_ms = 1000 * float(np.median(times))

with tempfile.TemporaryDirectory() as tmp:
    aff = np.diag(list(spacing) + [1.0])
    for name, m in [("pred", pred), ("ref", ref)]:
        nib.save(nib.Nifti1Image(m.astype(np.uint8), aff), os.path.join(tmp, name + ".nii.gz"))
    out = subprocess.run([os.path.join(build, "bench", "bench_hd95"), os.path.join(tmp, "pred.nii.gz"),
                          os.path.join(tmp, "ref.nii.gz"), threads], capture_output=True, text=True, check=True)
    cpp_ms, cpp_value = map(float, out.stdout.split())
assert abs(cpp_value - ref_value) < 1e-6, (cpp_value, ref_value)
print(f"| HD95 192x128x128, 10 % fg | {threads} | {cpp_ms:.1f} ms | {scipy_ms:.1f} ms | {scipy_ms / cpp_ms:.1f}x |")

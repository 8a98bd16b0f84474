#!/usr/bin/python3
"""Independent reference for diffseg's surface metrics with SciPy (Debian python3-scipy), following method.md:
surface = mask XOR binary_erosion(mask, face-connected cross, outside = 0); distances by
scipy.ndimage.distance_transform_edt with the voxel spacing; HD95 = max of the two directed 95th percentiles.

Prints JSON: a list of cases, each with masks (flattened, x fastest), size (x, y, z), spacing and expected values.
"""
import json

import numpy as np
from scipy import ndimage


def blob(shape, rng, n):
    m = np.zeros(shape, bool)
    grids = np.meshgrid(*[np.arange(s) for s in shape], indexing="ij")
    for _ in range(n):
        c = [rng.uniform(0.2 * s, 0.8 * s) for s in shape]
        r = [rng.uniform(0.1 * s, 0.3 * s) for s in shape]
        m |= sum(((g - ci) / ri) ** 2 for g, ci, ri in zip(grids, c, r)) < 1
    return m


def directed(a, b, spacing):
    st = ndimage.generate_binary_structure(a.ndim, 1)
    sa = a ^ ndimage.binary_erosion(a, structure=st, border_value=0)
    sb = b ^ ndimage.binary_erosion(b, structure=st, border_value=0)
    dt_b = ndimage.distance_transform_edt(~sb, sampling=spacing)
    dt_a = ndimage.distance_transform_edt(~sa, sampling=spacing)
    return dt_b[sa], dt_a[sb]


cases = []
rng = np.random.default_rng(123)
for shape, spacing in [((48, 40), (1.0, 1.0)), ((40, 36), (0.7, 1.3)), ((36, 32, 20), (0.8, 0.9, 2.5)),
                       ((30, 28, 24), (1.5, 1.5, 1.5))]:
    pred, ref = blob(shape, rng, 2), blob(shape, rng, 2)
    d_pr, d_rp = directed(pred, ref, spacing)
    pooled = np.concatenate([d_pr, d_rp])
    nsd = (np.sum(d_pr <= 1.0) + np.sum(d_rp <= 1.0)) / len(pooled)
    inter = np.logical_and(pred, ref).sum()
    # Arrays are (x, y[, z]) here; flatten with x fastest (Fortran order) to match diffseg's buffers.
    size = list(shape) + [1] * (3 - len(shape))
    cases.append({
        "dims": len(shape), "size": size, "spacing": list(spacing) + [1.0] * (3 - len(shape)),
        "pred": pred.ravel(order="F").astype(int).tolist(), "ref": ref.ravel(order="F").astype(int).tolist(),
        "dice": 2 * inter / (pred.sum() + ref.sum()),
        "hd": float(max(d_pr.max(), d_rp.max())),
        "hd95": float(max(np.percentile(d_pr, 95), np.percentile(d_rp, 95))),
        "hd95_pooled": float(np.percentile(pooled, 95)),
        "assd": float(max(d_pr.mean(), d_rp.mean())),
        "assd_pooled": float(pooled.mean()),
        "nsd": float(nsd),
    })
print(json.dumps(cases))

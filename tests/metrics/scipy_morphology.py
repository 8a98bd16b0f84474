#!/usr/bin/python3
"""Independent reference for diffseg's 2D binary morphology with SciPy (Debian python3-scipy).

Structuring elements: box = ones((s, s)); disk(r) = {dx² + dy² <= (r + 0.5)²}. Erosion treats outside pixels as
foreground (border_value=1), dilation as background; fill_holes uses the 4-connected background (SciPy default);
components are 8-connected. Prints JSON: a list of cases with the mask (flattened, x fastest) and expected outputs.
"""
import json

import numpy as np
from scipy import ndimage


def disk(r):
    y, x = np.mgrid[-r:r + 1, -r:r + 1]
    return x * x + y * y <= (r + 0.5) ** 2


def flat(m):
    return m.astype(np.uint8).ravel().tolist()


cases = []
rng = np.random.default_rng(3)
for h, w in [(40, 56), (33, 29), (64, 64)]:
    m = np.zeros((h, w), bool)
    yy, xx = np.mgrid[0:h, 0:w]
    for _ in range(4):
        cy, cx, ry, rx = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(3, h / 3), rng.uniform(3, w / 3)
        m |= ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 < 1
    m ^= rng.random((h, w)) < 0.08  # speckle: holes and islands
    labels, n = ndimage.label(m, structure=np.ones((3, 3)))
    areas = sorted(np.bincount(labels.ravel())[1:].tolist(), reverse=True)
    e4 = ndimage.binary_erosion(m, structure=disk(4), border_value=1)
    cases.append({
        "width": w, "height": h, "mask": flat(m),
        "fill_holes": flat(ndimage.binary_fill_holes(m)),
        "erode_box5": flat(ndimage.binary_erosion(m, structure=np.ones((5, 5)), border_value=1)),
        "dilate_box5": flat(ndimage.binary_dilation(m, structure=np.ones((5, 5)))),
        "erode_disk4": flat(e4),
        "dilate_disk4": flat(ndimage.binary_dilation(m, structure=disk(4))),
        "open_disk4": flat(ndimage.binary_dilation(e4, structure=disk(4))),
        "dilate_disk9": flat(ndimage.binary_dilation(m, structure=disk(9))),
        "component_areas": areas,
    })
print(json.dumps(cases))

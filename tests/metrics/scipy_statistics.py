#!/usr/bin/python3
"""Independent reference for diffseg's paired statistics (metrics/statistics.h) with SciPy and NumPy.

Wilcoxon: scipy.stats.wilcoxon(x, y) with its defaults, on the pairs without NaN (diffseg drops NaN pairs; scipy's
nan_policy="omit" drops the same ones, which is checked here too). Cases scipy refuses (no non-zero difference)
are listed with p = None. Bootstrap: the draws of statistics.h repeated with NumPy (splitmix64 outputs mapped to
0..n-1 by the high 64 bits of x * n), the resampled means, and np.quantile's default ("linear") percentiles.

Prints JSON: {"scipy": version, "wilcoxon": [cases], "bootstrap": [cases]}.
"""
import json
import warnings

import numpy as np
import scipy
from scipy import stats

warnings.simplefilter("ignore")  # "Sample size too small", "switching to normal approximation": expected here
rng = np.random.default_rng(2024)
MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def finite_or_text(v):
    return float(v) if np.isfinite(v) else ("inf" if v > 0 else "-inf")


def wilcoxon_case(name, x, y):
    x, y = np.asarray(x, float), np.asarray(y, float)
    keep = ~np.isnan(x - y)
    d = (x - y)[keep]
    case = {"name": name, "x": [finite_or_text(v) if not np.isnan(v) else None for v in x],
            "y": [finite_or_text(v) if not np.isnan(v) else None for v in y]}
    nonzero = d[d != 0]
    if nonzero.size == 0:
        case.update(statistic=None, p=None, ranked=0)
        return case
    res = stats.wilcoxon(x[keep], y[keep])
    if np.isnan(x).any() or np.isnan(y).any():
        # scipy's own omission of NaN pairs must agree with dropping them first.
        omit = stats.wilcoxon(x, y, nan_policy="omit")
        assert omit.pvalue == res.pvalue and omit.statistic == res.statistic, name
    ranks = stats.rankdata(np.abs(nonzero))
    w_plus = float(ranks[nonzero > 0].sum())
    case.update(statistic=float(res.statistic), p=float(res.pvalue), ranked=int(nonzero.size),
                # the method scipy 1.10's "auto" picks (it does not report it): exact up to 50 pairs, no zero
                exact=bool(d.size <= 50 and not (d == 0).any()), w_plus=w_plus,
                tied=bool(np.unique(np.abs(nonzero)).size < nonzero.size))
    return case


def paired(n, shift, ties=False, zeros=0):
    """Scores y in [0.5, 0.9) and x = y + a difference around `shift`. With ties, the differences are non-zero
    multiples of 1/64 on scores that are multiples of 1/64, so x - y is exact and |x - y| repeats."""
    if ties:
        y = rng.integers(32, 58, n) / 64
        steps = np.round(rng.normal(shift * 64, 3, n))
        steps[steps == 0] = 1
        x = y + steps / 64
    else:
        y = rng.uniform(0.5, 0.9, n)
        x = y + rng.normal(shift, 0.05, n)
    x[:zeros] = y[:zeros]
    return x, y


wilcoxon = []
for n in range(1, 13):  # exact distribution, small n
    for k, shift in enumerate([0.0, 0.02, 0.06]):
        wilcoxon.append(wilcoxon_case(f"exact n={n} #{k}", *paired(n, shift)))
for n in [20, 37, 50]:  # exact up to the 50-pair limit
    wilcoxon.append(wilcoxon_case(f"exact n={n}", *paired(n, 0.01)))
for n in [6, 11, 25, 50]:  # ties without zeros: exact path, W+ a sum of midranks
    for k, shift in enumerate([0.0, 0.03]):
        wilcoxon.append(wilcoxon_case(f"ties n={n} #{k}", *paired(n, shift, ties=True)))
# d = (0.5, -0.5, 1, 2, 3): midranks 1.5, 1.5, 3, 4, 5, W+ = 13.5 (scipy uses 13)
wilcoxon.append(wilcoxon_case("ties, W+ half-integer", [1.5, 2, 4, 6, 8], [1, 2.5, 3, 4, 5]))
for n, zeros in [(2, 1), (8, 1), (12, 3), (30, 2), (50, 5), (80, 4)]:  # zeros: normal approximation
    wilcoxon.append(wilcoxon_case(f"zeros n={n} z={zeros}", *paired(n, 0.02, zeros=zeros)))
wilcoxon.append(wilcoxon_case("zeros and ties n=40", *paired(40, 0.01, ties=True, zeros=4)))
for n in [51, 60, 100, 500]:  # beyond 50 pairs: normal approximation
    wilcoxon.append(wilcoxon_case(f"approx n={n}", *paired(n, 0.005)))
    wilcoxon.append(wilcoxon_case(f"approx ties n={n}", *paired(n, 0.005, ties=True)))
x, y = paired(15, 0.02)
x[[2, 9]] = np.nan
y[[4]] = np.nan
wilcoxon.append(wilcoxon_case("NaN pairs dropped n=15", x, y))
x, y = paired(55, 0.01)
x[[0, 1, 2, 3, 4]] = np.nan  # 50 usable pairs: exact again
wilcoxon.append(wilcoxon_case("NaN pairs dropped down to 50", x, y))
x, y = paired(9, 0.0)
x[3] = np.inf  # an infinite HD95 still ranks (largest |difference|)
wilcoxon.append(wilcoxon_case("infinite score", x, y))
x, y = paired(9, 0.0)
x[3] = y[3] = np.inf  # inf - inf is NaN: dropped
wilcoxon.append(wilcoxon_case("inf - inf dropped", x, y))
wilcoxon.append(wilcoxon_case("all differences zero", [0.5, 0.7, 0.9], [0.5, 0.7, 0.9]))
wilcoxon.append(wilcoxon_case("all NaN", [np.nan, 0.7], [0.5, np.nan]))
wilcoxon.append(wilcoxon_case("empty", [], []))


def draws(seed, n, resamples):
    # statistics.h: pair floor(x * n / 2^64) with x = mix_seed(seed, r * n + j), mix_seed = splitmix64 (core/seed.h).
    k = np.arange(resamples * n, dtype=np.uint64)
    z = np.uint64(seed) + np.uint64(0x9E3779B97F4A7C15) * (k + np.uint64(1))
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    hi, lo = z >> np.uint64(32), z & np.uint64(0xFFFFFFFF)
    nn = np.uint64(n)
    index = (hi * nn + ((lo * nn) >> np.uint64(32))) >> np.uint64(32)
    return index.astype(np.int64).reshape(resamples, n)


bootstrap = []
with np.errstate(over="ignore"):
    for n, seed, resamples, level in [(1, 0, 10000, 0.95), (2, 3, 10000, 0.95), (5, 0, 10000, 0.95),
                                      (30, 0, 10000, 0.95), (30, 1, 10000, 0.95), (30, 0, 999, 0.9),
                                      (200, 12345678901234, 10000, 0.95)]:
        x, y = paired(n, 0.02)
        if n == 30 and seed == 1:
            x[[3, 17]] = np.nan  # NaN pairs dropped before resampling
        keep = ~np.isnan(x - y)
        d = (x - y)[keep]
        means = d[draws(seed, d.size, resamples)].mean(axis=1)
        tail = (1 - level) / 2
        low, high = np.quantile(means, [tail, 1 - tail])
        bootstrap.append({"x": [None if np.isnan(v) else float(v) for v in x], "y": [float(v) for v in y],
                          "seed": seed, "resamples": resamples, "level": level, "mean": float(d.mean()),
                          "low": float(low), "high": float(high), "pairs": int(d.size)})

print(json.dumps({"scipy": scipy.__version__, "wilcoxon": wilcoxon, "bootstrap": bootstrap}))

#!/usr/bin/python3
"""Independent NumPy reference for Bernoulli (categorical) mask diffusion, written from docs/method.md.

Everything is built from the one-step kernels Q_j = (1 - beta_j) I + beta_j 1 u^T (rows = from) of the 1001-point
linear schedule, multiplied out in float64, and Bayes' rule over x_s; no closed form of the C++ code is used.
Prints JSON: the kept indices of the 5-step chain, marginals q(x_t | x0 = c), and posteriors q(x_s | x_t = j, x0) of
the respaced chain's steps for one-hot and soft x0, for a uniform u and a class prior (K = 4).
"""
import json

import numpy as np

N, K = 1001, 4
beta = np.linspace(1e-4, 0.02, N)
kept = [int(round(v)) for v in np.linspace(0, N - 1, 5)]


def kernels(u):
    return [(1 - b) * np.eye(K) + b * np.outer(np.ones(K), u) for b in beta]


def composed(Q, frm, to):  # q(x_to | x_from), from = -1: the clean mask
    m = np.eye(K)
    for j in range(frm + 1, to + 1):
        m = m @ Q[j]
    return m


out = {"kept": kept, "cases": []}
soft = [0.1, 0.6, 0.25, 0.05]
for prior in (None, [0.4, 0.3, 0.2, 0.1]):
    u = np.full(K, 1.0 / K) if prior is None else np.array(prior)
    Q = kernels(u)
    for k in range(5):
        t, s = kept[k], (kept[k - 1] if k > 0 else -1)
        ts, s0 = composed(Q, s, t), composed(Q, -1, s)
        marg = composed(Q, -1, t)
        for j in range(K):
            for x0 in [list(np.eye(K)[c]) for c in range(K)] + [soft]:
                x0v = np.array(x0)
                p = np.array([sum(x0v[c] * ts[i, j] * s0[c, i] for c in range(K)) for i in range(K)])
                out["cases"].append({"prior": prior, "step": k, "t": t, "x_t": j, "x0": x0,
                                     "posterior": list(p / p.sum()), "marginal_x0": [float(v) for v in x0v @ marg]})
print(json.dumps(out))

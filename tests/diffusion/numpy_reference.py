#!/usr/bin/python3
"""Independent NumPy implementation of diffseg's diffusion equations, written from docs/method.md.

Prints JSON: schedules, the 5-step respaced chain, and q_sample / DDPM / DDIM updates on fixed inputs (which are
included in the JSON, so the C++ side reads rather than re-derives them).
"""
import json

import numpy as np

N = 1001
B0, B1 = 1e-4, 0.02


def f(s):
    return np.cos((s + 0.008) / 1.008 * np.pi / 2) ** 2


def betas(name, n=N):
    if name == "linear":
        return np.linspace(B0, B1, n)
    if name == "quadratic":
        return np.linspace(np.sqrt(B0), np.sqrt(B1), n) ** 2
    if name == "cosine":
        i = np.arange(n)
        return np.minimum(1 - f((i + 1) / n) / f(i / n), 0.999)
    if name == "cosine_reference":
        b = np.zeros(n)
        b[1:] = 1 - f(np.arange(1, n) / (n - 1))
        return b * (B1 - B0) + B0
    if name in ("warmup10", "warmup50"):
        w = max(n // 10 if name == "warmup10" else n // 2, 1)
        b = np.full(n, B1)
        b[:w] = np.linspace(np.sqrt(B0), np.sqrt(B1), w) ** 2
        return b
    raise ValueError(name)


def chain(beta):
    abar = np.cumprod(1 - beta)
    abar_prev = np.concatenate([[1.0], abar[:-1]])
    post_var = beta * (1 - abar_prev) / (1 - abar)
    return abar, abar_prev, post_var


def respace(beta, kept):
    abar = np.cumprod(1 - beta)[kept]
    alpha = np.concatenate([[abar[0]], abar[1:] / abar[:-1]])
    return 1 - alpha


def softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


out = {"schedules": {}}
for name in ["linear", "quadratic", "cosine", "cosine_reference", "warmup10", "warmup50"]:
    b = betas(name)
    abar, abar_prev, post_var = chain(b)
    out["schedules"][name] = {"beta": b.tolist(), "abar": abar.tolist(), "post_var": post_var.tolist()}

kept = [0, 250, 500, 750, 1000]
b5 = respace(betas("linear"), kept)
abar5, abar_prev5, post_var5 = chain(b5)
out["respaced5"] = {"beta": b5.tolist(), "abar": abar5.tolist(), "post_var": post_var5.tolist()}

# Training chains shorter than the 1001-point schedule (diffusion.num_timesteps < schedule_points): respaced onto
# round(linspace(0, N - 1, T)); the network time of chain index k is (k + 1) / T.
out["training_chains"] = {}
for name in ["linear", "cosine", "warmup10"]:
    for T in [2, 5, 7, 11]:
        kept = np.round(np.linspace(0, N - 1, T)).astype(int)
        b = respace(betas(name), kept)
        abar, _, post_var = chain(b)
        out["training_chains"][f"{name}/{T}"] = {"beta": b.tolist(), "abar": abar.tolist(), "post_var": post_var.tolist(),
                                                 "time": ((np.arange(T) + 1) / T).tolist()}

# Fixed inputs: B=2, K=3, 8 positions.
shape = (2, 3, 8)
n = int(np.prod(shape))
labels = (np.arange(16).reshape(2, 8) * 5) % 3
x0 = 2 * np.eye(3)[labels].transpose(0, 2, 1) - 1
eps = np.sin(0.7 * np.arange(n)).reshape(shape)
z = np.cos(1.3 * np.arange(n)).reshape(shape)
logits = np.sin(0.37 * np.arange(n) + 1).reshape(shape) * 3
out["inputs"] = {"shape": list(shape), "x0": x0.ravel().tolist(), "eps": eps.ravel().tolist(),
                 "z": z.ravel().tolist(), "logits": logits.ravel().tolist()}

# q_sample on the 1001-step schedule at t = (10, 900) per sample.
abar, abar_prev, post_var = chain(betas("linear"))
t = np.array([10, 900])
xt = np.sqrt(abar[t])[:, None, None] * x0 + np.sqrt(1 - abar[t])[:, None, None] * eps
out["q_sample"] = {"t": t.tolist(), "x_t": xt.ravel().tolist()}

# One reverse update on the 5-step chain at k = 3 from x_k = q_sample(x0, k, eps), x0_hat = 2 softmax(logits) - 1.
k = 3
xk = np.sqrt(abar5[k]) * x0 + np.sqrt(1 - abar5[k]) * eps
x0_hat = 2 * softmax(logits, axis=1) - 1
c0 = b5[k] * np.sqrt(abar_prev5[k]) / (1 - abar5[k])
ct = np.sqrt(1 - b5[k]) * (1 - abar_prev5[k]) / (1 - abar5[k])
mean = c0 * x0_hat + ct * xk
small = post_var5[k]
large = b5[k]  # fixed_large for k >= 1
eps_hat = (xk / np.sqrt(abar5[k]) - x0_hat) / np.sqrt(1 / abar5[k] - 1)


def ddim(eta):
    sigma = eta * np.sqrt((1 - abar_prev5[k]) / (1 - abar5[k])) * np.sqrt(1 - abar5[k] / abar_prev5[k])
    return np.sqrt(abar_prev5[k]) * x0_hat + np.sqrt(1 - abar_prev5[k] - sigma ** 2) * eps_hat + sigma * z


out["reverse"] = {
    "k": k,
    "x_k": xk.ravel().tolist(),
    "ddpm_fixed_small": (mean + np.sqrt(small) * z).ravel().tolist(),
    "ddpm_fixed_large": (mean + np.sqrt(large) * z).ravel().tolist(),
    "ddim_eta0": ddim(0.0).ravel().tolist(),
    "ddim_eta07": ddim(0.7).ravel().tolist(),
}
print(json.dumps(out))

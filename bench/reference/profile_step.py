#!/usr/bin/python3
"""Where a training step's time goes: torch.profiler over one plain-diffusion step of the PyTorch mirror (the same
ATen kernels diffseg calls), grouped into convolutions, normalisation, activations, other element-wise ops,
attention/matmul and the optimiser. Usage: profile_step.py OPTIONS_JSON WEIGHTS --shape 128,128 --batch 8
[--classes 2] [--threads 2]  (options and weights as written by bench_step --options/--weights)."""
import argparse
import json
import os
import sys
from collections import defaultdict

import torch
import torch.nn.functional as F
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from step import linear_schedule, loss_fn, mask_of, q_sample, T  # noqa: E402
from unet import UNet  # noqa: E402

GROUPS = [("convolution", ("conv", "mkldnn_convolution", "slow_conv")),
          ("normalisation", ("group_norm", "native_group_norm", "layer_norm", "native_layer_norm")),
          ("GELU", ("gelu",)),
          ("matmul / attention", ("mm", "bmm", "addmm", "matmul", "softmax", "linear")),
          ("optimiser", ("adamw", "_foreach", "lerp", "addcdiv", "addcmul", "sqrt", "clip", "norm")),
          ("element-wise / copies", ("add", "mul", "sub", "div", "copy", "cat", "clone", "fill", "zero", "dropout",
                                     "bernoulli", "where", "pow", "exp", "log", "sum", "mean", "narrow", "slice"))]


def group_of(name):
    n = name.lower()
    for group, keys in GROUPS:
        if any(k in n for k in keys):
            return group
    return "other"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("options")
    ap.add_argument("weights")
    ap.add_argument("--shape", required=True)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--classes", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    o = json.load(open(a.options))
    net = UNet(o)
    net.load_state_dict(torch.load(a.weights), strict=True)
    net.train()
    shape = [int(s) for s in a.shape.split(",")]
    image = torch.rand(a.batch, o["in_channels"], *shape)
    labels = torch.randint(0, a.classes, (a.batch, *shape))
    abar = linear_schedule()
    opt = torch.optim.AdamW(net.parameters(), lr=1e-4, weight_decay=1e-8)

    def step():
        opt.zero_grad()
        x0 = F.one_hot(labels, a.classes).movedim(-1, 1).float() * 2 - 1
        t = torch.randint(0, T, (a.batch,))
        x_t = q_sample(abar, x0, t, torch.randn_like(x0))
        loss = loss_fn(net(image, mask_of(x_t), (t + 1).float() / T), labels, a.classes)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()

    step()  # warm-up
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        step()
    totals = defaultdict(float)
    for e in prof.key_averages():
        if e.key.startswith("aten::") or e.key.startswith("mkldnn"):
            totals[group_of(e.key)] += e.self_cpu_time_total
    whole = sum(totals.values())
    print("| part of the step | self CPU time | share |")
    print("|---|---|---|")
    for g, us in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"| {g} | {us / 1e6:.2f} s | {100 * us / whole:.0f} % |")
    print()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12))


if __name__ == "__main__":
    main()

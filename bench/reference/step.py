#!/usr/bin/python3
"""What a researcher would run in Python: one training step (plain diffusion, recycling x_T or supervised) or one
case's 5-step DDIM inference of the PyTorch mirror (unet.py), written from DESIGN.md §2-§6 and §8 — the same
computation as diffseg's optimizer_step / predict_log_probabilities, on random data of the same shape, from the
same initial weights. Warm-up, then the median of N repeats; prints JSON like bench_step.

    step.py OPTIONS_JSON WEIGHTS --mode train|infer --strategy S --shape H,W[,D] --batch B --classes K
            [--repeats 5] [--threads T] [--flops]
--flops also counts the convolution and matmul FLOPs of one forward pass (multiply-add = 2 FLOPs).
"""
import argparse
import json
import math
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unet import UNet  # noqa: E402

T = 1001


def linear_schedule():
    betas = torch.linspace(1e-4, 0.02, T, dtype=torch.float64)
    return torch.cumprod(1 - betas, 0).float()


def extract(a, t, dims):
    return a[t].view(-1, *([1] * (dims - 1)))


def q_sample(abar, x0, t, noise):
    return extract(abar.sqrt(), t, x0.dim()) * x0 + extract((1 - abar).sqrt(), t, x0.dim()) * noise


def mask_of(x):
    return (x.clamp(-1, 1) + 1) * 0.5


def loss_fn(logits, labels, k):
    log_p = torch.log_softmax(logits.float(), 1)
    p = log_p.exp()
    y = F.one_hot(labels, k).movedim(-1, 1).float()
    pf, yf = p.flatten(2), y.flatten(2)
    inter, total = (pf * yf).sum(2), (pf + yf).sum(2)
    present = (yf.sum(2) > 0)[:, 1:].float()
    per_class = 1 - 2 * inter[:, 1:] / total[:, 1:].clamp_min(1e-12)
    n = present.sum(1)
    dice = torch.where(n > 0, (per_class * present).sum(1) / n.clamp_min(1), torch.zeros_like(n))
    y_log_p = (y * log_p).sum(1)
    focal = (-(1 - (y * p).sum(1)).pow(2) * y_log_p).flatten(1).mean(1)
    return (dice + focal).mean()


def count_flops(net, image, mask, time_in):
    """Convolution, transposed convolution and matmul FLOPs of one forward pass, via hooks."""
    total = [0]

    def conv_hook(module, inputs, output):
        w = module.weight
        if type(module).__name__ == "ConvTranspose":
            total[0] += 2 * inputs[0].numel() * w.shape[1] * math.prod(w.shape[2:])
        else:
            total[0] += 2 * output.numel() * w.shape[1] * math.prod(w.shape[2:])

    def linear_hook(module, inputs, output):
        total[0] += 2 * output.numel() * module.in_features

    def attention_hook(module, inputs, output):
        b, n, _ = inputs[0].shape
        total[0] += 2 * 2 * b * module.heads * n * n * module.head_dim  # q kᵀ and w v

    handles = []
    for m in net.modules():
        name = type(m).__name__
        if name in ("Conv", "ConvTranspose"):
            handles.append(m.register_forward_hook(conv_hook))
        elif name == "Linear":
            handles.append(m.register_forward_hook(linear_hook))
        elif name == "Attention":
            handles.append(m.register_forward_hook(attention_hook))
    with torch.no_grad():
        net(image, mask, time_in)
    for h in handles:
        h.remove()
    return total[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("options")
    ap.add_argument("weights")
    ap.add_argument("--mode", default="train")
    ap.add_argument("--strategy", default="diffusion")
    ap.add_argument("--shape", required=True)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--classes", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--flops", action="store_true")
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    with open(a.options) as f:
        o = json.load(f)
    net = UNet(o)
    net.load_state_dict(torch.load(a.weights), strict=True)
    shape = [int(s) for s in a.shape.split(",")]
    k, b = a.classes, a.batch
    torch.manual_seed(0)
    image = torch.rand(b, o["in_channels"], *shape)
    labels = torch.randint(0, k, (b, *shape))
    abar = linear_schedule()
    diffusion = a.strategy != "supervised"
    times = []
    if a.mode == "train":
        net.train()
        opt = torch.optim.AdamW(net.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-8)
        for r in range(a.repeats + 1):
            t0 = time.perf_counter()
            opt.zero_grad()
            if not diffusion:
                loss = loss_fn(net(image), labels, k)
            else:
                x0 = F.one_hot(labels, k).movedim(-1, 1).float() * 2 - 1
                if a.strategy == "rec_xT":
                    t = torch.randint(0, T - 1, (b,))
                    with torch.no_grad():  # pass 1 from pure-noise level, no gradient
                        t_re = torch.full_like(t, T - 1)
                        x_re = q_sample(abar, x0, t_re, torch.randn_like(x0))
                        x0 = torch.softmax(net(image, mask_of(x_re), (t_re + 1).float() / T), 1) * 2 - 1
                else:
                    t = torch.randint(0, T, (b,))
                x_t = q_sample(abar, x0, t, torch.randn_like(x0))
                loss = loss_fn(net(image, mask_of(x_t), (t + 1).float() / T), labels, k)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            if r > 0:
                times.append(time.perf_counter() - t0)
    else:
        net.eval()
        visited = [round(i * (T - 1) / 4) for i in range(5)][::-1]  # 1000, 750, 500, 250, 0
        for r in range(a.repeats + 1):
            t0 = time.perf_counter()
            with torch.no_grad():
                for i in range(b):
                    img = image[i:i + 1]
                    img = (img - img.min()) / (img.max() - img.min())
                    if not diffusion:
                        torch.log_softmax(net(img), 1)
                        continue
                    x = torch.randn(1, k, *shape)
                    for j, s in enumerate(visited):
                        ts = torch.tensor([s])
                        x0 = torch.softmax(net(img, mask_of(x), (ts + 1).float() / T), 1) * 2 - 1
                        if j + 1 < len(visited):
                            a_t, a_prev = abar[s], abar[visited[j + 1]]
                            eps = (x - a_t.sqrt() * x0) / (1 - a_t).sqrt()
                            x = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
            if r > 0:
                times.append(time.perf_counter() - t0)
    out = {"median_s": statistics.median(times), "times": times,
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}
    if a.flops:
        mask = torch.zeros(1, o["mask_channels"], *shape) if o["mask_channels"] > 0 else None
        out["forward_flops_per_sample"] = count_flops(net, image[:1], mask, torch.ones(1) if diffusion else None)
    print(json.dumps(out))


if __name__ == "__main__":
    main()

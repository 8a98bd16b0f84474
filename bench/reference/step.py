#!/usr/bin/python3
"""What a researcher would run in Python: one training step (plain diffusion, recycling x_T or supervised) or one
case's 5-step DDIM inference of the PyTorch mirror (unet.py), written from docs/method.md — the same
computation as diffseg's optimizer_step / predict_log_probabilities, on random data of the same shape, from the
same initial weights. Warm-up, then the median of N repeats; prints JSON like bench_step.

    step.py OPTIONS_JSON WEIGHTS --mode train|infer --strategy S --shape H,W[,D] --batch B --classes K
            [--repeats 5] [--threads T] [--flops] [--device cpu|cuda] [--precision float32|bf16] [--compile]
    step.py --many CASES [--deadline EPOCH_S]   (one line of the arguments above per case; JSON lines out)
--flops also counts the convolution and matmul FLOPs of one forward pass (multiply-add = 2 FLOPs). --compile runs
the network through torch.compile (PyTorch 2.x). On CUDA every timed run ends with a synchronisation.
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


def parse_case(argv):
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
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--precision", default="float32", choices=["float32", "bf16"])
    ap.add_argument("--compile", action="store_true")
    ap.add_argument("--name", default="")
    return ap.parse_args(argv)


def run_case(a):
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    with open(a.options) as f:
        o = json.load(f)
    device = torch.device(a.device)
    cuda = device.type == "cuda"
    net = UNet(o)
    net.load_state_dict(torch.load(a.weights, weights_only=False), strict=True)  # written by bench_step (TorchScript pickle)
    net.to(device)
    # torch.compile as a Python user would switch it on: the whole network, default mode. The first (untimed) run
    # pays for the compilation.
    model = torch.compile(net) if a.compile else net
    shape = [int(s) for s in a.shape.split(",")]
    k, b = a.classes, a.batch
    torch.manual_seed(0)
    image = torch.rand(b, o["in_channels"], *shape, device=device)
    labels = torch.randint(0, k, (b, *shape), device=device)
    abar = linear_schedule().to(device)
    diffusion = a.strategy != "supervised"
    # Forward and loss under autocast, as diffseg's train.precision (the loss itself runs in float32).
    autocast = lambda: torch.autocast(device.type, dtype=torch.bfloat16, enabled=a.precision == "bf16")
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    if cuda:
        torch.cuda.reset_peak_memory_stats(device)
    times = []
    if a.mode == "train":
        net.train()
        opt = torch.optim.AdamW(net.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-8)
        for r in range(a.repeats + 1):
            t0 = time.perf_counter()
            opt.zero_grad()
            with autocast():
                if not diffusion:
                    loss = loss_fn(model(image), labels, k)
                else:
                    x0 = F.one_hot(labels, k).movedim(-1, 1).float() * 2 - 1
                    if a.strategy == "rec_xT":
                        t = torch.randint(0, T - 1, (b,), device=device)
                        with torch.no_grad():  # pass 1 from pure-noise level, no gradient
                            t_re = torch.full_like(t, T - 1)
                            x_re = q_sample(abar, x0, t_re, torch.randn_like(x0))
                            x0 = torch.softmax(model(image, mask_of(x_re), (t_re + 1).float() / T).float(), 1) * 2 - 1
                    else:
                        t = torch.randint(0, T, (b,), device=device)
                    x_t = q_sample(abar, x0, t, torch.randn_like(x0))
                    loss = loss_fn(model(image, mask_of(x_t), (t + 1).float() / T), labels, k)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            sync()
            if r > 0:
                times.append(time.perf_counter() - t0)
    else:
        net.eval()
        visited = [round(i * (T - 1) / 4) for i in range(5)][::-1]  # 1000, 750, 500, 250, 0
        for r in range(a.repeats + 1):
            t0 = time.perf_counter()
            with torch.no_grad(), autocast():
                for i in range(b):
                    img = image[i:i + 1]
                    img = (img - img.min()) / (img.max() - img.min())
                    if not diffusion:
                        torch.log_softmax(model(img).float(), 1)
                        continue
                    x = torch.randn(1, k, *shape, device=device)
                    for j, s in enumerate(visited):
                        ts = torch.tensor([s], device=device)
                        x0 = torch.softmax(model(img, mask_of(x), (ts + 1).float() / T).float(), 1) * 2 - 1
                        if j + 1 < len(visited):
                            a_t, a_prev = abar[s], abar[visited[j + 1]]
                            eps = (x - a_t.sqrt() * x0) / (1 - a_t).sqrt()
                            x = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
            sync()
            if r > 0:
                times.append(time.perf_counter() - t0)
    out = {"median_s": statistics.median(times), "times": times,
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, "device": str(device),
           "precision": a.precision, "compiled": a.compile, "torch": torch.__version__}
    if a.name:
        out["name"] = a.name
    if cuda:
        out["device_peak_allocated_mib"] = torch.cuda.max_memory_allocated(device) / 2 ** 20
    if a.flops:
        mask = torch.zeros(1, o["mask_channels"], *shape, device=device) if o["mask_channels"] > 0 else None
        time_in = torch.ones(1, device=device) if diffusion else None
        out["forward_flops_per_sample"] = count_flops(net, image[:1], mask, time_in)
    return out


def main():
    # --many FILE: one case per line (the arguments above, shell-quoted), one JSON line each, all in this process,
    # so a GPU check pays for Python's and CUDA's start once. A failing case prints {"name", "error"} and the rest
    # still run.
    # --deadline EPOCH_SECONDS: a case not started by then is reported as skipped (a time-boxed check).
    if len(sys.argv) in (3, 5) and sys.argv[1] == "--many":
        import shlex
        import traceback
        deadline = float(sys.argv[4]) if len(sys.argv) == 5 and sys.argv[3] == "--deadline" else math.inf
        for line in open(sys.argv[2]):
            if not line.strip():
                continue
            a = parse_case(shlex.split(line))
            if time.time() > deadline:
                print(json.dumps({"name": a.name, "skipped": "time budget"}), flush=True)
                continue
            try:
                print(json.dumps(run_case(a)), flush=True)
            except Exception as e:  # out of memory, a compile failure: recorded, not fatal
                traceback.print_exc()
                print(json.dumps({"name": a.name, "error": f"{type(e).__name__}: {e}"[:2000]}), flush=True)
            finally:
                if torch.cuda.is_available():
                    torch.cuda.empty_cache()
        return
    print(json.dumps(run_case(parse_case(sys.argv[1:]))))


if __name__ == "__main__":
    main()

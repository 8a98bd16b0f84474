#!/usr/bin/python3
"""Plain-PyTorch mirror of diffseg's UNet (src/diffseg/model), written from docs/method.md for cross-checks and
benchmarks. Parameter names match the C++ modules, so `torch.load` of a diffseg weights file loads with
`load_state_dict(strict=True)`.

    python3 unet.py params OPTIONS_JSON           prints the parameter count
    python3 unet.py forward OPTIONS_JSON WEIGHTS INPUTS OUT
        loads weights and inputs (dict with image, mask?, time?), runs forward in eval mode, saves {"logits": ...}
"""
import json
import math
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


def gelu(x):
    return F.gelu(x, approximate="tanh")


def norm(c):
    return nn.GroupNorm(c, c, eps=1e-6, affine=True)


class Conv(nn.Module):
    def __init__(self, dims, cin, cout, kernel, stride, bias):
        super().__init__()
        self.dims, self.stride = dims, stride
        self.padding = [k // 2 if s == 1 else 0 for k, s in zip(kernel, stride)]
        self.weight = nn.Parameter(torch.empty(cout, cin, *kernel))
        self.bias = nn.Parameter(torch.zeros(cout)) if bias else None

    def forward(self, x):
        conv = F.conv2d if self.dims == 2 else F.conv3d
        return conv(x, self.weight, self.bias, self.stride, self.padding)


class ConvTranspose(nn.Module):
    def __init__(self, dims, cin, cout, factor):
        super().__init__()
        self.dims, self.factor = dims, factor
        self.weight = nn.Parameter(torch.empty(cin, cout, *factor))

    def forward(self, x):
        conv = F.conv_transpose2d if self.dims == 2 else F.conv_transpose3d
        return conv(x, self.weight, None, self.factor)


class ConvNormAct(nn.Module):
    def __init__(self, dims, cin, cout, k):
        super().__init__()
        self.conv = Conv(dims, cin, cout, [k] * dims, [1] * dims, False)
        self.norm = norm(cout)

    def forward(self, x):
        return gelu(self.norm(self.conv(x)))


class ResBlock(nn.Module):
    def __init__(self, dims, c, k, p, time_dim, time_before_norm=False):
        super().__init__()
        self.time_before_norm = time_before_norm
        self.conv1 = Conv(dims, c, c, [k] * dims, [1] * dims, False)
        self.norm1 = norm(c)
        self.dropout = nn.Dropout(p)
        self.conv2 = Conv(dims, c, c, [k] * dims, [1] * dims, False)
        self.norm2 = norm(c)
        self.time_proj = nn.Linear(time_dim, c) if time_dim > 0 else None

    def forward(self, x, e):
        h = self.conv2(self.dropout(gelu(self.norm1(self.conv1(x)))))
        if self.time_proj is None:
            return gelu(self.norm2(h) + x)
        s = self.time_proj(gelu(e))
        s = s.view(*s.shape, *([1] * (x.dim() - 2)))
        if self.time_before_norm:
            return gelu(self.norm2(h + s) + x)
        return gelu(self.norm2(h) + s + x)


class Downsample(nn.Module):
    def __init__(self, dims, cin, cout, factor):
        super().__init__()
        self.conv = Conv(dims, cin, cout, factor, factor, False)
        self.norm = norm(cout)

    def forward(self, x):
        return self.norm(self.conv(x))


class Upsample(nn.Module):
    def __init__(self, dims, cin, cout, factor):
        super().__init__()
        self.conv = ConvTranspose(dims, cin, cout, factor)
        self.norm = norm(cout)

    def forward(self, x, like):
        y = self.norm(self.conv(x))
        for d in range(2, y.dim()):
            y = y.narrow(d, 0, like.shape[d])
        return y


def time_embedding(t, dim):
    half = dim // 2
    freq = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    a = t.float().view(-1, 1) * 10000.0 * freq.view(1, -1)
    return torch.cat([torch.cos(a), torch.sin(a)], 1)


class Attention(nn.Module):
    def __init__(self, c, heads, head_dim):
        super().__init__()
        self.heads, self.head_dim = heads, head_dim
        self.query = nn.Linear(c, heads * head_dim)
        self.key = nn.Linear(c, heads * head_dim)
        self.value = nn.Linear(c, heads * head_dim)
        self.out = nn.Linear(heads * head_dim, c)

    def forward(self, h):
        b, n, _ = h.shape
        split = lambda x: x.view(b, n, self.heads, self.head_dim).transpose(1, 2)
        q, k, v = split(self.query(h)), split(self.key(h)), split(self.value(h))
        if h.device.type != "cpu" and hasattr(F, "scaled_dot_product_attention"):
            o = F.scaled_dot_product_attention(q, k, v)  # fused kernels on a GPU, as diffseg there
        else:
            w = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(self.head_dim), -1)
            o = w @ v
        return self.out(o.transpose(1, 2).reshape(b, n, -1))


class TransformerLayer(nn.Module):
    def __init__(self, c, heads, head_dim, widening, p):
        super().__init__()
        self.norm1 = nn.LayerNorm(c, eps=1e-6)
        self.attn = Attention(c, heads, head_dim)
        self.norm2 = nn.LayerNorm(c, eps=1e-6)
        self.fc1 = nn.Linear(c, widening * c)
        self.fc2 = nn.Linear(widening * c, c)
        self.dropout = nn.Dropout(p)

    def forward(self, h):
        h = h + self.dropout(self.attn(self.norm1(h)))
        return h + self.dropout(self.fc2(gelu(self.fc1(self.norm2(h)))))


class Transformer(nn.Module):
    def __init__(self, c, layers, heads, head_dim, widening, p):
        super().__init__()
        self.layers = nn.ModuleList([TransformerLayer(c, heads, head_dim, widening, p) for _ in range(layers)])
        self.final_norm = nn.LayerNorm(c, eps=1e-6)

    def forward(self, x):
        shape = x.shape
        h = x.flatten(2).transpose(1, 2)
        for layer in self.layers:
            h = layer(h)
        return self.final_norm(h).transpose(1, 2).reshape(shape)


class Level(nn.Module):
    pass


class UNet(nn.Module):
    def __init__(self, o):
        super().__init__()
        self.o = o
        dims, ch, k, p = o["spatial_dims"], o["channels"], o["kernel_size"], o["dropout"]
        time_dim = ch[-1] if o["time_conditioning"] else 0
        head_dim = o["head_dim"] or ch[-1] // 4
        before = o.get("time_injection", "after_norm") == "reference"
        res = lambda c: ResBlock(dims, c, k, p, time_dim, before)
        levels = len(ch)
        self.stem = ConvNormAct(dims, o["in_channels"] + o["mask_channels"], ch[0], k)
        self.encoder = nn.ModuleList()
        for i in range(levels):
            lv = Level()
            lv.res = nn.ModuleList([res(ch[i]) for _ in range(o["num_res_blocks"])])
            lv.down = Downsample(dims, ch[i], ch[i + 1], o["patch_size"] if i == 0 else o["scale_factor"]) \
                if i + 1 < levels else None
            self.encoder.append(lv)
        self.bottom_in = res(ch[-1])
        self.transformer = Transformer(ch[-1], o["num_transformer_layers"], o["num_heads"], head_dim,
                                       o["widening_factor"], p)
        self.bottom_out = res(ch[-1])
        self.decoder = nn.ModuleList()
        for j in range(levels):
            i = levels - 1 - j
            lv = Level()
            lv.res = nn.ModuleList([res(ch[i]) for _ in range(o["num_res_blocks"] + 1)])
            lv.up = Upsample(dims, ch[i], ch[i - 1], o["patch_size"] if i == 1 else o["scale_factor"]) \
                if i > 0 else None
            self.decoder.append(lv)
        self.head = Conv(dims, ch[0], o["out_channels"], [1] * dims, [1] * dims, True)

    def forward(self, image, mask=None, time=None):
        x = torch.cat([image, mask], 1) if self.o["mask_channels"] > 0 else image
        e = time_embedding(time, self.o["channels"][-1]) if self.o["time_conditioning"] else None
        x = self.stem(x)
        skips = [x]
        for lv in self.encoder:
            for r in lv.res:
                x = r(x, e)
                skips.append(x)
            if lv.down is not None:
                x = lv.down(x)
                skips.append(x)
        x = self.bottom_out(self.transformer(self.bottom_in(x, e)), e)
        for lv in self.decoder:
            for r in lv.res:
                x = r(x + skips.pop(), e)
            if lv.up is not None:
                x = lv.up(x, skips[-1])
        return self.head(x)


def main():
    with open(sys.argv[2]) as f:
        options = json.load(f)
    net = UNet(options)
    if sys.argv[1] == "params":
        print(sum(p.numel() for p in net.parameters()))
        return
    net.load_state_dict(torch.load(sys.argv[3]), strict=True)
    net.eval()
    inputs = torch.load(sys.argv[4])
    with torch.no_grad():
        logits = net(inputs["image"], inputs.get("mask"), inputs.get("time"))
    # Two entries on purpose: Python pickles a one-entry dict with the SETITEM opcode, which LibTorch 1.13's
    # unpickler (torch::pickle_load) does not know.
    torch.save({"logits": logits, "shape": torch.tensor(logits.shape)}, sys.argv[5])


if __name__ == "__main__":
    main()

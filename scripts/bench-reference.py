#!/usr/bin/env python3
"""PyTorch reference for `budgetrain bench`: the same model timed the same way, for comparison on
your own machine or card (docs/gpu.md, "Compare with PyTorch").

    python3 scripts/bench-reference.py --model resnet18 --device cuda --iters 50 --json
    ./bin/budgetrain bench --model resnet18 --device cuda --iters 50 --json

It builds budgetrain's ResNet (models/resnet.go: 3x3 stride-1 stem without max-pooling, BasicBlocks
with a 1x1 conv + BN projection shortcut wherever the shape changes, global average pooling, linear;
resnet8 = stem 16, widths 16/32/64, one block per stage; resnet18 = stem 64, widths 64/128/256/512,
two blocks per stage), in channels-last, on random images of a dataset's shape, and times per batch:

  train      one SGD step (lr 0.1, momentum 0.9, weight decay 1e-4, budgetrain's defaults): upload,
             forward in training mode, per-example cross-entropy (reduction='none'), mean,
             backward, step, and the logits and per-example losses read back to the host (budgetrain
             computes its per-example statistics on the host from the logits); with --precision
             bf16 the forward and the loss run under torch.autocast in bfloat16;
  eval_torch one forward in evaluation mode without gradients, logits read back.

Reading back to the host waits for the device, so every timed iteration includes all its GPU work.
eval_onnx and input are not timed here (null): budgetrain's onnxruntime and input pipeline have no
PyTorch counterpart that this script could time the same way. Images are uploaded from pageable
host memory each step (budgetrain uploads from pinned memory on CUDA, so on a GPU this reference
is the plainer loop). Prints the median and the range (min-max) of
images per second over --iters batches after --warmup untimed ones, with the same JSON field names
as `budgetrain bench --json`. Needs only torch (>= 2.1); no numpy, torchvision or data files.
"""
import argparse
import json
import platform
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# name: (H, W, C, classes), as budgetrain's dataset records (pipeline/data/registry.go).
DATASETS = {
    "cifar10": (32, 32, 3, 10),
    "cifar100": (32, 32, 3, 100),
    "svhn": (32, 32, 3, 10),
    "mnist": (28, 28, 1, 10),
    "fashion-mnist": (28, 28, 1, 10),
    "mini-imagenet": (84, 84, 3, 100),
}

# name: (stem width, stage widths, blocks per stage), as models/registry.go.
MODELS = {
    "resnet8": (16, (16, 32, 64), (1, 1, 1)),
    "resnet18": (64, (64, 128, 256, 512), (2, 2, 2, 2)),
}


class BasicBlock(nn.Module):
    def __init__(self, cin, w, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, w, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(w)
        self.conv2 = nn.Conv2d(w, w, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(w)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != w:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, w, 1, stride, 0, bias=False), nn.BatchNorm2d(w))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self, stem, widths, blocks, in_channels, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, stem, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(stem)
        layers, cin = [], stem
        for s, (w, n) in enumerate(zip(widths, blocks)):
            stage = []
            for b in range(n):
                stage.append(BasicBlock(cin, w, 2 if s > 0 and b == 0 else 1))
                cin = w
            layers.append(nn.Sequential(*stage))
        self.layers = nn.Sequential(*layers)
        self.linear = nn.Linear(cin, classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layers(out)
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.linear(out)


def throughput(batch, seconds):
    r = sorted(batch / max(s, 1e-9) for s in seconds)
    return {"median": statistics.median(r), "min": r[0], "max": r[-1]}


def timed(warmup, iters, fn):
    out = []
    for i in range(warmup + iters):
        t0 = time.perf_counter()
        fn()
        if i >= warmup:
            out.append(time.perf_counter() - t0)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="resnet18", choices=sorted(MODELS))
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--precision", default="fp32", choices=["fp32", "bf16"],
                   help="bf16: forward and loss under torch.autocast(dtype=torch.bfloat16), as train.precision bf16")
    p.add_argument("--dataset", default="cifar10", choices=sorted(DATASETS))
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0 = torch's default)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    if a.batch < 1 or a.iters < 1 or a.warmup < 0:
        p.error("--batch and --iters must be > 0, --warmup >= 0")

    dev = a.device
    if dev == "auto":
        dev = "cuda" if torch.cuda.is_available() else "cpu"
    if dev == "cuda" and not torch.cuda.is_available():
        p.error("--device cuda, but torch sees no CUDA device")
    device = torch.device(dev)
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    # budgetrain's defaults (cuda.tf32 false, cuda.cudnn_benchmark true; docs/gpu.md "Numerics").
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    torch.manual_seed(a.seed)

    h, w, c, classes = DATASETS[a.dataset]
    stem, widths, blocks = MODELS[a.model]
    model = ResNet(stem, widths, blocks, c, classes).to(device, memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    g = torch.Generator().manual_seed(a.seed)
    x_host = torch.randn(a.batch, c, h, w, generator=g).contiguous(memory_format=torch.channels_last)
    y_host = torch.randint(0, classes, (a.batch,), generator=g)

    import contextlib
    amp = (lambda: torch.autocast(device_type=dev, dtype=torch.bfloat16)) if a.precision == "bf16" else contextlib.nullcontext

    def train_step():
        x, y = x_host.to(device), y_host.to(device)
        with amp():
            logits = model(x)
            losses = F.cross_entropy(logits, y, reduction="none")
        opt.zero_grad(set_to_none=True)
        losses.mean().backward()
        opt.step()
        logits.detach().cpu()
        losses.detach().cpu()

    def eval_step():
        with torch.no_grad():
            model(x_host.to(device)).cpu()

    model.train()
    train = timed(a.warmup, a.iters, train_step)
    model.eval()
    ev = timed(a.warmup, a.iters, eval_step)

    r = {
        "model": a.model, "dataset": a.dataset, "height": h, "width": w, "channels": c, "classes": classes,
        "precision": a.precision, "batch": a.batch, "warmup": a.warmup, "iters": a.iters,
        "parameters": sum(t.numel() for t in model.parameters()),
        "device": "cuda:0" if dev == "cuda" else "cpu",
        "cpu": platform.processor() or platform.machine(),
        "threads": torch.get_num_threads(),
        "libtorch": torch.__version__,
        "onnxruntime": None, "budgetrain": None,
        "train": throughput(a.batch, train), "eval_torch": throughput(a.batch, ev),
        "eval_onnx": None, "input": None, "loader_workers": None,
        "max_rel_logit_diff": None, "agreement": "not measured by the reference",
    }
    if dev == "cuda":
        r["gpu"] = torch.cuda.get_device_name(0)
    if a.json:
        print(json.dumps(r, indent=2))
        return
    print(f"reference: PyTorch {r['libtorch']}, {a.model} ({r['parameters']} parameters), {a.precision}, batch {a.batch}, "
          f"{a.dataset} shape {h}x{w}x{c}, {classes} classes, random data, channels-last")
    print(f"device {r['device']}{' (' + r['gpu'] + ')' if 'gpu' in r else ''}, {r['threads']} threads")
    print(f"{a.warmup} warm-up and {a.iters} timed batches per part; img/s as median (min-max):")
    for name, t in (("train step", r["train"]), ("eval libtorch", r["eval_torch"])):
        print(f"  {name:<28} {t['median']:9.0f}  ({t['min']:.0f}-{t['max']:.0f})")


if __name__ == "__main__":
    main()

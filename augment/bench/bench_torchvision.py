#!/usr/bin/env python3
"""Times the reference (Python) augmentation that augment's Go benchmarks replace.

The work per row is the work of the Go benchmark of the same name in
augment/bench_test.go (benchmarkPolicy), on random uint8 RGB images of
size x size, CIFAR-10 mean/std, batches of 128:

  Standard{S}     RandomCrop(S, padding=4) + RandomHorizontalFlip
                  + ToTensor + Normalize                        (spec §3.1)
  RandAugment{S}  RandAugment n2 m4 as the paper's ildoonet implementation
                  + ToTensor + Normalize                        (spec §3.4)
  Full{S}         RandAugment n2 m4 + RandomCrop + Flip + ToTensor + Normalize,
                  then RICAP (beta 0.3) on each batch of 128 in torch tensors,
                  as the paper's code does it                   (spec §3.3)

Each image starts as a PIL image (the Go benchmark starts from a uint8
image); the normalized tensors of 128 images are stacked into one batch
tensor, which is the collate step that the Go benchmark does by writing into
its Batch. Image.fromarray, DataLoader workers and label handling other than
RICAP's are not timed.

The RandAugment ops are the Pillow ops of augment/testdata/gen_pillow_golden.py
(imported from there, so they are the ones the Go ops are checked against);
this file adds the ildoonet random layer: random.choices of N ops, the level
formula v = m/30*(max-min)+min, and a random sign for the signed ops.

One process, torch.set_num_threads(1): the result is images per second on
one core. Prints one JSON line on stdout:

  {"tool": "torchvision", "versions": {...}, "repeats": R,
   "rows": [{"name", "size", "img_s": [per repeat], "median",
             "cpu_img_s": [images per CPU second, per repeat], "images"}]}

Usage (from the repository root, in a virtualenv with torch, torchvision,
Pillow and numpy):

    python augment/bench/bench_torchvision.py [--repeats 5] [--sizes 32,84]
        [--seconds 1.0] [--only Standard32,Full84]
"""

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time

# Before torch is imported: keep every thread pool at one thread.
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import PIL  # noqa: E402
import torch  # noqa: E402
import torchvision  # noqa: E402
from PIL import Image  # noqa: E402
from torchvision import transforms as T  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "testdata"))
import gen_pillow_golden as golden  # noqa: E402

BATCH = 128
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2023, 0.1994, 0.2010)


class RandAugmentIldoonet:
    """RandAugment as ildoonet/pytorch-randaugment applies it (spec §3.4).

    N ops drawn with replacement, each applied with probability 1 at
    magnitude M of 30; signed ops flip their sign with probability 0.5;
    CutoutAbs draws its centre with np.random.uniform(w), i.e. in (1, w].
    """

    def __init__(self, n, m):
        self.n, self.m = n, m
        self.table = list(golden.RANGES.items())  # ildoonet's order

    def __call__(self, img):
        for name, (lo, hi, signed) in random.choices(self.table, k=self.n):
            v = (float(self.m) / 30) * float(hi - lo) + lo
            if signed and random.random() > 0.5:
                v = -v
            if name == "CutoutAbs":
                w, h = img.size
                img = golden.cutout_abs(img, v, np.random.uniform(w), np.random.uniform(h))
            else:
                img = golden.OPS[name](img, [v])
        return img


def ricap(x, targets, beta):
    """RICAP on a batch tensor x (N, C, H, W), as the paper's code (spec §3.3).

    Returns the patched batch, the four target vectors and their weights.
    """
    ix, iy = x.shape[2], x.shape[3]
    w = int(np.round(ix * np.random.beta(beta, beta)))
    h = int(np.round(iy * np.random.beta(beta, beta)))
    ws = [w, ix - w, w, ix - w]
    hs = [h, h, iy - h, iy - h]
    crops, tk, wk = [], [], []
    for k in range(4):
        perm = torch.randperm(x.shape[0])
        xk = np.random.randint(0, ix - ws[k] + 1)
        yk = np.random.randint(0, iy - hs[k] + 1)
        crops.append(x[perm][:, :, xk:xk + ws[k], yk:yk + hs[k]])
        tk.append(targets[perm])
        wk.append(ws[k] * hs[k] / (ix * iy))
    left = torch.cat((crops[0], crops[1]), 2)
    right = torch.cat((crops[2], crops[3]), 2)
    return torch.cat((left, right), 3), tk, wk


def pipelines(size):
    """Name -> (per-image transform, mixes with RICAP) for one image size."""
    tail = [T.ToTensor(), T.Normalize(CIFAR10_MEAN, CIFAR10_STD)]
    standard = [T.RandomCrop(size, padding=4), T.RandomHorizontalFlip()]
    ra = RandAugmentIldoonet(2, 4)
    return {
        "Standard%d" % size: (T.Compose(standard + tail), False),
        "RandAugment%d" % size: (T.Compose([ra] + tail), False),
        "Full%d" % size: (T.Compose([ra] + standard + tail), True),
    }


def run(tf, mix, images, targets, nbatch):
    """Augments nbatch batches of BATCH images; returns (wall s, CPU s)."""
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(nbatch):
        out = [tf(img) for img in images]
        x = torch.stack(out)
        if mix:
            x, _, _ = ricap(x, targets, 0.3)
    return time.perf_counter() - t0, time.process_time() - c0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--sizes", default="32,84")
    ap.add_argument("--seconds", type=float, default=1.0, help="target wall time of one repeat")
    ap.add_argument("--only", default="", help="comma-separated row names (default: all)")
    ap.add_argument("--seed", type=int, default=40)
    args = ap.parse_args()

    torch.set_num_threads(1)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    only = set(filter(None, args.only.split(",")))

    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        images = [Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8), "RGB")
                  for _ in range(BATCH)]
        targets = torch.from_numpy(rng.integers(0, 10, BATCH))
        for name, (tf, mix) in pipelines(size).items():
            if only and name not in only:
                continue
            wall, _ = run(tf, mix, images, targets, 1)  # warm-up and calibration
            nbatch = max(1, round(args.seconds / wall))
            speeds, cpu_speeds = [], []
            for _ in range(args.repeats):
                wall, cpu = run(tf, mix, images, targets, nbatch)
                speeds.append(nbatch * BATCH / wall)
                cpu_speeds.append(nbatch * BATCH / cpu)
            rows.append({
                "name": name, "size": size, "images": nbatch * BATCH,
                "img_s": speeds, "median": statistics.median(speeds),
                "cpu_img_s": cpu_speeds,
            })
            print("%-14s %9.0f img/s (median of %d)" % (name, rows[-1]["median"], args.repeats),
                  file=sys.stderr)

    print(json.dumps({
        "tool": "torchvision",
        "versions": {
            "python": platform.python_version(), "torch": torch.__version__,
            "torchvision": torchvision.__version__, "pillow": PIL.__version__,
            "numpy": np.__version__,
        },
        "threads": torch.get_num_threads(), "batch": BATCH, "repeats": args.repeats,
        "rows": rows,
    }))


if __name__ == "__main__":
    main()

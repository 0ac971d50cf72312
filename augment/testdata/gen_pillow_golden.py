#!/usr/bin/env python3
"""Writes pillow_golden.json, the reference outputs of the RandAugment ops.

Run by hand (not in CI), from any directory:

    python3 -m venv /tmp/pilvenv && /tmp/pilvenv/bin/pip install pillow numpy
    /tmp/pilvenv/bin/python augment/testdata/gen_pillow_golden.py

The ops below restate the semantics of the RandAugment implementation used by
the paper (spec §3.4: ildoonet's pytorch-randaugment on PIL images) with every
random choice (sign, cutout centre) made an explicit argument, so the Go tests
can replay them without randomness. Pillow does the real work: rotate,
transform(AFFINE, NEAREST), ImageOps and ImageEnhance.

Output format (JSON):
  pillow, numpy    versions used
  inputs           name -> {w, h, c, pix}; pix is row-major HWC uint8,
                   base64-encoded (Go's encoding of []byte)
  cases            list of {op, input, args, m, out}
                   op    op name (RandAugment table name, or Affine)
                   args  explicit float arguments of the Go function
                   m     magnitude 0..30 when args[0] came from the level
                         formula v = m/30*(max-min)+min, else null
                   out   output pixels, same layout and encoding as pix
"""

import base64
import json
import os
import sys

import numpy as np
import PIL
from PIL import Image, ImageDraw, ImageEnhance, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "pillow_golden.json")

# The RandAugment table of spec §3.4: name -> (min, max, signed).
RANGES = {
    "AutoContrast": (0, 1, False),
    "Equalize": (0, 1, False),
    "Invert": (0, 1, False),
    "Rotate": (0, 30, True),
    "Posterize": (0, 4, False),
    "Solarize": (0, 256, False),
    "SolarizeAdd": (0, 110, False),
    "Color": (0.1, 1.9, False),
    "Contrast": (0.1, 1.9, False),
    "Brightness": (0.1, 1.9, False),
    "Sharpness": (0.1, 1.9, False),
    "ShearX": (0.0, 0.3, True),
    "ShearY": (0.0, 0.3, True),
    "CutoutAbs": (0, 40, False),
    "TranslateXabs": (0.0, 100, True),
    "TranslateYabs": (0.0, 100, True),
}


def level(name, m):
    lo, hi, _ = RANGES[name]
    return (float(m) / 30) * float(hi - lo) + lo


# ---- inputs -----------------------------------------------------------------


def lcg_bytes(n, seed):
    """Deterministic bytes that do not depend on numpy's generators."""
    out = []
    s = seed
    for _ in range(n):
        s = (s * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        out.append((s >> 33) & 0xFF)
    return out


def make_inputs():
    specs = {}

    def add(name, w, h, c, pix):
        assert len(pix) == w * h * c
        specs[name] = {"w": w, "h": h, "c": c, "pix": pix}

    add("rgb8x8", 8, 8, 3, lcg_bytes(8 * 8 * 3, 1))
    # Low contrast with a gradient, so AutoContrast and Contrast have work.
    raw = lcg_bytes(11 * 7 * 3, 2)
    pix = []
    for y in range(7):
        for x in range(11):
            for c in range(3):
                pix.append(60 + (raw[(y * 11 + x) * 3 + c] % 40) + 7 * x + 3 * y + 5 * c)
    add("rgb11x7", 11, 7, 3, pix)
    add("rgb16x12", 16, 12, 3, lcg_bytes(16 * 12 * 3, 3))
    add("grey9x6", 9, 6, 1, lcg_bytes(9 * 6, 4))
    add("grey2x3", 2, 3, 1, lcg_bytes(2 * 3, 5))
    # A flat image: the degenerate paths of AutoContrast and Equalize.
    add("rgb4x4flat", 4, 4, 3, [77, 77, 200] * 16)
    # 64 levels x 16 pixels: Equalize's LUT passes 255 and is clipped.
    add("grey32x32levels", 32, 32, 1, [100 + i % 64 for i in range(1024)])
    return specs


# Inputs used only for some ops, to keep the file small.
ONLY = {"grey32x32levels": {"Equalize", "AutoContrast"}}


def to_pil(spec):
    a = np.array(spec["pix"], dtype=np.uint8)
    if spec["c"] == 1:
        return Image.fromarray(a.reshape(spec["h"], spec["w"]), "L")
    return Image.fromarray(a.reshape(spec["h"], spec["w"], 3), "RGB")


def b64(pix):
    return base64.b64encode(bytes(pix)).decode("ascii")


def from_pil(img):
    return b64(np.asarray(img, dtype=np.uint8).reshape(-1).tobytes())


# ---- ops, with explicit arguments ---------------------------------------------


def affine(img, a):
    return img.transform(img.size, Image.AFFINE, tuple(a))


def solarize_add(img, addition, threshold=128):
    a = np.array(img).astype(np.int64) + addition
    a = np.clip(a, 0, 255).astype(np.uint8)
    return ImageOps.solarize(Image.fromarray(a), threshold)


def posterize_level(img, v):
    return ImageOps.posterize(img, max(1, int(v)))


def cutout_abs(img, v, cx, cy):
    """ildoonet CutoutAbs with the centre draw (np.random.uniform) given."""
    if v < 0:
        return img
    w, h = img.size
    x0 = int(max(0, cx - v / 2.0))
    y0 = int(max(0, cy - v / 2.0))
    x1 = min(w, x0 + v)
    y1 = min(h, y0 + v)
    color = (125, 123, 114)
    if img.mode == "L":
        # PIL rejects an RGB tuple on an L image; the Go port uses the grey
        # level PIL's own RGB->L conversion gives this colour.
        color = Image.new("RGB", (1, 1), color).convert("L").getpixel((0, 0))
    img = img.copy()
    ImageDraw.Draw(img).rectangle((x0, y0, x1, y1), color)
    return img


OPS = {
    "AutoContrast": lambda img, a: ImageOps.autocontrast(img),
    "Equalize": lambda img, a: ImageOps.equalize(img),
    "Invert": lambda img, a: ImageOps.invert(img),
    "Rotate": lambda img, a: img.rotate(a[0]),
    "Posterize": lambda img, a: posterize_level(img, a[0]),
    "Solarize": lambda img, a: ImageOps.solarize(img, a[0]),
    "SolarizeAdd": lambda img, a: solarize_add(img, a[0]),
    "Color": lambda img, a: ImageEnhance.Color(img).enhance(a[0]),
    "Contrast": lambda img, a: ImageEnhance.Contrast(img).enhance(a[0]),
    "Brightness": lambda img, a: ImageEnhance.Brightness(img).enhance(a[0]),
    "Sharpness": lambda img, a: ImageEnhance.Sharpness(img).enhance(a[0]),
    "ShearX": lambda img, a: affine(img, (1, a[0], 0, 0, 1, 0)),
    "ShearY": lambda img, a: affine(img, (1, 0, 0, a[0], 1, 0)),
    "CutoutAbs": lambda img, a: cutout_abs(img, a[0], a[1], a[2]),
    "TranslateXabs": lambda img, a: affine(img, (1, 0, a[0], 0, 1, 0)),
    "TranslateYabs": lambda img, a: affine(img, (1, 0, 0, 0, 1, a[0])),
    "Affine": lambda img, a: affine(img, a),
}

# Explicit arguments beyond the level formula, per op.
EXTRA_ARGS = {
    "Rotate": [[0.0], [4.0], [-4.0], [0.5], [13.5], [-29.9], [45.0], [90.0],
               [-90.0], [180.0], [270.0], [359.0], [-725.25]],
    # 0.3 and 0.7 are not exact in float32: they tell PIL's float32
    # blend arithmetic from a float64 one.
    "Posterize": [[b] for b in (1.0, 2.0, 3.0, 5.0, 7.0, 8.0)],
    "Solarize": [[0.0], [34.13], [128.0], [200.5], [255.0], [256.0]],
    "SolarizeAdd": [[0.0], [14.67], [60.5], [110.0]],
    "Color": [[0.0], [0.3], [0.34], [0.5], [0.7], [1.0], [1.3], [1.5], [2.5]],
    "Contrast": [[0.0], [0.3], [0.34], [0.5], [0.7], [1.0], [1.3], [1.5], [2.5]],
    "Brightness": [[0.0], [0.3], [0.34], [0.5], [0.7], [1.0], [1.3], [1.5], [2.5]],
    "Sharpness": [[0.0], [0.3], [0.34], [0.5], [0.7], [1.0], [1.3], [1.5], [2.5]],
    "ShearX": [[0.04], [-0.04], [0.3], [-0.3], [0.123], [1.0]],
    "ShearY": [[0.04], [-0.04], [0.3], [-0.3], [0.123], [1.0]],
    "TranslateXabs": [[0.0], [0.5], [-0.5], [2.4], [-2.6], [13.3333], [-100.0]],
    "TranslateYabs": [[0.0], [0.5], [-0.5], [2.4], [-2.6], [13.3333], [-100.0]],
    "Affine": [
        [0.9, 0.1, 1.3, -0.2, 1.1, -0.7],  # general: fixed-point path
        [1.5, 0.0, -2.0, 0.0, 0.75, 1.0],  # pure scale: scale path
        [-1.0, 0.0, 7.0, 0.0, 1.0, 0.0],  # mirror: scale path, negative step
        [10000.0, 0.1, -5000.0, 0.0, 1.0, 0.0],  # beyond 16.16: float path
    ],
}

# CutoutAbs centres (cx, cy) as np.random.uniform(w) would give, in (1, w].
CUTOUT_CENTRES = [(1.2, 2.7), (3.9, 1.01), (100.0, 100.0)]
LEVELS = [0, 1, 4, 9, 15, 30]


def main():
    inputs = make_inputs()
    cases = []

    def run(op, name, args, m):
        if name in ONLY and op not in ONLY[name]:
            return
        img = to_pil(inputs[name])
        out = OPS[op](img, args)
        assert out.size == img.size and out.mode == img.mode, (op, name)
        cases.append({"op": op, "input": name, "args": args, "m": m, "out": from_pil(out)})

    for name in inputs:
        for op, (lo, hi, signed) in RANGES.items():
            for m in LEVELS:
                v = level(op, m)
                signs = [1.0, -1.0] if signed and v != 0 else [1.0]
                for s in signs:
                    if op == "CutoutAbs":
                        w, h = inputs[name]["w"], inputs[name]["h"]
                        for cx, cy in CUTOUT_CENTRES:
                            run(op, name, [v, min(cx, w), min(cy, h)], m)
                    else:
                        run(op, name, [s * v], m)
        for op, arglist in EXTRA_ARGS.items():
            for args in arglist:
                run(op, name, args, None)

    doc = {
        "pillow": PIL.__version__,
        "numpy": np.__version__,
        "inputs": {k: dict(v, pix=b64(v["pix"])) for k, v in inputs.items()},
        "cases": cases,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print("wrote %s: %d cases, pillow %s" % (OUT, len(cases), PIL.__version__), file=sys.stderr)


if __name__ == "__main__":
    main()

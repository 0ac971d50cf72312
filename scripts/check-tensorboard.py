#!/usr/bin/env python3
"""Check a run folder's TensorBoard events with TensorBoard's own reader.

usage: check-tensorboard.py RUN_DIR [RUN_DIR...]

Needs the tensorboard Python package (pip install tensorboard). For each run folder it loads the
events with tensorboard.backend.event_processing.event_accumulator.EventAccumulator and checks,
as docs/tensorboard.md describes them:
  - every numeric value of every metrics.jsonl line but "step" is the scalar epoch/<key> at the
    line's step, equal to the value rounded to float32, and nothing else is under epoch/;
  - train/loss and train/lr are at the multiples of train.tensorboard_every up to the last step,
    and train/lr equals the metrics line's lr where they share a step;
  - final/test_acc_onnx and final/test_acc_torch equal summary.json's (a completed run);
  - the text "config" is config.yaml in a yaml code block, at step 0.
It prints one line per run and exits 1 if any check fails.
"""
import json
import os
import struct
import sys

from tensorboard.backend.event_processing import event_accumulator
from tensorboard.util import tensor_util


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def check(run):
    problems = []
    bad = problems.append
    acc = event_accumulator.EventAccumulator(run, size_guidance={event_accumulator.SCALARS: 0, event_accumulator.TENSORS: 0})
    acc.Reload()
    tags = set(acc.Tags()["scalars"])
    series = {t: [(e.step, e.value) for e in acc.Scalars(t)] for t in tags}

    with open(os.path.join(run, "metrics.jsonl")) as f:
        lines = [json.loads(l) for l in f if l.strip()]
    want = {}
    for m in lines:
        for k, v in m.items():
            if k != "step" and isinstance(v, (int, float)) and not isinstance(v, bool):
                want.setdefault("epoch/" + k, []).append((m["step"], f32(v)))
    for tag, pts in sorted(want.items()):
        if series.get(tag) != pts:
            bad(f"{tag}: events {series.get(tag)}, metrics.jsonl {pts}")
    for tag in sorted(t for t in tags if t.startswith("epoch/") and t not in want):
        bad(f"{tag}: in the events, not in metrics.jsonl")

    every = None
    with open(os.path.join(run, "config.yaml")) as f:
        config = f.read()
    for line in config.splitlines():
        if line.strip().startswith("tensorboard_every:"):
            every = int(line.split(":")[1])
    last = lines[-1]["step"] if lines else 0
    steps = list(range(every, last + 1, every)) if every else []
    lr = {m["step"]: f32(m["lr"]) for m in lines}
    for tag in ("train/loss", "train/lr"):
        got = [s for s, _ in series.get(tag, [])]
        if got != steps:
            bad(f"{tag}: at steps {got}, want {steps} (every {every})")
    for s, v in series.get("train/lr", []):
        if s in lr and v != lr[s]:
            bad(f"train/lr at step {s}: {v}, metrics.jsonl {lr[s]}")

    with open(os.path.join(run, "summary.json")) as f:
        summary = json.load(f)
    finals = {"final/test_acc_onnx": "onnx_test_acc", "final/test_acc_torch": "torch_test_acc"}
    for tag, key in finals.items():
        want_pts = [(summary["iterations"], f32(summary[key]))] if summary.get("completed") else None
        if series.get(tag) != want_pts:
            bad(f"{tag}: events {series.get(tag)}, summary.json {want_pts}")
    known = set(want) | {"train/loss", "train/lr"} | set(finals)
    for tag in sorted(tags - known):
        bad(f"{tag}: unexpected tag")

    texts = acc.Tags()["tensors"]
    if "config" not in texts:
        bad("config: no text")
    else:
        ev = acc.Tensors("config")
        text = tensor_util.make_ndarray(ev[0].tensor_proto).item().decode()
        same = text == "```yaml\n" + config + "```\n"
        if len(ev) != 1 or ev[0].step != 0 or not same:
            bad(f"config: {len(ev)} texts, first at step {ev[0].step}; equals config.yaml in a code block: {same}")

    n = sum(len(v) for v in series.values())
    status = "OK" if not problems else "MISMATCH"
    print(f"{run}: {status}: {n} scalar points in {len(tags)} tags, {len(lines)} metrics lines, config text checked")
    for p in problems:
        print("  " + p)
    return not problems


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    ok = True
    for run in argv[1:]:
        ok = check(run) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""Print PyTorch's OneCycleLR learning rate for every step, the reference for budgetrain's onecycle.

usage:
  python3 scripts/onecycle-reference.py > pipeline/testdata/onecycle-torch.json

Needs torch (tested with 2.1.2, the version of budgetrain's libtorch). For each (lr0, T) below
it builds torch.optim.SGD on one parameter and OneCycleLR(opt, max_lr=lr0, total_steps=T) with
every other argument at its default (pct_start 0.3, anneal_strategy "cos", cycle_momentum True,
div_factor 25, final_div_factor 1e4, three_phase False), then records the learning rate the
optimizer uses at each of the T steps: param_groups[0]["lr"] before opt.step(), followed by
sched.step(), as a training loop runs them. The values are Python floats (IEEE doubles), and
json writes them with repr, which reads back to the same double. TestOneCycleMatchesPyTorch
compares pipeline.Schedule{Kind: "onecycle"} with every value.
"""
import json
import sys

import torch

CASES = [(0.1, t) for t in (1, 2, 3, 4, 5, 7, 10, 11, 100, 4600)] + [(0.2, 690), (0.05, 37)]


def lrs(lr0, total):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=lr0, momentum=0.9)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr0, total_steps=total)
    out = []
    for _ in range(total):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def main():
    doc = {
        "torch": torch.__version__,
        "command": "python3 scripts/onecycle-reference.py",
        "cases": [{"lr0": lr0, "total": t, "lr": lrs(lr0, t)} for lr0, t in CASES],
    }
    json.dump(doc, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

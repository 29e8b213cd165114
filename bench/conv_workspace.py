"""LeNet-5 training (batch 64, SGD, bench_conv.py's problem) with and without the im2col
workspace of retrograd/ops/conv.py, with glibc's malloc as retrograd sets it and as it comes:
CPU time per step, minor page faults per step, and resident memory over a few hundred steps.

Every run is a fresh process (no torch imported, one BLAS thread); the runs alternate, round
after round, and the table gives medians over the rounds. "without" replaces the workspace by a
plain ``np.empty`` per im2col matrix. Resident memory is read from /proc/self/statm after the
warm-up steps and after the last one; "growth" is the difference, which stays near zero when
nothing piles up.

    .venv/bin/python bench/conv_workspace.py                  # about a minute
    .venv/bin/python bench/conv_workspace.py --rounds 3 --steps 300
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
BATCH, WARMUP = 64, 20
RUNS = {  # name: (workspace on, RETROGRAD_KEEP_FREED_MEMORY)
    "workspace": (True, "1"),
    "without": (False, "1"),
    "workspace, KEEP_FREED=0": (True, "0"),
    "without, KEEP_FREED=0": (False, "0"),
}


def resident_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def child(workspace: bool, steps: int, block: int) -> dict:
    """In this process: ``steps`` timed LeNet-5 steps after ``WARMUP``; the figures."""
    sys.path.insert(0, str(REPO))
    import retrograd as rg
    import retrograd.nn.functional as F
    from retrograd.models import lenet5
    from retrograd.ops import conv

    if not workspace:
        conv.workspace.empty = lambda shape, dtype: np.empty(shape, dtype=dtype)
    rg.manual_seed(0)
    model = lenet5()
    optimizer = rg.optim.SGD(model.parameters(), lr=0.01)
    rng = np.random.default_rng(0)
    x = rg.from_numpy(rng.standard_normal((BATCH, 1, 28, 28)).astype(np.float32))
    y = rg.from_numpy(rng.integers(0, 10, BATCH))

    def step() -> float:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    for _ in range(WARMUP):
        step()
    after_warmup, faults = resident_mib(), resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    blocks = []
    for _ in range(max(1, steps // block)):
        start = time.process_time()
        for _ in range(block):
            loss = step()
        blocks.append((time.process_time() - start) / block * 1e3)
    done = max(1, steps // block) * block
    return {"ms_per_step": statistics.median(blocks),
            "faults_per_step": (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults)
            / done,
            "rss_after_warmup_mib": after_warmup, "rss_end_mib": resident_mib(),
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "workspace_free_mib": conv.workspace.held_bytes()[1] / 2 ** 20
            if workspace else 0.0, "steps": done, "last_loss": loss}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=300, help="timed steps per run")
    parser.add_argument("--block", type=int, default=20, help="steps per timed block")
    parser.add_argument("--rounds", type=int, default=5, help="runs of each kind (median)")
    parser.add_argument("--json", type=Path, default=None, help="save the raw results here")
    parser.add_argument("--child", choices=("on", "off"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child == "on", args.steps, args.block)))
        return
    threads = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                      "MKL_NUM_THREADS")}
    results: dict[str, list[dict]] = {name: [] for name in RUNS}
    for _ in range(args.rounds):
        for name, (workspace, keep) in RUNS.items():
            command = [sys.executable, __file__, "--child", "on" if workspace else "off",
                       "--steps", str(args.steps), "--block", str(args.block)]
            environment = {**os.environ, **threads, "RETROGRAD_KEEP_FREED_MEMORY": keep}
            output = subprocess.run(command, capture_output=True, text=True, check=True,
                                    cwd=REPO, env=environment).stdout
            results[name].append(json.loads(output))
    print(f"LeNet-5 step, batch {BATCH}, one thread, CPU time; {args.steps} steps after "
          f"{WARMUP} of warm-up; medians of {args.rounds} fresh processes; load average "
          f"{os.getloadavg()}")
    header = ["run", "ms/step", "faults/step", "RSS after warm-up", "RSS end", "growth",
              "peak RSS", "workspace free"]
    rows = []
    for name, samples in results.items():
        def middle(key, samples=samples):
            return statistics.median(sample[key] for sample in samples)
        growth = statistics.median(sample["rss_end_mib"] - sample["rss_after_warmup_mib"]
                                   for sample in samples)
        rows.append([name, f"{middle('ms_per_step'):.2f}", f"{middle('faults_per_step'):.1f}",
                     f"{middle('rss_after_warmup_mib'):.1f}", f"{middle('rss_end_mib'):.1f}",
                     f"{growth:+.1f}", f"{middle('peak_rss_mib'):.1f}",
                     f"{middle('workspace_free_mib'):.1f}"])
    widths = [max(len(row[i]) for row in [header] + rows) for i in range(len(header))]
    for row in [header, ["-" * width for width in widths]] + rows:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths)))
    print("(memory in MiB)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
        print(f"raw results written to {args.json}")


if __name__ == "__main__":
    main()

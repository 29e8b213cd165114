"""Benchmark: peak memory of the same MLP training in retrograd and in PyTorch (issue 3).

Issue 3's bar: "peak memory below PyTorch's on the same run". Each run is a fresh process that
imports one library, builds a fixed synthetic set of 60,000 x 784 float32 inputs, and trains
the MLP 784-256-256-10 (ReLU, cross-entropy) with ``optim.SGD(lr=0.01)`` for a few hundred
steps, fed by ``DataLoader(TensorDataset(X, y), batch_size=128, shuffle=True)``. The process
reports its peak resident set size (``getrusage(RUSAGE_SELF).ru_maxrss``) after the import,
after building the data set, and at the end; the figures compared are the peaks above the
import, with and without the data set (the same 188 MB in both libraries).

Runs, each repeated (median):

- retrograd as it is (it makes glibc keep freed memory for reuse, retrograd/backend.py);
- retrograd with ``RETROGRAD_KEEP_FREED_MEMORY=0`` (glibc's default malloc);
- torch with glibc's default malloc;
- torch with retrograd's malloc settings, as in bench/bench.py's process, where both run
  (glibc's ``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_TRIM_THRESHOLD_``, set as retrograd sets them).

Run from the repository root::

    .venv/bin/python bench/bench_memory.py               # about a minute
    .venv/bin/python bench/bench_memory.py --threads 1 --steps 300 --repeats 3
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
EXAMPLES, FEATURES, CLASSES = 60_000, 784, 10
LEARNING_RATE = 0.01
KEEP_FREED = str(1 << 30)  # the thresholds retrograd/backend.py gives mallopt, in bytes

# name: (library, environment variables of its process)
RUNS = {
    "retrograd": ("retrograd", {}),
    "retrograd, RETROGRAD_KEEP_FREED_MEMORY=0": ("retrograd",
                                                 {"RETROGRAD_KEEP_FREED_MEMORY": "0"}),
    "torch": ("torch", {}),
    "torch, retrograd's malloc settings": ("torch", {"MALLOC_MMAP_THRESHOLD_": KEEP_FREED,
                                                     "MALLOC_TRIM_THRESHOLD_": KEEP_FREED}),
}
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def peak_mib() -> float:
    """The peak resident set size of this process so far, in MiB (Linux counts in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def train(library: str, steps: int, batch: int) -> dict:
    """In this process: import ``library``, build the set, train; the peaks along the way."""
    if library == "retrograd":
        sys.path.insert(0, str(REPO))  # this checkout, not an installed copy
    lib = importlib.import_module(library)
    importlib.import_module(f"{library}.utils.data")
    after_import = peak_mib()

    rng = np.random.default_rng(EXAMPLES)
    x = rng.standard_normal((EXAMPLES, FEATURES), dtype=np.float32)
    y = rng.integers(0, CLASSES, EXAMPLES)
    lib.manual_seed(0)
    data = lib.utils.data.DataLoader(
        lib.utils.data.TensorDataset(lib.from_numpy(x), lib.from_numpy(y)), batch_size=batch,
        shuffle=True)
    after_data = peak_mib()

    nn = lib.nn
    model = nn.Sequential(nn.Linear(FEATURES, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                          nn.Linear(256, CLASSES))
    optimizer = lib.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    done, losses = 0, []
    while done < steps:
        for inputs, targets in data:
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(inputs), targets)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            done += 1
            if done == steps:
                break
    return {"after_import_mib": after_import, "after_data_mib": after_data,
            "peak_mib": peak_mib(), "first_loss": losses[0], "last_loss": losses[-1]}


def child_run(library: str, environment: dict, args: argparse.Namespace) -> dict:
    """``train`` in a fresh interpreter with ``environment`` added to this one's."""
    threads = {name: str(args.threads) for name in THREAD_VARIABLES} if args.threads else {}
    command = [sys.executable, __file__, "--child", library, "--steps", str(args.steps),
               "--batch", str(args.batch)]
    result = subprocess.run(command, capture_output=True, text=True, check=True, cwd=REPO,
                            env={**os.environ, **threads, **environment})
    return json.loads(result.stdout)


def summary(samples: list[dict]) -> dict:
    """Medians over repeated runs of the figures the report compares."""
    def middle(key):
        return statistics.median(sample[key] for sample in samples)
    return {"after_import_mib": middle("after_import_mib"),
            "data_mib": middle("after_data_mib") - middle("after_import_mib"),
            "training_mib": statistics.median(s["peak_mib"] - s["after_data_mib"]
                                              for s in samples),
            "above_import_mib": statistics.median(s["peak_mib"] - s["after_import_mib"]
                                                  for s in samples),
            "peak_mib": middle("peak_mib"),
            "last_loss": middle("last_loss"), "samples": samples}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=300, help="training steps per run")
    parser.add_argument("--batch", type=int, default=128, help="batch size")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each kind (median)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads of BLAS and OpenMP in every run (default: theirs)")
    parser.add_argument("--json", type=Path, default=None, help="save the raw results here")
    parser.add_argument("--child", choices=("retrograd", "torch"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    for name in ("steps", "batch", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1, got {getattr(args, name)}")
    if args.threads is not None and args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    if args.child:
        print(json.dumps(train(args.child, args.steps, args.batch)))
        return

    results = {name: summary([child_run(library, environment, args)
                              for _ in range(args.repeats)])
               for name, (library, environment) in RUNS.items()}
    print(f"Peak resident memory of a fresh process (MiB, median of {args.repeats}): "
          f"{args.steps} SGD steps of the MLP {FEATURES}-256-256-{CLASSES} at batch "
          f"{args.batch}, DataLoader over a {EXAMPLES:,} x {FEATURES} float32 set; threads: "
          f"{args.threads or 'default'}; load average {os.getloadavg()}")
    header = ["run", "after import", "data set", "training", "peak above import",
              "peak", "last loss"]
    rows = [[name, f"{r['after_import_mib']:.0f}", f"{r['data_mib']:.0f}",
             f"{r['training_mib']:.1f}", f"{r['above_import_mib']:.0f}", f"{r['peak_mib']:.0f}",
             f"{r['last_loss']:.3f}"] for name, r in results.items()]
    widths = [max(len(row[i]) for row in [header] + rows) for i in range(len(header))]
    for row in [header, ["-" * width for width in widths]] + rows:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths)))
    ours, theirs = results["retrograd"], results["torch"]
    print(f"training (peak above import and data set): retrograd {ours['training_mib']:.1f}, "
          f"torch {theirs['training_mib']:.1f} MiB; peak above import: retrograd "
          f"{ours['above_import_mib']:.0f}, torch {theirs['above_import_mib']:.0f} MiB; "
          f"target (below torch's): "
          f"{'met' if ours['above_import_mib'] < theirs['above_import_mib'] else 'NOT met'}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
        print(f"raw results written to {args.json}")


if __name__ == "__main__":
    main()

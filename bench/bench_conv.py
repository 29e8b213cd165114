"""Benchmark: a LeNet-5 training step in retrograd against PyTorch eager (issue 5, "Speed").

LeNet-5 on a batch of 64 images 1x28x28: conv(1, 6, 5, padding 2) - ReLU - max pool 2 -
conv(6, 16, 5) - ReLU - max pool 2 - flatten - linear 400-120 - ReLU - linear 120-84 - ReLU -
linear 84-10, cross-entropy, ``optim.SGD(lr=0.01)``, float32; one step is zero_grad, forward,
backward and the update. Both frameworks start from the same weights and must compute the same
losses before they are timed. Measured in one process, the frameworks alternating inside every
repetition, with the median over repetitions; PyTorch gets as many threads as NumPy's BLAS.
Then each framework again in a process of its own (torch with glibc's default malloc), as
bench/bench.py does and for the same reasons.

Run from the repository root::

    .venv/bin/python bench/bench_conv.py                # about half a minute
    .venv/bin/python bench/bench_conv.py --quick        # a smoke run
    .venv/bin/python bench/bench_conv.py --threads 1 --clock cpu
    .venv/bin/python bench/bench_conv.py --profile      # where retrograd's step spends its time
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

import bench as common  # bench/bench.py, next to this script: threads, machine, timing
import retrograd as rg  # noqa: E402  (bench.py put this checkout first on the path)

BATCH = 64
LEARNING_RATE = 0.01
TARGET_VS_TORCH = 1.0  # issue 5: at most PyTorch eager's time


def lenet(lib):
    """LeNet-5 for 1x28x28 images, in ``lib`` (retrograd or torch: the same names)."""
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


def training_step(lib, state: dict, x: np.ndarray, y: np.ndarray) -> Callable[[], object]:
    """One SGD step of LeNet-5 in ``lib``, from the weights in ``state`` (name -> array)."""
    model = lenet(lib)
    model.load_state_dict({name: lib.tensor(array.copy()) for name, array in state.items()})
    return sgd_step(lib, model, x, y)


def sgd_step(lib, model, x: np.ndarray, y: np.ndarray, device: str = "cpu") -> Callable[[], object]:
    """One SGD step of ``model`` (a ``lib`` module, moved to ``device``) on the batch (x, y)."""
    model.to(device)
    optimizer = lib.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    images, labels = lib.from_numpy(x).to(device), lib.from_numpy(y).to(device)

    def step():
        optimizer.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
        return loss
    return step


def problem(seed: int = 0) -> tuple[dict, np.ndarray, np.ndarray]:
    """PyTorch's default initial weights (seeded), a batch of images and labels."""
    torch.manual_seed(seed)
    state = {name: value.numpy().copy() for name, value in lenet(torch).state_dict().items()}
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, BATCH).astype(np.int64)
    return state, x, y


def check_same_steps(cases: dict[str, Callable[[], object]]) -> list[float]:
    """Three steps of each framework from the same weights must give the same losses."""
    losses = {name: [float(step().detach()) for _ in range(3)] for name, step in cases.items()}
    reference = losses["torch"]
    for name, values in losses.items():
        np.testing.assert_allclose(values, reference, rtol=1e-4,
                                   err_msg=f"{name} computes another LeNet step than torch")
    return reference


def profile_retrograd(step: Callable[[], object], steps: int = 50) -> str:
    """The functions retrograd's step spends its time in (cProfile, by own time)."""
    profiler = cProfile.Profile()
    profiler.runcall(lambda: [step() for _ in range(steps)])
    lines = []
    stats = pstats.Stats(profiler)
    for (filename, line, function), (_, calls, own, _, _) in sorted(
            stats.stats.items(), key=lambda item: -item[1][2])[:15]:
        where = filename.replace(str(common.REPO) + os.sep, "")
        lines.append(f"{own / steps * 1e3:8.3f} ms/step  {calls // steps:4d} calls/step  "
                     f"{where}:{line}({function})")
    return "\n".join(lines)


def report(results: dict, samples: dict[str, list[float]], args: argparse.Namespace,
           timing: common.Timing) -> None:
    machine, threads, ms = results["machine"], results["threads"], results["ms_per_step"]
    print(f"machine: {machine['cpu']}, {machine['cores']} cores, load average "
          f"{machine['load_average']} before, {machine['load_average_after']} after; "
          f"numpy {machine['numpy']}, torch {machine['torch']}; {machine['date']}")
    print(f"threads: {threads['threads']} (NumPy BLAS and torch); clock: {args.clock} time; "
          f"{timing.repeats} interleaved samples of {timing.block_seconds} s; 'own process': "
          f"the framework alone in a fresh process (torch with glibc's default malloc)")
    print(f"LeNet-5 training step, batch {BATCH}, 1x28x28, SGD (ms per step, median; "
          f"min-max in brackets)")
    print(common.table(["framework", "ms/step", "(min-max)", "/torch (same way)"], [
        [name, f"{time_ms:.2f}",
         f"({min(samples[name]) * 1e3:.2f}-{max(samples[name]) * 1e3:.2f})",
         f"{time_ms / ms[name.replace('retrograd', 'torch')]:.2f}"]
        for name, time_ms in ms.items()]))
    for where in ("", " (own process)"):
        ratio = ms[f"retrograd{where}"] / ms[f"torch{where}"]
        print(f"target <= {TARGET_VS_TORCH}x torch{where or ' (same process)'}: "
              f"{common.verdict(ratio <= TARGET_VS_TORCH)} ({ratio:.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds: smoke run")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for NumPy's BLAS and torch (default: what BLAS uses)")
    parser.add_argument("--clock", choices=common.CLOCKS, default="wall",
                        help="wall time (default), or the process's CPU time (with --threads 1)")
    parser.add_argument("--repeats", type=int, default=15, help="samples per framework")
    parser.add_argument("--profile", action="store_true",
                        help="also print where retrograd's step spends its time")
    parser.add_argument("--json", type=Path, default=None, help="save the raw results here")
    parser.add_argument("--only", choices=("torch", "retrograd"), default=None,
                        help="time only this framework, with no check or profile: how this "
                             "script times each framework in a process of its own")
    args = parser.parse_args()
    if args.threads is not None and args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    timing = common.Timing(repeats=3, block_seconds=0.05, warmup=3) if args.quick else \
        common.Timing(repeats=args.repeats, block_seconds=0.3, warmup=10)
    timing.clock = getattr(time, common.CLOCKS[args.clock])

    results = {"machine": common.machine_info(),
               "threads": common.configure_threads(args.threads),
               "settings": {"repeats": timing.repeats, "block_seconds": timing.block_seconds,
                            "clock": args.clock, "batch": BATCH}}
    state, x, y = problem()
    cases = {"torch": training_step(torch, state, x, y),
             "retrograd": training_step(rg, state, x, y)}
    if args.only:  # a child of this script: time one framework, save the samples, no more
        cases = {args.only: cases[args.only]}
    else:
        results["losses"] = check_same_steps(cases)
    samples = common.measure_interleaved(cases, timing)
    results["samples_s"] = samples
    if not args.only:
        for framework in cases:
            environment = common.GLIBC_DEFAULT_MALLOC if framework == "torch" else {}
            child = common.run_own_process(__file__, framework, args, environment,
                                           ("--repeats", str(args.repeats)))
            samples[f"{framework} (own process)"] = child["samples_s"][framework]
        results["ms_per_step"] = {name: common.median(times) * 1e3
                                  for name, times in samples.items()}
        results["machine"]["load_average_after"] = os.getloadavg()
        report(results, samples, args, timing)
        if args.profile:
            print("\nretrograd's step by function (own time, cProfile):")
            print(profile_retrograd(cases["retrograd"], 10 if args.quick else 50))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
        print(f"raw results written to {args.json}")


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark of the thread policy (issue 11): training steps with retrograd's default thread
count against one thread and one thread per core, on the idle machine and under a background
load of busy processes, in wall-clock time (what a user waits; CPU time would count the BLAS
threads that spin).

The steps: the small CNN of ``retrograd train --model cnn --dataset digits`` (8x8 images,
batch 32), LeNet-5 at batch 64, and the MLP 784-256-256-10 at batch 32, 128 and 1024. Each
sample runs in a fresh process (BLAS threads left spinning by one configuration would slow the
next), the configurations alternating inside every repetition; the figures are medians. From
the repository root::

    .venv/bin/python bench/bench_threads.py --load 2          # about a minute
    .venv/bin/python bench/bench_threads.py --load 0 --load 2 --json threads.json
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (also puts this checkout first on the path)
import retrograd as rg  # noqa: E402
from retrograd import nn  # noqa: E402
from retrograd.models import networks  # noqa: E402
from retrograd.threads import THREAD_VARIABLES  # noqa: E402

TARGET_VS_ONE_THREAD = 1.2  # no default configuration slower than this under load


def training_step(model: nn.Module, input_shape: tuple, classes: int = 10) -> Callable[[], None]:
    optimizer = rg.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rg.manual_seed(0)
    x, y = rg.randn(*input_shape), rg.randint(0, classes, (input_shape[0],))

    def step() -> None:
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

    return step


def cases() -> dict[str, Callable[[], None]]:
    return {
        "small CNN, digits, batch 32": training_step(
            networks.small_cnn(num_classes=10, in_channels=1, image_size=8), (32, 1, 8, 8)),
        "LeNet-5, batch 64": training_step(networks.lenet5(), (64, 1, 28, 28)),
        **{f"MLP 784-256-256-10, batch {b}": training_step(networks.mlp(784, (256, 256), 10),
                                                           (b, 784)) for b in (32, 128, 1024)},
    }


def busy() -> None:
    while True:
        pass


def seconds_per_step(step: Callable[[], None], block: float) -> float:
    step()
    calls, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < block:
        step()
        calls += 1
    return elapsed / calls


def measure_here(block: float) -> None:
    """The child's part: one sample of every step, with the threads this process got."""
    print(json.dumps({"threads": rg.get_num_threads(),
                      "seconds": {name: seconds_per_step(step, block)
                                  for name, step in cases().items()}}))


def sample(threads: int | None, block: float) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    env.pop("RETROGRAD_NUM_THREADS", None)
    if threads is not None:
        env["RETROGRAD_NUM_THREADS"] = str(threads)
    done = subprocess.run([sys.executable, __file__, "--child", "--block", str(block)], env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def run(load: int, configurations: dict[str, int | None], repeats: int, block: float) -> dict:
    workers = [multiprocessing.Process(target=busy, daemon=True) for _ in range(load)]
    for worker in workers:
        worker.start()
    samples: dict[str, dict[str, list[float]]] = {}
    try:
        for _ in range(repeats):  # the configurations alternate inside every repetition
            for config, threads in configurations.items():
                for name, seconds in sample(threads, block)["seconds"].items():
                    samples.setdefault(name, {}).setdefault(config, []).append(seconds)
        load_average = os.getloadavg()[0]
    finally:
        for worker in workers:
            worker.terminate()
            worker.join()
    figures = {name: {config: statistics.median(values) for config, values in by_config.items()}
               for name, by_config in samples.items()}
    return {"busy_processes": load, "load_average": load_average, "seconds": figures}


def report(result: dict) -> list[str]:
    figures = result["seconds"]
    configs = list(next(iter(figures.values())))
    lines = [f"background load: {result['busy_processes']} busy processes (load average "
             f"{result['load_average']:.2f}), wall-clock ms per step, median",
             "| step | " + " | ".join(configs) + " | default / 1 thread |",
             "|---|" + "---:|" * (len(configs) + 1)]
    worst = 0.0
    for name, by_config in figures.items():
        ratio = by_config["default"] / by_config["1 thread"]
        worst = max(worst, ratio)
        lines.append(f"| {name} | " + " | ".join(f"{by_config[c] * 1e3:.2f}" for c in configs)
                     + f" | {ratio:.2f}x |")
    met = "met" if worst <= TARGET_VS_ONE_THREAD else "NOT met"
    lines.append(f"worst default / one thread: {worst:.2f}x (target <= {TARGET_VS_ONE_THREAD}x: "
                 f"{met})")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--load", type=int, action="append",
                        help="busy background processes (repeatable; default: 0 and 2)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--block", type=float, default=0.2, help="seconds per sample")
    parser.add_argument("--json", metavar="FILE")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return measure_here(args.block)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    configurations = {"default": None, "1 thread": 1, f"{cores} threads": cores}
    machine = bench.machine_info()
    print(f"machine: {machine['cpu']}, {cores} cores; retrograd's default: "
          f"{sample(None, 0.01)['threads']} thread(s), each sample in a fresh process")
    results = []
    for load in args.load or [0, 2]:
        result = run(load, configurations, args.repeats, args.block)
        results.append(result)
        print("\n".join(report(result)) + "\n")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine, "runs": results}, indent=1))


if __name__ == "__main__":
    main()

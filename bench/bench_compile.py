"""Benchmark of ``rg.compile`` (issue 11): replayed steps against eager retrograd, PyTorch eager
and the same computation written by hand in NumPy, in one process, one thread, CPU time.

1. the practical work's network: 2 inputs, 10 tanh units, 2 classes, cross-entropy, SGD, an
   epoch of 200 examples in mini-batches of 10 through ``DataLoader(shuffle=True)`` (by hand:
   a permutation, then slices);
2. the chain of small operations of ``bench.py`` (mul, add, tanh, exp, sigmoid on (16,)),
   forward and backward, in microseconds per operation;
3. one SGD step of the MLP 784-256-256-10 at batch 32, 128 and 1024 (nn + optim);
4. one SGD step of LeNet-5 at batch 64.

Every case is checked first (the same losses as eager), then timed interleaved with the others
(``bench.measure_interleaved``); the figures are medians. Run from the repository root::

    .venv/bin/python bench/bench_compile.py                  # about three minutes
    .venv/bin/python bench/bench_compile.py --quick --json results.json
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_conv  # noqa: E402

import bench  # noqa: E402  (also puts this checkout first on the path)
import retrograd as rg  # noqa: E402

CIRCLES, CIRCLES_BATCH, CIRCLES_LR = 200, 10, 0.1
TARGETS = {"circles vs floor": 1.3, "circles vs torch": 0.15, "chain us/op": 3.0,
           "mlp vs floor": 1.05, "lenet vs torch": 0.8}


# -- 1. the practical work's network ---------------------------------------------------------

def circles(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two noisy concentric circles, 100 points each, labels 0 (inner) and 1 (outer)."""
    angle = rng.uniform(0, 2 * np.pi, CIRCLES)
    label = np.arange(CIRCLES) % 2
    radius = np.where(label == 1, 1.0, 0.5) + rng.normal(0, 0.1, CIRCLES)
    x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], 1).astype(np.float32)
    return x, label.astype(np.int64)


def initial_weights(rng: np.random.Generator) -> list[np.ndarray]:
    """W1 (10, 2), b1 (10,), W2 (2, 10), b2 (2,) as nn.Linear draws them."""
    shapes = [((10, 2), 2), ((10,), 2), ((2, 10), 10), ((2,), 10)]
    return [rng.uniform(-fan ** -0.5, fan ** -0.5, shape).astype(np.float32)
            for shape, fan in shapes]


def numpy_circles_epoch(weights: list[np.ndarray], x: np.ndarray, y: np.ndarray,
                        seed: int) -> Callable[[], float]:
    """The epoch by hand: forward, softmax cross-entropy, backward and SGD on raw arrays."""
    w1, b1, w2, b2 = [w.copy() for w in weights]
    rng = np.random.default_rng(seed)

    def epoch() -> float:
        nonlocal w1, b1, w2, b2  # updated in place
        order = rng.permutation(CIRCLES)
        for start in range(0, CIRCLES, CIRCLES_BATCH):
            index = order[start:start + CIRCLES_BATCH]
            inputs, labels = x[index], y[index]
            n = len(index)
            hidden = np.tanh(inputs @ w1.T + b1)
            logits = hidden @ w2.T + b2
            shifted = logits - logits.max(axis=1, keepdims=True)
            exp = np.exp(shifted)
            total = exp.sum(axis=1, keepdims=True)
            loss = (np.log(total[:, 0]) - shifted[np.arange(n), labels]).mean()
            grad = exp / total
            grad[np.arange(n), labels] -= 1
            grad /= n
            grad_hidden = (grad @ w2) * (1 - hidden * hidden)
            w2 -= CIRCLES_LR * (grad.T @ hidden)
            b2 -= CIRCLES_LR * grad.sum(axis=0)
            w1 -= CIRCLES_LR * (grad_hidden.T @ inputs)
            b1 -= CIRCLES_LR * grad_hidden.sum(axis=0)
        return float(loss)
    return epoch


def framework_circles_epoch(lib, weights: list[np.ndarray], x: np.ndarray, y: np.ndarray,
                            seed: int, compiled: bool = False) -> Callable[[], float]:
    """The epoch through nn + optim + DataLoader in ``lib`` (retrograd or torch)."""
    model = lib.nn.Sequential(lib.nn.Linear(2, 10), lib.nn.Tanh(), lib.nn.Linear(10, 2))
    with lib.no_grad():
        for parameter, array in zip(model.parameters(), weights):
            parameter.copy_(lib.from_numpy(array))
    optimizer = lib.optim.SGD(model.parameters(), lr=CIRCLES_LR)
    generator = lib.Generator().manual_seed(seed)
    loader = lib.utils.data.DataLoader(
        lib.utils.data.TensorDataset(lib.from_numpy(x), lib.from_numpy(y)),
        batch_size=CIRCLES_BATCH, shuffle=True, generator=generator)

    def step(inputs, labels):
        optimizer.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(inputs), labels)
        loss.backward()
        optimizer.step()
        return loss
    step = rg.compile(step) if compiled else step

    def epoch() -> float:
        for inputs, labels in loader:
            loss = step(inputs, labels)
        return float(loss.detach())
    return epoch


def circles_cases() -> dict[str, Callable[[], float]]:
    rng = np.random.default_rng(0)
    x, y = circles(rng)
    weights = initial_weights(rng)
    return {"numpy by hand": numpy_circles_epoch(weights, x, y, 1),
            "torch eager": framework_circles_epoch(torch, weights, x, y, 1),
            "retrograd eager": framework_circles_epoch(rg, weights, x, y, 1),
            "retrograd compiled": framework_circles_epoch(rg, weights, x, y, 1, compiled=True)}


def check_compiled_equals_eager(cases: dict[str, Callable[[], object]]) -> None:
    """The compiled case must compute what the eager one does, or its speed means nothing."""
    eager = [float(cases["retrograd eager"]()) for _ in range(4)]
    replayed = [float(cases["retrograd compiled"]()) for _ in range(4)]
    if eager != replayed:
        raise AssertionError(f"compiled and eager losses differ: {replayed} != {eager}")


# -- 2. the chain of small operations --------------------------------------------------------

def chain_cases() -> dict[str, Callable[[], object]]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(bench.CHAIN_SIZE).astype(np.float32)
    c = rng.uniform(0.5, 1.5, bench.CHAIN_SIZE).astype(np.float32)
    cases: dict[str, Callable[[], object]] = {"numpy by hand": bench.numpy_chain_step(x, c)}
    for name, lib in (("torch eager", torch), ("retrograd eager", rg),
                      ("retrograd compiled", rg)):
        tx, tc = lib.tensor(x, requires_grad=True), lib.tensor(c, requires_grad=True)

        def step(tx=tx, tc=tc, lib=lib):
            tx.grad = tc.grad = None
            out = bench.chain_output(lib, tx, tc)
            out.backward()
            return out
        cases[name] = rg.compile(step) if name.endswith("compiled") else step
    return cases


# -- 3. and 4. the MLP and LeNet-5 steps --------------------------------------------------------

def mlp_cases(batch: int) -> dict[str, Callable[[], object]]:
    layers, x, y = bench.mlp_problem(batch)
    eager = bench.modules_training_step(rg, layers, bench.one_batch(rg, x, y))
    return {"numpy by hand": bench.NumpyMLP(layers, x, y).step,
            "torch eager": bench.modules_training_step(torch, layers, bench.one_batch(torch, x, y)),
            "retrograd eager": eager,
            "retrograd compiled": rg.compile(
                bench.modules_training_step(rg, layers, bench.one_batch(rg, x, y)))}


def lenet_cases() -> dict[str, Callable[[], object]]:
    state, x, y = bench_conv.problem()
    return {"torch eager": bench_conv.training_step(torch, state, x, y),
            "retrograd eager": bench_conv.training_step(rg, state, x, y),
            "retrograd compiled": rg.compile(bench_conv.training_step(rg, state, x, y))}


# -- running and reporting ---------------------------------------------------------------------

def run(timing: bench.Timing) -> dict:
    results: dict = {}
    sections = [("circles epoch", circles_cases(), 1.0),
                ("chain per op", chain_cases(), 1 / bench.CHAIN_OPS),
                *[(f"mlp batch {batch}", mlp_cases(batch), 1.0) for batch in bench.BATCH_SIZES],
                ("lenet5 batch 64", lenet_cases(), 1.0)]
    for title, cases, scale in sections:
        check_compiled_equals_eager(cases)
        samples = bench.measure_interleaved(cases, timing)
        results[title] = {name: bench.median(times) * scale * 1e6
                          for name, times in samples.items()}
        print(f"{title:18s} " + "  ".join(f"{name} {value:9.1f} us"
                                           for name, value in results[title].items()), flush=True)
    return results


def ratios(results: dict) -> dict[str, float]:
    circles, chain = results["circles epoch"], results["chain per op"]
    figures = {"circles vs floor": circles["retrograd compiled"] / circles["numpy by hand"],
               "circles vs torch": circles["retrograd compiled"] / circles["torch eager"],
               "chain us/op": chain["retrograd compiled"],
               "lenet vs torch": results["lenet5 batch 64"]["retrograd compiled"] /
               results["lenet5 batch 64"]["torch eager"]}
    for batch in bench.BATCH_SIZES:
        mlp = results[f"mlp batch {batch}"]
        figures[f"mlp {batch} vs floor"] = mlp["retrograd compiled"] / mlp["numpy by hand"]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter samples")
    parser.add_argument("--json", metavar="FILE", help="write the results there")
    args = parser.parse_args()
    threads = bench.configure_threads(1)
    timing = bench.Timing(repeats=3 if args.quick else 9, block_seconds=0.05 if args.quick
                          else 0.2, clock=time.process_time)
    load_before = os.getloadavg()
    results = run(timing)
    figures = ratios(results)
    print("\nratios (compiled retrograd; targets of issue 11):")
    for name, value in figures.items():
        target = TARGETS.get(name, TARGETS["mlp vs floor"] if name.startswith("mlp") else None)
        verdict = "met" if value <= target else "NOT met"
        print(f"  {name:20s} {value:7.2f}  (target <= {target}: {verdict})")
    print(f"machine: {bench.machine_info()['cpu']}, {os.cpu_count()} cores, load average "
          f"{load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after; one thread "
          f"({threads['threads']}), CPU time")
    if args.json:
        Path(args.json).write_text(json.dumps({"results_us": results, "ratios": figures,
                                               "load": [load_before, os.getloadavg()]},
                                              indent=2))


if __name__ == "__main__":
    main()

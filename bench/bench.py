"""Benchmark: retrograd against PyTorch eager and a hand-written NumPy floor (issue 2, "Speed").

Measures in one process, alternating the frameworks inside every repetition (so a burst of load
on the machine hits all of them alike), after a warm-up, and reports the median over repetitions:

1. per-operation overhead: a chain of small elementwise operations on a (16,) float32 tensor,
   forward and backward, in microseconds per operation;
2. one training step of an MLP 784-256-256-10 (ReLU, cross-entropy on class indices, plain SGD
   with lr=0.01, float32) at batch 32, 128 and 1024, scaled to a 60,000-example epoch;
3. ``import retrograd`` (and ``import torch``) in a fresh interpreter.

Every framework runs on the same threads: PyTorch gets as many as NumPy's BLAS uses.

Run from the repository root::

    .venv/bin/python bench/bench.py              # the full run, about a minute
    .venv/bin/python bench/bench.py --quick      # a smoke run, a few seconds
    .venv/bin/python bench/bench.py --json results.json --threads 1
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # benchmark this checkout, not an installed copy

import retrograd as rg  # noqa: E402
import retrograd.nn.functional as F  # noqa: E402

CHAIN_SIZE = 16
CHAIN_ROUNDS = 20           # each round is 5 operations: mul, add, tanh, exp, sigmoid
CHAIN_OPS = 5 * CHAIN_ROUNDS + 1  # plus the final sum that backward starts from
LAYER_SIZES = (784, 256, 256, 10)
BATCH_SIZES = (32, 128, 1024)
EPOCH_EXAMPLES = 60_000
LEARNING_RATE = 0.01
OPENBLAS_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")

# Issue 2's targets.
TARGET_OP_US = 2.0
TARGET_VS_TORCH = 0.8
TARGET_VS_FLOOR = 1.25


# -- threads and machine ----------------------------------------------------------------------

_thread_limits = None  # keeps threadpoolctl's limit alive for the whole run


def configure_threads(requested: int | None) -> dict:
    """Gives PyTorch as many intra-op threads as NumPy's BLAS uses; returns what was set."""
    global _thread_limits
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:  # optional: without it, assume BLAS uses one thread per core
        blas, source = [], "os.cpu_count() (threadpoolctl not installed)"
    else:
        if requested:
            _thread_limits = threadpool_limits(requested, user_api="blas")
        blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
        source = "threadpoolctl"
    threads = requested or (blas[0]["num_threads"] if blas else os.cpu_count())
    torch.set_num_threads(threads)
    return {
        "threads": threads,
        "source": source,
        "numpy_blas": [{key: pool.get(key) for key in
                        ("internal_api", "version", "architecture", "num_threads", "filepath")}
                       for pool in blas],
        "torch_threads": torch.get_num_threads(),
        "openblas_env": {name: os.environ.get(name) for name in OPENBLAS_VARIABLES},
    }


def machine_info() -> dict:
    """CPU model, cores, versions and date, for the record in docs/benchmarks.md."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "retrograd": rg.__version__,
    }


# -- timing -----------------------------------------------------------------------------------

@dataclass
class Timing:
    """How to time: samples per case, the length of one timed block, warm-up calls, the clock.

    The clock is wall time (``time.perf_counter``) or, on a machine shared with other work,
    the process's CPU time (``time.process_time``), which waiting for a core does not inflate;
    CPU time equals wall time only with one thread (BLAS threads that spin count double).
    """
    repeats: int = 11
    block_seconds: float = 0.2
    warmup: int = 10
    clock: Callable[[], float] = time.perf_counter


def seconds_per_call(function: Callable[[], object], number: int,
                     clock: Callable[[], float]) -> float:
    start = clock()
    for _ in range(number):
        function()
    return (clock() - start) / number


def measure_interleaved(cases: dict[str, Callable[[], object]],
                        timing: Timing) -> dict[str, list[float]]:
    """Seconds per call of every case, ``timing.repeats`` samples each, the cases alternating.

    Each sample times a block of calls sized to last about ``timing.block_seconds``; the order
    of the cases rotates from one repetition to the next so that none always runs first.
    """
    numbers = {}
    for name, function in cases.items():
        for _ in range(timing.warmup):
            function()
        one_call = seconds_per_call(function, 3, time.perf_counter)
        numbers[name] = max(1, round(timing.block_seconds / one_call))
    samples: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    for repeat in range(timing.repeats):
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(seconds_per_call(cases[name], numbers[name], timing.clock))
    return samples


def median(values: list[float]) -> float:
    return statistics.median(values)


# -- 1. per-operation overhead ----------------------------------------------------------------

def chain_output(lib, x, c):
    """The chain in ``lib`` (retrograd or torch: same API), summed: the graph is recorded."""
    y = x
    for _ in range(CHAIN_ROUNDS):
        y = lib.sigmoid(lib.exp(lib.tanh(y * c + c)))
    return y.sum()


def chain_step(lib, x, c) -> Callable[[], None]:
    """Forward and backward of the chain."""
    def step() -> None:
        chain_output(lib, x, c).backward()
        x.grad = c.grad = None
    return step


def numpy_chain_step(x: np.ndarray, c: np.ndarray) -> Callable[[], tuple]:
    """The same chain written by hand in NumPy, forward then backward: the per-op floor.

    Returns the gradients with respect to x and c.
    """
    def step() -> tuple[np.ndarray, np.ndarray]:
        saved = []
        y = x
        for _ in range(CHAIN_ROUNDS):
            t = np.tanh(y * c + c)
            e = np.exp(t)
            s = 1 / (1 + np.exp(-e))
            saved.append((y, t, e, s))
            y = s
        grad = np.ones_like(y)
        grad_c = np.zeros_like(c)
        for y, t, e, s in reversed(saved):
            grad = grad * s * (1 - s) * e * (1 - t * t)  # through sigmoid, exp and tanh
            grad_c += grad + grad * y                     # c enters through the add and the mul
            grad = grad * c
        return grad, grad_c
    return step


def bench_per_op(timing: Timing) -> dict:
    rng = np.random.default_rng(0)
    x_array = rng.standard_normal(CHAIN_SIZE).astype(np.float32)
    c_array = rng.uniform(0.5, 1.5, CHAIN_SIZE).astype(np.float32)
    rg_x = rg.tensor(x_array, requires_grad=True)
    rg_c = rg.tensor(c_array, requires_grad=True)
    torch_x = torch.tensor(x_array, requires_grad=True)
    torch_c = torch.tensor(c_array, requires_grad=True)
    numpy_step = numpy_chain_step(x_array, c_array)
    check_chain(rg_x, rg_c, torch_x, torch_c, numpy_step)
    cases = {
        "retrograd fwd+bwd": chain_step(rg, rg_x, rg_c),
        "torch fwd+bwd": chain_step(torch, torch_x, torch_c),
        "numpy fwd+bwd": numpy_step,
        "retrograd fwd": lambda: chain_output(rg, rg_x, rg_c),
        "torch fwd": lambda: chain_output(torch, torch_x, torch_c),
    }
    samples = measure_interleaved(cases, timing)
    return {name: {"us_per_op": median(times) / CHAIN_OPS * 1e6, "samples_s": times}
            for name, times in samples.items()}


def check_chain(rg_x, rg_c, torch_x, torch_c, numpy_step) -> None:
    """All three must compute torch's gradients, or the timing compares nothing."""
    chain_output(rg, rg_x, rg_c).backward()
    chain_output(torch, torch_x, torch_c).backward()
    expected = (torch_x.grad.numpy(), torch_c.grad.numpy())
    for got in ((rg_x.grad.data, rg_c.grad.data), numpy_step()):
        for actual, wanted in zip(got, expected):
            np.testing.assert_allclose(actual, wanted, rtol=1e-4, atol=1e-6)
    rg_x.grad = rg_c.grad = torch_x.grad = torch_c.grad = None


# -- 2. the MLP training step -----------------------------------------------------------------

def initial_parameters(rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """(weight, bias) per layer, uniform in +-1/sqrt(fan_in) as PyTorch's nn.Linear draws them."""
    layers = []
    for fan_in, fan_out in zip(LAYER_SIZES[:-1], LAYER_SIZES[1:]):
        bound = 1 / np.sqrt(fan_in)
        layers.append((rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32),
                       rng.uniform(-bound, bound, fan_out).astype(np.float32)))
    return layers


class NumpyMLP:
    """Forward, backward and SGD written by hand on arrays: the floor a NumPy framework can reach.

    The practical work's functions, for 784-256-256-10 with ReLU and cross-entropy; each phase
    is a method so that bench/profile_hot_path.py can time them apart.
    """

    def __init__(self, layers, x: np.ndarray, y: np.ndarray) -> None:
        self.layers = [(weight.copy(), bias.copy()) for weight, bias in layers]
        self.x, self.y, self.rows = x, y, np.arange(len(y))

    def forward(self) -> tuple[np.ndarray, list[np.ndarray]]:
        """The logits (N, 10) and the input of each layer, kept for the weight gradients."""
        inputs, h = [], self.x
        for i, (weight, bias) in enumerate(self.layers):
            inputs.append(h)
            h = h @ weight.T
            h += bias
            if i < len(self.layers) - 1:
                np.maximum(h, 0, out=h)
        return h, inputs

    def loss_and_gradient(self, logits: np.ndarray) -> tuple[np.floating, np.ndarray]:
        """Cross-entropy (log-softmax computed stably) and its gradient (softmax - onehot) / N."""
        logits -= logits.max(axis=1, keepdims=True)
        log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        loss = -log_probs[self.rows, self.y].mean()
        grad = np.exp(log_probs)
        grad[self.rows, self.y] -= 1
        grad /= len(self.y)
        return loss, grad

    def backward(self, grad: np.ndarray, inputs: list[np.ndarray]) -> list[tuple]:
        """(weight gradient, bias gradient) of every layer."""
        grads = []
        for i in range(len(self.layers) - 1, -1, -1):
            weight = self.layers[i][0]
            grads.append((grad.T @ inputs[i], grad.sum(axis=0)))
            if i > 0:  # through the weight, then the ReLU (its output > 0 where it passed)
                grad = grad @ weight
                grad *= inputs[i] > 0
        return grads[::-1]

    def sgd(self, grads: list[tuple]) -> None:
        for parameters, gradients in zip(self.layers, grads):
            for parameter, gradient in zip(parameters, gradients):
                parameter -= LEARNING_RATE * gradient

    def step(self) -> np.floating:
        logits, inputs = self.forward()
        loss, grad = self.loss_and_gradient(logits)
        self.sgd(self.backward(grad, inputs))
        return loss


def rg_parameters(layers) -> list:
    """weight, bias, weight, ... as retrograd leaves, on copies of the arrays."""
    return [rg.tensor(array.copy(), requires_grad=True) for layer in layers for array in layer]


def rg_functional_loss(parameters: list, inputs, targets):
    """retrograd's forward through F.linear / F.relu / F.cross_entropy: the loss, graph recorded."""
    h = inputs
    for i in range(0, len(parameters), 2):
        h = F.linear(h, parameters[i], parameters[i + 1])
        if i < len(parameters) - 2:
            h = F.relu(h)
    return F.cross_entropy(h, targets)


def rg_sgd(parameters: list) -> None:
    """Plain SGD by hand on the arrays, gradients then cleared."""
    with rg.no_grad():
        for parameter in parameters:
            parameter.data -= LEARNING_RATE * parameter.grad.data
            parameter.grad = None


def rg_functional_mlp_step(layers, x: np.ndarray, y: np.ndarray) -> Callable[[], object]:
    """retrograd through the functional forms, SGD by hand on the arrays."""
    parameters = rg_parameters(layers)
    inputs, targets = rg.tensor(x), rg.tensor(y)

    def step():
        loss = rg_functional_loss(parameters, inputs, targets)
        loss.backward()
        rg_sgd(parameters)
        return loss
    return step


def torch_functional_mlp_step(layers, x: np.ndarray, y: np.ndarray) -> Callable[[], object]:
    """PyTorch eager through torch.nn.functional, SGD by hand in place."""
    parameters = [torch.tensor(array, requires_grad=True) for layer in layers for array in layer]
    inputs, targets = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        h = inputs
        for i in range(0, len(parameters), 2):
            h = torch.nn.functional.linear(h, parameters[i], parameters[i + 1])
            if i < len(parameters) - 2:
                h = torch.nn.functional.relu(h)
        loss = torch.nn.functional.cross_entropy(h, targets)
        loss.backward()
        with torch.no_grad():
            for parameter in parameters:
                parameter.add_(parameter.grad, alpha=-LEARNING_RATE)
                parameter.grad = None
        return loss
    return step


def has_modules(lib) -> bool:
    """True when ``lib`` has nn.Linear, nn.ReLU, nn.Sequential and optim.SGD (retrograd's are
    written in issue 3)."""
    return all(hasattr(lib.nn, name) for name in ("Linear", "ReLU", "Sequential")) and \
        hasattr(getattr(lib, "optim", None), "SGD")


def modules_mlp_step(lib, layers, x: np.ndarray, y: np.ndarray) -> Callable[[], object]:
    """The same step through nn.Sequential of nn.Linear and optim.SGD, in retrograd or torch."""
    model = lib.nn.Sequential(lib.nn.Linear(784, 256), lib.nn.ReLU(), lib.nn.Linear(256, 256),
                              lib.nn.ReLU(), lib.nn.Linear(256, 10))
    with lib.no_grad():
        for parameter, array in zip(model.parameters(), [a for layer in layers for a in layer]):
            if lib is torch:
                parameter.copy_(torch.from_numpy(array))
            else:
                parameter.data[...] = array
    optimizer = lib.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    inputs, targets = lib.from_numpy(x), lib.from_numpy(y)

    def step():
        optimizer.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(inputs), targets)
        loss.backward()
        optimizer.step()
        return loss
    return step


def mlp_problem(batch: int) -> tuple[list, np.ndarray, np.ndarray]:
    """Seeded initial (weight, bias) per layer, one batch of inputs (N, 784) and labels (N,)."""
    rng = np.random.default_rng(batch)
    layers = initial_parameters(rng)
    x = rng.standard_normal((batch, LAYER_SIZES[0])).astype(np.float32)
    y = rng.integers(0, LAYER_SIZES[-1], batch).astype(np.int64)
    return layers, x, y


def mlp_cases(batch: int) -> dict[str, Callable[[], object]]:
    """Every MLP variant, each on its own copy of the same initial weights and the same batch."""
    layers, x, y = mlp_problem(batch)
    cases = {
        "numpy floor": NumpyMLP(layers, x, y).step,
        "torch functional": torch_functional_mlp_step(layers, x, y),
        "retrograd functional": rg_functional_mlp_step(layers, x, y),
    }
    if has_modules(rg):
        cases["torch nn+optim"] = modules_mlp_step(torch, layers, x, y)
        cases["retrograd nn+optim"] = modules_mlp_step(rg, layers, x, y)
    return cases


def as_number(loss) -> float:
    return float(loss.detach() if hasattr(loss, "detach") else loss)


def check_mlp_cases(cases: dict[str, Callable[[], object]]) -> None:
    """Two steps of every variant from the same weights must give the same losses."""
    losses = {name: [as_number(step()) for _ in range(2)] for name, step in cases.items()}
    reference = losses["torch functional"]
    for name, values in losses.items():
        np.testing.assert_allclose(values, reference, rtol=1e-4,
                                   err_msg=f"{name} computes another MLP step than torch")


def bench_mlp(timing: Timing) -> dict:
    results = {}
    for batch in BATCH_SIZES:
        cases = mlp_cases(batch)
        check_mlp_cases(cases)
        samples = measure_interleaved(cases, timing)
        steps_per_epoch = EPOCH_EXAMPLES / batch
        results[batch] = {name: {"ms_per_step": median(times) * 1e3,
                                 "s_per_epoch": median(times) * steps_per_epoch,
                                 "samples_s": times}
                          for name, times in samples.items()}
    return results


# -- 3. import time ---------------------------------------------------------------------------

def import_seconds(module: str, clock_name: str = "perf_counter") -> float:
    """Seconds ``import module`` takes in a fresh interpreter started in the repository root."""
    code = (f"import time; start = time.{clock_name}(); import {module}; "
            f"print(time.{clock_name}() - start)")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                            text=True, check=True)
    return float(result.stdout)


def bench_import(repeats: int, clock_name: str) -> dict:
    samples: dict[str, list[float]] = {"retrograd": [], "torch": []}
    for module in samples:  # one untimed import each warms the file-system cache
        import_seconds(module)
    for _ in range(repeats):
        for module in samples:
            samples[module].append(import_seconds(module, clock_name))
    return {module: {"s": median(times), "samples_s": times} for module, times in samples.items()}


# -- report -----------------------------------------------------------------------------------

def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(row[i])) for row in [header] + rows) for i in range(len(header))]
    lines = ["  ".join(str(cell).rjust(width) for cell, width in zip(row, widths))
             for row in [header] + rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def report(results: dict) -> str:
    threads = results["threads"]
    blas = threads["numpy_blas"][0] if threads["numpy_blas"] else {}
    machine = results["machine"]
    out = [f"machine: {machine['cpu']}, {machine['cores']} cores, load average "
           f"{machine['load_average']}; python {machine['python']}, numpy {machine['numpy']}, "
           f"torch {machine['torch']}; {machine['date']}",
           f"threads: {threads['threads']} (from {threads['source']}); NumPy BLAS "
           f"{blas.get('internal_api')} {blas.get('version')} kernel {blas.get('architecture')} "
           f"with {blas.get('num_threads')} threads; torch.get_num_threads() = "
           f"{threads['torch_threads']}; {threads['openblas_env']}",
           f"clock: {results['settings']['clock']} time; load average after the run "
           f"{machine['load_average_after']}", ""]

    per_op = results["per_op"]
    rg_op = per_op["retrograd fwd+bwd"]["us_per_op"]
    torch_op = per_op["torch fwd+bwd"]["us_per_op"]
    out.append(f"1. Per-operation overhead: a chain of {CHAIN_OPS} ops on ({CHAIN_SIZE},) float32 "
               f"(us per op, median)")
    out.append(table(["", "fwd+bwd", "fwd only", "bwd (difference)"], [
        [name, f"{per_op[f'{name} fwd+bwd']['us_per_op']:.2f}",
         f"{per_op[f'{name} fwd']['us_per_op']:.2f}" if f"{name} fwd" in per_op else "-",
         f"{per_op[f'{name} fwd+bwd']['us_per_op'] - per_op[f'{name} fwd']['us_per_op']:.2f}"
         if f"{name} fwd" in per_op else "-"]
        for name in ("retrograd", "torch", "numpy")]))
    out.append(f"retrograd/torch = {rg_op / torch_op:.2f}; target <= {TARGET_OP_US} us: "
               f"{verdict(rg_op <= TARGET_OP_US)}\n")

    out.append(f"2. MLP {'-'.join(map(str, LAYER_SIZES))} training step, one epoch = "
               f"{EPOCH_EXAMPLES:,} examples (s per epoch, median; ms per step in brackets)")
    rows, all_met = [], True
    for batch, by_name in results["mlp"].items():
        torch_time = by_name["torch functional"]["s_per_epoch"]
        floor = by_name["numpy floor"]["s_per_epoch"]
        for name, measured in by_name.items():
            ratios = ["", "", ""]
            if name.startswith("retrograd"):
                torch_name = name.replace("retrograd", "torch")
                vs_torch = measured["s_per_epoch"] / by_name[torch_name]["s_per_epoch"]
                vs_floor = measured["s_per_epoch"] / floor
                met = vs_torch <= TARGET_VS_TORCH and vs_floor <= TARGET_VS_FLOOR
                all_met &= met
                ratios = [f"{vs_torch:.2f}", f"{vs_floor:.2f}", verdict(met)]
            elif name != "numpy floor":
                ratios = [f"{measured['s_per_epoch'] / torch_time:.2f}",
                          f"{measured['s_per_epoch'] / floor:.2f}", ""]
            rows.append([str(batch), name, f"{measured['s_per_epoch']:.2f}",
                         f"({measured['ms_per_step']:.2f})"] + ratios)
    out.append(table(["batch", "variant", "s/epoch", "(ms/step)", "/torch", "/floor",
                      "target"], rows))
    out.append(f"targets: <= {TARGET_VS_TORCH}x torch (same variant) and <= {TARGET_VS_FLOOR}x "
               f"the NumPy floor at every batch size: {verdict(all_met)}\n")

    imports = results["import"]
    out.append("3. Import time in a fresh interpreter (s, median): " + ", ".join(
        f"{module} {measured['s']:.3f}" for module, measured in imports.items()))
    return "\n".join(out)


CLOCKS = {"wall": "perf_counter", "cpu": "process_time"}  # --clock name: time's function


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds: smoke run")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for NumPy's BLAS and torch (default: what BLAS uses)")
    parser.add_argument("--clock", choices=CLOCKS, default="wall",
                        help="wall time (default), or the process's CPU time, steadier on a "
                             "machine shared with other work (meaningful with --threads 1)")
    parser.add_argument("--json", type=Path, default=None, help="save the raw results here")
    args = parser.parse_args()
    if args.threads is not None and args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    clock_name = CLOCKS[args.clock]
    timing = Timing(repeats=3, block_seconds=0.02, warmup=3) if args.quick else Timing()
    timing.clock = getattr(time, clock_name)

    results = {"machine": machine_info(), "threads": configure_threads(args.threads),
               "settings": {"repeats": timing.repeats, "block_seconds": timing.block_seconds,
                            "warmup": timing.warmup, "clock": args.clock, "quick": args.quick}}
    if any(results["threads"]["openblas_env"].values()):
        print(f"note: {' and '.join(OPENBLAS_VARIABLES)} are set and slow a current NumPy; for "
              f"the other measurement run: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "
              f"{sys.executable} bench/bench.py", file=sys.stderr)
    results["per_op"] = bench_per_op(timing)
    results["mlp"] = bench_mlp(timing)
    results["import"] = bench_import(1 if args.quick else 5, clock_name)
    results["machine"]["load_average_after"] = os.getloadavg() if hasattr(os, "getloadavg") \
        else None
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
        print(f"raw results written to {args.json}")


if __name__ == "__main__":
    main()

"""Benchmark: retrograd against PyTorch eager and a hand-written NumPy floor (issues 2 and 3).

Measures in one process, alternating the frameworks inside every repetition (so a burst of load
on the machine hits all of them alike), after a warm-up, and reports the median over repetitions:

1. per-operation overhead: a chain of small elementwise operations on a (16,) float32 tensor,
   forward and backward, in microseconds per operation;
2. one training step of an MLP 784-256-256-10 (ReLU, cross-entropy on class indices, plain SGD
   with lr=0.01, float32) on one batch reused, at batch 32, 128 and 1024, scaled to a
   60,000-example epoch;
3. the same MLP trained as issue 3 asks: ``nn.Sequential`` of ``nn.Linear``, ``optim.SGD`` or
   ``optim.Adam``, fed by ``DataLoader(TensorDataset(X, y), batch_size, shuffle=True)`` over a
   fixed synthetic 60,000 x 784 float32 set, seconds per epoch;
4. ``import retrograd`` (and ``import torch``) in a fresh interpreter.

Every framework runs on the same threads: PyTorch gets as many as NumPy's BLAS uses.

Two things carry over between frameworks that share a process: importing retrograd makes glibc
keep freed memory for reuse (retrograd/backend.py), for PyTorch too; and with several threads,
one library's idle pool spins for a while after each call (OpenBLAS's workers, PyTorch's OpenMP
threads), taking cores from the other. So every variant is timed a second time in a process of
its own: children of this script run ``--only torch`` with glibc's default malloc
(``RETROGRAD_KEEP_FREED_MEMORY=0``) and ``--only numpy,retrograd``; both figures are reported.

Run from the repository root::

    .venv/bin/python bench/bench.py              # the full run, about five minutes
    .venv/bin/python bench/bench.py --quick      # a smoke run, about 30 seconds
    .venv/bin/python bench/bench.py --json results.json --threads 1 --clock cpu
"""
from __future__ import annotations

import argparse
import datetime
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

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
LEARNING_RATE = 0.01         # SGD's
ADAM_LEARNING_RATE = 1e-3    # Adam's default, with betas (0.9, 0.999) and eps 1e-8
ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8
OPTIMIZERS = {"SGD": LEARNING_RATE, "Adam": ADAM_LEARNING_RATE}  # name in optim: learning rate
FRAMEWORKS = ("numpy", "torch", "retrograd")  # the first word of every case's name
OPENBLAS_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")

# Issue 2's targets (issue 3 asks the same of the nn + optim + DataLoader epoch).
TARGET_OP_US = 2.0
TARGET_VS_TORCH = 0.8
TARGET_VS_FLOOR = 1.25
TARGET_IMPORT_S = 0.2  # issue 3


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


def bench_per_op(timing: Timing, frameworks: tuple[str, ...] = FRAMEWORKS) -> dict:
    rng = np.random.default_rng(0)
    x_array = rng.standard_normal(CHAIN_SIZE).astype(np.float32)
    c_array = rng.uniform(0.5, 1.5, CHAIN_SIZE).astype(np.float32)
    rg_x = rg.tensor(x_array, requires_grad=True)
    rg_c = rg.tensor(c_array, requires_grad=True)
    torch_x = torch.tensor(x_array, requires_grad=True)
    torch_c = torch.tensor(c_array, requires_grad=True)
    numpy_step = numpy_chain_step(x_array, c_array)
    if frameworks == FRAMEWORKS:
        check_chain(rg_x, rg_c, torch_x, torch_c, numpy_step)
    cases = {
        "retrograd fwd+bwd": chain_step(rg, rg_x, rg_c),
        "torch fwd+bwd": chain_step(torch, torch_x, torch_c),
        "numpy fwd+bwd": numpy_step,
        "retrograd fwd": lambda: chain_output(rg, rg_x, rg_c),
        "torch fwd": lambda: chain_output(torch, torch_x, torch_c),
    }
    samples = measure_interleaved(select(cases, frameworks), timing)
    return {name: {"us_per_op": median(times) / CHAIN_OPS * 1e6, "samples_s": times}
            for name, times in samples.items()}


def check_chain(rg_x, rg_c, torch_x, torch_c, numpy_step) -> None:
    """All three must compute torch's gradients, or the timing compares nothing."""
    chain_output(rg, rg_x, rg_c).backward()
    chain_output(torch, torch_x, torch_c).backward()
    expected = (torch_x.grad.numpy(), torch_c.grad.numpy())
    for got in ((rg_x.grad.array, rg_c.grad.array), numpy_step()):
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
    """Forward, backward and update written by hand on arrays: the floor a NumPy framework can
    reach.

    The practical work's functions, for 784-256-256-10 with ReLU and cross-entropy, updated by
    SGD or by Adam (``optimizer``, a key of OPTIMIZERS); each phase is a method so that
    bench/profile_hot_path.py can time them apart. ``load`` puts another batch in place.
    """

    def __init__(self, layers, x: np.ndarray, y: np.ndarray, optimizer: str = "SGD") -> None:
        self.layers = [(weight.copy(), bias.copy()) for weight, bias in layers]
        self.load(x, y)
        self.update = self.sgd if optimizer == "SGD" else self.adam
        self.adam_steps = 0
        self.adam_moments = [(np.zeros_like(parameter), np.zeros_like(parameter))
                             for layer in self.layers for parameter in layer]

    def load(self, x: np.ndarray, y: np.ndarray) -> None:
        """The batch the next step trains on: inputs (N, 784), labels (N,)."""
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

    def adam(self, grads: list[tuple]) -> None:
        """torch.optim.Adam's update with its defaults, in place, two temporaries per
        parameter."""
        beta1, beta2 = ADAM_BETAS
        self.adam_steps += 1
        step_size = ADAM_LEARNING_RATE / (1 - beta1 ** self.adam_steps)
        root_correction = (1 - beta2 ** self.adam_steps) ** 0.5
        parameters = [parameter for layer in self.layers for parameter in layer]
        gradients = [gradient for layer in grads for gradient in layer]
        for parameter, gradient, (mean, square) in zip(parameters, gradients,
                                                        self.adam_moments):
            mean *= beta1
            mean += (1 - beta1) * gradient
            gradient *= gradient  # the gradient is this step's own array: reuse it for g * g
            gradient *= 1 - beta2
            square *= beta2
            square += gradient
            denominator = np.sqrt(square)
            denominator /= root_correction
            denominator += ADAM_EPS
            np.divide(mean, denominator, out=denominator)
            denominator *= step_size
            parameter -= denominator

    def step(self) -> np.floating:
        logits, inputs = self.forward()
        loss, grad = self.loss_and_gradient(logits)
        self.update(self.backward(grad, inputs))
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
            parameter.array -= LEARNING_RATE * parameter.grad.array
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


def mlp_module(lib, layers):
    """nn.Sequential(Linear, ReLU, Linear, ReLU, Linear) in ``lib`` (retrograd or torch),
    holding copies of the arrays of ``layers``."""
    model = lib.nn.Sequential(lib.nn.Linear(784, 256), lib.nn.ReLU(), lib.nn.Linear(256, 256),
                              lib.nn.ReLU(), lib.nn.Linear(256, 10))
    with lib.no_grad():
        for parameter, array in zip(model.parameters(), [a for layer in layers for a in layer]):
            parameter.copy_(lib.from_numpy(array))
    return model


def modules_training_step(lib, layers, batches: Iterator[tuple],
                          optimizer_name: str = "SGD") -> Callable[[], object]:
    """One step through nn.Sequential of nn.Linear and ``optim.<optimizer_name>`` (SGD or Adam),
    in retrograd or torch, on the next (inputs, targets) of ``batches``."""
    model = mlp_module(lib, layers)
    optimizer = getattr(lib.optim, optimizer_name)(model.parameters(),
                                                   lr=OPTIMIZERS[optimizer_name])

    def step():
        inputs, targets = next(batches)
        optimizer.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(inputs), targets)
        loss.backward()
        optimizer.step()
        return loss
    return step


def one_batch(lib, x: np.ndarray, y: np.ndarray) -> Iterator[tuple]:
    """The same batch for ever, as tensors of ``lib`` sharing the arrays' memory."""
    return itertools.repeat((lib.from_numpy(x), lib.from_numpy(y)))


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
    return {
        "numpy floor": NumpyMLP(layers, x, y).step,
        "torch functional": torch_functional_mlp_step(layers, x, y),
        "retrograd functional": rg_functional_mlp_step(layers, x, y),
        "torch nn+optim": modules_training_step(torch, layers, one_batch(torch, x, y)),
        "retrograd nn+optim": modules_training_step(rg, layers, one_batch(rg, x, y)),
    }


def as_number(loss) -> float:
    return float(loss.detach() if hasattr(loss, "detach") else loss)


def check_same_losses(cases: dict[str, Callable[[], object]], reference: str,
                      steps: int = 2) -> None:
    """``steps`` steps of every case must give the losses of case ``reference``."""
    losses = {name: [as_number(step()) for _ in range(steps)] for name, step in cases.items()}
    for name, values in losses.items():
        np.testing.assert_allclose(values, losses[reference], rtol=1e-4,
                                   err_msg=f"{name} computes another MLP step than {reference}")


def select(cases: dict, frameworks: tuple[str, ...]) -> dict:
    """The cases of ``frameworks`` (the first word of a case's name)."""
    return {name: case for name, case in cases.items() if name.split()[0] in frameworks}


def epoch_results(samples: dict[str, list[float]], steps_per_epoch: float) -> dict:
    return {name: {"ms_per_step": median(times) * 1e3,
                   "s_per_epoch": median(times) * steps_per_epoch, "samples_s": times}
            for name, times in samples.items()}


def bench_mlp(timing: Timing, frameworks: tuple[str, ...] = FRAMEWORKS) -> dict:
    results = {}
    for batch in BATCH_SIZES:
        if frameworks == FRAMEWORKS:
            check_same_losses(mlp_cases(batch), "torch functional")
        samples = measure_interleaved(select(mlp_cases(batch), frameworks), timing)
        results[batch] = epoch_results(samples, EPOCH_EXAMPLES / batch)
    return results


# -- 3. the MLP epoch through nn + optim + DataLoader (issue 3) -------------------------------

def synthetic_set() -> tuple[np.ndarray, np.ndarray]:
    """A fixed data set: inputs (60,000, 784) float32, standard normal; labels in 0..9."""
    rng = np.random.default_rng(EPOCH_EXAMPLES)
    x = rng.standard_normal((EPOCH_EXAMPLES, LAYER_SIZES[0]), dtype=np.float32)
    return x, rng.integers(0, LAYER_SIZES[-1], EPOCH_EXAMPLES)


def endless(loader: Iterable) -> Iterator:
    """The batches of ``loader`` epoch after epoch (each new pass over a loader reshuffles)."""
    return itertools.chain.from_iterable(itertools.repeat(loader))


def loader_batches(lib, data: tuple[np.ndarray, np.ndarray], batch: int,
                   shuffle: bool) -> Iterator[tuple]:
    """``lib``'s DataLoader(TensorDataset(X, y), batch, shuffle), seeded, for ever."""
    dataset = lib.utils.data.TensorDataset(*(lib.from_numpy(array) for array in data))
    return endless(lib.utils.data.DataLoader(dataset, batch_size=batch, shuffle=shuffle,
                                             generator=lib.Generator().manual_seed(0)))


def numpy_batches(data: tuple[np.ndarray, np.ndarray], batch: int,
                  shuffle: bool) -> Iterator[tuple]:
    """What that loader yields, written by hand: a permutation per epoch, then one fancy index
    of each array per batch."""
    x, y = data
    rng = np.random.default_rng(0)
    while True:
        order = rng.permutation(len(x)) if shuffle else np.arange(len(x))
        for start in range(0, len(x), batch):
            indices = order[start:start + batch]
            yield x[indices], y[indices]


def floor_training_step(layers, batches: Iterator[tuple],
                        optimizer: str) -> Callable[[], object]:
    """The NumPy floor's step on the next batch of ``batches``."""
    floor = NumpyMLP(layers, *next(batches), optimizer)

    def step():
        loss = floor.step()
        floor.load(*next(batches))
        return loss
    return step


def loader_cases(batch: int, data: tuple[np.ndarray, np.ndarray],
                 shuffle: bool = True) -> dict[str, Callable[[], object]]:
    """Per optimizer, the floor, torch and retrograd from the same weights on the same set."""
    layers = initial_parameters(np.random.default_rng(batch))
    cases = {}
    for optimizer in OPTIMIZERS:
        cases[f"numpy floor {optimizer}"] = floor_training_step(
            layers, numpy_batches(data, batch, shuffle), optimizer)
        for lib in (torch, rg):
            cases[f"{lib.__name__} {optimizer}"] = modules_training_step(
                lib, layers, loader_batches(lib, data, batch, shuffle), optimizer)
    return cases


def select_optimizer(cases: dict, optimizer: str) -> dict:
    """The cases that train with ``optimizer`` (the last word of a case's name)."""
    return {name: case for name, case in cases.items() if name.endswith(optimizer)}


def bench_loader(timing: Timing, frameworks: tuple[str, ...] = FRAMEWORKS) -> dict:
    data = synthetic_set()
    results = {}
    for batch in BATCH_SIZES:
        if frameworks == FRAMEWORKS:  # unshuffled, all three see the same batches
            for optimizer in OPTIMIZERS:
                check_same_losses(select_optimizer(loader_cases(batch, data, shuffle=False),
                                                   optimizer), f"torch {optimizer}", steps=3)
        samples = measure_interleaved(select(loader_cases(batch, data), frameworks), timing)
        results[batch] = epoch_results(samples, -(-EPOCH_EXAMPLES // batch))  # len(loader)
    return results


# -- 4. import time ---------------------------------------------------------------------------

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


def ratio_cells(seconds: float, reference: dict, name: str) -> str:
    return f"{seconds / reference[name]['s_per_epoch']:.2f}" if name in reference else "-"


def epoch_table(by_batch: dict, own_by_batch: dict) -> tuple[str, dict[str, bool]]:
    """The rows of an epoch benchmark, each variant timed in this process (all frameworks
    interleaved) and in a process of its own, with the ratios of each retrograd variant to its
    torch counterpart and to the NumPy floor, both ways.

    Returns the table and whether the targets are met each way.
    """
    rows, met = [], {"same process": True, "own processes": True}
    for batch, by_name in by_batch.items():
        own = own_by_batch.get(batch, {})
        for name, measured in by_name.items():
            floor_name = name.replace("retrograd", "numpy floor").replace("torch", "numpy floor")
            floor_name = floor_name if floor_name in by_name else "numpy floor"
            times = [f"{where[name]['s_per_epoch']:.2f} ({where[name]['ms_per_step']:.2f})"
                     if name in where else "-" for where in (by_name, own)]
            cells = ["", "", "", "", ""]
            if not name.startswith("numpy"):
                cells[2:4] = [ratio_cells(where[name]["s_per_epoch"], where, floor_name)
                              if name in where else "-" for where in (by_name, own)]
            if name.startswith("retrograd"):
                torch_name, verdicts = name.replace("retrograd", "torch"), []
                for column, (where, reference) in enumerate(zip(met, (by_name, own))):
                    if name not in reference or torch_name not in reference:
                        continue
                    seconds = reference[name]["s_per_epoch"]
                    cells[column] = ratio_cells(seconds, reference, torch_name)
                    ok = (seconds / reference[torch_name]["s_per_epoch"] <= TARGET_VS_TORCH and
                          seconds / reference[floor_name]["s_per_epoch"] <= TARGET_VS_FLOOR)
                    met[where] &= ok
                    verdicts.append(verdict(ok))
                cells[4] = " / ".join(verdicts)
            rows.append([str(batch), name] + times + cells)
    header = ["batch", "variant", "same process", "own process", "/torch same", "/torch own",
              "/floor same", "/floor own", "target (same / own)"]
    return table(header, rows), met


def report(results: dict) -> str:
    threads = results["threads"]
    blas = threads["numpy_blas"][0] if threads["numpy_blas"] else {}
    machine = results["machine"]
    own = results["own_process"]
    out = [f"machine: {machine['cpu']}, {machine['cores']} cores, load average "
           f"{machine['load_average']}; python {machine['python']}, numpy {machine['numpy']}, "
           f"torch {machine['torch']}; {machine['date']}",
           f"threads: {threads['threads']} (from {threads['source']}); NumPy BLAS "
           f"{blas.get('internal_api')} {blas.get('version')} kernel {blas.get('architecture')} "
           f"with {blas.get('num_threads')} threads; torch.get_num_threads() = "
           f"{threads['torch_threads']}; {threads['openblas_env']}",
           f"clock: {results['settings']['clock']} time; load average after the run "
           f"{machine['load_average_after']}",
           "same process: every framework interleaved in this process, which imported retrograd "
           "(glibc keeps freed memory for reuse);",
           "own process: torch alone with glibc's default malloc "
           "(RETROGRAD_KEEP_FREED_MEMORY=0), the NumPy floor and retrograd in another process",
           ""]

    per_op = {**results["per_op"], **{name.replace(" ", " (own process) ", 1): measured
                                      for name, measured in own["per_op"].items()}}
    rg_op = per_op["retrograd fwd+bwd"]["us_per_op"]
    out.append(f"1. Per-operation overhead: a chain of {CHAIN_OPS} ops on ({CHAIN_SIZE},) float32 "
               f"(us per op, median)")
    rows = []
    for framework in FRAMEWORKS[::-1]:
        for name in (framework, f"{framework} (own process)"):
            both = per_op[f"{name} fwd+bwd"]["us_per_op"]
            forward = per_op.get(f"{name} fwd", {}).get("us_per_op")
            rows.append([name, f"{both:.2f}"] + (["-", "-"] if forward is None else
                                                 [f"{forward:.2f}", f"{both - forward:.2f}"]))
    out.append(table(["", "fwd+bwd", "fwd only", "bwd (difference)"], rows))
    own_ratio = (per_op["retrograd (own process) fwd+bwd"]["us_per_op"] /
                 per_op["torch (own process) fwd+bwd"]["us_per_op"])
    out.append(f"retrograd/torch = {rg_op / per_op['torch fwd+bwd']['us_per_op']:.2f} "
               f"(own processes: {own_ratio:.2f}); target <= {TARGET_OP_US} us: "
               f"{verdict(rg_op <= TARGET_OP_US)}\n")

    sections = [("mlp", f"2. MLP {'-'.join(map(str, LAYER_SIZES))} training step on one batch, "
                        f"one epoch = {EPOCH_EXAMPLES:,} examples"),
                ("loader", f"3. The same MLP through nn.Sequential + optim.SGD/Adam + "
                           f"DataLoader(TensorDataset(X, y), batch, shuffle=True) over a fixed "
                           f"{EPOCH_EXAMPLES:,} x {LAYER_SIZES[0]} float32 set")]
    for key, title in sections:
        text, met = epoch_table(results[key], own[key])
        out += [f"{title} (s per epoch, median; ms per step in brackets)", text,
                f"targets: <= {TARGET_VS_TORCH}x torch (same variant) and <= {TARGET_VS_FLOOR}x "
                f"the NumPy floor at every batch size: "
                + ", ".join(f"{verdict(ok)} ({where})" for where, ok in met.items()) + "\n"]

    imports = results["import"]
    out.append(f"4. Import time in a fresh interpreter (s, median of "
               f"{len(imports['retrograd']['samples_s'])}): " + ", ".join(
                   f"{module} {measured['s']:.3f}" for module, measured in imports.items())
               + f"; target retrograd < {TARGET_IMPORT_S} s: "
               + verdict(imports["retrograd"]["s"] < TARGET_IMPORT_S))
    return "\n".join(out)


# Each framework again in a process of its own: torch with glibc's default malloc, the NumPy
# floor and retrograd with retrograd's (whatever RETROGRAD_KEEP_FREED_MEMORY says here).
GLIBC_DEFAULT_MALLOC = {"RETROGRAD_KEEP_FREED_MEMORY": "0"}
OWN_PROCESSES = {"torch": GLIBC_DEFAULT_MALLOC, "numpy,retrograd": {}}


def run_own_process(script: str, only: str, args: argparse.Namespace, environment: dict,
                    options: tuple[str, ...] = ()) -> dict:
    """The JSON results of ``script --only <only>`` run in a fresh interpreter with this run's
    --clock, --threads and --quick, ``options``, and ``environment`` added to this one's."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "child.json"
        command = [sys.executable, script, "--only", only, "--clock", args.clock,
                   "--json", str(path), *options]
        if args.threads:
            command += ["--threads", str(args.threads)]
        if args.quick:
            command.append("--quick")
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL,
                       env={**os.environ, **environment})
        return json.loads(path.read_text())


def own_processes(args: argparse.Namespace) -> dict:
    """Every variant timed again by children of this script that each run one framework (so
    that neither malloc settings nor the spinning threads of another library's thread pool
    carry over from one framework to another)."""
    merged: dict = {"per_op": {}, "mlp": {}, "loader": {}}
    for only, environment in OWN_PROCESSES.items():
        child = run_own_process(__file__, only, args, environment)
        merged["per_op"].update(child["per_op"])
        for key in ("mlp", "loader"):
            for batch, by_name in child[key].items():  # JSON made the batch sizes strings
                merged[key].setdefault(int(batch), {}).update(by_name)
    return merged


def frameworks_list(text: str) -> tuple[str, ...]:
    names = tuple(text.split(","))
    unknown = [name for name in names if name not in FRAMEWORKS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown framework {unknown[0]!r}; choose among "
                                         f"{', '.join(FRAMEWORKS)}")
    return names


CLOCKS = {"wall": "perf_counter", "cpu": "process_time"}  # --clock name: time's function


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run, about 30 seconds")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for NumPy's BLAS and torch (default: what BLAS uses)")
    parser.add_argument("--clock", choices=CLOCKS, default="wall",
                        help="wall time (default), or the process's CPU time, steadier on a "
                             "machine shared with other work (meaningful with --threads 1)")
    parser.add_argument("--json", type=Path, default=None, help="save the raw results here")
    parser.add_argument("--only", type=frameworks_list, default=None,
                        help="time only these frameworks' variants (comma-separated among "
                             f"{','.join(FRAMEWORKS)}), with no checks, ratios or import times: "
                             "how this script times each framework in a process of its own")
    args = parser.parse_args()
    if args.threads is not None and args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    clock_name = CLOCKS[args.clock]
    timing = Timing(repeats=3, block_seconds=0.02, warmup=3) if args.quick else Timing()
    timing.clock = getattr(time, clock_name)
    frameworks = args.only or FRAMEWORKS

    results = {"machine": machine_info(), "threads": configure_threads(args.threads),
               "settings": {"repeats": timing.repeats, "block_seconds": timing.block_seconds,
                            "warmup": timing.warmup, "clock": args.clock, "quick": args.quick,
                            "frameworks": frameworks}}
    if any(results["threads"]["openblas_env"].values()) and not args.only:
        print(f"note: {' and '.join(OPENBLAS_VARIABLES)} are set and slow a current NumPy; for "
              f"the other measurement run: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "
              f"{sys.executable} bench/bench.py", file=sys.stderr)
    results["per_op"] = bench_per_op(timing, frameworks)
    results["mlp"] = bench_mlp(timing, frameworks)
    results["loader"] = bench_loader(timing, frameworks)
    if not args.only:
        results["own_process"] = own_processes(args)
        results["import"] = bench_import(1 if args.quick else 9, clock_name)
    results["machine"]["load_average_after"] = os.getloadavg() if hasattr(os, "getloadavg") \
        else None
    if not args.only:
        print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
        print(f"raw results written to {args.json}")


if __name__ == "__main__":
    main()

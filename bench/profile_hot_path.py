"""Where retrograd's time goes: profiles of the per-op chain and of the MLP step of bench.py.

Four views, each printed as a short table:

1. cProfile of the per-op chain and of the MLP step (batch 32 and 1024): the functions with the
   most time of their own. cProfile adds about a microsecond to every Python call, so it
   exaggerates Python-heavy code; read its shares, not its absolute times.
2. Line timings (line_profiler, if installed) of the hot functions: ``Function.apply`` and
   what it calls to record a node, ``engine._walk`` and ``Tensor.__init__``, on the chain.
3. The MLP step split into forward, backward and update, against the NumPy floor's phases, its
   cross-entropy head alone, and the data loading of bench.py's epoch through a DataLoader
   (retrograd's and torch's, and the floor's fancy indexing) alone.
4. Micro-timings without any profiler: what the pieces of one operation cost on their own
   (a NumPy ufunc, a Tensor, a graph node), to compare with the per-op total.

Run from the repository root::

    .venv/bin/python bench/profile_hot_path.py [--threads N]

Views 3 and 4 time the process's CPU time (steady on a machine shared with other work), on one
thread by default; cProfile and line_profiler use their own wall-clock timers.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
import timeit

import numpy as np
import torch

import bench  # bench/bench.py: the same workloads, the same thread set-up
import retrograd as rg
import retrograd.nn.functional as F
from retrograd.autograd import engine
from retrograd.autograd.function import Function
from retrograd.ops.elementwise import Tanh
from retrograd.tensor import Tensor


def chain_workload():
    """One forward+backward of bench.py's chain, on retrograd tensors."""
    rng = np.random.default_rng(0)
    x = rg.tensor(rng.standard_normal(bench.CHAIN_SIZE).astype(np.float32), requires_grad=True)
    c = rg.tensor(rng.uniform(0.5, 1.5, bench.CHAIN_SIZE).astype(np.float32), requires_grad=True)
    return bench.chain_step(rg, x, c)


def mlp_workload(batch: int):
    return bench.mlp_cases(batch)["retrograd functional"]


def profile_functions(title: str, step, calls: int, per: int, unit: str, top: int) -> None:
    """Runs ``step`` ``calls`` times under cProfile and prints the top functions by own time."""
    for _ in range(10):  # warm up outside the profile
        step()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        step()
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    print(f"\n== cProfile: {title} ({calls} calls; profiled total "
          f"{total / calls / per * 1e6:.2f} us per {unit}) ==")
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:top]
    print(f"{'own us/' + unit:>12} {'share':>6} {'calls/' + unit:>10}  function")
    for (filename, line, name), (_, ncalls, own, _, _) in rows:
        where = filename.split("retrograd/")[-1] if "retrograd/" in filename else filename
        print(f"{own / calls / per * 1e6:12.3f} {own / total:6.1%} {ncalls / calls / per:10.2f}"
              f"  {name} ({where}:{line})")


def profile_lines(step, calls: int) -> None:
    """Per-line timings of the hot functions (needs the line_profiler package)."""
    try:
        from line_profiler import LineProfiler
    except ImportError:
        print("\n(line_profiler is not installed: pip install line_profiler for line timings)")
        return
    profiler = LineProfiler()
    # the engine is being optimized: time whichever of these hot functions exist today
    hot = [Function.apply.__func__, Tensor.__init__] + [
        getattr(owner, name) for owner, name in ((Function, "_record"),
                                                 (Function, "_resolve_saved"),
                                                 (engine, "_walk"),
                                                 (engine, "_topological_order"))
        if hasattr(owner, name)]
    for function in hot:
        profiler.add_function(function)
    wrapped = profiler(step)
    for _ in range(calls):
        wrapped()
    output = io.StringIO()
    profiler.print_stats(stream=output, stripzeros=True)
    print(f"\n== line_profiler: chain forward+backward, {calls} calls, "
          f"{calls * bench.CHAIN_OPS} ops ==")
    print(output.getvalue())


def micro_timings() -> None:
    """The cost of each piece of one recorded operation, each timed alone, no profiler."""
    array = np.ones(bench.CHAIN_SIZE, np.float32)
    leaf = rg.tensor(array, requires_grad=True)
    plain = rg.tensor(array)
    node = Tanh.apply(leaf).grad_fn
    pieces = {
        "np.tanh(array)": lambda: np.tanh(array),
        "array * array": lambda: array * array,
        "array * (1 - array * array) (Tanh's backward in NumPy)":
            lambda: array * (1 - array * array),
        "Tensor(array)": lambda: Tensor(array),
        "Tanh.__new__(Tanh)": lambda: Tanh.__new__(Tanh),
        "Tanh.apply(tensor without grad)": lambda: Tanh.apply(plain),
        "Tanh.apply(leaf), graph recorded": lambda: Tanh.apply(leaf),
        "leaf.tanh() (method)": lambda: leaf.tanh(),
        "rg.tanh(leaf) (function)": lambda: rg.tanh(leaf),
        "leaf * leaf, graph recorded": lambda: leaf * leaf,
        "node.saved_tensors (Tanh)": lambda: node.saved_tensors,
        "node.backward(node, grad) (Tanh)": lambda: node.backward(node, array),
        "leaf.tanh().sum().backward(): 2 ops + engine set-up": lambda: leaf.tanh().sum().backward(),
        # NumPy call costs that backward formulas and helpers pay
        "1 - array (a Python scalar operand)": lambda: 1 - array,
        "np.expand_dims(array, 1)": lambda: np.expand_dims(array, 1),
        "array[:, None]": lambda: array[:, None],
        "np.broadcast_to(np.float32(1), (16,))": lambda: np.broadcast_to(np.float32(1), (16,)),
        "np.full((16,), np.float32(1))": lambda: np.full((16,), np.float32(1)),
    }
    print("\n== micro-timings (us per call, best of 5) ==")
    for name, function in pieces.items():
        number = 20000
        best = min(timeit.repeat(function, timer=time.process_time, number=number,
                                 repeat=5)) / number
        print(f"{best * 1e6:8.3f}  {name}")
    with rg.no_grad():
        best = min(timeit.repeat(lambda: Tanh.apply(leaf), timer=time.process_time,
                                 number=20000, repeat=5)) / 20000
    print(f"{best * 1e6:8.3f}  Tanh.apply(leaf) under no_grad")


def mlp_phases(batch: int, repeats: int = 15) -> None:
    """Forward, backward and update of the MLP step, retrograd against the NumPy floor.

    Measured as forward, forward+backward and the full step (interleaved, medians); the
    backward and the update are the differences.
    """
    layers, x, y = bench.mlp_problem(batch)
    floor = bench.NumpyMLP(layers, x, y)
    parameters = bench.rg_parameters(layers)
    inputs, targets = rg.tensor(x), rg.tensor(y)

    def floor_forward():
        return floor.loss_and_gradient(floor.forward()[0])

    def floor_forward_backward():
        logits, layer_inputs = floor.forward()
        return floor.backward(floor.loss_and_gradient(logits)[1], layer_inputs)

    def rg_forward():
        return bench.rg_functional_loss(parameters, inputs, targets)

    def rg_forward_backward():
        rg_forward().backward()
        for parameter in parameters:
            parameter.grad = None

    def rg_step():
        rg_forward().backward()
        bench.rg_sgd(parameters)

    samples = bench.measure_interleaved(
        {"floor forward": floor_forward, "floor forward+backward": floor_forward_backward,
         "floor step": floor.step, "rg forward": rg_forward,
         "rg forward+backward": rg_forward_backward, "rg step": rg_step},
        bench.Timing(repeats=repeats, block_seconds=0.15, warmup=5, clock=time.process_time))
    us = {name: bench.median(times) * 1e6 for name, times in samples.items()}
    print(f"\n== MLP step phases, batch {batch} (us, median of {repeats}) ==")
    print(f"{'':10} {'forward':>9} {'backward':>9} {'update':>9} {'step':>9}")
    for who in ("floor", "rg"):
        forward, both, step = (us[f"{who} {phase}"] for phase in
                               ("forward", "forward+backward", "step"))
        print(f"{who:10} {forward:9.1f} {both - forward:9.1f} {step - both:9.1f} {step:9.1f}")


def loss_head(batch: int) -> None:
    """Cross-entropy forward+backward on (batch, 10) logits: retrograd against the NumPy floor."""
    layers, x, y = bench.mlp_problem(batch)
    floor = bench.NumpyMLP(layers, x, y)
    logits = np.random.default_rng(0).standard_normal((batch, 10)).astype(np.float32)
    leaf, targets = rg.tensor(logits, requires_grad=True), rg.tensor(y)

    def rg_head():
        F.cross_entropy(leaf, targets).backward()
        leaf.grad = None

    pieces = {"NumPy floor: loss_and_gradient": lambda: floor.loss_and_gradient(logits.copy()),
              "F.cross_entropy(...).backward()": rg_head,
              "F.cross_entropy(...) (forward alone)": lambda: F.cross_entropy(leaf, targets),
              "F.log_softmax(..., 1) (forward alone)": lambda: F.log_softmax(leaf, 1)}
    print(f"\n== the loss head at batch {batch} (us per call, best of 5) ==")
    for name, function in pieces.items():
        best = min(timeit.repeat(function, timer=time.process_time, number=2000,
                                 repeat=5)) / 2000
        print(f"{best * 1e6:8.1f}  {name}")


def data_loading(repeats: int = 7) -> None:
    """One batch from each framework's DataLoader(TensorDataset(X, y), batch, shuffle=True) over
    bench.py's synthetic set, and from the floor's fancy indexing, with no training."""
    data = bench.synthetic_set()
    print(f"\n== data loading alone, ms per batch (median of {repeats}) ==")
    print(f"{'batch':>6} {'numpy floor':>12} {'retrograd':>10} {'torch':>10}")
    for batch in bench.BATCH_SIZES:
        sources = {"numpy floor": bench.numpy_batches(data, batch, shuffle=True),
                   **{lib.__name__: bench.loader_batches(lib, data, batch, shuffle=True)
                      for lib in (rg, torch)}}
        samples = bench.measure_interleaved(
            {name: batches.__next__ for name, batches in sources.items()},
            bench.Timing(repeats=repeats, block_seconds=0.15, warmup=5, clock=time.process_time))
        ms = {name: bench.median(times) * 1e3 for name, times in samples.items()}
        print(f"{batch:6d} {ms['numpy floor']:12.3f} {ms['retrograd']:10.3f} {ms['torch']:10.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for NumPy's BLAS and torch (default 1: the timings here "
                             "are CPU time, which counts what every thread spends)")
    args = parser.parse_args()
    bench.configure_threads(args.threads)
    chain = chain_workload()
    profile_functions("per-op chain, forward+backward", chain, 300, bench.CHAIN_OPS, "op", 18)
    for batch in (32, 1024):
        profile_functions(f"MLP step, batch {batch}", mlp_workload(batch), 50 if batch == 32
                          else 10, 1, "step", 15)
    for batch in (32, 128, 1024):
        mlp_phases(batch)
    loss_head(32)
    data_loading()
    profile_lines(chain, 200)
    micro_timings()


if __name__ == "__main__":
    main()

"""Benchmark: training steps on the GPU, retrograd (CuPy) against PyTorch CUDA (issue 9).

One step is zero_grad, forward, cross-entropy, backward and ``optim.SGD(lr=0.01)``, float32, on
one batch kept on the device, for the MLP 784-256-256-10 of bench/bench.py at batch 32, 128 and
1024 and the LeNet-5 of bench/bench_conv.py at batch 64 and 256. Each model runs as retrograd
and torch, on the CPU and on CUDA where there is one, all from the same weights, and all must
compute the losses of torch on the CPU before they are timed. The cases alternate inside every
repetition (bench.py's ``measure_interleaved``); the clock synchronises every CUDA device before
it is read, so a block of steps is timed to the end of its last kernel; the median is reported.
torch's TF32 is switched off, so both frameworks compute in full float32.

On a machine without CUDA (no CuPy, no GPU, or torch without CUDA) the CUDA columns are left
out and the reason is printed. Run from the repository root::

    .venv/bin/python bench/bench_gpu.py                   # under a minute
    .venv/bin/python bench/bench_gpu.py --quick --json gpu.json
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Callable

import bench_conv  # LeNet-5
import numpy as np
import torch

import bench as common  # bench/bench.py, next to this script: timing, the MLP, tables
import retrograd as rg  # noqa: E402  (bench.py put this checkout first on the path)

LENET_BATCHES = (64, 256)
DEVICES = ("cpu", "cuda")


def cuda_devices() -> dict[str, str]:
    """Per framework with CUDA, the GPU's name; prints why a framework has none."""
    found = {}
    try:
        found["retrograd"] = rg.cuda.get_device_name()
    except RuntimeError as error:
        print(f"retrograd cuda skipped: {error}")
    if torch.cuda.is_available():
        found["torch"] = torch.cuda.get_device_name()
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    else:
        reason = "this build has no CUDA" if torch.version.cuda is None else "it sees no GPU"
        print(f"torch cuda skipped: {reason} (torch {torch.__version__})")
    return found


def synchronising_clock(frameworks: dict) -> Callable[[], float]:
    """``time.perf_counter`` read once every CUDA device has finished its queued work."""
    waits = [rg.cuda.synchronize] if "retrograd" in frameworks else []
    waits += [torch.cuda.synchronize] if "torch" in frameworks else []

    def clock() -> float:
        for wait in waits:
            wait()
        return time.perf_counter()
    return clock


def mlp(lib, batch: int):
    """bench.py's MLP with its seeded weights, and its batch (x, y)."""
    layers, x, y = common.mlp_problem(batch)
    return common.mlp_module(lib, layers), x, y


def lenet(lib, batch: int):
    """bench_conv.py's LeNet-5 with PyTorch's seeded initial weights, and a batch (x, y)."""
    state, _, _ = bench_conv.problem()
    model = bench_conv.lenet(lib)
    model.load_state_dict({name: lib.tensor(array) for name, array in state.items()})
    rng = np.random.default_rng(batch)
    x = rng.standard_normal((batch, 1, 28, 28)).astype(np.float32)
    return model, x, rng.integers(0, 10, batch).astype(np.int64)


MODELS = {"MLP 784-256-256-10": (mlp, common.BATCH_SIZES),
          "LeNet-5": (lenet, LENET_BATCHES)}


def cases(build, batch: int, cuda: dict) -> dict[str, Callable[[], object]]:
    """'<framework> <device>' -> its step, for every framework on the CPU and where it has CUDA."""
    found = {}
    for lib in (rg, torch):
        name = lib.__name__
        for device in DEVICES:
            if device == "cpu" or name in cuda:
                model, x, y = build(lib, batch)
                found[f"{name} {device}"] = bench_conv.sgd_step(lib, model, x, y, device)
    return found


def run(timing: common.Timing, cuda: dict) -> dict:
    """ms per step (median) and the samples, per model, batch and case."""
    results: dict = {}
    for model_name, (build, batches) in MODELS.items():
        for batch in batches:
            steps = cases(build, batch, cuda)
            common.check_same_losses(steps, "torch cpu")
            samples = common.measure_interleaved(steps, timing)
            results.setdefault(model_name, {})[batch] = {
                name: {"ms_per_step": common.median(times) * 1e3, "samples_s": times}
                for name, times in samples.items()}
    return results


def ratio(numerator: dict | None, denominator: dict | None) -> str:
    if numerator is None or denominator is None:
        return "-"
    return f"{numerator['ms_per_step'] / denominator['ms_per_step']:.2f}"


def report(results: dict, cuda: dict) -> str:
    names = [f"{lib} {device}" for lib in ("retrograd", "torch") for device in DEVICES]
    rows = []
    for model_name, by_batch in results.items():
        for batch, by_case in by_batch.items():
            rows.append([model_name, str(batch)] + [
                f"{by_case[name]['ms_per_step']:.3f}" if name in by_case else "-"
                for name in names] + [
                ratio(by_case.get("retrograd cuda"), by_case.get("torch cuda")),
                ratio(by_case.get("retrograd cpu"), by_case.get("retrograd cuda"))])
    gpus = ", ".join(f"{lib}: {name}" for lib, name in cuda.items()) or "none"
    header = ["model", "batch"] + names + ["rg cuda / torch cuda", "rg cpu / rg cuda"]
    return (f"training step, ms (median); GPU {gpus}\n" + common.table(header, rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run, a few seconds")
    parser.add_argument("--repeats", type=int, default=7, help="samples per case")
    parser.add_argument("--json", type=Path, default=None, help="save the raw results here")
    args = parser.parse_args()
    cuda = cuda_devices()
    timing = common.Timing(repeats=3, block_seconds=0.02, warmup=2) if args.quick else \
        common.Timing(repeats=args.repeats, block_seconds=0.1, warmup=5)
    timing.clock = synchronising_clock(cuda)
    results = {"machine": common.machine_info(),
               "threads": common.configure_threads(None), "gpu": cuda,
               "cupy": getattr(sys.modules.get("cupy"), "__version__", None),
               "torch_cuda": torch.version.cuda,
               "settings": {"repeats": timing.repeats, "block_seconds": timing.block_seconds,
                            "warmup": timing.warmup}}
    results["ms_per_step"] = run(timing, cuda)
    print(report(results["ms_per_step"], cuda))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
        print(f"raw results written to {args.json}")


if __name__ == "__main__":
    main()

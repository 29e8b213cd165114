"""Benchmark of data-parallel training (issue 12): DistributedDataParallel over MPI against the
same step in one process, and the all-reduce bandwidth beside it.

For 1, 2 and 4 ranks (4 oversubscribes a 2-core machine), each rank one BLAS thread, the MLP
784-256-256-10 with SGD at a local batch of 128:

- ``compute``: the plain step without DDP (rank 0's figure; in the 1-rank job, the baseline);
- ``ddp``: the step through DistributedDataParallel (buckets of 25 MB: the model's 0.9 MB of
  gradients travel in the 1 MB first bucket and one more);
- ``per parameter``: one all-reduce per parameter (``bucket_cap_mb`` below every parameter's
  size), what bucketing saves;

wall-clock per step, median of ``--repeats`` blocks of ``--steps`` steps, the ranks starting
each block together (a barrier). Then ``MPI.Allreduce`` of float32 buffers of 1 and 10 MB, in
GB/s of buffer (size / time). From the repository root::

    .venv/bin/python bench/bench_distributed.py              # about a minute
    .venv/bin/python bench/bench_distributed.py --json distributed.json
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import numpy as np  # noqa: E402

import retrograd as rg  # noqa: E402
import retrograd.distributed as dist  # noqa: E402
import retrograd.nn.functional as F  # noqa: E402
from retrograd.models import networks  # noqa: E402
from retrograd.nn.parallel import DistributedDataParallel  # noqa: E402

LOCAL_BATCH = 128
TARGET_OVERHEAD = 1.15  # 2-rank step / 1-rank compute, a core per rank
BUFFER_MB = (1, 10)


def step_of(model: rg.nn.Module, optimizer: rg.optim.Optimizer):
    rng = np.random.default_rng(dist.get_rank())
    x = rg.tensor(rng.standard_normal((LOCAL_BATCH, 784)).astype(np.float32))
    y = rg.tensor(rng.integers(0, 10, LOCAL_BATCH))

    def step() -> None:
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    return step


def seconds_per_step(step, steps: int, repeats: int) -> float:
    step()
    samples = []
    for _ in range(repeats):
        dist.barrier()
        start = time.perf_counter()
        for _ in range(steps):
            step()
        samples.append((time.perf_counter() - start) / steps)
    return statistics.median(samples)


def allreduce_gbps(megabytes: int, repeats: int) -> float:
    from mpi4py import MPI
    buffer = np.ones(megabytes * 1024 * 1024 // 4, dtype=np.float32)
    MPI.COMM_WORLD.Allreduce(MPI.IN_PLACE, buffer)
    times = []
    for _ in range(repeats):
        dist.barrier()
        start = time.perf_counter()
        MPI.COMM_WORLD.Allreduce(MPI.IN_PLACE, buffer)
        times.append(time.perf_counter() - start)
    return buffer.nbytes / statistics.median(times) / 1e9


def worker(steps: int, repeats: int) -> None:
    """One rank's measurements; rank 0 prints them as JSON."""
    dist.init_process_group("mpi")
    figures = {}
    rg.manual_seed(0)
    plain = networks.mlp(784, (256, 256), 10)
    figures["compute"] = seconds_per_step(
        step_of(plain, rg.optim.SGD(plain.parameters(), lr=0.01)), steps, repeats)
    for name, cap in (("ddp", 25), ("per parameter", 1e-6)):
        rg.manual_seed(0)
        model = DistributedDataParallel(networks.mlp(784, (256, 256), 10), bucket_cap_mb=cap)
        figures[name] = seconds_per_step(
            step_of(model, rg.optim.SGD(model.parameters(), lr=0.01)), steps, repeats)
    if dist.get_world_size() > 1:
        for megabytes in BUFFER_MB:
            figures[f"allreduce {megabytes} MB GB/s"] = allreduce_gbps(megabytes, repeats * 5)
    if dist.get_rank() == 0:
        print(json.dumps(figures))
    dist.destroy_process_group()


def run(ranks: int, steps: int, repeats: int) -> dict:
    mpiexec = Path(sys.executable).parent / "mpiexec"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run([str(mpiexec), "-n", str(ranks), sys.executable, __file__, "--worker",
                           "--steps", str(steps), "--repeats", str(repeats)],
                          env=env, capture_output=True, text=True, timeout=600, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--steps", type=int, default=20, help="steps per timed block")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--json", metavar="FILE")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.steps, args.repeats)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"{cores} cores, load average {os.getloadavg()[0]:.2f}; MLP 784-256-256-10, SGD, "
          f"local batch {LOCAL_BATCH}, one BLAS thread per rank, wall-clock, medians")
    results = {ranks: run(ranks, args.steps, args.repeats) for ranks in args.ranks}
    baseline = results[min(results)]["compute"]
    print("| ranks | compute ms | DDP step ms | DDP / 1-rank compute | per-parameter all-reduce "
          "ms | examples/s (DDP) | all-reduce 1 MB | all-reduce 10 MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for ranks, figures in results.items():
        bandwidth = [f"{figures[f'allreduce {mb} MB GB/s']:.2f} GB/s"
                     if f"allreduce {mb} MB GB/s" in figures else "-" for mb in BUFFER_MB]
        print(f"| {ranks} | {figures['compute'] * 1e3:.2f} | {figures['ddp'] * 1e3:.2f} | "
              f"{figures['ddp'] / baseline:.2f}x | {figures['per parameter'] * 1e3:.2f} | "
              f"{ranks * LOCAL_BATCH / figures['ddp']:,.0f} | {bandwidth[0]} | {bandwidth[1]} |")
    if 2 in results:
        overhead = results[2]["ddp"] / baseline
        verdict = "met" if overhead <= TARGET_OVERHEAD else "NOT met"
        print(f"2 ranks: DDP step / 1-rank compute {overhead:.2f}x (target <= {TARGET_OVERHEAD}: "
              f"{verdict}); buckets {results[2]['per parameter'] / results[2]['ddp']:.2f}x "
              f"faster than one all-reduce per parameter")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps({str(k): v for k, v in results.items()}, indent=1))


if __name__ == "__main__":
    main()

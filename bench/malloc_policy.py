"""The MLP training step (784-256-256-10, SGD, nn + optim) in a process of its own, without
torch: run it with RETROGRAD_KEEP_FREED_MEMORY=1 and =0 to see what keeping freed memory does.

    RETROGRAD_KEEP_FREED_MEMORY=0 OPENBLAS_NUM_THREADS=1 python bench/malloc_policy.py
    RETROGRAD_KEEP_FREED_MEMORY=1 OPENBLAS_NUM_THREADS=1 python bench/malloc_policy.py
"""
import os
import resource
import time

import retrograd as rg
import retrograd.nn as nn
import retrograd.nn.functional as F


def main() -> None:
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                          nn.Linear(256, 10))
    optimizer = rg.optim.SGD(model.parameters(), lr=0.01)
    print(f"RETROGRAD_KEEP_FREED_MEMORY={os.environ.get('RETROGRAD_KEEP_FREED_MEMORY', '1')}")
    for batch in (32, 128, 1024):
        x, y = rg.randn(batch, 784), rg.randint(0, 10, (batch,))

        def step() -> None:
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        for _ in range(20):
            step()
        times, faults = [], resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(5):
            start = time.process_time()
            for _ in range(100):
                step()
            times.append((time.process_time() - start) / 100 * 1e3)
        faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / 500
        print(f"batch {batch:5d}: {sorted(times)[2]:.2f} ms per step (CPU time, median of 5), "
              f"{faults:.0f} minor page faults per step")


if __name__ == "__main__":
    main()

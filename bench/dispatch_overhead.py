"""The CPU cost of the device dispatch (issue 9): an MLP training step and one small operation.

    python bench/dispatch_overhead.py [REPO]   # REPO: a checkout to import retrograd from

Run it alternately on a git worktree of an older commit and on this one, with
OPENBLAS_NUM_THREADS=1: process time, best of 7 repetitions.
"""
import sys
import time

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else ".")

import retrograd as rg  # noqa: E402


def best_of(function, count: int) -> float:
    times = []
    for _ in range(7):
        start = time.process_time()
        for _ in range(count):
            function()
        times.append((time.process_time() - start) / count)
    return min(times)


def main() -> None:
    rg.manual_seed(0)
    model = rg.nn.Sequential(rg.nn.Linear(784, 256), rg.nn.ReLU(), rg.nn.Linear(256, 256),
                             rg.nn.ReLU(), rg.nn.Linear(256, 10))
    optimizer = rg.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = rg.randn(32, 784), rg.randint(0, 10, (32,))
    loss_fn = rg.nn.CrossEntropyLoss()

    def step() -> None:
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()

    a = rg.randn(4, 4, requires_grad=True)
    for _ in range(50):
        step()
    print(f"{rg.__file__}\nMLP 784-256-256-10 batch 32 SGD step: {best_of(step, 100) * 1e6:.0f} us;"
          f" a*a (4x4, requires grad): {best_of(lambda: a * a, 5000) * 1e6:.2f} us")


if __name__ == "__main__":
    main()

"""Cost per recorded operation against the length of the graph (issue 11).

    python bench/graph_scaling.py [--repo REPO] [--sizes 10 1000 100000]

Builds a chain ``y = y * 1.0001 + 0.0001`` of n steps (2n recorded operations) on a float32
tensor of 4 elements that requires grad, and prints the forward and backward time per operation
with the cyclic garbage collector on (the default) and off, and the number of objects the
collector tracks per operation. An eager graph should cost the same per operation at any length:
each collection of the oldest generation walks every tracked object still alive.
"""
import argparse
import gc
import sys
import time


def chain(rg, x, steps: int):
    y = x
    for _ in range(steps):
        y = y * 1.0001 + 0.0001
    return y


def timed(rg, steps: int, repeats: int) -> tuple[float, float]:
    """The best forward and backward seconds per operation over ``repeats`` chains."""
    forward, backward = [], []
    for _ in range(repeats):
        x = rg.ones(4, requires_grad=True)
        start = time.perf_counter()
        y = chain(rg, x, steps)
        middle = time.perf_counter()
        y.sum().backward()
        end = time.perf_counter()
        forward.append((middle - start) / (2 * steps))
        backward.append((end - middle) / (2 * steps))
        del x, y
        gc.collect()
    return min(forward), min(backward)


def tracked_per_op(rg, steps: int) -> float:
    x = rg.ones(4, requires_grad=True)
    gc.collect()
    before = len(gc.get_objects())
    y = chain(rg, x, steps)
    # the collector untracks a tuple of untracked items when it sees it: two passes, as an
    # object gets from the young generations before it reaches the oldest
    gc.collect()
    gc.collect()
    count = (len(gc.get_objects()) - before) / (2 * steps)
    del y
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", default=".", help="a checkout to import retrograd from")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1_000, 100_000],
                        help="chain lengths, in recorded operations")
    args = parser.parse_args()
    sys.path.insert(0, args.repo)
    import retrograd as rg

    print(rg.__file__)
    print(f"{'ops':>8} {'fwd us/op':>10} {'bwd us/op':>10} {'fwd no-gc':>10} {'bwd no-gc':>10}"
          f" {'tracked/op':>11}")
    chain(rg, rg.ones(4, requires_grad=True), 100).sum().backward()  # warm up
    for ops in args.sizes:
        steps = max(ops // 2, 1)
        repeats = 3 if ops > 10_000 else 20 if ops > 100 else 200
        with_gc = timed(rg, steps, repeats)
        gc.disable()
        try:
            without_gc = timed(rg, steps, repeats)
        finally:
            gc.enable()
        print(f"{2 * steps:>8} {with_gc[0] * 1e6:>10.2f} {with_gc[1] * 1e6:>10.2f} "
              f"{without_gc[0] * 1e6:>10.2f} {without_gc[1] * 1e6:>10.2f} "
              f"{tracked_per_op(rg, steps):>11.2f}")


if __name__ == "__main__":
    main()

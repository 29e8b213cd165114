"""Every collective and ReduceOp, checked against NumPy on each rank (any world size).

Rank r's values come from a generator seeded with r, so each rank can compute every rank's
values and the expected results by itself. Prints "OK rank R of W" at the end.
"""
import numpy as np

import retrograd as rg
import retrograd.distributed as dist
from retrograd.distributed import ReduceOp

dist.init_process_group("mpi")
rank, world = dist.get_rank(), dist.get_world_size()
SHAPE = (3, 4)


def values(r, dtype, shift=0):
    return np.random.default_rng(r + shift).uniform(0.5, 1.5, SHAPE).astype(dtype)


EXPECTED = {ReduceOp.SUM: lambda a: a.sum(0), ReduceOp.AVG: lambda a: a.mean(0),
            ReduceOp.PRODUCT: lambda a: a.prod(0), ReduceOp.MIN: lambda a: a.min(0),
            ReduceOp.MAX: lambda a: a.max(0)}

for dtype in (np.float32, np.float64):
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    every = np.stack([values(r, dtype) for r in range(world)])
    for op, expected in EXPECTED.items():
        t = rg.tensor(values(rank, dtype))
        version = t._version
        assert dist.all_reduce(t, op=op) is None
        assert t.dtype == rg.float32 if dtype == np.float32 else rg.float64
        np.testing.assert_allclose(t.array, expected(every), rtol=rtol, err_msg=str(op))
        assert t._version == version + 1, "all_reduce bumps the version, as in-place ops do"

        # reduce into rank world - 1: the others keep their values
        dst = world - 1
        t = rg.tensor(values(rank, dtype))
        dist.reduce(t, dst=dst, op=op)
        want = expected(every) if rank == dst else values(rank, dtype)
        np.testing.assert_allclose(t.array, want, rtol=rtol, err_msg=f"reduce {op}")

    # two asynchronous all_reduces in flight at once, waited in reverse order
    a, b = rg.tensor(values(rank, dtype)), rg.tensor(values(rank, dtype, shift=100))
    work_a = dist.all_reduce(a, op=ReduceOp.AVG, async_op=True)
    work_b = dist.all_reduce(b, op=ReduceOp.SUM, async_op=True)
    assert work_b.wait() is True and work_a.wait() is True
    assert work_a.is_completed() and work_b.is_completed()
    np.testing.assert_allclose(a.array, every.mean(0), rtol=rtol)
    np.testing.assert_allclose(
        b.array, np.stack([values(r, dtype, shift=100) for r in range(world)]).sum(0), rtol=rtol)

    # broadcast from the last rank, synchronous and asynchronous
    for async_op in (False, True):
        t = rg.tensor(values(rank, dtype))
        work = dist.broadcast(t, src=world - 1, async_op=async_op)
        if async_op:
            work.wait()
        np.testing.assert_array_equal(t.array, values(world - 1, dtype))

    # all_gather fills the list in rank order
    for async_op in (False, True):
        out = [rg.zeros(SHAPE, dtype=t.dtype) for _ in range(world)]
        work = dist.all_gather(out, rg.tensor(values(rank, dtype)), async_op=async_op)
        if async_op:
            work.wait()
        for r in range(world):
            np.testing.assert_array_equal(out[r].array, values(r, dtype))

# integers: exact sums
t = rg.tensor(np.full(5, rank + 1, dtype=np.int64))
dist.all_reduce(t)
assert t.array.tolist() == [world * (world + 1) // 2] * 5

# refused: a non-contiguous tensor, AVG on integers
try:
    dist.all_reduce(rg.zeros(2, 3).T)
    raise AssertionError("a non-contiguous tensor was accepted")
except RuntimeError as error:
    assert "contiguous" in str(error)
try:
    dist.all_reduce(t, op=ReduceOp.AVG)
    raise AssertionError("AVG on integers was accepted")
except TypeError:
    pass

# objects, through pickling
gathered = [None] * world
dist.all_gather_object(gathered, {"rank": rank})
assert gathered == [{"rank": r} for r in range(world)]
objects = [f"from {rank}", rank]
dist.broadcast_object_list(objects, src=0)
assert objects == ["from 0", 0]

assert dist.barrier() is None
dist.barrier(async_op=True).wait()
dist.destroy_process_group()
assert not dist.is_initialized()
print(f"OK rank {rank} of {world}", flush=True)

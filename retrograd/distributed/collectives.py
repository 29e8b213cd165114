"""Collective operations on tensors, over MPI's buffer calls (no copy, no pickling).

Each writes the tensor's own array in place, as an in-place operation does: the tensor's
version goes up, so a graph that saved its old values refuses to use them. With
``async_op=True`` the call starts MPI's non-blocking twin and returns a ``Work``, whose
``wait()`` finishes it; the tensor must not be read or written until then.
"""
from __future__ import annotations

import enum
from typing import Any, Callable, Sequence

import numpy as np

from ..tensor import Tensor
from .process_group import ProcessGroup, _group, _mpi


class ReduceOp(enum.Enum):
    """How ``all_reduce`` and ``reduce`` combine the ranks' values, element by element."""

    SUM = "sum"
    AVG = "avg"  # MPI has none: a sum, divided by the world size
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"

    def __repr__(self) -> str:
        return f"ReduceOp.{self.name}"


def _mpi_op(op: ReduceOp, array: np.ndarray, group: ProcessGroup) -> Any:
    """MPI's operation for ``op`` (None in a world of one without MPI), checked first."""
    if not isinstance(op, ReduceOp):
        raise TypeError(f"op should be a ReduceOp (e.g. ReduceOp.SUM), but got {op!r}")
    if op is ReduceOp.AVG and not np.issubdtype(array.dtype, np.floating):
        raise TypeError(f"ReduceOp.AVG needs a floating-point tensor, but got {array.dtype}")
    if group.comm is None:
        return None
    MPI = _mpi()
    return {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
            ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX}[op]


class Work:
    """A collective started with ``async_op=True``.

    ``wait()`` blocks until it is done (and then does what is left, such as AVG's division)
    and returns True; ``is_completed()`` tells, without blocking, whether it is done.
    """

    def __init__(self, request: Any = None, finish: Callable[[], None] | None = None) -> None:
        self._request = request  # an MPI request; None when there is nothing to wait for
        self._finish = finish
        self._done = request is None and finish is None

    def is_completed(self) -> bool:
        if self._done or self._request is None:
            return True
        return bool(self._request.Test())

    def wait(self, timeout: Any = None) -> bool:
        """Blocks until the collective is done (``timeout`` is accepted for PyTorch's sake:
        a failing rank aborts the job instead)."""
        if not self._done:
            if self._request is not None:
                self._request.Wait()
            if self._finish is not None:
                self._finish()
            self._done = True
        return True


def _array(tensor: Tensor, name: str = "tensor") -> np.ndarray:
    """The tensor's array, that MPI reads and writes in place: a contiguous NumPy array."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{name} should be a retrograd Tensor, but got {type(tensor).__name__}")
    array = tensor.array
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{name} is on {tensor.device}: retrograd.distributed works on CPU "
                        f"tensors (move it with .cpu())")
    if not array.flags.c_contiguous:
        raise RuntimeError(f"{name} must be contiguous: MPI writes it in place through its "
                           f"memory (call .contiguous() and pass that tensor)")
    return array


def _written(*tensors: Tensor) -> None:
    # as any in-place change (the optimizer's step does the same): a graph that saved the old
    # values now refuses to use them
    for tensor in tensors:
        tensor._version_counter[0] += 1


def _run(async_op: bool, start: Callable[[], Any] | None,
         finish: Callable[[], None] | None = None) -> Work | None:
    """Runs a collective: ``start()`` begins MPI's non-blocking call and returns its request
    (``start`` is None in a world of one); ``finish()`` runs once it is over."""
    work = Work(None if start is None else start(), finish)
    if async_op:
        return work
    work.wait()
    return None


def _check_rank(rank: int, group: ProcessGroup, what: str) -> None:
    if not 0 <= rank < group.size():
        raise ValueError(f"{what}={rank} is not a rank of a world of {group.size()} "
                         f"(0 to {group.size() - 1})")


def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group: ProcessGroup | None = None,
               async_op: bool = False) -> Work | None:
    """Combines ``tensor`` over all ranks by ``op``; every rank gets the result, in place.

    ``tensor`` (any shape, CPU, contiguous) has the same shape and dtype on every rank.
    ``ReduceOp.AVG`` needs a floating-point dtype. Returns a ``Work`` if ``async_op``, else
    None. In a world of one, the values stay as they are.
    """
    group = _group(group)
    array = _array(tensor)
    mpi_op = _mpi_op(op, array, group)
    _written(tensor)
    if group.size() == 1:
        return _run(async_op, None)

    def finish() -> None:
        if op is ReduceOp.AVG:
            np.divide(array, group.size(), out=array)

    return _run(async_op, lambda: group.comm.Iallreduce(_mpi().IN_PLACE, array, op=mpi_op),
                finish)


def reduce(tensor: Tensor, dst: int = 0, op: ReduceOp = ReduceOp.SUM,
           group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    """Combines ``tensor`` over all ranks by ``op`` into rank ``dst``'s tensor, in place; the
    other ranks' tensors are left as they are."""
    group = _group(group)
    array = _array(tensor)
    _check_rank(dst, group, "dst")
    mpi_op = _mpi_op(op, array, group)
    is_dst = group.rank() == dst
    if is_dst:
        _written(tensor)
    if group.size() == 1:
        return _run(async_op, None)

    def start() -> Any:
        if is_dst:
            return group.comm.Ireduce(_mpi().IN_PLACE, array, op=mpi_op, root=dst)
        return group.comm.Ireduce(array, None, op=mpi_op, root=dst)

    def finish() -> None:
        if op is ReduceOp.AVG and is_dst:
            np.divide(array, group.size(), out=array)

    return _run(async_op, start, finish)


def broadcast(tensor: Tensor, src: int = 0, group: ProcessGroup | None = None,
              async_op: bool = False) -> Work | None:
    """Copies rank ``src``'s ``tensor`` into every other rank's, in place (same shape and
    dtype on every rank)."""
    group = _group(group)
    array = _array(tensor)
    _check_rank(src, group, "src")
    if group.rank() != src:
        _written(tensor)
    if group.size() == 1:
        return _run(async_op, None)
    return _run(async_op, lambda: group.comm.Ibcast(array, root=src))


def all_gather(tensor_list: Sequence[Tensor], tensor: Tensor,
               group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    """Every rank's ``tensor``, on every rank: ``tensor_list[r]`` receives rank r's, in place.

    ``tensor_list`` holds world-size tensors of ``tensor``'s shape and dtype (made, e.g., by
    ``[rg.empty_like(t) for _ in range(world_size)]``).
    """
    group = _group(group)
    array = _array(tensor)
    if len(tensor_list) != group.size():
        raise ValueError(f"tensor_list should hold world size ({group.size()}) tensors, but "
                         f"holds {len(tensor_list)}")
    outputs = [_array(out, f"tensor_list[{i}]") for i, out in enumerate(tensor_list)]
    for i, out in enumerate(outputs):
        if out.shape != array.shape or out.dtype != array.dtype:
            raise ValueError(f"tensor_list[{i}] has shape {tuple(out.shape)} and dtype "
                             f"{out.dtype}; tensor has {tuple(array.shape)} and {array.dtype}")
    _written(*tensor_list)
    if group.size() == 1:
        outputs[0][...] = array
        return _run(async_op, None)
    # MPI gathers into one buffer, rank by rank; copied into the list's tensors when done
    gathered = np.empty((group.size(),) + array.shape, dtype=array.dtype)

    def finish() -> None:
        for out, part in zip(outputs, gathered):
            out[...] = part

    return _run(async_op, lambda: group.comm.Iallgather(array, gathered), finish)


def barrier(group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    """Waits until every rank has reached this call."""
    group = _group(group)
    if group.size() == 1:
        return _run(async_op, None)
    return _run(async_op, lambda: group.comm.Ibarrier())


def all_gather_object(object_list: list, obj: Any, group: ProcessGroup | None = None) -> None:
    """Every rank's ``obj`` (any picklable object), on every rank: ``object_list[r]`` becomes
    rank r's (``object_list`` holds world-size items, replaced)."""
    group = _group(group)
    if len(object_list) != group.size():
        raise ValueError(f"object_list should hold world size ({group.size()}) items, but "
                         f"holds {len(object_list)}")
    object_list[:] = [obj] if group.size() == 1 else group.comm.allgather(obj)


def broadcast_object_list(object_list: list, src: int = 0,
                          group: ProcessGroup | None = None) -> None:
    """Replaces the items of ``object_list`` by rank ``src``'s (picklable objects)."""
    group = _group(group)
    _check_rank(src, group, "src")
    if group.size() > 1:
        object_list[:] = group.comm.bcast(object_list, root=src)

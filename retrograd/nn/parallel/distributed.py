"""``DistributedDataParallel``: data-parallel training over the ranks of ``retrograd.distributed``.

Every rank holds a whole copy of the model and trains on its own part of the data; after each
backward the ranks' gradients are averaged, so that every rank takes the same optimizer step
and the copies stay equal. As in PyTorch:

- at construction, rank 0's parameters and buffers are broadcast to every rank;
- the parameters are grouped, in reverse order (roughly the order backward produces their
  gradients), into buckets of about ``bucket_cap_mb`` (the first one 1 MB, so communication
  starts early). When backward has accumulated a parameter's gradient (its post-accumulate
  hook, which the engine runs as soon as that gradient is complete), the gradient is copied
  into its bucket; a full bucket is all-reduced at once without blocking (``Iallreduce``), so
  that communication overlaps the rest of backward. Buckets are launched in the same order on
  every rank, as MPI requires;
- each gradient is divided by the world size on its way into the bucket; when the last bucket
  has been launched, every all-reduce is waited for, and each ``.grad`` becomes its part of
  the bucket (a fresh buffer at every iteration, so an earlier ``.grad`` never changes): the
  average is there when ``backward()`` returns.

``no_sync()`` skips the averaging for gradient accumulation; ``find_unused_parameters=True``
lets some parameters get no gradient in an iteration (they count as zeros, and keep ``.grad``
as it is where no rank used them).
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator, Sequence

import numpy as np

from ... import distributed as dist
from ...autograd.engine import leaf_edges
from ...autograd.grad_mode import is_grad_enabled
from ...recording import current
from ...tensor import Tensor
from ..module import Module

FIRST_BUCKET_BYTES = 1024 * 1024  # PyTorch's dist._DEFAULT_FIRST_BUCKET_BYTES

UNFINISHED_MESSAGE = (
    "Expected to have finished reduction in the prior iteration before starting a new one. This "
    "error indicates that your module has parameters that were not used in producing loss: "
    "{names}. Pass find_unused_parameters=True to DistributedDataParallel, or make sure every "
    "parameter takes part in the loss (and that every rank calls backward).")


class _Bucket:
    """Parameters whose gradients travel in one all-reduce, as one flat buffer."""

    def __init__(self, params: list[Tensor]) -> None:
        self.params = params
        self.offsets = np.cumsum([0] + [p.array.size for p in params]).tolist()
        self.buffer = np.empty(0, dtype=params[0].array.dtype)
        self.waiting = 0  # parameters of this iteration whose gradient has not come yet
        self.work: Any = None  # the pending all-reduce

    def reset(self) -> None:
        """A new buffer for a new iteration: the previous one's views are the gradients the
        last backward left in ``.grad``, which must not change."""
        self.buffer = np.empty(self.offsets[-1], dtype=self.buffer.dtype)
        self.waiting, self.work = len(self.params), None

    def view(self, index: int) -> np.ndarray:
        """The part of the buffer that holds parameter ``index``'s gradient, in its shape."""
        start, stop = self.offsets[index], self.offsets[index + 1]
        return self.buffer[start:stop].reshape(self.params[index].array.shape)


def _buckets(params: Sequence[Tensor], cap_bytes: int) -> list[_Bucket]:
    """``params`` in reverse order, cut into buckets of at most ``cap_bytes`` (the first one
    ``FIRST_BUCKET_BYTES``), one dtype per bucket; a parameter larger than the cap is alone."""
    buckets: list[_Bucket] = []
    filling: dict[Any, tuple[list[Tensor], int]] = {}  # dtype -> its bucket being filled, bytes
    for p in reversed(params):
        limit = cap_bytes if buckets else FIRST_BUCKET_BYTES
        group, size = filling.get(p.array.dtype, ([], 0))
        if group and size + p.array.nbytes > limit:
            buckets.append(_Bucket(group))
            group, size = [], 0
        group.append(p)
        filling[p.array.dtype] = (group, size + p.array.nbytes)
    buckets.extend(_Bucket(group) for group, _ in filling.values())
    return buckets


def _leaves_behind(outputs: Any) -> set[int]:
    """ids of the leaf tensors the graph behind ``outputs`` (tensors, in any nesting of tuples,
    lists and dicts) reaches."""
    tensors: list = []
    _collect_tensors(outputs, tensors)
    return {id(leaf) for leaf in leaf_edges(tensors)}


def _collect_tensors(value: Any, found: list) -> None:
    if isinstance(value, Tensor):
        found.append(value)
    elif isinstance(value, (tuple, list)):
        for item in value:
            _collect_tensors(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _collect_tensors(item, found)


class _Reducer:
    """The buckets and one iteration's progress: which parameters have their gradient, which
    buckets are launched (PyTorch's name for this part of DDP)."""

    def __init__(self, params: Sequence[Tensor], cap_bytes: int, world: int,
                 find_unused_parameters: bool) -> None:
        self.params, self.world = params, world
        self.find_unused_parameters = find_unused_parameters
        self.buckets = _buckets(params, cap_bytes)
        position = {id(p): i for i, p in enumerate(params)}
        # id(parameter) -> (its bucket, its place there, its place among the parameters)
        self.where = {id(p): (bucket, index, position[id(p)])
                      for bucket in self.buckets for index, p in enumerate(bucket.params)}
        self.next_bucket = len(self.buckets)  # all launched: no iteration in progress
        self.used = np.zeros(len(params), dtype=np.int32)  # which got a gradient this time
        self.started = False  # a gradient of this iteration has come

    def unfinished(self) -> list[Tensor]:
        """The parameters still waited for, when the previous iteration's backward started but
        did not complete."""
        if not self.started or self.next_bucket == len(self.buckets):
            return []
        return [p for p in self.params if not self.used[self.where[id(p)][2]]]

    def pause(self) -> None:
        """The next backward only accumulates gradients, locally (``no_sync``, ``no_grad``)."""
        self.next_bucket = len(self.buckets)

    def start(self, output: Any) -> None:
        self.next_bucket, self.started = 0, False
        self.used[:] = 0
        for bucket in self.buckets:
            bucket.reset()
        if self.find_unused_parameters:  # those the output does not reach count as zeros now
            reached = _leaves_behind(output)
            for p in self.params:
                if id(p) not in reached:
                    bucket, index, _ = self.where[id(p)]
                    bucket.view(index)[...] = 0
                    self._count_in(bucket)

    def gradient_ready(self, p: Tensor) -> None:
        """The post-accumulate hook of every parameter."""
        if self.next_bucket == len(self.buckets):  # under no_sync, or no forward through DDP
            return
        bucket, index, position = self.where[id(p)]
        if self.used[position]:
            raise RuntimeError("Expected to mark a variable ready only once: a parameter got "
                               "its gradient twice in one iteration of DistributedDataParallel "
                               "(two backward calls after one forward?)")
        self.started = True
        # divided on the way in (as PyTorch does): the sum of the ranks' shares is the average
        np.divide(p.grad.array, self.world,  # type: ignore[union-attr]  # its hook: it has one
                  out=bucket.view(index))
        self.used[position] = 1
        self._count_in(bucket)

    def _count_in(self, bucket: _Bucket) -> None:
        bucket.waiting -= 1
        # launch the full buckets in order: every rank must start the same all-reduces in the
        # same order, whatever order its gradients came in
        while self.next_bucket < len(self.buckets) and \
                self.buckets[self.next_bucket].waiting == 0:
            ready = self.buckets[self.next_bucket]
            ready.work = dist.all_reduce(Tensor(ready.buffer), async_op=True)
            self.next_bucket += 1
        if self.next_bucket == len(self.buckets) and self.started:
            self._finish()

    def _finish(self) -> None:
        used = self.used.copy()
        if self.find_unused_parameters:  # which parameters some rank used
            dist.all_reduce(Tensor(used))
        for bucket in self.buckets:
            bucket.work.wait()
            for index, p in enumerate(bucket.params):
                if not used[self.where[id(p)][2]]:
                    continue  # no rank gave it a gradient: .grad stays as it is
                if p.grad is None:  # used on another rank only
                    p.grad = Tensor(bucket.view(index))
                else:  # the average replaces the local gradient, without a copy
                    p.grad.array = bucket.view(index)


class DistributedDataParallel(Module):
    """Wraps ``module`` so that backward averages its gradients over the ranks.

    Args:
        module: the model (on the CPU), the same on every rank.
        bucket_cap_mb: the size of a bucket of gradients all-reduced together (default 25).
        find_unused_parameters: allow parameters that get no gradient in an iteration.
        broadcast_buffers: copy rank 0's buffers (BatchNorm's running statistics) to every
            rank at each forward.
        device_ids, output_device, dim, process_group, check_reduction,
        gradient_as_bucket_view, static_graph: PyTorch's, accepted; retrograd has one process
            group (the world), and ``.grad`` is always a view of the iteration's bucket.

    ``ddp(x)`` runs ``module(x)``; ``ddp.module`` is the model (save ``ddp.module.state_dict()``
    to load it without DDP). Any optimizer and scheduler work unchanged.

    >>> dist.init_process_group("mpi")
    >>> model = DistributedDataParallel(nn.Linear(10, 2))
    >>> loss_fn(model(x), y).backward()     # .grad: the average over the ranks
    """

    def __init__(self, module: Module, device_ids: Any = None, output_device: Any = None,
                 dim: int = 0, broadcast_buffers: bool = True, process_group: Any = None,
                 bucket_cap_mb: float | None = None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False,
                 static_graph: bool = False, **options: Any) -> None:
        super().__init__()
        if not dist.is_initialized():  # PyTorch's error
            raise ValueError("Default process group has not been initialized, please make "
                             "sure to call init_process_group.")
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't "
                               "have any parameter that requires a gradient.")
        for p in params:
            if type(p.array) is not np.ndarray:
                raise RuntimeError(f"DistributedDataParallel: parameters must be on the CPU "
                                   f"(found one on {p.device}): MPI moves host buffers here")
        cap_mb = 25 if bucket_cap_mb is None else bucket_cap_mb
        if not cap_mb > 0:
            raise ValueError(f"bucket_cap_mb must be positive, got {bucket_cap_mb}")
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        world = dist.get_world_size()
        self._reducer = _Reducer(params, int(cap_mb * 1024 * 1024), world,
                                 find_unused_parameters)
        if world > 1:
            for tensor in (*module.parameters(), *module.buffers()):
                dist.broadcast(tensor.detach(), src=0)  # every rank starts from rank 0's model
            for p in params:
                p.register_post_accumulate_grad_hook(self._reducer.gradient_ready)

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if current.tape is not None:  # a replay would skip the bookkeeping below
            current.tape.unsupported("DistributedDataParallel")
        reducer = self._reducer
        waiting = reducer.unfinished()
        if waiting:
            names = [name for name, p in self.module.named_parameters()
                     if any(p is w for w in waiting)]
            raise RuntimeError(UNFINISHED_MESSAGE.format(names=", ".join(names)))
        if self.broadcast_buffers and reducer.world > 1:
            for buffer in self.module.buffers():
                dist.broadcast(buffer.detach(), src=0)
        output = self.module(*inputs, **kwargs)
        if is_grad_enabled() and self.require_backward_grad_sync and reducer.world > 1:
            reducer.start(output)
        else:
            reducer.pause()
        return output

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Within it, forward/backward only accumulate gradients locally; the first backward
        after it averages everything accumulated (gradient accumulation)."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

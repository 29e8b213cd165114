"""``DataLoader``: iterates over a data set in mini-batches, as ``torch.utils.data.DataLoader``,
and ``get_worker_info``."""
from __future__ import annotations

import itertools
import math
import multiprocessing
from multiprocessing.context import BaseContext
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from ...random import Generator
from .collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset, batch_getter
from .sampler import (
    BatchSampler,
    InfiniteConstantSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
)


def get_worker_info() -> None:
    """Information on the loading worker process that calls it (its id, the number of workers,
    its copy of the data set), or None in the main process: always None in retrograd, which
    loads every batch in the main process. An ``IterableDataset`` that splits its stream
    between workers by it thus yields the whole stream, once."""
    return None


class DataLoader:
    """Mini-batches of ``dataset``, one epoch per ``for`` loop over the loader.

    Args:
        dataset: a map-style data set (``__getitem__`` and ``__len__``), or an
            ``IterableDataset``, whose examples are batched in the order it yields them (then
            ``shuffle``, ``sampler`` and ``batch_sampler`` must be left unspecified).
        batch_size: examples per batch; None: no batching, each example comes on its own,
            its NumPy arrays made tensors (``collate_fn`` defaults to ``default_convert``).
        shuffle: visit the examples in a new random order at every epoch.
        sampler: the order of the examples (exclusive with ``shuffle``).
        batch_sampler: gives whole batches of indices (exclusive with ``batch_size``,
            ``shuffle``, ``sampler`` and ``drop_last``).
        num_workers: PyTorch's number of loading processes. retrograd always loads in the main
            process; the number is checked as PyTorch checks it (>= 0), enables the options
            below that need workers, and sets how many times ``worker_init_fn`` is called.
        collate_fn: merges a list of examples into a batch (default: ``default_collate``).
        pin_memory, pin_memory_device: no-ops (retrograd's batches are NumPy arrays, never
            page-locked).
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        timeout: seconds to wait for a worker's batch (>= 0); a no-op, no worker runs.
        worker_init_fn: called as ``worker_init_fn(worker_id)`` for each ``worker_id`` in
            ``range(num_workers)``, in the main process, when an epoch's iteration starts
            (only the first time with ``persistent_workers``); never without workers, as in
            PyTorch.
        multiprocessing_context: a start method name ("fork", "spawn", ...) or a
            ``multiprocessing`` context, checked as PyTorch checks it (it needs
            ``num_workers > 0``); a no-op otherwise.
        generator: the ``rg.Generator`` that shuffles (default: the global one, so that
            ``rg.manual_seed`` makes the order reproducible). Its stream is NumPy's, so a seed
            gives another order than in PyTorch, but always the same one.
        prefetch_factor: batches loaded ahead by each worker (PyTorch's default 2 with
            workers; it must be None without); a no-op.
        persistent_workers: keep the workers between epochs (needs ``num_workers > 0``); here
            it only makes ``worker_init_fn`` run once.
        in_order: yield batches in the sampler's order (always so here).

    With a ``TensorDataset`` ``(X, y)`` of N examples, each batch is a list ``[x, y]`` with
    x of shape (batch_size, *X.shape[1:]), taken by one fancy index of each tensor;
    ``len(loader)`` is ``ceil(N / batch_size)`` (``floor`` with ``drop_last``).

    >>> loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True,
    ...                     generator=rg.Generator().manual_seed(0))
    >>> for x, y in loader:
    ...     loss = F.cross_entropy(model(x), y)
    """

    _initialized = False
    _workers_started = False

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | Iterable | None = None,
                 batch_sampler: Sampler | Iterable | None = None, num_workers: int = 0,
                 collate_fn: Callable[[list], Any] | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable[[int], None] | None = None,
                 multiprocessing_context: str | BaseContext | None = None,
                 generator: Generator | None = None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "",
                 in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; "
                             "use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in "
                             "multiprocessing.let num_workers > 0 to enable multiprocessing, "
                             "otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order
        iterable = isinstance(dataset, IterableDataset)
        if iterable:
            for name, value, default in (("shuffle", shuffle, False), ("sampler", sampler, None),
                                         ("batch_sampler", batch_sampler, None)):
                if value not in (None, default):
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                     f"{name} option, but got {name}={value}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None:
            if iterable:
                sampler = InfiniteConstantSampler()
            else:
                sampler = (RandomSampler(dataset, generator=generator) if shuffle
                           else SequentialSampler(dataset))
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_convert if batch_sampler is None else default_collate
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._initialized = True

    @property
    def multiprocessing_context(self) -> BaseContext | None:
        """The ``multiprocessing`` context PyTorch's workers would start with."""
        return self._multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context: str | BaseContext | None) -> None:
        if context is not None:
            if self.num_workers == 0:
                raise ValueError(f"multiprocessing_context can only be used with multi-process "
                                 f"loading (num_workers > 0), but got "
                                 f"num_workers={self.num_workers}")
            if isinstance(context, str):
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError(f"multiprocessing_context option should specify a valid "
                                     f"start method in {methods!r}, but got "
                                     f"multiprocessing_context={context!r}")
                context = multiprocessing.get_context(context)
            if not isinstance(context, BaseContext):
                raise TypeError(f"multiprocessing_context option should be a valid context "
                                f"object or a string specifying the start method, but got "
                                f"multiprocessing_context={context}")
        self._multiprocessing_context = context

    def __setattr__(self, name: str, value: Any) -> None:
        if self._initialized and name in ("batch_size", "batch_sampler", "sampler",
                                          "drop_last", "dataset", "persistent_workers"):
            raise ValueError(f"{name} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(name, value)

    def _start_workers(self) -> None:
        # PyTorch runs worker_init_fn in each new worker process; here, once per worker id
        if self.worker_init_fn is None or (self.persistent_workers and self._workers_started):
            return
        self._workers_started = True
        for worker_id in range(self.num_workers):
            self.worker_init_fn(worker_id)

    def __iter__(self) -> Iterator[Any]:
        self._start_workers()
        return self._batches()

    def _batches(self) -> Iterator[Any]:
        if isinstance(self.dataset, IterableDataset):
            yield from self._stream_batches()
            return
        if self.batch_sampler is None:  # batch_size=None: one example at a time
            for index in self.sampler:
                yield self.collate_fn(self.dataset[index])
            return
        take_batch = batch_getter(self.dataset) if self.collate_fn is default_collate else None
        if take_batch is None:
            for indices in self.batch_sampler:
                yield self.collate_fn([self.dataset[index] for index in indices])
            return
        # fast path: one fancy index per tensor, no Python loop over the examples
        batches = (self.batch_sampler.index_batches()
                   if isinstance(self.batch_sampler, BatchSampler) else self.batch_sampler)
        for indices in batches:
            yield take_batch(np.asarray(indices, dtype=np.int64))

    def _stream_batches(self) -> Iterator[Any]:
        # An IterableDataset: its examples as they come, batch_size at a time (the last batch
        # shorter, or dropped with drop_last), or one by one without batch_size.
        examples = iter(self.dataset)
        if self.batch_size is None:
            for example in examples:
                yield self.collate_fn(example)
            return
        while batch := list(itertools.islice(examples, self.batch_size)):
            if len(batch) == self.batch_size or not self.drop_last:
                yield self.collate_fn(batch)
            if len(batch) < self.batch_size:
                return

    def __len__(self) -> int:
        """The number of batches of an epoch. For an ``IterableDataset``, from its
        ``__len__`` (a TypeError without one), as PyTorch: ceil(len / batch_size)."""
        if isinstance(self.dataset, IterableDataset):
            length = len(self.dataset)
            if self.batch_size is None:
                return length
            if self.drop_last:
                return length // self.batch_size
            return math.ceil(length / self.batch_size)
        sampler = self.sampler if self.batch_sampler is None else self.batch_sampler
        return len(sampler)  # type: ignore[arg-type]  # TypeError for one with no len

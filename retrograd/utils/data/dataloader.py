"""``DataLoader``: iterates over a data set in mini-batches, as ``torch.utils.data.DataLoader``."""
from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator

import numpy as np

from ...random import Generator
from .collate import default_collate
from .dataset import Dataset, batch_getter
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler


class DataLoader:
    """Mini-batches of ``dataset``, one epoch per ``for`` loop over the loader.

    Args:
        dataset: a map-style data set (``__getitem__`` and ``__len__``).
        batch_size: examples per batch.
        shuffle: visit the examples in a new random order at every epoch.
        sampler: the order of the examples (exclusive with ``shuffle``).
        batch_sampler: gives whole batches of indices (exclusive with ``batch_size``,
            ``shuffle``, ``sampler`` and ``drop_last``).
        num_workers, pin_memory: accepted so that PyTorch code runs unchanged; retrograd loads
            the data in the main process and keeps it on the CPU.
        collate_fn: merges a list of examples into a batch (default: ``default_collate``).
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        generator: the ``rg.Generator`` that shuffles (default: the global one, so that
            ``rg.manual_seed`` makes the order reproducible).

    With a ``TensorDataset`` ``(X, y)`` of N examples, each batch is a list ``[x, y]`` with
    x of shape (batch_size, *X.shape[1:]), taken by one fancy index of each tensor;
    ``len(loader)`` is ``ceil(N / batch_size)`` (``floor`` with ``drop_last``).

    >>> loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True,
    ...                     generator=rg.Generator().manual_seed(0))
    >>> for x, y in loader:
    ...     loss = F.cross_entropy(model(x), y)
    """

    def __init__(self, dataset: Dataset, batch_size: int = 1, shuffle: bool = False,
                 sampler: Sampler | Iterable | None = None,
                 batch_sampler: Sampler | Iterable | None = None, num_workers: int = 0,
                 collate_fn: Callable[[list], Any] | None = None, pin_memory: bool = False,
                 drop_last: bool = False, *, generator: Generator | None = None) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; "
                             "use num_workers=0 to disable multiprocessing.")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        if sampler is None:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.generator = generator
        self.collate_fn = default_collate if collate_fn is None else collate_fn

    def __iter__(self) -> Iterator[Any]:
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

    def __len__(self) -> int:
        return len(self.batch_sampler)

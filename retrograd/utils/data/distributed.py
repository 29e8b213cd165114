"""``DistributedSampler``: each process of a data-parallel job gets its own share of the data."""
from __future__ import annotations

import math
from typing import Iterator, Sized

import numpy as np

from ... import distributed as dist
from ...creation import randperm
from ...random import Generator
from .sampler import Sampler


class DistributedSampler(Sampler):
    """The indices of one replica (``rank``) among ``num_replicas``, as PyTorch's.

    Every replica orders the whole data set the same way (a permutation drawn from
    ``seed + epoch`` when ``shuffle``, else 0, 1, ...), makes it a multiple of
    ``num_replicas`` long (repeating its first indices, or, with ``drop_last``, dropping its
    tail), and takes every ``num_replicas``-th index from position ``rank``: the replicas'
    shares are disjoint (apart from the repeats) and ``len(sampler)`` each.

    ``num_replicas`` and ``rank`` default to the process group's world size and rank (1 and 0
    when it is not initialized). Call ``set_epoch(epoch)`` before each epoch for a new order;
    the orders are retrograd's generator's, not the same numbers as PyTorch's.

    >>> sampler = DistributedSampler(dataset)
    >>> loader = DataLoader(dataset, batch_size=32, sampler=sampler)
    >>> for epoch in range(epochs):
    ...     sampler.set_epoch(epoch)
    ...     for x, y in loader: ...
    """

    def __init__(self, dataset: Sized, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        initialized = dist.is_initialized()
        if num_replicas is None:
            num_replicas = dist.get_world_size() if initialized else 1
        if rank is None:
            rank = dist.get_rank() if initialized else 0
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        if self.drop_last and len(self.dataset) % self.num_replicas != 0:
            # the largest multiple of num_replicas that fits: every rank gets as many
            self.num_samples = math.ceil((len(self.dataset) - self.num_replicas)
                                         / self.num_replicas)
        else:
            self.num_samples = math.ceil(len(self.dataset) / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def epoch_order(self) -> np.ndarray:
        """This replica's indices for the current epoch, an int64 array of ``len(self)``."""
        n = len(self.dataset)
        if self.shuffle:
            order = randperm(n, generator=Generator().manual_seed(self.seed + self.epoch)).array
        else:
            order = np.arange(n, dtype=np.int64)
        # np.resize repeats the order cyclically to total_size, or cuts its tail: PyTorch's
        # padding (indices + indices[:padding], as many times as needed) and drop_last
        order = np.resize(order.astype(np.int64, copy=False), self.total_size)
        return order[self.rank:self.total_size:self.num_replicas]

    def __iter__(self) -> Iterator[int]:
        return iter(self.epoch_order().tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """The epoch, which (with ``seed``) chooses the order when ``shuffle``: the same on
        every replica, a different one at each epoch."""
        self.epoch = epoch

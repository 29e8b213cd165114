"""Samplers: the order in which a DataLoader visits the examples, as in ``torch.utils.data``.

A sampler is an iterable of indices (``BatchSampler``: of lists of indices) with a ``len``.
The samplers of this file also know a whole epoch's order as one array (``epoch_order``), which
lets ``BatchSampler`` cut batches by slicing instead of by a Python loop over indices.
"""
from __future__ import annotations

import itertools
from typing import Iterable, Iterator, Sequence, Sized

import numpy as np

from ...creation import as_tensor
from ...dtype import float64
from ...ops.composite import multinomial
from ...random import Generator, default_generator


class Sampler:
    """The base class of samplers: subclasses implement ``__iter__`` (and usually ``__len__``)."""

    def __iter__(self) -> Iterator:
        raise NotImplementedError("Subclasses of Sampler should implement __iter__.")

    def epoch_order(self) -> np.ndarray | None:
        """The indices of one whole epoch as an int64 array, or None when only iterating
        tells them (the default, for samplers written by users)."""
        return None


class SequentialSampler(Sampler):
    """Indices 0, 1, ..., len(data_source) - 1, always in that order."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def epoch_order(self) -> np.ndarray:
        return np.arange(len(self.data_source), dtype=np.int64)

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


def _epoch_rng(generator: Generator | None) -> np.random.Generator:
    """The random stream of one epoch: ``generator``'s own, or, without one, a stream seeded by
    one draw from the global generator (as PyTorch does: ``rg.manual_seed`` fixes every epoch's
    order, and each epoch consumes the global stream by the same amount whatever the data)."""
    if generator is not None:
        return generator.numpy
    return np.random.default_rng(int(default_generator.numpy.integers(2 ** 63)))


class RandomSampler(Sampler):
    """Indices in a random order, a new one at every epoch (every ``iter``).

    Without replacement, each epoch is a permutation (``num_samples`` larger than the data set
    chains several permutations); with ``replacement=True``, ``num_samples`` independent draws.
    ``generator`` (default: the global one) makes the orders reproducible.
    """

    def __init__(self, data_source: Sized, replacement: bool = False,
                 num_samples: int | None = None, generator: Generator | None = None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got "
                            f"replacement={replacement}")
        if not isinstance(self.num_samples, int) or isinstance(self.num_samples, bool) \
                or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def epoch_order(self) -> np.ndarray:
        n, rng = len(self.data_source), _epoch_rng(self.generator)
        if self.replacement:
            return rng.integers(0, n, size=self.num_samples, dtype=np.int64)
        full_passes, rest = divmod(self.num_samples, n)
        permutations = [rng.permutation(n) for _ in range(full_passes)]
        permutations.append(rng.permutation(n)[:rest])
        return np.concatenate(permutations).astype(np.int64, copy=False)

    def __iter__(self) -> Iterator[int]:
        return iter(self.epoch_order().tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order, a new one at every epoch."""

    def __init__(self, indices: Sequence[int], generator: Generator | None = None) -> None:
        self.indices = indices
        self.generator = generator

    def epoch_order(self) -> np.ndarray:
        indices = np.asarray(self.indices, dtype=np.int64)
        return indices[_epoch_rng(self.generator).permutation(len(indices))]

    def __iter__(self) -> Iterator[int]:
        return iter(self.epoch_order().tolist())

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices of ``range(len(weights))``, index i drawn with probability
    ``weights[i] / sum(weights)`` (weights need not add up to one): with ``replacement``
    (the default), independent draws; without, each index at most once.

    A new draw at every epoch, from ``generator`` (default: the global one), by
    ``rg.multinomial``. Over-sampling a rare class: ``weights = 1 / class_count[labels]``.

    >>> list(WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 5))   # e.g. [4, 4, 1, 4, 5]
    """

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator: Generator | None = None) -> None:
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) \
                or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got "
                             f"replacement={replacement}")
        self.weights = as_tensor(weights, dtype=float64)
        if self.weights.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape "
                             f"{tuple(self.weights.shape)}")
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def epoch_order(self) -> np.ndarray:
        draws = multinomial(self.weights, self.num_samples, self.replacement,
                            generator=self.generator)
        return np.asarray(draws.cpu().array, dtype=np.int64)

    def __iter__(self) -> Iterator[int]:
        return iter(self.epoch_order().tolist())

    def __len__(self) -> int:
        return self.num_samples


class InfiniteConstantSampler(Sampler):
    """None, forever: the sampler of a DataLoader over an iterable-style data set, whose
    examples come from the data set itself (PyTorch's ``_InfiniteConstantSampler``)."""

    def __iter__(self) -> Iterator[None]:
        return itertools.repeat(None)


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``; the last, shorter list
    is dropped when ``drop_last``.

    >>> list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False))
    [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    """

    def __init__(self, sampler: Sampler | Iterable[int], batch_size: int,
                 drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got "
                             f"drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def index_batches(self) -> Iterator[np.ndarray | list]:
        """The batches of one epoch: int64 arrays cut from the sampler's ``epoch_order`` when
        it knows one, else lists of what the sampler yields (``__iter__`` gives lists)."""
        order = self.sampler.epoch_order() if isinstance(self.sampler, Sampler) else None
        if order is not None:
            stop = len(order) - len(order) % self.batch_size if self.drop_last else len(order)
            for start in range(0, stop, self.batch_size):
                yield order[start:start + self.batch_size]
            return
        indices = iter(self.sampler)  # a user's sampler: take its indices as they come
        while batch := list(itertools.islice(indices, self.batch_size)):
            if len(batch) < self.batch_size and self.drop_last:
                return
            yield batch

    def __iter__(self) -> Iterator[list]:
        return (batch if isinstance(batch, list) else batch.tolist()
                for batch in self.index_batches())

    def __len__(self) -> int:
        count = len(self.sampler)  # type: ignore[arg-type]  # TypeError for one with no len
        if self.drop_last:
            return count // self.batch_size
        return (count + self.batch_size - 1) // self.batch_size

"""Data sets, as in ``torch.utils.data``: map-style ``Dataset``, ``TensorDataset``,
``Subset``, ``ConcatDataset`` and ``random_split``; iterable-style ``IterableDataset`` and
``ChainDataset``.

A map-style data set is anything with ``__getitem__(index) -> example`` and ``__len__()``; an
iterable-style one yields its examples from ``__iter__`` (a stream: a file read line by line,
examples generated on the fly). An example is usually a tuple ``(features, label)``.
"""
from __future__ import annotations

import bisect
import itertools
import math
import warnings
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from ...creation import as_tensor, randperm
from ...random import Generator
from ...recording import current
from ...tensor import Tensor


class Dataset:
    """The base class of map-style data sets: subclasses implement ``__getitem__`` and
    ``__len__``.

    >>> class Squares(Dataset):
    ...     def __len__(self): return 10
    ...     def __getitem__(self, i): return float(i), float(i * i)
    >>> both = Squares() + Squares()          # a ConcatDataset of 20 examples
    """

    def __getitem__(self, index) -> Any:
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __len__(self) -> int:
        raise NotImplementedError("Subclasses of Dataset should implement __len__.")

    def __add__(self, other: "Dataset") -> "ConcatDataset":
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """The base class of iterable-style data sets: subclasses implement ``__iter__``, which
    yields the examples (and may implement ``__len__``). A DataLoader batches them in the order
    they come, without sampler.

    >>> class Countdown(IterableDataset):
    ...     def __init__(self, n): self.n = n
    ...     def __iter__(self): return iter(range(self.n, 0, -1))
    >>> list(DataLoader(Countdown(5), batch_size=2))   # [tensor([5, 4]), tensor([3, 2]), ...]
    """

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __len__(self) -> int:
        # a stream has no length unless a subclass gives one: len() raises as for any object
        raise TypeError(f"object of type {type(self).__name__!r} has no len()")

    # a stream chains rather than concatenates, as in PyTorch (hence the ignore)
    def __add__(self, other: Dataset) -> "ChainDataset":  # type: ignore[override]
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """Several iterable-style data sets, one after the other, chained as they are iterated."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = datasets

    def _checked(self) -> Iterator[IterableDataset]:
        for dataset in self.datasets:
            if not isinstance(dataset, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield dataset

    def __iter__(self) -> Iterator[Any]:
        for dataset in self._checked():
            yield from dataset

    def __len__(self) -> int:
        return sum(len(dataset) for dataset in self._checked())


class TensorDataset(Dataset):
    """Examples taken along the first dimension of tensors of the same length.

    ``dataset[i]`` is the tuple ``(tensors[0][i], tensors[1][i], ...)``. NumPy arrays are
    accepted too and wrapped without a copy.

    >>> X, y = rg.randn(100, 2), rg.randint(0, 2, (100,))
    >>> dataset = TensorDataset(X, y)
    >>> x0, y0 = dataset[0]                   # shapes (2,) and ()
    """

    def __init__(self, *tensors: Tensor | np.ndarray) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor, e.g. "
                             "TensorDataset(features, labels)")
        for position, tensor in enumerate(tensors):
            if not isinstance(tensor, (Tensor, np.ndarray)):
                raise TypeError(f"TensorDataset expects Tensors or NumPy arrays, got "
                                f"{type(tensor).__name__} at position {position}")
            if tensor.ndim == 0:
                raise ValueError(f"TensorDataset: the tensor at position {position} is 0-d; "
                                 f"each tensor needs a first dimension indexing the examples")
        lengths = [len(tensor) for tensor in tensors]
        if any(length != lengths[0] for length in lengths):
            # AssertionError, as PyTorch raises, with the lengths to help find the culprit
            raise AssertionError(f"Size mismatch between tensors: their first dimensions are "
                                 f"{lengths}; every tensor must hold the same number of examples")
        self.tensors = tuple(as_tensor(tensor) for tensor in tensors)

    def __getitem__(self, index) -> tuple:
        return tuple(tensor[index] for tensor in self.tensors)

    def __len__(self) -> int:
        return len(self.tensors[0])


class Subset(Dataset):
    """The examples of ``dataset`` at ``indices``, in that order.

    >>> evens = Subset(dataset, range(0, len(dataset), 2))
    """

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx) -> Any:
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several data sets one after the other; ``dataset_a + dataset_b`` builds one too.

    ``cumulative_sizes[k]`` is the number of examples in the first k + 1 data sets.
    """

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int) -> Any:
        if idx < 0:
            if -idx > len(self):
                raise ValueError(f"absolute value of index should not exceed dataset length: "
                                 f"index {idx}, length {len(self)}")
            idx = len(self) + idx
        # the first data set whose cumulative size exceeds idx holds the example
        dataset_idx = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[dataset_idx - 1] if dataset_idx > 0 else 0
        return self.datasets[dataset_idx][idx - start]


def random_split(dataset: Dataset, lengths: Sequence[int | float],
                 generator: Generator | None = None) -> list[Subset]:
    """Splits ``dataset`` at random into non-overlapping ``Subset``s of the given lengths.

    ``lengths`` are numbers of examples that add up to ``len(dataset)``, or fractions that add
    up to 1: each split then gets ``floor(fraction * len(dataset))`` examples and the remainder
    is handed out one by one, round robin. ``generator`` (default: the global one) makes the
    split reproducible.

    >>> train, val = random_split(dataset, [0.8, 0.2], generator=rg.Generator().manual_seed(0))
    """
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for i, fraction in enumerate(lengths):
            if not 0 <= fraction <= 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1: {fraction}")
        sizes = [math.floor(len(dataset) * fraction) for fraction in lengths]
        for i in range(len(dataset) - sum(sizes)):
            sizes[i % len(sizes)] += 1
        for i, size in enumerate(sizes):
            if size == 0:
                warnings.warn(f"Length of split at index {i} is 0. "
                              f"This might result in an empty dataset.", stacklevel=2)
        lengths = sizes
    if sum(lengths) != len(dataset):
        raise ValueError(f"Sum of input lengths does not equal the length of the input dataset! "
                         f"The lengths {list(lengths)} add up to {sum(lengths)}, the data set "
                         f"has {len(dataset)} examples; give counts that add up to "
                         f"{len(dataset)}, or fractions that add up to 1")
    # whole counts by now (their sum checked above), which mypy cannot tell
    indices = randperm(sum(lengths), generator=generator).tolist()  # type: ignore[arg-type]
    ends = itertools.accumulate(lengths)
    return [Subset(dataset, indices[end - length:end])  # type: ignore[index]
            for length, end in zip(lengths, ends)]


def _take(tensor: Tensor, indices: np.ndarray) -> Tensor:
    """``tensor[indices]``; for a plain tensor on the CPU that needs no gradient (the usual data
    set), outside a recording of ``rg.compile``, one NumPy fancy index and no graph operation."""
    if type(tensor) is Tensor and type(tensor.array) is np.ndarray and not tensor.requires_grad \
            and current.tape is None:
        return Tensor(tensor.array[indices])
    return tensor[indices]


def batch_getter(dataset: Dataset) -> Callable[[np.ndarray], list] | None:
    """A function taking a whole batch by one fancy index per tensor, when ``dataset`` is a
    ``TensorDataset`` or a ``Subset`` of one; None for other data sets.

    Its result equals ``default_collate([dataset[i] for i in indices])`` (a list of tensors),
    without a Python loop over the examples. A subclass that overrides ``__getitem__`` (to
    transform examples, say) keeps the per-example path, so that its override is used.
    """
    if type(dataset).__getitem__ is TensorDataset.__getitem__:
        tensors = dataset.tensors  # type: ignore[attr-defined]  # a TensorDataset (checked)
        return lambda indices: [_take(tensor, indices) for tensor in tensors]
    if type(dataset).__getitem__ is Subset.__getitem__:
        inner = batch_getter(dataset.dataset)  # type: ignore[attr-defined]  # a Subset (checked)
        if inner is not None:
            positions = np.asarray(dataset.indices,  # type: ignore[attr-defined]  # a Subset
                                   dtype=np.int64)
            return lambda indices: inner(positions[indices])
    return None

"""Data sets for classification, each returning NumPy arrays ``(X, y)``.

Convention: X is float32 with one example per row, shape (n_samples, n_features) (images:
(n, height * width), or (n, 1, height, width) with ``flatten=False``); y is int64 of shape
(n_samples,) holding classes 0..n_classes-1. Wrap them for a loader with
``TensorDataset(X, y)``, which takes NumPy arrays as they are:

    import retrograd as rg
    from retrograd.utils.data import DataLoader, TensorDataset

    X, y = rg.datasets.circles(1000, noise=0.1, seed=0)
    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)

- generated (seeded by ``seed=`` or ``generator=``, else the global generator): ``circles``,
  ``moons``, ``spirals``, ``blobs``, ``xor``;
- bundled, offline: ``digits``, 1797 8x8 handwritten digits from the UCI ML repository
  (E. Alpaydin and C. Kaynak, 1998; licence CC BY 4.0), see ``data/README.md``;
- from files the user downloads: ``mnist`` and ``fashion_mnist`` (IDX files, gzipped or not).

``available()`` lists them all with their sizes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .images import digits, fashion_mnist, mnist, read_idx
from .synthetic import blobs, circles, moons, spirals, xor


@dataclass(frozen=True)
class DatasetInfo:
    """What ``available()`` says about a data set.

    ``load`` is the function that returns ``(X, y)``; it takes a folder first when
    ``needs_root`` (the user's downloaded files). ``n_samples`` counts every example (the
    default number for generated sets, train and test together for the others).
    """

    name: str
    load: Callable
    n_samples: int
    n_features: int
    n_classes: int
    description: str
    needs_root: bool = False


_REGISTRY = (
    DatasetInfo("circles", circles, 1000, 2, 2,
                "two concentric noisy circles (the practical work's 2-D data)"),
    DatasetInfo("moons", moons, 1000, 2, 2, "two interleaving half circles"),
    DatasetInfo("spirals", spirals, 1000, 2, 3, "interleaved spiral arms, one per class"),
    DatasetInfo("blobs", blobs, 1000, 2, 3, "Gaussian blobs, one per class"),
    DatasetInfo("xor", xor, 1000, 2, 2, "points of the square, labelled by quadrant (XOR)"),
    DatasetInfo("digits", digits, 1797, 64, 10,
                "8x8 handwritten digits, bundled (UCI optdigits, CC BY 4.0)"),
    DatasetInfo("mnist", mnist, 70000, 784, 10,
                "28x28 handwritten digits, 60,000 train + 10,000 test, from IDX files",
                needs_root=True),
    DatasetInfo("fashion_mnist", fashion_mnist, 70000, 784, 10,
                "28x28 pictures of clothes, 60,000 train + 10,000 test, from IDX files",
                needs_root=True),
)


def available() -> dict[str, DatasetInfo]:
    """Every data set of ``rg.datasets`` by name, in a fixed order, with its size, number of
    features and number of classes.

    >>> for name, info in rg.datasets.available().items():
    ...     print(name, info.n_samples, info.n_features, info.n_classes)
    """
    return {info.name: info for info in _REGISTRY}


__all__ = ["DatasetInfo", "available", "blobs", "circles", "digits", "fashion_mnist", "mnist",
           "moons", "read_idx", "spirals", "xor"]

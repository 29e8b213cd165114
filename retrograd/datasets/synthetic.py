"""Generated 2-D (and n-D) classification data sets: circles, moons, spirals, blobs, xor.

Each returns ``(X, y)``: X float32 of shape (n_samples, n_features), y int64 of shape
(n_samples,) with classes 0..n_classes-1, the examples in a random order. The draws come from
``seed`` (an int), or ``generator`` (an ``rg.Generator``), or else the global generator, so that
``rg.manual_seed`` makes them reproducible. Classes are balanced: their sizes differ by at most
one.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..random import Generator, default_generator


def _rng(seed: int | None, generator: Generator | None) -> np.random.Generator:
    """The NumPy stream that draws a data set."""
    if seed is not None and generator is not None:
        raise ValueError("give seed= or generator=, not both")
    if seed is not None:
        return np.random.default_rng(seed)
    return (generator or default_generator).numpy


def _check(n_samples: int, noise: float, n_classes: int = 2, noise_name: str = "noise") -> None:
    if not isinstance(n_samples, int) or isinstance(n_samples, bool) or n_samples < n_classes:
        raise ValueError(f"n_samples must be an int of at least {n_classes} (one example per "
                         f"class), got {n_samples!r}")
    if noise < 0:
        raise ValueError(f"{noise_name} is a standard deviation and cannot be negative, "
                         f"got {noise}")


def _class_sizes(n_samples: int, n_classes: int) -> list[int]:
    """Balanced class sizes: the first ``n_samples % n_classes`` classes get one more."""
    return [n_samples // n_classes + (k < n_samples % n_classes) for k in range(n_classes)]


def _finish(X: np.ndarray, y: np.ndarray, rng: np.random.Generator,
            noise: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Shuffles the examples, adds Gaussian noise of std ``noise`` to X, casts the dtypes."""
    order = rng.permutation(len(y))
    X, y = X[order], y[order]
    if noise > 0:
        X = X + rng.normal(scale=noise, size=X.shape)
    return X.astype(np.float32), y.astype(np.int64)


def circles(n_samples: int = 1000, noise: float = 0.1, factor: float = 0.5, *,
            seed: int | None = None,
            generator: Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles: class 0 on the circle of radius 1, class 1 on the circle of
    radius ``factor``, then Gaussian noise of std ``noise`` on each coordinate (as
    scikit-learn's ``make_circles``).

    Returns X (n_samples, 2) float32 and y (n_samples,) int64.

    >>> X, y = rg.datasets.circles(500, noise=0.05, seed=0)
    """
    _check(n_samples, noise)
    if not 0 <= factor < 1:
        raise ValueError(f"factor is the inner radius over the outer one and must be in [0, 1), "
                         f"got {factor}")
    n_outer, n_inner = _class_sizes(n_samples, 2)
    angles = [np.linspace(0, 2 * np.pi, n, endpoint=False) for n in (n_outer, n_inner)]
    radii = np.concatenate([np.ones(n_outer), np.full(n_inner, factor)])
    angle = np.concatenate(angles)
    X = radii[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    y = np.repeat([0, 1], [n_outer, n_inner])
    return _finish(X, y, _rng(seed, generator), noise)


def moons(n_samples: int = 1000, noise: float = 0.1, *, seed: int | None = None,
          generator: Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (as scikit-learn's ``make_moons``): class 0 the upper arc
    centred on (0, 0), class 1 the lower arc centred on (1, 0.5), then Gaussian noise of std
    ``noise`` on each coordinate.

    Returns X (n_samples, 2) float32 and y (n_samples,) int64.
    """
    _check(n_samples, noise)
    n_upper, n_lower = _class_sizes(n_samples, 2)
    upper, lower = np.linspace(0, np.pi, n_upper), np.linspace(0, np.pi, n_lower)
    X = np.concatenate([np.stack([np.cos(upper), np.sin(upper)], axis=1),
                        np.stack([1 - np.cos(lower), 0.5 - np.sin(lower)], axis=1)])
    y = np.repeat([0, 1], [n_upper, n_lower])
    return _finish(X, y, _rng(seed, generator), noise)


def spirals(n_samples: int = 1000, n_classes: int = 3, noise: float = 0.2, turns: float = 1.0,
            *, seed: int | None = None,
            generator: Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` interleaved spiral arms around the origin, one per class.

    The points of an arm go out from radius 0 to 1 while turning ``turns`` times around; arm k
    starts at angle 2 pi k / n_classes. ``noise`` is the standard deviation of a Gaussian
    jitter of each point's angle, in radians (so the arms blur evenly, centre included).

    Returns X (n_samples, 2) float32 and y (n_samples,) int64.
    """
    _check(n_samples, noise, n_classes)
    rng = _rng(seed, generator)
    sizes = _class_sizes(n_samples, n_classes)
    y = np.repeat(np.arange(n_classes), sizes)
    radius = np.concatenate([np.linspace(0, 1, size) for size in sizes])
    jitter = rng.normal(scale=noise, size=n_samples) if noise > 0 else 0.0
    angle = 2 * np.pi * y / n_classes + 2 * np.pi * turns * radius + jitter
    X = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return _finish(X, y, rng)


def blobs(n_samples: int = 1000, centers: int | Sequence[Sequence[float]] = 3,
          n_features: int = 2, cluster_std: float | Sequence[float] = 1.0,
          center_box: tuple[float, float] = (-10.0, 10.0), *, seed: int | None = None,
          generator: Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs, one per class (as scikit-learn's ``make_blobs``).

    ``centers`` is the number of classes, whose centres are drawn uniformly in ``center_box``
    on each of the ``n_features`` axes, or the centres themselves (n_classes, n_features).
    ``cluster_std`` is the standard deviation of every blob, or one per blob.

    Returns X (n_samples, n_features) float32 and y (n_samples,) int64.
    """
    rng = _rng(seed, generator)
    if isinstance(centers, int):
        if centers < 1:
            raise ValueError(f"centers must be at least 1, got {centers}")
        points = rng.uniform(*center_box, size=(centers, n_features))
    else:
        points = np.asarray(centers, dtype=np.float64)
        if points.ndim != 2:
            raise ValueError(f"centers must be an int or an array of shape (n_classes, "
                             f"n_features), got shape {points.shape}")
    n_classes = len(points)
    stds = np.asarray(cluster_std, dtype=np.float64)
    if stds.ndim > 1 or stds.ndim == 1 and len(stds) != n_classes:
        raise ValueError(f"cluster_std must be a number or one per blob ({n_classes}), got "
                         f"{cluster_std!r}")
    stds = np.broadcast_to(stds, (n_classes,))
    _check(n_samples, float(stds.min()), n_classes, "cluster_std")
    sizes = _class_sizes(n_samples, n_classes)
    y = np.repeat(np.arange(n_classes), sizes)
    # each example is its class's centre plus Gaussian noise of its class's std
    X = points[y] + stds[y, None] * rng.standard_normal((n_samples, points.shape[1]))
    return _finish(X, y, rng)


def xor(n_samples: int = 1000, noise: float = 0.0, *, seed: int | None = None,
        generator: Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The XOR problem: points uniform in the square [-1, 1]^2, class 1 where exactly one
    coordinate is positive (the 2nd and 4th quadrants), class 0 elsewhere; then Gaussian noise
    of std ``noise`` on each coordinate. No straight line separates the classes.

    Returns X (n_samples, 2) float32 and y (n_samples,) int64.
    """
    _check(n_samples, noise)
    rng = _rng(seed, generator)
    y = np.repeat([0, 1], _class_sizes(n_samples, 2))
    # draw |x0|, |x1| and the sign of x0; the sign of x1 follows from the class
    magnitude = rng.uniform(0, 1, size=(n_samples, 2))
    sign0 = rng.choice([-1.0, 1.0], size=n_samples)
    sign1 = np.where(y == 1, -sign0, sign0)
    X = magnitude * np.stack([sign0, sign1], axis=1)
    return _finish(X, y, rng, noise)

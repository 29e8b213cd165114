"""Random numbers: ``manual_seed``, ``Generator`` and the random tensor factories.

Every random draw in retrograd comes from a ``Generator`` (the global one unless one is passed),
so that ``rg.manual_seed(0)`` makes a whole run reproducible.
"""
from __future__ import annotations

from typing import Any

from . import dtype as dtypes
from .backend import xp
from .tensor import Tensor


class Generator:
    """A seeded source of random numbers (NumPy's PCG64 underneath).

    >>> g = rg.Generator().manual_seed(0)
    >>> rg.randn(2, 3, generator=g)
    """

    def __init__(self, device: str = "cpu") -> None:
        self._seed = 67280421310721  # PyTorch's default seed
        self.numpy = xp.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> "Generator":
        """Restarts the stream from ``seed``; returns the generator."""
        if not isinstance(seed, int):
            raise TypeError(f"manual_seed expects an int, got {type(seed).__name__}")
        self._seed = seed
        self.numpy = xp.random.default_rng(seed)
        return self

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        """The full state, to restore with ``set_state`` (checkpoints use it)."""
        return self.numpy.bit_generator.state

    def set_state(self, new_state: dict) -> "Generator":
        self.numpy.bit_generator.state = new_state
        return self


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seeds the global generator, which every random function uses by default."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seeds the global generator from the operating system's entropy; returns the seed."""
    new_seed = int(xp.random.SeedSequence().entropy % (2 ** 63))
    default_generator.manual_seed(new_seed)
    return new_seed


def initial_seed() -> int:
    """The seed the global generator was last seeded with."""
    return default_generator.initial_seed()


def _numpy(generator: Generator | None):
    return (generator or default_generator).numpy


def _float_dtype(dtype) -> Any:
    np_dtype = dtypes.default_float.np_dtype if dtype is None else dtypes.to_numpy_dtype(dtype)
    if np_dtype.kind != "f":
        raise TypeError(f"random floats need a floating-point dtype, got {dtype}")
    return np_dtype


def normal_array(shape: tuple, mean: float, std: float, np_dtype,
                 generator: Generator | None = None) -> xp.ndarray:
    """An array of ``shape`` drawn from N(mean, std^2) (for ``Tensor.normal_`` and ``nn.init``)."""
    values = _numpy(generator).standard_normal(shape, dtype=xp.float64 if np_dtype not in (
        xp.float32, xp.float64) else np_dtype)
    if std != 1:
        values *= std
    if mean != 0:
        values += mean
    return values.astype(np_dtype, copy=False)


def uniform_array(shape: tuple, low: float, high: float, np_dtype,
                  generator: Generator | None = None) -> xp.ndarray:
    """An array of ``shape`` drawn from U(low, high) (for ``Tensor.uniform_`` and ``nn.init``)."""
    values = _numpy(generator).random(shape, dtype=xp.float64 if np_dtype not in (
        xp.float32, xp.float64) else np_dtype)
    if (low, high) != (0, 1):
        values *= high - low
        values += low
    return values.astype(np_dtype, copy=False)


def _size(size: tuple) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    return tuple(int(s) for s in size)


def rand(*size: int, generator: Generator | None = None, dtype=None,
         requires_grad: bool = False) -> Tensor:
    """Samples of U(0, 1) with the given shape (float32 by default)."""
    return Tensor(uniform_array(_size(size), 0.0, 1.0, _float_dtype(dtype), generator),
                  requires_grad=requires_grad)


def randn(*size: int, generator: Generator | None = None, dtype=None,
          requires_grad: bool = False) -> Tensor:
    """Samples of N(0, 1) with the given shape (float32 by default)."""
    return Tensor(normal_array(_size(size), 0.0, 1.0, _float_dtype(dtype), generator),
                  requires_grad=requires_grad)


def randint(low: int, high: int | None = None, size: tuple = (), *,
            generator: Generator | None = None, dtype=None) -> Tensor:
    """Integers drawn uniformly from [low, high) (``randint(high, size)`` means low = 0)."""
    if isinstance(high, (tuple, list)):  # randint(high, size), as PyTorch allows
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    np_dtype = dtypes.int64.np_dtype if dtype is None else dtypes.to_numpy_dtype(dtype)
    return Tensor(_numpy(generator).integers(low, high, size=_size((size,)) if isinstance(
        size, int) else tuple(size)).astype(np_dtype))


def randperm(n: int, *, generator: Generator | None = None) -> Tensor:
    """A random permutation of 0..n-1 (int64)."""
    return Tensor(_numpy(generator).permutation(n).astype(xp.int64))


def rand_like(input: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    """Samples of U(0, 1) in ``input``'s shape (and dtype, unless ``dtype`` is given)."""
    return rand(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randn_like(input: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    """Samples of N(0, 1) in ``input``'s shape (and dtype, unless ``dtype`` is given)."""
    return randn(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)

"""Random numbers: ``manual_seed``, ``Generator`` and the arrays the random factories fill
(``rand``, ``randn``... are in ``creation``, with the other factories).

Every random draw in retrograd comes from a ``Generator`` (the global one unless one is passed),
so that ``rg.manual_seed(0)`` makes a whole run reproducible.
"""
from __future__ import annotations

from typing import Any

from . import dtype as dtypes
from .backend import xp


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


def numpy_generator(generator: Generator | None):
    """The NumPy generator behind ``generator`` (the global one for None)."""
    return (generator or default_generator).numpy


def float_dtype(dtype) -> Any:
    """The NumPy dtype of random floats for ``dtype`` (float32 for None); refuses others."""
    np_dtype = dtypes.default_float.np_dtype if dtype is None else dtypes.to_numpy_dtype(dtype)
    if np_dtype.kind != "f":
        raise TypeError(f"random floats need a floating-point dtype, got {dtype}")
    return np_dtype


def normal_array(shape: tuple, mean: float, std: float, np_dtype,
                 generator: Generator | None = None) -> xp.ndarray:
    """An array of ``shape`` drawn from N(mean, std^2) (for ``Tensor.normal_`` and ``nn.init``)."""
    values = numpy_generator(generator).standard_normal(shape, dtype=xp.float64 if np_dtype not in (
        xp.float32, xp.float64) else np_dtype)
    if std != 1:
        values *= std
    if mean != 0:
        values += mean
    return values.astype(np_dtype, copy=False)


def uniform_array(shape: tuple, low: float, high: float, np_dtype,
                  generator: Generator | None = None) -> xp.ndarray:
    """An array of ``shape`` drawn from U(low, high) (for ``Tensor.uniform_`` and ``nn.init``)."""
    values = numpy_generator(generator).random(shape, dtype=xp.float64 if np_dtype not in (
        xp.float32, xp.float64) else np_dtype)
    if (low, high) != (0, 1):
        values *= high - low
        values += low
    return values.astype(np_dtype, copy=False)

"""Tensor factories: ``tensor``, ``zeros``, ``ones``, ``arange``, ``eye``, ``rand``, ``randn``...
(float32 by default)."""
from __future__ import annotations

from typing import Any

from . import dtype as dtypes
from .backend import ndarray, xp
from .random import Generator, float_dtype, normal_array, numpy_generator, uniform_array
from .tensor import Tensor, as_array


def tensor(data: Any, dtype=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (a number, nested lists, or an array).

    Python floats give float32, ints int64, bools bool; a NumPy array keeps its dtype.
    """
    array = as_array(data, dtype)
    if array is data or (isinstance(data, Tensor) and array is data.array):
        array = array.copy()
    return Tensor(array, requires_grad=requires_grad)


def as_tensor(data: Any, dtype=None) -> Tensor:
    """Like ``tensor`` but shares memory with ``data`` when it already is a suitable array."""
    if isinstance(data, Tensor) and dtype is None:
        return data
    return Tensor(as_array(data, dtype))


def from_numpy(array: ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (changes to one show in the other)."""
    if not isinstance(array, ndarray):
        raise TypeError(f"from_numpy expects a NumPy array, got {type(array).__name__}")
    dtypes.from_numpy_dtype(array.dtype)
    return Tensor(array)


def _size(size: tuple) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    return tuple(int(s) for s in size)


def _dtype(dtype):
    return dtypes.default_float if dtype is None else dtype


def zeros(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros with the given shape."""
    return Tensor(xp.zeros(_size(size), dtypes.to_numpy_dtype(_dtype(dtype))),
                  requires_grad=requires_grad)


def ones(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones with the given shape."""
    return Tensor(xp.ones(_size(size), dtypes.to_numpy_dtype(_dtype(dtype))),
                  requires_grad=requires_grad)


def empty(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor with the given shape."""
    return Tensor(xp.empty(_size(size), dtypes.to_numpy_dtype(_dtype(dtype))),
                  requires_grad=requires_grad)


def full(size, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value`` (its dtype follows the value, as in PyTorch)."""
    if dtype is None:
        dtype = dtypes.bool_ if isinstance(fill_value, bool) else \
            dtypes.int64 if isinstance(fill_value, int) else dtypes.float32
    return Tensor(xp.full(_size((size,)) if isinstance(size, int) else tuple(size), fill_value,
                          dtypes.to_numpy_dtype(dtype)), requires_grad=requires_grad)


def eye(n: int, m: int | None = None, dtype=None, requires_grad: bool = False) -> Tensor:
    """The n x m identity matrix."""
    return Tensor(xp.eye(n, m, dtype=dtypes.to_numpy_dtype(_dtype(dtype))),
                  requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad: bool = False) -> Tensor:
    """Values from ``start`` to ``end`` (excluded) by ``step``; int64 when all are ints."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise ValueError(f"arange: cannot go from {start} to {end} by steps of {step}; use a "
                         f"step of the other sign")
    if dtype is None:
        integral = all(isinstance(v, int) for v in (start, end, step))
        dtype = dtypes.int64 if integral else dtypes.float32
    return Tensor(xp.arange(start, end, step).astype(dtypes.to_numpy_dtype(dtype)),
                  requires_grad=requires_grad)


def linspace(start: float, end: float, steps: int, dtype=None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` (both included)."""
    return Tensor(xp.linspace(start, end, steps).astype(dtypes.to_numpy_dtype(_dtype(dtype))),
                  requires_grad=requires_grad)


def zeros_like(input: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    """Zeros of ``input``'s shape (and dtype, unless ``dtype`` is given)."""
    return zeros(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def ones_like(input: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    """Ones of ``input``'s shape (and dtype, unless ``dtype`` is given)."""
    return ones(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value: float, dtype=None,
              requires_grad: bool = False) -> Tensor:
    """``fill_value`` everywhere, in ``input``'s shape (and dtype, unless ``dtype`` is given)."""
    return full(input.shape, fill_value, dtype=dtype or input.dtype, requires_grad=requires_grad)


def empty_like(input: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor of ``input``'s shape (and dtype, unless ``dtype`` is given)."""
    return empty(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def rand(*size: int, generator: Generator | None = None, dtype=None,
         requires_grad: bool = False) -> Tensor:
    """Samples of U(0, 1) with the given shape (float32 by default)."""
    return Tensor(uniform_array(_size(size), 0.0, 1.0, float_dtype(dtype), generator),
                  requires_grad=requires_grad)


def randn(*size: int, generator: Generator | None = None, dtype=None,
          requires_grad: bool = False) -> Tensor:
    """Samples of N(0, 1) with the given shape (float32 by default)."""
    return Tensor(normal_array(_size(size), 0.0, 1.0, float_dtype(dtype), generator),
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
    return Tensor(numpy_generator(generator).integers(low, high, size=_size((size,)) if isinstance(
        size, int) else tuple(size)).astype(np_dtype))


def randperm(n: int, *, generator: Generator | None = None) -> Tensor:
    """A random permutation of 0..n-1 (int64)."""
    return Tensor(numpy_generator(generator).permutation(n).astype(xp.int64))


def rand_like(input: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    """Samples of U(0, 1) in ``input``'s shape (and dtype, unless ``dtype`` is given)."""
    return rand(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randn_like(input: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    """Samples of N(0, 1) in ``input``'s shape (and dtype, unless ``dtype`` is given)."""
    return randn(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)

"""Tensor factories: ``tensor``, ``zeros``, ``ones``, ``arange``, ``eye``, ``rand``, ``randn``...
(float32 by default)."""
from __future__ import annotations

from typing import Any, Callable

from . import dtype as dtypes
from .backend import backend_for, ndarray, xp
from .device import DeviceLike, as_device, checked_index, to_device
from .random import (
    Generator,
    float_dtype,
    integers_array,
    normal_array,
    permutation_array,
    uniform_array,
)
from .tensor import Tensor, as_array


def tensor(data: Any, dtype=None, device: DeviceLike = None,
           requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (a number, nested lists, or an array), on
    ``device`` (the default device, "cpu" unless ``rg.set_default_device`` changed it).

    Python floats give float32, ints int64, bools bool; a NumPy array keeps its dtype.
    """
    array = as_array(data, dtype)
    moved = to_device(array, as_device(device))
    if moved is array and (array is data or (isinstance(data, Tensor) and array is data.array)):
        moved = array.copy()
    return Tensor(moved, requires_grad=requires_grad)


def as_tensor(data: Any, dtype=None, device: DeviceLike = None) -> Tensor:
    """Like ``tensor`` but shares memory with ``data`` when it already is a suitable array on
    ``device`` (by default a tensor's own device, else the default device)."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype)
    return Tensor(to_device(as_array(data, dtype), as_device(device)))


def from_numpy(array: ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (changes to one show in the other)."""
    if not isinstance(array, ndarray):
        raise TypeError(f"from_numpy expects a NumPy array, got {type(array).__name__}")
    dtypes.from_numpy_dtype(array.dtype)
    return Tensor(array)


def _size(size: tuple | list) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    return tuple(int(s) for s in size)


def _dtype(dtype):
    return dtypes.default_float if dtype is None else dtype


def _on(device: DeviceLike, build: Any) -> Any:
    """``build(module)``'s array, made directly on ``device`` with that device's array module."""
    target = as_device(device)
    if target.type == "cpu":
        return build(xp)
    backend = backend_for(target.type)
    with backend.on_device(checked_index(backend, target)):
        return build(backend.module)


def zeros(*size, dtype=None, device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros with the given shape."""
    shape, np_dtype = _size(size), dtypes.to_numpy_dtype(_dtype(dtype))
    return Tensor(_on(device, lambda m: m.zeros(shape, np_dtype)), requires_grad=requires_grad)


def ones(*size, dtype=None, device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones with the given shape."""
    shape, np_dtype = _size(size), dtypes.to_numpy_dtype(_dtype(dtype))
    return Tensor(_on(device, lambda m: m.ones(shape, np_dtype)), requires_grad=requires_grad)


def empty(*size, dtype=None, device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor with the given shape."""
    shape, np_dtype = _size(size), dtypes.to_numpy_dtype(_dtype(dtype))
    return Tensor(_on(device, lambda m: m.empty(shape, np_dtype)), requires_grad=requires_grad)


def full(size, fill_value, dtype=None, device: DeviceLike = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value`` (its dtype follows the value, as in PyTorch)."""
    if dtype is None:
        dtype = dtypes.bool_ if isinstance(fill_value, bool) else \
            dtypes.int64 if isinstance(fill_value, int) else dtypes.default_float
    shape = _size((size,)) if isinstance(size, int) else tuple(size)
    np_dtype = dtypes.to_numpy_dtype(dtype)
    return Tensor(_on(device, lambda m: m.full(shape, fill_value, np_dtype)),
                  requires_grad=requires_grad)


def eye(n: int, m: int | None = None, dtype=None, device: DeviceLike = None,
        requires_grad: bool = False) -> Tensor:
    """The n x m identity matrix."""
    np_dtype = dtypes.to_numpy_dtype(_dtype(dtype))
    return Tensor(_on(device, lambda module: module.eye(n, m, dtype=np_dtype)),
                  requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device: DeviceLike = None,
           requires_grad: bool = False) -> Tensor:
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
        dtype = dtypes.int64 if integral else dtypes.default_float
    np_dtype = dtypes.to_numpy_dtype(dtype)
    return Tensor(_on(device, lambda m: m.arange(start, end, step).astype(np_dtype)),
                  requires_grad=requires_grad)


def linspace(start: float, end: float, steps: int, dtype=None, device: DeviceLike = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` (both included)."""
    np_dtype = dtypes.to_numpy_dtype(_dtype(dtype))
    return Tensor(_on(device, lambda m: m.linspace(start, end, steps).astype(np_dtype)),
                  requires_grad=requires_grad)


def full_like(input: Tensor, fill_value: float, dtype=None, device: DeviceLike = None,
              requires_grad: bool = False) -> Tensor:
    """``fill_value`` everywhere, in ``input``'s shape (and dtype, unless ``dtype`` is given)."""
    return full(input.shape, fill_value, dtype=dtype or input.dtype,
                device=device or input.device, requires_grad=requires_grad)


def rand(*size: int, generator: Generator | None = None, dtype=None,
         device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """Samples of U(0, 1) with the given shape (float32 by default)."""
    return Tensor(uniform_array(_size(size), 0.0, 1.0, float_dtype(dtype), generator,
                                as_device(device)), requires_grad=requires_grad)


def randn(*size: int, generator: Generator | None = None, dtype=None,
          device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """Samples of N(0, 1) with the given shape (float32 by default)."""
    return Tensor(normal_array(_size(size), 0.0, 1.0, float_dtype(dtype), generator,
                               as_device(device)), requires_grad=requires_grad)


def randint(low: int, high: int | None = None, size: tuple = (), *,
            generator: Generator | None = None, dtype=None, device: DeviceLike = None) -> Tensor:
    """Integers drawn uniformly from [low, high) (``randint(high, size)`` means low = 0)."""
    if isinstance(high, (tuple, list)):  # randint(high, size), as PyTorch allows
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    np_dtype = dtypes.int64.np_dtype if dtype is None else dtypes.to_numpy_dtype(dtype)
    shape = _size((size,)) if isinstance(size, int) else tuple(size)
    return Tensor(integers_array(low, high, shape, np_dtype, generator, as_device(device)))


def randperm(n: int, *, generator: Generator | None = None, device: DeviceLike = None) -> Tensor:
    """A random permutation of 0..n-1 (int64)."""
    return Tensor(permutation_array(n, generator, as_device(device)))


def _like(factory: Callable[..., Tensor], values: str) -> Callable[..., Tensor]:
    """``factory``'s ``*_like`` twin: its values in ``input``'s shape, dtype and device."""
    def like(input: Tensor, dtype=None, device: DeviceLike = None,
             requires_grad: bool = False) -> Tensor:
        return factory(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                       requires_grad=requires_grad)
    like.__name__ = like.__qualname__ = f"{factory.__name__}_like"
    like.__doc__ = (f"{values} in ``input``'s shape, dtype and device (unless ``dtype`` or "
                    f"``device`` is given).")
    return like


zeros_like = _like(zeros, "Zeros")
ones_like = _like(ones, "Ones")
empty_like = _like(empty, "An uninitialised tensor")
rand_like = _like(rand, "Samples of U(0, 1)")
randn_like = _like(randn, "Samples of N(0, 1)")

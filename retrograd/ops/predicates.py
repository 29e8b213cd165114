"""Predicates, without gradient: isnan, isinf, isposinf, isneginf, isfinite, isclose, and the
logical reductions any and all (PyTorch's dtypes: bool, or uint8 for a uint8 input)."""
from __future__ import annotations

from .. import dtype as dtypes
from ..backend import array_module
from ..device import on_one_device
from ..recording import array_function
from ..tensor import Tensor
from .reduction import normalize_dims


def _checked(name: str, input) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")
    return input


def _test(name: str, input: Tensor) -> Tensor:
    """The array module's elementwise test ``name`` of ``input``, a bool tensor."""
    return Tensor(array_function(name, _checked(name, input).array))


def isnan(input: Tensor) -> Tensor:
    """True where an element is NaN (never for integers)."""
    return _test("isnan", input)


def isinf(input: Tensor) -> Tensor:
    """True where an element is +inf or -inf."""
    return _test("isinf", input)


def isposinf(input: Tensor) -> Tensor:
    """True where an element is +inf."""
    return _test("isposinf", input)


def isneginf(input: Tensor) -> Tensor:
    """True where an element is -inf."""
    return _test("isneginf", input)


def isfinite(input: Tensor) -> Tensor:
    """True where an element is neither NaN nor infinite (always for integers)."""
    return _test("isfinite", input)


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """True where ``|input - other| <= atol + rtol * |other|`` (broadcasting), or where both
    are equal (infinities of one sign included); NaNs are close only with ``equal_nan``. Both
    need one dtype; integers are compared in the default float dtype, as in PyTorch."""
    _checked("isclose", input)
    if not isinstance(other, Tensor):
        raise TypeError(f"isclose(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")
    if input.dtype != other.dtype:
        raise RuntimeError(f"isclose: {input.dtype} did not match {other.dtype}; convert one "
                           f"of them with .to(...)")
    for name, value in (("rtol", rtol), ("atol", atol)):
        if value < 0:
            raise RuntimeError(f"isclose: {name} must be greater than or equal to zero, but "
                               f"got {value}")
    a, b = input.array, other.array
    if type(a) is not type(b):
        a, b = on_one_device([a, b])
    xp = array_module(a)
    close = a == b
    if a.dtype.kind == "f" and equal_nan:
        close |= xp.isnan(a) & xp.isnan(b)
    if rtol == 0 and atol == 0:
        return Tensor(close)
    if a.dtype.kind != "f":
        a, b = a.astype(dtypes.default_float.np_dtype), b.astype(dtypes.default_float.np_dtype)
    allowed = atol + xp.abs(rtol * b)
    actual = xp.abs(a - b)
    close |= xp.isfinite(actual) & (actual <= allowed)
    return Tensor(close)


def _logical(name: str, input: Tensor, dim, keepdim: bool) -> Tensor:
    array = _checked(name, input).array
    axes = normalize_dims(dim, array.ndim, name)
    result = getattr(array, name)(axis=axes, keepdims=keepdim)
    result = array_module(array).asarray(result)
    return Tensor(result.astype(array.dtype) if array.dtype == dtypes.uint8.np_dtype else result)


def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """True where some element along ``dim`` (an int or a tuple; all by default) is nonzero;
    uint8 for a uint8 input, as in PyTorch, else bool."""
    return _logical("any", input, dim, keepdim)


def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """True where every element along ``dim`` (an int or a tuple; all by default) is nonzero;
    uint8 for a uint8 input, as in PyTorch, else bool."""
    return _logical("all", input, dim, keepdim)

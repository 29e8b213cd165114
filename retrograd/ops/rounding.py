"""Rounding and integer division: round, floor, ceil, trunc, frac, floor_divide (``//``),
remainder (``%``, Python's sign) and fmod (C's sign), with PyTorch's dtypes and gradients.

round, floor, ceil and trunc are piecewise constant: their gradient is zero, as in PyTorch.
floor_divide has no derivative in PyTorch: its result requires grad, but backward through it
raises. Integer tensors keep their dtype; an integer division by zero raises, as in PyTorch.
"""
from __future__ import annotations

import contextlib

from ..autograd.function import Op
from ..backend import array_module, ndarray
from ..backend import xp as host
from ..tensor import Tensor
from .promotion import BinaryOp, result_dtype


def _module(*operands):
    """The array module of the first array among ``operands`` (numbers mix with any)."""
    return array_module(next(o for o in operands if not isinstance(o, (int, float))))


def _quietly(*operands) -> contextlib.AbstractContextManager:
    """A context where float division by zero gives inf or nan without NumPy's warning (CuPy
    never warns, and has no ``errstate``)."""
    if any(isinstance(o, ndarray) for o in operands):
        return host.errstate(divide="ignore", invalid="ignore")
    return contextlib.nullcontext()


def _refuse_integer_zero(name: str, a, b) -> None:
    """PyTorch's error for an integer division by zero (NumPy would give 0 with a warning)."""
    dtype = a.dtype if hasattr(a, "dtype") else b.dtype
    if dtype.kind in "iu" and bool((b == 0).any() if hasattr(b, "any") else b == 0):
        raise RuntimeError(f"ZeroDivisionError: {name} of an integer tensor by zero")


class _PiecewiseConstant(Op):
    """An operation whose derivative is zero wherever it exists (round, floor, ceil, trunc)."""

    @staticmethod
    def backward(ctx, grad):
        return grad * 0


class Round(_PiecewiseConstant):
    @staticmethod
    def forward(ctx, x, decimals=0):
        xp = array_module(x)
        if decimals == 0:
            return xp.rint(x)  # halves to even, as PyTorch
        if decimals > 0:  # PyTorch's order of operations, for the same float rounding
            scale = 10.0 ** decimals
            return xp.rint(x * scale) / scale
        scale = 10.0 ** -decimals
        return xp.rint(x / scale) * scale


class Floor(_PiecewiseConstant):
    @staticmethod
    def forward(ctx, x):
        return array_module(x).floor(x)


class Ceil(_PiecewiseConstant):
    @staticmethod
    def forward(ctx, x):
        return array_module(x).ceil(x)


class Trunc(_PiecewiseConstant):
    @staticmethod
    def forward(ctx, x):
        return array_module(x).trunc(x)


class Frac(Op):
    @staticmethod
    def forward(ctx, x):
        return x - array_module(x).trunc(x)

    @staticmethod
    def backward(ctx, grad):
        return grad  # x - trunc(x): slope 1 between the integers


class FloorDivide(BinaryOp):
    @staticmethod
    def forward(ctx, a, b):
        _refuse_integer_zero("floor_divide", a, b)
        with _quietly(a, b):
            return _module(a, b).floor_divide(a, b)

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for aten::floor_divide is not implemented")


class Remainder(BinaryOp):
    """``a - b q(a / b)`` with ``q`` floor (Python's ``%``); Fmod is the same with trunc: each
    names its array function and its quotient, a constant between the jumps."""

    _function = "remainder"

    @staticmethod
    def forward(ctx, a, b):
        _refuse_integer_zero(ctx._function, a, b)
        if ctx.needs_input_grad[1]:
            ctx.save_for_backward(a, b)
        with _quietly(a, b):
            return getattr(_module(a, b), ctx._function)(a, b)

    @staticmethod
    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        grad_b = None
        if need_b:  # d/db (a - b q) = -q
            a, b = (_raw(v) for v in ctx.saved_tensors)
            with _quietly(a, b):
                grad_b = -grad * ctx.quotient(a, b)
        return (grad if need_a else None), grad_b

    @staticmethod
    def quotient(a, b):
        return _module(a, b).floor_divide(a, b)


class RemainderOfNumber(Remainder):
    """``number % tensor``, which PyTorch does not differentiate."""

    torch_name = "Remainder"

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for aten::remainder is not implemented")


class Fmod(Remainder):
    _function = "fmod"

    @staticmethod
    def quotient(a, b):
        return _module(a, b).trunc(a / b)


def _raw(value):
    """The array of a saved Tensor (under create_graph): the quotient is a constant."""
    return value.array if isinstance(value, Tensor) else value


def _rounded(op, name: str, input: Tensor, **options) -> Tensor:
    """``op`` on a float tensor; an integer tensor is already whole (a copy, as PyTorch)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not "
                        f"{type(input).__name__}")
    kind = input.array.dtype.kind
    if kind == "b" or (kind != "f" and options.get("decimals", 0)):
        raise NotImplementedError(f"{name} is not implemented for {input.dtype} tensors; "
                                  f"convert with .float() first")
    if kind != "f":
        return Tensor(input.array.copy())
    return op.apply(input, **options)


def round(input: Tensor, *, decimals: int = 0) -> Tensor:
    """Rounds to the nearest integer (halves to even: 2.5 -> 2), or to ``decimals`` decimal
    places (negative: to tens, hundreds...). Zero gradient."""
    return _rounded(Round, "round", input, decimals=decimals)


def floor(input: Tensor) -> Tensor:
    """The largest integer <= each element. Zero gradient."""
    return _rounded(Floor, "floor", input)


def ceil(input: Tensor) -> Tensor:
    """The smallest integer >= each element. Zero gradient."""
    return _rounded(Ceil, "ceil", input)


def trunc(input: Tensor) -> Tensor:
    """Each element rounded toward zero. Zero gradient."""
    return _rounded(Trunc, "trunc", input)


def fix(input: Tensor) -> Tensor:
    """``trunc`` (PyTorch's alias)."""
    return trunc(input)


def frac(input: Tensor) -> Tensor:
    """The fractional part ``input - trunc(input)`` (the sign of input). Gradient 1."""
    if not isinstance(input, Tensor) or input.array.dtype.kind != "f":
        raise NotImplementedError(f"frac needs a floating-point tensor, got "
                                  f"{getattr(input, 'dtype', type(input).__name__)}")
    return Frac.apply(input)


def _check_division(name: str, input, other) -> None:
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(f"{name}(): expected a Tensor operand, got {type(input).__name__} and "
                        f"{type(other).__name__}")
    dtype = result_dtype(input, other)
    if dtype is not None and dtype.kind == "b":
        raise NotImplementedError(f"{name} is not implemented for bool tensors; convert them "
                                  f"with .long() first")


def floor_divide(input, other) -> Tensor:
    """``floor(input / other)`` elementwise (``//``), broadcasting, in ``torch.result_type``:
    integers stay integers (-7 // 2 = -4). Not differentiable (backward raises, as PyTorch)."""
    _check_division("floor_divide", input, other)
    return FloorDivide.apply(input, other)


def remainder(input, other) -> Tensor:
    """``input - other * floor(input / other)`` (``%``): the sign of ``other``, as Python's
    ``%``. Gradients: 1 for input, ``-floor(input / other)`` for other (none when input is
    a number: backward raises, as in PyTorch)."""
    _check_division("remainder", input, other)
    if not isinstance(input, Tensor):  # a number: as in PyTorch, no derivative
        return RemainderOfNumber.apply(input, other)
    return Remainder.apply(input, other)


def fmod(input: Tensor, other) -> Tensor:
    """``input - other * trunc(input / other)``: the sign of ``input``, as C's ``fmod``.
    Gradients: 1 for input, ``-trunc(input / other)`` for other."""
    if not isinstance(input, Tensor):
        raise TypeError(f"fmod(): argument 'input' must be Tensor, not {type(input).__name__}")
    _check_division("fmod", input, other)
    return Fmod.apply(input, other)

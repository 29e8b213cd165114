"""Elementwise mathematical functions: exp, log, sqrt, trigonometry, clamp, maximum, where."""
from __future__ import annotations

import math

from ..autograd.function import Op
from ..backend import array_module
from ..device import device_of
from ..device import to_device as move_array
from ..recording import array_method
from ..tensor import Tensor
from . import array_or_tensor as aot
from . import kernels
from .out import supports_out
from .promotion import BinaryOp, promote_operands, result_dtype


class Exp(Op):
    @staticmethod
    def forward(ctx, x):
        y = array_module(x).exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        y, = ctx.saved_tensors
        return grad * y  # d e^x/dx = e^x


class Log(Op):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return array_module(x).log(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad / x


class Log1p(Op):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return array_module(x).log1p(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad / (1 + x)


class Sqrt(Op):
    @staticmethod
    def forward(ctx, x):
        y = array_module(x).sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        y, = ctx.saved_tensors
        return grad / (2 * y)


class Sin(Op):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return array_module(x).sin(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * aot.cos(x)


class Cos(Op):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return array_module(x).cos(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return -grad * aot.sin(x)


class Tanh(Op):
    @staticmethod
    def forward(ctx, x):
        y = array_module(x).tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        y, = ctx.saved_tensors
        return grad * (1 - y * y)  # d tanh/dx = 1 - tanh^2


class Erf(Op):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return kernels.erf(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * (2 / math.sqrt(math.pi)) * aot.exp(-x * x)


class Clamp(Op):
    @staticmethod
    def forward(ctx, x, min=None, max=None):
        ctx.save_for_backward(x)
        ctx.min, ctx.max = min, max
        return array_module(x).clip(x, min, max)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        # the gradient passes where the value was kept (bounds included), as in PyTorch
        if ctx.max is None:
            inside = x >= ctx.min
        elif ctx.min is None:
            inside = x <= ctx.max
        else:
            inside = (x >= ctx.min) & (x <= ctx.max)
        return grad * inside


class ClampTensor(Op):
    torch_name = "Clamp"

    @staticmethod
    def forward(ctx, x, low, high):
        ctx.save_for_backward(x, low, high)
        xp = array_module(x)
        out = x if low is None else xp.maximum(x, low)
        return out if high is None else xp.minimum(out, high)

    @staticmethod
    def backward(ctx, grad):
        x, low, high = ctx.saved_tensors
        need_x, need_low, need_high = ctx.needs_input_grad
        # PyTorch's subgradients: x where it was kept (bounds included); a bound where it
        # was the value, and with low > high the result is high, whose gradient it is
        if low is None:
            kept, below, above = x <= high, None, x > high
        elif high is None:
            kept, below, above = x >= low, x < low, None
        else:
            kept = (x >= low) & (x <= high)
            below, above = (x < low) & (low < high), (x > high) | (high < low)
        return (grad * kept if need_x else None, grad * below if need_low else None,
                grad * above if need_high else None)


class Maximum(BinaryOp):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return array_module(a).maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        # max routes the gradient to the larger input; a tie splits it in half (PyTorch)
        half_on_ties = (grad * 0.5) * (a == b)
        return grad * (a > b) + half_on_ties, grad * (a < b) + half_on_ties


class Minimum(BinaryOp):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return array_module(a).minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        half_on_ties = (grad * 0.5) * (a == b)
        return grad * (a < b) + half_on_ties, grad * (a > b) + half_on_ties


class Where(Op):
    @staticmethod
    def forward(ctx, condition, a, b):
        ctx.save_for_backward(condition)
        return array_module(condition).where(condition, a, b)

    @staticmethod
    def backward(ctx, grad):
        condition, = ctx.saved_tensors
        _, need_a, need_b = ctx.needs_input_grad
        return (None,
                aot.where(condition, grad, 0.0) if need_a else None,
                aot.where(condition, 0.0, grad) if need_b else None)


@supports_out
def exp(input: Tensor) -> Tensor:
    """Elementwise ``e^x``."""
    return Exp.apply(input)


def log(input: Tensor) -> Tensor:
    """Elementwise natural logarithm."""
    return Log.apply(input)


def log1p(input: Tensor) -> Tensor:
    """Elementwise ``log(1 + x)``, accurate for small x."""
    return Log1p.apply(input)


def sqrt(input: Tensor) -> Tensor:
    """Elementwise square root."""
    return Sqrt.apply(input)


def sin(input: Tensor) -> Tensor:
    """Elementwise sine."""
    return Sin.apply(input)


def cos(input: Tensor) -> Tensor:
    """Elementwise cosine."""
    return Cos.apply(input)


def tanh(input: Tensor) -> Tensor:
    """Elementwise hyperbolic tangent, in (-1, 1)."""
    return Tanh.apply(input)


def erf(input: Tensor) -> Tensor:
    """Elementwise error function, accurate to a few ulp in float64 (W. J. Cody's
    approximations)."""
    return Erf.apply(input)


@supports_out
def clamp(input: Tensor, min: float | Tensor | None = None,
          max: float | Tensor | None = None) -> Tensor:
    """Clips every element into ``[min, max]`` (``min(max(input, min), max)``: max wins when
    min > max); at least one bound must be given. The bounds are both numbers or both Tensors
    (broadcast with input, and given their gradients). The result has ``torch.result_type``
    of input and the bounds (an integer tensor clamped to 0.5 is float32)."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    bounds = [bound for bound in (min, max) if bound is not None]
    tensors = [isinstance(bound, Tensor) for bound in bounds]
    if any(tensors) and not all(tensors):
        raise TypeError(f"clamp() received an invalid combination of arguments: min and max "
                        f"are both Tensors or both numbers, got {type(min).__name__} and "
                        f"{type(max).__name__}")
    dtype = result_dtype(input, *bounds)
    if dtype is not None and dtype != input.array.dtype:
        input = input.to(dtype)
    if not any(tensors):
        return Clamp.apply(input, min=min, max=max)
    min, max = (None if bound is None else bound.to(input.array.dtype)  # type: ignore[union-attr]
                for bound in (min, max))  # both Tensors here (checked above)
    return ClampTensor.apply(input, min, max)


def maximum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise maximum of two tensors, broadcasting."""
    return Maximum.apply(input, other)


def minimum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise minimum of two tensors, broadcasting."""
    return Minimum.apply(input, other)


def where(condition, input=None, other=None):
    """``input`` where ``condition`` is true, else ``other``, broadcasting all three; the
    result has their ``torch.result_type``. ``where(condition)`` alone is
    ``nonzero(condition, as_tuple=True)``: one int64 tensor of indices per dimension."""
    if input is None and other is None:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    if input is None or other is None:
        raise TypeError("where() takes a condition alone, or a condition, input and other")
    if not (isinstance(input, Tensor) and isinstance(other, Tensor)
            and input.array.dtype is other.array.dtype):
        input, other = promote_operands(input, other)
    if isinstance(condition, Tensor):  # apply checks that it is on the operands' device
        if condition.array.dtype != bool:
            condition = Tensor(condition.array.astype(bool))
    else:  # host data (a bool, a list, a NumPy array): made on the operands' device
        operand = input if isinstance(input, Tensor) else other
        xp = array_module(operand.array if isinstance(operand, Tensor) else condition)
        condition = Tensor(xp.asarray(condition, dtype=bool))
    return Where.apply(condition, input, other)


class Sign(Op):
    @staticmethod
    def forward(ctx, x):
        return array_module(x).sign(x)

    @staticmethod
    def backward(ctx, grad):
        return grad * 0  # piecewise constant: zero gradient, as in PyTorch


class Clone(Op):
    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


class Cast(Op):
    _float32_from_integers = False  # the requested dtype is the dtype

    @staticmethod
    def forward(ctx, x, dtype):
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad  # the engine casts the gradient back to the input's dtype


class ToDevice(Op):
    _float32_from_integers = False

    @staticmethod
    def forward(ctx, x, device):
        ctx.source = device_of(x)
        return move_array(x, device)

    @staticmethod
    def backward(ctx, grad):
        if isinstance(grad, Tensor):
            return grad.to(ctx.source)
        return move_array(grad, ctx.source)


def to_device(input: Tensor, device) -> Tensor:
    """``input`` copied to ``device`` (an ``rg.device``); the gradient flows back to where
    ``input`` is."""
    if not input.array.dtype.kind == "f":  # no gradient to carry
        return Tensor(move_array(input.array, device))
    return ToDevice.apply(input, device=device)


def sign(input: Tensor) -> Tensor:
    """-1, 0 or 1 by the sign of each element (zero gradient)."""
    return Sign.apply(input)


def cast(input: Tensor, np_dtype) -> Tensor:
    """``input`` converted to another dtype; differentiable between floating-point types."""
    if input.array.dtype == np_dtype:
        return input
    if np_dtype.kind != "f":  # integer and bool tensors carry no gradient
        return Tensor(array_method(input.array, "astype", np_dtype))
    return Cast.apply(input, dtype=np_dtype)

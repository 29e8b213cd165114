"""More elementwise functions: square, rsqrt, expm1, reciprocal, hyperbolic and inverse
trigonometric functions, log2/log10/exp2, and the binary atan2, hypot, logaddexp, xlogy; lerp,
addcmul and addcdiv are composed of arithmetic.

Integer inputs give float32 results, as in PyTorch (square keeps the integer dtype). Every
backward is written with operators and the helpers below, which work on raw arrays and on
Tensors, so each function is twice differentiable.
"""
from __future__ import annotations

import math
from typing import Any

from ..autograd.function import Op
from ..backend import array_module
from ..tensor import Tensor
from . import array_or_tensor as aot
from .out import supports_out
from .promotion import BinaryOp, result_dtype

_LN2, _LN10 = math.log(2.0), math.log(10.0)


def _call(name: str, a: Any) -> Any:
    """``name`` (a NumPy function of one array, and a Tensor method) applied to ``a``."""
    return getattr(a, name)() if isinstance(a, Tensor) else getattr(array_module(a), name)(a)


class Square(Op):
    torch_name = "Pow"  # PyTorch's square is pow(x, 2)

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * 2 * x


class Rsqrt(Op):
    @staticmethod
    def forward(ctx, x):
        y = 1 / array_module(x).sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        y, = ctx.saved_tensors
        return grad * -0.5 * y * y * y  # d x^(-1/2) = -x^(-3/2) / 2


class Reciprocal(Op):
    @staticmethod
    def forward(ctx, x):
        y = 1 / x
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        y, = ctx.saved_tensors
        return -grad * y * y


class Expm1(Op):
    @staticmethod
    def forward(ctx, x):
        y = array_module(x).expm1(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        y, = ctx.saved_tensors
        return grad * (y + 1)


class Exp2(Op):
    @staticmethod
    def forward(ctx, x):
        y = array_module(x).exp2(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        y, = ctx.saved_tensors
        return grad * y * _LN2


class Log2(Op):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return array_module(x).log2(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad / (x * _LN2)


class Log10(Op):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return array_module(x).log10(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad / (x * _LN10)


class Sinh(Op):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return array_module(x).sinh(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * _call("cosh", x)


class Cosh(Op):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return array_module(x).cosh(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * _call("sinh", x)


class Asin(Op):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return array_module(x).arcsin(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * (1 - x * x) ** -0.5


class Acos(Op):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return array_module(x).arccos(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return -grad * (1 - x * x) ** -0.5


class Atan(Op):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return array_module(x).arctan(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad / (1 + x * x)


class Atan2(BinaryOp):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return array_module(a).arctan2(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        scale = grad / (a * a + b * b)  # d atan2(a, b) = (b da - a db) / (a² + b²)
        return scale * b, -scale * a


class Hypot(BinaryOp):
    @staticmethod
    def forward(ctx, a, b):
        out = array_module(a).hypot(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        scale = grad / out
        return scale * a, scale * b


class Logaddexp(BinaryOp):
    @staticmethod
    def forward(ctx, a, b):
        out = array_module(a).logaddexp(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        return grad * aot.exp(a - out), grad * aot.exp(b - out)  # the softmax of (a, b)


class Xlogy(BinaryOp):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        xp = array_module(x if hasattr(x, "dtype") else y)
        # 0 where x is 0, unless y is NaN (PyTorch's xlogy): there log(1) = 0 stands for log(y)
        product = x * xp.log(xp.where((x == 0) & ~xp.isnan(y), 1, y))
        return product

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        # d/dx = log y (0 where x = 0: PyTorch's xlogy(x != 0, y)); d/dy = x / y
        log_y = float(math.log(y)) if isinstance(y, (int, float)) and y > 0 else aot.log(y)
        return (aot.where(x != 0, grad * log_y, 0.0) if need_x else None,
                grad * x / y if need_y else None)


@supports_out
def square(input: Tensor) -> Tensor:
    """Elementwise ``x * x`` (integers stay integers)."""
    return Square.apply(input)


@supports_out
def rsqrt(input: Tensor) -> Tensor:
    """Elementwise ``1 / sqrt(x)``."""
    return Rsqrt.apply(input)


@supports_out
def reciprocal(input: Tensor) -> Tensor:
    """Elementwise ``1 / x`` (float32 for integer inputs)."""
    return Reciprocal.apply(input)


@supports_out
def expm1(input: Tensor) -> Tensor:
    """Elementwise ``e^x - 1``, accurate for small x."""
    return Expm1.apply(input)


@supports_out
def exp2(input: Tensor) -> Tensor:
    """Elementwise ``2^x``."""
    return Exp2.apply(input)


@supports_out
def log2(input: Tensor) -> Tensor:
    """Elementwise base-2 logarithm."""
    return Log2.apply(input)


@supports_out
def log10(input: Tensor) -> Tensor:
    """Elementwise base-10 logarithm."""
    return Log10.apply(input)


@supports_out
def sinh(input: Tensor) -> Tensor:
    """Elementwise hyperbolic sine."""
    return Sinh.apply(input)


@supports_out
def cosh(input: Tensor) -> Tensor:
    """Elementwise hyperbolic cosine."""
    return Cosh.apply(input)


@supports_out
def asin(input: Tensor) -> Tensor:
    """Elementwise arcsine, NaN outside [-1, 1]."""
    return Asin.apply(input)


@supports_out
def acos(input: Tensor) -> Tensor:
    """Elementwise arccosine, NaN outside [-1, 1]."""
    return Acos.apply(input)


@supports_out
def atan(input: Tensor) -> Tensor:
    """Elementwise arctangent, in (-pi/2, pi/2)."""
    return Atan.apply(input)


@supports_out
def atan2(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise angle of the point (other, input), in [-pi, pi]; broadcasting."""
    _check_tensor("atan2", input)
    return Atan2.apply(input, other)


@supports_out
def hypot(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise ``sqrt(input² + other²)``; broadcasting. Both must be floating point."""
    _check_tensor("hypot", input)
    return Hypot.apply(input, other)


@supports_out
def logaddexp(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise ``log(e^input + e^other)``, without overflow; broadcasting."""
    _check_tensor("logaddexp", input)
    return Logaddexp.apply(input, other)


@supports_out
def xlogy(input: Tensor | float, other: Tensor | float) -> Tensor:
    """Elementwise ``input * log(other)``, 0 where input is 0 (unless other is NaN)."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError("xlogy() expects at least one Tensor operand")
    return Xlogy.apply(input, other)


def _check_tensor(name: str, value: Any) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(value).__name__}")


def _check_same_dtype(name: str, input: Tensor, other: Any, what: str) -> None:
    if isinstance(other, Tensor) and other.dtype != input.dtype:
        raise RuntimeError(f"{name}: expected dtype {input.dtype} for `{what}` but got dtype "
                           f"{other.dtype}")


@supports_out
def lerp(input: Tensor, end: Tensor, weight: float | Tensor) -> Tensor:
    """Linear interpolation ``input + weight * (end - input)``, broadcasting; ``weight`` is a
    number or a tensor. input, end (and a tensor weight) must share their floating dtype."""
    _check_tensor("lerp", input)
    _check_tensor("lerp", end)
    _check_same_dtype("lerp", input, end, "end")
    _check_same_dtype("lerp", input, weight, "weight")
    if not input.is_floating_point():
        raise RuntimeError(f"lerp: expected a floating-point input, got {input.dtype}")
    return input + weight * (end - input)


def _addc(name: str, input: Tensor, tensor1: Tensor, tensor2: Tensor, value: float,
          combine) -> Tensor:
    for argument in (input, tensor1, tensor2):
        _check_tensor(name, argument)
    # never None for tensors
    integral = result_dtype(input, tensor1, tensor2).kind in "biu"  # type: ignore[union-attr]
    if integral and isinstance(value, float):
        raise RuntimeError(f"{name}: for integral input tensors, argument 'value' must not be "
                           f"a floating point number")
    combined = combine(tensor1, tensor2)
    return input + (combined if value == 1 else value * combined)


@supports_out
def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: float = 1) -> Tensor:
    """``input + value * tensor1 * tensor2``, broadcasting all three."""
    return _addc("addcmul", input, tensor1, tensor2, value, lambda a, b: a * b)


@supports_out
def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: float = 1) -> Tensor:
    """``input + value * tensor1 / tensor2``, broadcasting all three. Integer division is
    refused, as in PyTorch."""
    for argument in (tensor1, tensor2):
        if isinstance(argument, Tensor) and not argument.is_floating_point():
            raise RuntimeError("Integer division with addcdiv is no longer supported, and in a "
                               "future release addcdiv will perform a true division of tensor1 "
                               "and tensor2. Use tensor1 / tensor2 or torch.div instead.")
    return _addc("addcdiv", input, tensor1, tensor2, value, lambda a, b: a / b)

"""Activation functions: sigmoid, ReLU and its relatives, GELU, softplus, SiLU, Mish,
log-sigmoid, hardtanh, softmax, log-softmax.

Every one is written to stay finite for extreme inputs (softmax of x + 1000 is finite).
"""
from __future__ import annotations

import math

from ..autograd.function import Op
from ..backend import array_module
from ..tensor import Tensor
from . import array_or_tensor as aot
from . import kernels
from .elementwise import where


class Sigmoid(Op):
    @staticmethod
    def forward(ctx, x):
        y = kernels.stable_sigmoid(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        y, = ctx.saved_tensors
        return grad * y * (1 - y)  # s' = s (1 - s) <= 1/4: sigmoid never fully blocks


class ReLU(Op):
    torch_name = "Relu"

    @staticmethod
    def forward(ctx, x):
        y = array_module(x).maximum(x, 0)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        y, = ctx.saved_tensors
        return grad * (y > 0)  # the Heaviside step: ReLU blocks where it is inactive


class LeakyReLU(Op):
    @staticmethod
    def forward(ctx, x, negative_slope=0.01):
        ctx.save_for_backward(x)
        ctx.negative_slope = negative_slope
        return array_module(x).where(x > 0, x, x * negative_slope)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return aot.where(x > 0, grad, grad * ctx.negative_slope)


class ELU(Op):
    @staticmethod
    def forward(ctx, x, alpha=1.0):
        xp = array_module(x)
        y = xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0)))
        ctx.save_for_backward(x, y)
        ctx.alpha = alpha
        return y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return aot.where(x > 0, grad, grad * (y + ctx.alpha))  # alpha e^x = y + alpha


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_INV_SQRT_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


class GELU(Op):
    @staticmethod
    def forward(ctx, x, approximate="none"):
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        if approximate == "tanh":
            inner = _SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)
            return 0.5 * x * (1 + array_module(x).tanh(inner))
        return 0.5 * x * (1 + aot.erf(x * _INV_SQRT_2))

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        if ctx.approximate == "tanh":
            t = aot.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x ** 3))
            inner_derivative = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * inner_derivative)
        cdf = 0.5 * (1 + aot.erf(x * _INV_SQRT_2))
        pdf = aot.exp(-0.5 * x * x) * _INV_SQRT_2PI
        return grad * (cdf + x * pdf)  # d/dx x Phi(x) = Phi(x) + x phi(x)


class Softplus(Op):
    @staticmethod
    def forward(ctx, x, beta=1.0, threshold=20.0):
        ctx.save_for_backward(x)
        ctx.beta, ctx.threshold = beta, threshold
        scaled = x * beta
        # log(1 + e^z) = logaddexp(0, z), finite for any z; linear past the threshold (PyTorch)
        xp = array_module(x)
        return xp.where(scaled > threshold, x, xp.logaddexp(0, scaled) / beta)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        scaled = x * ctx.beta
        return aot.where(scaled > ctx.threshold, grad, grad * aot.sigmoid(scaled))


class LogSigmoid(Op):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        xp = array_module(x)
        # log s(x) = min(x, 0) - log(1 + e^-|x|): exp never overflows, log1p keeps the tail
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * aot.sigmoid(-x)  # d log s(x) = 1 - s(x) = s(-x)


class SiLU(Op):
    torch_name = "Silu"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * kernels.stable_sigmoid(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        s = aot.sigmoid(x)
        return grad * (s * (1 + x * (1 - s)))  # (x s)' = s + x s (1 - s)


def _softplus(a):
    """``log(1 + e^a)`` of an array or a Tensor, finite for any a."""
    if isinstance(a, Tensor):
        return Softplus.apply(a, beta=1.0, threshold=math.inf)
    return array_module(a).logaddexp(0, a)


class Mish(Op):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * array_module(x).tanh(_softplus(x))

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        t = aot.tanh(_softplus(x))
        # (x tanh(sp(x)))' = tanh(sp) + x (1 - tanh(sp)^2) sigmoid(x)
        return grad * (t + x * (1 - t * t) * aot.sigmoid(x))


class Softmax(Op):
    @staticmethod
    def forward(ctx, x, dim):
        shifted = x - x.max(axis=dim, keepdims=True)  # invariant to a constant: no overflow
        y = array_module(x).exp(shifted)
        y /= y.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, grad):
        y, = ctx.saved_tensors
        # Jacobian diag(y) - y y^T applied to grad
        return y * (grad - (grad * y).sum(axis=ctx.dim, keepdims=True))


class LogSoftmax(Op):
    @staticmethod
    def forward(ctx, x, dim):
        shifted = x - x.max(axis=dim, keepdims=True)
        xp = array_module(x)
        y = shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, grad):
        y, = ctx.saved_tensors
        return grad - aot.exp(y) * grad.sum(axis=ctx.dim, keepdims=True)


def sigmoid(input: Tensor) -> Tensor:
    """Elementwise logistic function ``1 / (1 + e^-x)``, in (0, 1)."""
    return Sigmoid.apply(input)


def relu(input: Tensor) -> Tensor:
    """Elementwise ``max(x, 0)``."""
    return ReLU.apply(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """``x`` for positive x, ``negative_slope * x`` otherwise."""
    return LeakyReLU.apply(input, negative_slope=negative_slope)


def elu(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``x`` for positive x, ``alpha (e^x - 1)`` otherwise."""
    return ELU.apply(input, alpha=alpha)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``x Phi(x)`` with Phi the standard normal CDF; ``approximate='tanh'`` for the tanh form."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU.apply(input, approximate=approximate)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + e^(beta x)) / beta``, linear where ``beta x > threshold``; derivative sigmoid."""
    return Softplus.apply(input, beta=beta, threshold=threshold)


def logsigmoid(input: Tensor) -> Tensor:
    """Elementwise ``log(1 / (1 + e^-x))``, computed stably (finite for x = -1000)."""
    return LogSigmoid.apply(input)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """``x`` clamped to [min_val, max_val]; ``inplace=True`` writes the result into ``input``."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if inplace:
        return input.clamp_(min_val, max_val)
    return input.clamp(min_val, max_val)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)``, elementwise."""
    return hardtanh(input, 0.0, 6.0, inplace)


def _maybe_in_place(input: Tensor, op: type[Op], inplace: bool) -> Tensor:
    """``op`` of ``input``, written into ``input`` itself when ``inplace``."""
    if not inplace:
        return op.apply(input)
    return input.modify_in_place(op.apply, lambda: array_module(input.array).copyto(
        input.array, op.apply(input).array))  # written only where no graph is recorded


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)`` (also called swish), elementwise."""
    return _maybe_in_place(input, SiLU, inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``, elementwise."""
    return _maybe_in_place(input, Mish, inplace)


def _check_dim(input: Tensor, dim, name: str) -> int:
    if dim is None:
        raise TypeError(f"{name}() needs dim=: the dimension along which the values sum to 1")
    ndim = max(input.ndim, 1)
    if not -ndim <= dim < ndim:
        raise IndexError(f"{name}: dim {dim} is out of range for a tensor of shape "
                         f"{tuple(input.shape)}")
    return dim


def softmax(input: Tensor, dim: int | None = None) -> Tensor:
    """``e^x / sum(e^x)`` along ``dim``; numerically stable (softmax(x + 1000) is finite)."""
    return Softmax.apply(input, dim=_check_dim(input, dim, "softmax"))


def log_softmax(input: Tensor, dim: int | None = None) -> Tensor:
    """``x - logsumexp(x)`` along ``dim``, computed stably."""
    return LogSoftmax.apply(input, dim=_check_dim(input, dim, "log_softmax"))


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``x`` where positive, ``weight * x`` elsewhere, with a learned slope: ``weight`` holds one
    value, or one per channel (dimension 1 of input (N, C, *)). A composition (``where``), so
    both input and weight get gradients of any order; at 0 the slope is the weight's."""
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"prelu: input and weight must be Tensors, got "
                        f"{type(input).__name__} and {type(weight).__name__}")
    if input.ndim == 0 and weight.numel() != 1:  # a single slope serves a scalar too
        raise RuntimeError("Not allow zero-dim input tensor.")
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.ndim}")
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.numel() not in (1, channels):
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                           f"parameter numbers = {weight.numel()} and channel size = "
                           f"{channels}.")
    # one slope for all, or one per channel broadcast over (N, C, *)
    weight = weight.reshape(() if weight.numel() == 1 else
                            (channels,) + (1,) * (input.ndim - 2))
    return where(input > 0, input, input * weight)

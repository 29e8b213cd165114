"""Reductions over dimensions: sum, mean, prod, max/min, var/std, logsumexp, norm, argmax.

Each takes ``dim`` (an int, a tuple, or None for every dimension) and ``keepdim``. The backward
of a reduction broadcasts the upstream gradient back over the reduced dimensions.
"""
from __future__ import annotations

import math
from collections import namedtuple

from ..autograd.function import Op
from ..backend import array_module, xp
from ..recording import array_method
from ..tensor import Tensor
from . import array_or_tensor as aot
from .out import supports_out


def normalize_dims(dim, ndim: int, name: str) -> tuple | None:
    """``dim`` as a tuple of non-negative axes (None means all), checked against ``ndim``."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    rank = ndim if ndim else 1
    for d in dims:
        if not -rank <= d < rank:
            raise IndexError(f"{name}: dim {d} is out of range for a tensor with {ndim} "
                             f"dimensions (expected -{rank} <= dim < {rank})")
    return tuple(sorted(d % rank for d in dims)) if ndim else None


def _kept_shape(shape: tuple, axes: tuple | None) -> tuple:
    """The shape the reduction has with keepdim=True."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else size for i, size in enumerate(shape))


def _count(shape: tuple, axes: tuple | None) -> int:
    return math.prod(shape) if axes is None else math.prod(shape[a] for a in axes)


_INT64 = xp.dtype(xp.int64)


def _accumulator(x) -> xp.dtype | None:
    """The dtype sum and prod return: int64 for every integer and bool input, as in PyTorch
    (NumPy's would be uint64 for uint8, which retrograd does not support), else the input's."""
    return _INT64 if x.dtype.kind in "biu" else None


class Sum(Op):
    @staticmethod
    def forward(ctx, x, axes=None, keepdim=False):
        ctx.shape, ctx.axes = x.shape, axes
        return x.sum(axis=axes, keepdims=keepdim, dtype=_accumulator(x))

    @staticmethod
    def backward(ctx, grad):
        # every input element contributes once to its sum: the gradient is copied back to it
        return aot.broadcast_to(grad.reshape(_kept_shape(ctx.shape, ctx.axes)), ctx.shape)


class Mean(Op):
    @staticmethod
    def forward(ctx, x, axes=None, keepdim=False):
        ctx.shape, ctx.axes = x.shape, axes
        return x.mean(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        grad = grad.reshape(_kept_shape(ctx.shape, ctx.axes)) / _count(ctx.shape, ctx.axes)
        return aot.broadcast_to(grad, ctx.shape)


class Prod(Op):
    @staticmethod
    def forward(ctx, x, axes=None, keepdim=False):
        out = x.prod(axis=axes, keepdims=keepdim, dtype=_accumulator(x))
        ctx.save_for_backward(x, out)
        ctx.axes = axes
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        kept = _kept_shape(x.shape, ctx.axes)
        grad, out = grad.reshape(kept), out.reshape(kept)
        if not bool((x == 0).any()):
            return grad * out / x  # the product of all the other elements
        return grad * _product_of_others(x, ctx.axes)  # with zeros the quotient fails


def _exclusive_cumprod(rows, ones):
    """``rows[..., 0] * ... * rows[..., i-1]`` at position i (1 at i = 0), along the last axis.

    Built from products, slices and concatenations only (log2(n) doubling steps), so that it is
    differentiable on Tensors too: prod's second derivative at a zero needs that.
    """
    prefix = aot.concatenate([ones[..., :1], rows[..., :-1]], -1)
    shift = 1
    while shift < rows.shape[-1]:
        prefix = prefix * aot.concatenate([ones[..., :shift], prefix[..., :-shift]], -1)
        shift *= 2
    return prefix


def _product_of_others(x, axes):
    """At each element, the product of the other elements it is reduced with (zeros allowed)."""
    axes = tuple(range(x.ndim)) if axes is None else axes
    order = tuple(a for a in range(x.ndim) if a not in axes) + axes
    moved = aot.permute(x, order)
    rows = moved.reshape(moved.shape[:x.ndim - len(axes)] + (-1,))  # the reduced axes as one
    array = rows.array if isinstance(rows, Tensor) else rows
    ones = array_module(array).ones(rows.shape, dtype=array.dtype)
    # the product of the elements before each one, times the product of those after it
    others = _exclusive_cumprod(rows, ones) * _exclusive_cumprod(rows[..., ::-1], ones)[..., ::-1]
    inverse = tuple(sorted(range(x.ndim), key=order.__getitem__))  # the inverse permutation
    return aot.permute(others.reshape(moved.shape), inverse)


class Amax(Op):
    """Largest (``largest=True``) or smallest value; ties share the gradient evenly."""

    @staticmethod
    def forward(ctx, x, axes=None, keepdim=False, largest=True):
        out = (x.max if largest else x.min)(axis=axes, keepdims=keepdim)
        ctx.save_for_backward(x, out)
        ctx.axes = axes
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        kept = _kept_shape(x.shape, ctx.axes)
        hits = x == out.reshape(kept)  # max routes the gradient to the winner(s)
        share = hits / hits.sum(axis=ctx.axes, keepdims=True)
        return grad.reshape(kept) * share


def _var_backward(grad, x, axes, correction):
    """d var / dx = 2 (x - mean) / (n - correction), the upstream gradient of var's kept shape.

    With no degree of freedom left (n = correction, one element) var is NaN and so is its
    gradient (PyTorch's 2 / 0 = inf times a zero deviation), rather than a ZeroDivisionError.
    """
    dof = _count(x.shape, axes) - correction
    centered = x - x.mean(axis=axes, keepdims=True)
    return grad * centered * (2 / dof if dof else math.inf)


class Var(Op):
    @staticmethod
    def forward(ctx, x, axes=None, correction=1, keepdim=False):
        ctx.save_for_backward(x)
        ctx.axes, ctx.correction = axes, correction
        return x.var(axis=axes, ddof=correction, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        kept = _kept_shape(x.shape, ctx.axes)
        return _var_backward(grad.reshape(kept), x, ctx.axes, ctx.correction)


class Std(Op):
    @staticmethod
    def forward(ctx, x, axes=None, correction=1, keepdim=False):
        out = array_module(x).sqrt(x.var(axis=axes, ddof=correction, keepdims=keepdim))
        ctx.save_for_backward(x, out)
        ctx.axes, ctx.correction = axes, correction
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        kept = _kept_shape(x.shape, ctx.axes)
        out = out.reshape(kept)
        # d std = d var / (2 std), taken as 0 where std = 0 (a constant has a zero gradient,
        # not the NaN of sqrt's 1 / 0 times a zero deviation), as PyTorch's std_backward does
        grad_var = _divided_where_nonzero(grad.reshape(kept) / 2, out)
        return _var_backward(grad_var, x, ctx.axes, ctx.correction)


def _divided_where_nonzero(numerator, out, power=1):
    """``numerator / out ** power``, and 0 where ``out`` is 0 (std and norm at a constant)."""
    zero = out == 0
    safe_out = aot.where(zero, 1.0, out)
    return aot.where(zero, 0.0, numerator / (safe_out if power == 1 else safe_out ** power))


class LogSumExp(Op):
    @staticmethod
    def forward(ctx, x, axes=None, keepdim=False):
        xp = array_module(x)
        top = x.max(axis=axes, keepdims=True)
        top = xp.where(xp.isfinite(top), top, 0)  # all -inf rows stay -inf, not NaN
        out = xp.log(xp.exp(x - top).sum(axis=axes, keepdims=True)) + top
        if not keepdim:
            out = out.reshape([s for i, s in enumerate(out.shape)
                               if axes is not None and i not in axes])
        ctx.save_for_backward(x, out)
        ctx.axes = axes
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        kept = _kept_shape(x.shape, ctx.axes)
        return grad.reshape(kept) * aot.exp(x - out.reshape(kept))  # the softmax


class Norm(Op):
    @staticmethod
    def forward(ctx, x, p=2.0, axes=None, keepdim=False):
        xp = array_module(x)
        if p == 2:
            out = xp.sqrt((x * x).sum(axis=axes, keepdims=keepdim))
        else:
            out = (xp.abs(x) ** p).sum(axis=axes, keepdims=keepdim) ** (1 / p)
        ctx.save_for_backward(x, out)
        ctx.p, ctx.axes = p, axes
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        kept = _kept_shape(x.shape, ctx.axes)
        out = out.reshape(kept)
        if ctx.p == 2:  # the gradient at the zero vector is 0
            return _divided_where_nonzero(grad.reshape(kept) * x, out)
        p = ctx.p
        scaled = x * abs(x) ** (p - 2) if p != 1 else aot.sign(x)
        scaled = aot.where(x == 0, 0.0, scaled)
        return _divided_where_nonzero(grad.reshape(kept) * scaled, out, p - 1)


MaxMin = namedtuple("MaxMin", ["values", "indices"])
MaxMin.__doc__ = "What max/min along a dim return: the values and their int64 indices."


@supports_out
def sum(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Sum over ``dim`` (all dimensions by default)."""
    return Sum.apply(input, axes=normalize_dims(dim, input.ndim, "sum"), keepdim=keepdim)


def mean(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Mean over ``dim`` (all dimensions by default); needs a floating-point tensor."""
    if not input.is_floating_point():
        raise RuntimeError(f"mean needs a floating-point tensor, got {input.dtype}; "
                           f"convert it with .float()")
    return Mean.apply(input, axes=normalize_dims(dim, input.ndim, "mean"), keepdim=keepdim)


def prod(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Product over ``dim`` (all dimensions by default)."""
    return Prod.apply(input, axes=normalize_dims(dim, input.ndim, "prod"), keepdim=keepdim)


def _max_or_min(input: Tensor, dim, keepdim: bool, largest: bool, name: str):
    if isinstance(dim, Tensor):  # rg.max(a, b) is the elementwise maximum, as in PyTorch
        from .elementwise import maximum, minimum
        return (maximum if largest else minimum)(input, dim)
    if dim is None:
        if input.numel() == 0:
            raise RuntimeError(f"{name}() of an empty tensor has no value; pass dim=")
        return Amax.apply(input, largest=largest)
    if not isinstance(dim, int):
        raise TypeError(f"{name}(dim=...) takes one int dimension; use amax/amin for several")
    axes = normalize_dims(dim, input.ndim, name)
    axis = axes[0] if axes else 0
    array = input.array
    arg = (array.argmax if largest else array.argmin)(axis=axis, keepdims=True)
    from .indexing import gather
    values = gather(input, axis, Tensor(arg)) if input.ndim else input
    if not keepdim and input.ndim:
        values, arg = values.squeeze(axis), arg.squeeze(axis)
    return MaxMin(values, Tensor(arg))


def max(input: Tensor, dim=None, keepdim: bool = False):
    """The largest value; with ``dim``, a (values, indices) pair along that dimension.

    The gradient goes to the element selected (ties split it evenly when ``dim`` is None).
    """
    return _max_or_min(input, dim, keepdim, True, "max")


def min(input: Tensor, dim=None, keepdim: bool = False):
    """The smallest value; with ``dim``, a (values, indices) pair along that dimension."""
    return _max_or_min(input, dim, keepdim, False, "min")


def amax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Largest values over ``dim``; ties share the gradient evenly."""
    return Amax.apply(input, axes=normalize_dims(dim, input.ndim, "amax"), keepdim=keepdim)


def amin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Smallest values over ``dim``; ties share the gradient evenly."""
    return Amax.apply(input, axes=normalize_dims(dim, input.ndim, "amin"), keepdim=keepdim,
                      largest=False)


def var(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: int | None = None) -> Tensor:
    """Variance over ``dim`` with Bessel's correction by default (``correction=1``)."""
    correction = _correction(input, unbiased, correction, "var")
    return Var.apply(input, axes=normalize_dims(dim, input.ndim, "var"), correction=correction,
                     keepdim=keepdim)


def _correction(input: Tensor, unbiased: bool | None, correction: int | None, name: str) -> int:
    """The degrees of freedom var and std subtract; refuses what PyTorch refuses."""
    if not input.is_floating_point():
        raise RuntimeError(f"{name} needs a floating-point tensor, got {input.dtype} (as in "
                           f"PyTorch); convert it with .float()")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return correction


def std(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: int | None = None) -> Tensor:
    """Standard deviation: the square root of ``var`` with the same arguments; its gradient is
    0 where the standard deviation is 0 (a constant), as in PyTorch."""
    correction = _correction(input, unbiased, correction, "std")
    return Std.apply(input, axes=normalize_dims(dim, input.ndim, "std"), correction=correction,
                     keepdim=keepdim)


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` over ``dim``, computed without overflow."""
    return LogSumExp.apply(input, axes=normalize_dims(dim, input.ndim, "logsumexp"),
                           keepdim=keepdim)


def norm(input: Tensor, p=2, dim=None, keepdim: bool = False) -> Tensor:
    """The p-norm over ``dim`` (all elements by default): ``p`` a positive number, 'fro' or inf."""
    if p == "fro":
        p = 2
    if p in (math.inf, -math.inf):
        magnitude = input.abs()
        return magnitude.amax(dim, keepdim) if p > 0 else magnitude.amin(dim, keepdim)
    if not isinstance(p, (int, float)) or p <= 0:
        raise ValueError(f"norm: p must be a positive number, 'fro' or inf; got {p!r}")
    return Norm.apply(input, p=float(p), axes=normalize_dims(dim, input.ndim, "norm"),
                      keepdim=keepdim)


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the largest value (over the flattened tensor when ``dim`` is None); int64."""
    if dim is None:
        return Tensor(array_module(input.array).asarray(array_method(input.array, "argmax"),
                                                        dtype=xp.int64))
    axis = normalize_dims(dim, input.ndim, "argmax")
    return Tensor(array_method(input.array, "argmax", axis=axis[0] if axis else 0,
                               keepdims=keepdim))


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the smallest value (over the flattened tensor when ``dim`` is None); int64."""
    if dim is None:
        return Tensor(array_module(input.array).asarray(array_method(input.array, "argmin"),
                                                        dtype=xp.int64))
    axis = normalize_dims(dim, input.ndim, "argmin")
    return Tensor(array_method(input.array, "argmin", axis=axis[0] if axis else 0,
                               keepdims=keepdim))

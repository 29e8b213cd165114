"""Scans along a dimension: cumsum and cumprod.

cumsum's backward is a cumulative sum running the other way. cumprod's is
``reversed_cumsum(grad * out) / x`` when no element is zero; with zeros that quotient fails and
the gradient is built from products, sums, slices and concatenations only (prefix products times
suffix sums, each by log2(n) doubling steps), which is exact at zeros and differentiable again.
"""
from __future__ import annotations

from ..autograd.function import Op
from ..backend import array_module, xp
from ..tensor import Tensor
from . import array_or_tensor as aot
from .reduction import _exclusive_cumprod
from .shape import _dim, apply_to_gradient

_INT64 = xp.dtype(xp.int64)


class Cumsum(Op):
    """Running sums along ``dim``; ``reverse`` sums from the end (cumsum's adjoint)."""

    @staticmethod
    def forward(ctx, x, dim, reverse=False):
        if ctx is not None:
            ctx.dim, ctx.reverse = dim, reverse
        if not reverse:
            return x.cumsum(axis=dim)
        module = array_module(x)
        return module.flip(module.flip(x, dim).cumsum(axis=dim), dim)

    @staticmethod
    def backward(ctx, grad):
        return apply_to_gradient(Cumsum, grad, dim=ctx.dim, reverse=not ctx.reverse)


class Cumprod(Op):
    @staticmethod
    def forward(ctx, x, dim):
        out = x.cumprod(axis=dim)
        ctx.save_for_backward(x, out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        if not bool((x == 0).any()):
            return apply_to_gradient(Cumsum, grad * out, dim=ctx.dim, reverse=True) / x
        # the last axis and dim swapped (its own inverse), to work along the last axis
        axes = list(range(x.ndim))
        axes[ctx.dim], axes[-1] = axes[-1], axes[ctx.dim]
        rows, grad_rows = aot.permute(x, tuple(axes)), aot.permute(grad, tuple(axes))
        array = rows.array if isinstance(rows, Tensor) else rows
        ones = array_module(array).ones(rows.shape, dtype=array.dtype)
        # d out_j / d x_i = (x_0 ... x_{i-1}) (x_{i+1} ... x_j) for j >= i
        grad_x = _exclusive_cumprod(rows, ones) * _weighted_suffix_sums(grad_rows, rows, ones * 0)
        return aot.permute(grad_x, tuple(axes))


def _weighted_suffix_sums(grad, x, zeros):
    """``S_i = sum over j >= i of grad_j x_{i+1} ... x_j`` along the last axis.

    It is the recurrence ``S_i = grad_i + x_{i+1} S_{i+1}``, solved by doubling: after the step
    of ``shift``, ``total`` holds the terms up to ``j < i + 2 shift`` and ``factor`` the
    product ``x_{i+1} ... x_{i+2 shift}`` that carries the next ones.
    """
    factor = aot.concatenate([x[..., 1:], zeros[..., :1]], -1)
    total, shift = grad, 1
    while shift < x.shape[-1]:
        total = total + factor * aot.concatenate([total[..., shift:], zeros[..., :shift]], -1)
        factor = factor * aot.concatenate([factor[..., shift:], zeros[..., :shift]], -1)
        shift *= 2
    return total


def _scanned(op, input: Tensor, dim: int, dtype, name: str) -> Tensor:
    """``op`` along ``dim`` of ``input`` cast to ``dtype``: by default integers and bools are
    scanned in int64, as in PyTorch."""
    dim = _dim(dim, max(input.ndim, 1), name)
    if dtype is not None:
        input = input.to(dtype)
    elif input.array.dtype.kind in "biu":
        input = Tensor(input.array.astype(_INT64))
    if input.ndim == 0:
        return op.apply(input.reshape(1), dim=0).reshape(())
    return op.apply(input, dim=dim)


def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """``out[i] = input[0] + ... + input[i]`` along ``dim``; input's shape. ``dtype`` casts the
    input first; integers and bools sum in int64 by default."""
    return _scanned(Cumsum, input, dim, dtype, "cumsum")


def cumprod(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """``out[i] = input[0] * ... * input[i]`` along ``dim``; input's shape. ``dtype`` casts the
    input first; integers and bools multiply in int64 by default. The gradient is exact where
    elements are zero."""
    return _scanned(Cumprod, input, dim, dtype, "cumprod")

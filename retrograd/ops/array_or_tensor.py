"""Functions that backward formulas use, each working on a raw array or on a Tensor.

A fast backward hands operations raw arrays, and these run the array's own module (NumPy,
CuPy) directly. Under
``create_graph=True`` the engine hands them Tensors, and these record differentiable operations,
so that the gradient itself has a graph: one formula, first and higher order alike.
Arithmetic operators (``+ - * / ** @``, comparisons) already work on both and need no helper.
"""
from __future__ import annotations

import math
from typing import Any

from ..backend import array_module
from ..tensor import Tensor
from . import kernels

_COPY_BELOW = 1 << 16  # elements


def exp(a: Any) -> Any:
    return a.exp() if isinstance(a, Tensor) else array_module(a).exp(a)


def log(a: Any) -> Any:
    return a.log() if isinstance(a, Tensor) else array_module(a).log(a)


def sin(a: Any) -> Any:
    return a.sin() if isinstance(a, Tensor) else array_module(a).sin(a)


def cos(a: Any) -> Any:
    return a.cos() if isinstance(a, Tensor) else array_module(a).cos(a)


def tanh(a: Any) -> Any:
    return a.tanh() if isinstance(a, Tensor) else array_module(a).tanh(a)


def sigmoid(a: Any) -> Any:
    if isinstance(a, Tensor):
        return a.sigmoid()
    return kernels.stable_sigmoid(a)


def erf(a: Any) -> Any:
    if isinstance(a, Tensor):
        return a.erf()
    return kernels.erf(a)


def sign(a: Any) -> Any:
    return a.sign() if isinstance(a, Tensor) else array_module(a).sign(a)


def where(condition: Any, a: Any, b: Any) -> Any:
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        from .elementwise import where as tensor_where
        return tensor_where(condition, a, b)
    return array_module(condition).where(condition, a, b)


def broadcast_to(a: Any, shape: tuple) -> Any:
    if isinstance(a, Tensor):
        return a.expand(shape)
    xp = array_module(a)
    if math.prod(shape) > _COPY_BELOW:
        return xp.broadcast_to(a, shape)  # a read-only view: no memory written
    out = xp.empty(shape, a.dtype)  # for small arrays a copy is quicker than making the view
    out[...] = a
    return out


def permute(a: Any, axes: tuple) -> Any:
    return a.permute(axes) if isinstance(a, Tensor) else a.transpose(axes)


def swap_last_two(a: Any) -> Any:
    return a.transpose(-1, -2) if isinstance(a, Tensor) else a.swapaxes(-1, -2)


def unsqueeze(a: Any, axis: int) -> Any:
    if isinstance(a, Tensor):
        return a.unsqueeze(axis)
    return a[(slice(None),) * (axis % (a.ndim + 1)) + (None,)]  # a view, quicker than expand_dims


def squeeze(a: Any, axis: int) -> Any:
    return a.squeeze(axis) if isinstance(a, Tensor) else a.squeeze(axis)


def concatenate(parts: list, axis: int) -> Any:
    """Joins arrays, or Tensors (and constant arrays among them), along ``axis``."""
    if any(isinstance(p, Tensor) for p in parts):
        from .indexing import cat
        return cat([p if isinstance(p, Tensor) else Tensor(p) for p in parts], axis)
    return array_module(parts[0]).concatenate(parts, axis)


def index_into_zeros(grad: Any, key: Any, shape: tuple) -> Any:
    """Zeros of ``shape`` with ``grad`` added at ``[key]`` (repeated indices add up)."""
    from .indexing import IndexIntoZeros
    if isinstance(grad, Tensor):
        return IndexIntoZeros.apply(grad, key=key, shape=shape)
    return IndexIntoZeros.forward(None, grad, key=key, shape=shape)


def diagonal_into_zeros(grad: Any, axes: tuple, shape: tuple) -> Any:
    """Zeros of ``shape`` with ``grad`` on the diagonal ``axes`` = (offset, dim1, dim2)."""
    from .shape import DiagonalIntoZeros
    if isinstance(grad, Tensor):
        return DiagonalIntoZeros.apply(grad, axes=axes, shape=shape)
    return DiagonalIntoZeros.forward(None, grad, axes=axes, shape=shape)


def scatter_into_zeros(grad: Any, dim: int, index: Any, shape: tuple) -> Any:
    """Zeros of ``shape`` with ``grad`` added along ``dim`` at ``index`` (gather's adjoint)."""
    from .indexing import ScatterIntoZeros
    if isinstance(grad, Tensor):
        return ScatterIntoZeros.apply(grad, dim=dim, index=index, shape=shape)
    return ScatterIntoZeros.forward(None, grad, dim=dim, index=index, shape=shape)

"""Shape operations: reshape/view, flatten, squeeze/unsqueeze, transpose/permute, expand, repeat.

Reshapes, permutations and expansions return views of the input's array (no copy), as PyTorch
views do; their backward undoes the same rearrangement on the gradient.
"""
from __future__ import annotations

import math

from ..autograd.function import Op
from ..backend import xp
from ..tensor import Tensor
from . import array_or_tensor as aot


class Reshape(Op):
    _view_of_input = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.input_shape)


class Permute(Op):
    _view_of_input = True

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return x.transpose(axes)

    @staticmethod
    def backward(ctx, grad):
        inverse = [0] * len(ctx.axes)
        for position, axis in enumerate(ctx.axes):
            inverse[axis] = position
        return aot.permute(grad, tuple(inverse))


class Expand(Op):
    _view_of_input = True

    @staticmethod
    def forward(ctx, x, shape):
        return xp.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad  # the engine sums the gradient back over the expanded dimensions


class Repeat(Op):
    @staticmethod
    def forward(ctx, x, repeats):
        ctx.input_shape = (1,) * (len(repeats) - x.ndim) + x.shape
        ctx.repeats = repeats
        return xp.tile(x, repeats)

    @staticmethod
    def backward(ctx, grad):
        # view each dimension as (copy, size) and sum over the copies
        split_shape = [n for pair in zip(ctx.repeats, ctx.input_shape) for n in pair]
        copy_axes = tuple(range(0, len(split_shape), 2))
        return grad.reshape(split_shape).sum(axis=copy_axes)


def _shape_arg(shape) -> tuple:
    """Accepts ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` the way PyTorch does."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def reshape(input: Tensor, *shape) -> Tensor:
    """The same elements in a new shape; one dimension may be -1 (inferred)."""
    shape = _shape_arg(shape)
    known = math.prod(s for s in shape if s != -1)
    if shape.count(-1) > 1 or (-1 in shape and (known == 0 or input.numel() % known)) or \
            (-1 not in shape and known != input.numel()):
        raise RuntimeError(f"reshape: shape {list(shape)} is invalid for a tensor of shape "
                           f"{tuple(input.shape)} ({input.numel()} elements)")
    return Reshape.apply(input, shape=shape)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merges dimensions ``start_dim`` to ``end_dim`` (inclusive) into one."""
    if input.ndim == 0:
        return reshape(input, 1)
    shape = input.shape
    start, end = start_dim % input.ndim, end_dim % input.ndim
    if start > end:
        raise RuntimeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    return reshape(input, shape[:start] + (-1,) + shape[end + 1:]) if start != end else input


def _dim(dim: int, ndim: int, name: str) -> int:
    if not -ndim <= dim < ndim:
        raise IndexError(f"{name}: dim {dim} is out of range (expected -{ndim} <= dim < {ndim})")
    return dim % ndim


def squeeze(input: Tensor, dim=None) -> Tensor:
    """Removes dimensions of size 1 (only ``dim`` when given, if it has size 1)."""
    shape = input.shape
    if dim is None:
        dims = {i for i, size in enumerate(shape) if size == 1}
    else:
        dims = {_dim(d, max(input.ndim, 1), "squeeze")
                for d in ((dim,) if isinstance(dim, int) else dim)}
    new_shape = tuple(size for i, size in enumerate(shape) if not (i in dims and size == 1))
    return input if new_shape == shape else Reshape.apply(input, shape=new_shape)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Inserts a dimension of size 1 at ``dim``."""
    dim = _dim(dim, input.ndim + 1, "unsqueeze")
    return Reshape.apply(input, shape=input.shape[:dim] + (1,) + input.shape[dim:])


def permute(input: Tensor, *dims) -> Tensor:
    """Reorders the dimensions: output dimension i is input dimension ``dims[i]``."""
    dims = _shape_arg(dims)
    if sorted(d % max(input.ndim, 1) for d in dims) != list(range(input.ndim)):
        raise RuntimeError(f"permute: dims {list(dims)} are not a permutation of the "
                           f"{input.ndim} dimensions of a tensor of shape {tuple(input.shape)}")
    return Permute.apply(input, axes=tuple(d % input.ndim for d in dims))


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swaps dimensions ``dim0`` and ``dim1``."""
    axes = list(range(input.ndim))
    dim0, dim1 = _dim(dim0, input.ndim, "transpose"), _dim(dim1, input.ndim, "transpose")
    axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
    return Permute.apply(input, axes=tuple(axes))


def expand(input: Tensor, *sizes) -> Tensor:
    """A broadcast view: size-1 dimensions repeated to ``sizes`` (-1 keeps a size)."""
    sizes = _shape_arg(sizes)
    leading = len(sizes) - input.ndim
    if leading < 0:
        raise RuntimeError(f"expand: {len(sizes)} sizes given for a tensor with {input.ndim} "
                           f"dimensions; give at least as many")
    shape = tuple(input.shape[i - leading] if size == -1 and i >= leading else size
                  for i, size in enumerate(sizes))
    for i, size in enumerate(input.shape):
        if size != 1 and size != shape[leading + i]:
            raise RuntimeError(f"expand: the size of dimension {i} ({size}) must match "
                               f"{shape[leading + i]} or be 1 (tensor shape "
                               f"{tuple(input.shape)}, requested {list(sizes)})")
    return Expand.apply(input, shape=shape)


def repeat(input: Tensor, *repeats) -> Tensor:
    """Tiles the tensor ``repeats[i]`` times along dimension i (as ``torch.Tensor.repeat``)."""
    repeats = _shape_arg(repeats)
    if len(repeats) < input.ndim:
        raise RuntimeError(f"repeat: {len(repeats)} repeat counts given for a tensor with "
                           f"{input.ndim} dimensions; give at least as many")
    return Repeat.apply(input, repeats=repeats)

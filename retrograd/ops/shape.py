"""Shape operations: reshape/view, flatten, squeeze/unsqueeze, transpose/permute, expand,
diagonal, narrow, unbind, repeat.

All but repeat return views of the input's memory (no copy), as PyTorch views do; ``reshape``
copies only when no view can have the new shape, where ``view`` raises. Their backward undoes
the same rearrangement on the gradient.
"""
from __future__ import annotations

import math

from ..autograd.function import Op
from ..backend import array_module, backend_of
from ..tensor import Tensor, View
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
        # strides of 0 repeat the memory; writable like PyTorch's (fill_ may write through it,
        # other in-place operations refuse the overlap, see Tensor.modify_in_place)
        leading = len(shape) - x.ndim
        strides = (0,) * leading + tuple(0 if size == 1 and shape[leading + i] != 1 else stride
                                         for i, (size, stride) in enumerate(zip(x.shape,
                                                                                x.strides)))
        backend = backend_of(x)
        return backend.as_strided(x, shape, strides, writeable=backend.writeable(x))

    @staticmethod
    def backward(ctx, grad):
        return grad  # the engine sums the gradient back over the expanded dimensions


class Diagonal(Op):
    _view_of_input = True

    @staticmethod
    def forward(ctx, x, offset, dim1, dim2):
        ctx.input_shape, ctx.axes = x.shape, (offset, dim1, dim2)
        out = array_module(x).diagonal(x, offset, dim1, dim2)
        return backend_of(x).writeable_like(out, x)  # PyTorch's diagonal is writeable

    @staticmethod
    def backward(ctx, grad):
        return aot.diagonal_into_zeros(grad, ctx.axes, ctx.input_shape)


class DiagonalIntoZeros(Op):
    """Zeros with ``grad`` on a diagonal: the adjoint of Diagonal (its backward is Diagonal)."""

    @staticmethod
    def forward(ctx, grad, axes, shape):
        if ctx is not None:
            ctx.axes = axes
        xp = array_module(grad)
        out = xp.zeros(shape, dtype=grad.dtype)
        diagonal = backend_of(out).writeable_like(xp.diagonal(out, *axes), out)
        diagonal[...] = grad
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad.diagonal(*ctx.axes)  # arrays and Tensors take (offset, dim1, dim2)


class Repeat(Op):
    @staticmethod
    def forward(ctx, x, repeats):
        ctx.input_shape = (1,) * (len(repeats) - x.ndim) + x.shape
        ctx.repeats = repeats
        return array_module(x).tile(x, repeats)

    @staticmethod
    def backward(ctx, grad):
        # view each dimension as (copy, size) and sum over the copies
        split_shape = [n for pair in zip(ctx.repeats, ctx.input_shape) for n in pair]
        copy_axes = tuple(range(0, len(split_shape), 2))
        return grad.reshape(split_shape).sum(axis=copy_axes)


def shape_arg(shape) -> tuple:
    """Accepts ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` the way PyTorch does."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def reshape(input: Tensor, *shape) -> Tensor:
    """The same elements in a new shape; one dimension may be -1 (inferred)."""
    shape = shape_arg(shape)
    known = math.prod(s for s in shape if s != -1)
    if shape.count(-1) > 1 or (-1 in shape and (known == 0 or input.numel() % known)) or \
            (-1 not in shape and known != input.numel()):
        raise RuntimeError(f"reshape: shape {list(shape)} is invalid for a tensor of shape "
                           f"{tuple(input.shape)} ({input.numel()} elements)")
    return Reshape.apply(input, shape=shape)


def view(input: Tensor, *shape) -> Tensor:
    """``reshape`` that never copies: raises where the elements cannot be viewed in ``shape``
    without moving them (as PyTorch's ``view``); ``reshape`` then copies."""
    result = reshape(input, *shape)
    if not isinstance(result, View) and input.numel():
        raise RuntimeError(
            f"view size is not compatible with input tensor's size and stride (at least one "
            f"dimension spans across two contiguous subspaces): shape {list(input.shape)}, "
            f"strides {list(input.stride())}. Use .reshape(...) instead.")
    return result


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
    dims = shape_arg(dims)
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
    sizes = shape_arg(sizes)
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
    repeats = shape_arg(repeats)
    if len(repeats) < input.ndim:
        raise RuntimeError(f"repeat: {len(repeats)} repeat counts given for a tensor with "
                           f"{input.ndim} dimensions; give at least as many")
    return Repeat.apply(input, repeats=repeats)


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """A view of the diagonal of dimensions ``dim1`` and ``dim2`` (``offset`` above it if
    positive, below if negative), as a last dimension."""
    dim1, dim2 = _dim(dim1, input.ndim, "diagonal"), _dim(dim2, input.ndim, "diagonal")
    if dim1 == dim2:
        raise RuntimeError(f"diagonal: dim1 and dim2 cannot be the same dimension ({dim1})")
    return Diagonal.apply(input, offset, dim1, dim2)


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """A view of ``length`` elements of dimension ``dim`` from ``start``."""
    dim = _dim(dim, input.ndim, "narrow")
    size = input.shape[dim]
    start = start + size if start < 0 else start
    if not 0 <= start <= size or length < 0 or start + length > size:
        raise IndexError(f"narrow: start {start} and length {length} exceed dimension {dim} "
                         f"of size {size}")
    return input[(slice(None),) * dim + (slice(start, start + length),)]


def unbind(input: Tensor, dim: int = 0) -> tuple:
    """The slices along ``dim``, as views, that dimension removed."""
    dim = _dim(dim, input.ndim, "unbind")
    before = (slice(None),) * dim
    return refuse_recorded_in_place(tuple(input[before + (i,)] for i in range(input.shape[dim])),
                                    "unbind")


def refuse_recorded_in_place(views: tuple, name: str) -> tuple:
    """Marks views returned together, which PyTorch does not let change in place in a graph."""
    for i, view in enumerate(views):
        if isinstance(view, View):
            view.refuse_recorded_in_place(
                f"Output {i} of {name} is a view and is being modified inplace. This view is "
                f"the output of a function that returns multiple views. Such functions do not "
                f"allow the output views to be modified inplace. You should replace the "
                f"inplace operation by an out-of-place one (or change a .clone()).")
    return views


# -- flip, roll, tril and triu -------------------------------------------------------------------

def apply_to_gradient(op, grad, **options):
    """``op`` applied to a gradient: recorded when it is a Tensor (``create_graph=True``), on the
    raw array otherwise. For operations whose backward is an operation of the same kind."""
    if isinstance(grad, Tensor):
        return op.apply(grad, **options)
    return op.forward(None, grad, **options)


class Flip(Op):
    @staticmethod
    def forward(ctx, x, dims):
        if ctx is not None:
            ctx.dims = dims
        return array_module(x).flip(x, dims).copy()  # PyTorch's flip copies

    @staticmethod
    def backward(ctx, grad):
        return apply_to_gradient(Flip, grad, dims=ctx.dims)


class Roll(Op):
    @staticmethod
    def forward(ctx, x, shifts, dims):
        if ctx is not None:
            ctx.shifts, ctx.dims = shifts, dims
        return array_module(x).roll(x, shifts, dims)

    @staticmethod
    def backward(ctx, grad):
        shifts = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return apply_to_gradient(Roll, grad, shifts=shifts, dims=ctx.dims)


class Tril(Op):
    """The lower triangle (``upper``: the upper one) of the last two dimensions, from the
    ``diagonal``-th diagonal; zeros elsewhere."""

    @staticmethod
    def forward(ctx, x, diagonal, upper=False):
        if ctx is not None:
            ctx.diagonal, ctx.upper = diagonal, upper
        module = array_module(x)
        rows, columns = x.shape[-2:]
        kept = module.tri(rows, columns, diagonal - 1 if upper else diagonal, dtype=bool)
        return module.where(~kept if upper else kept, x, module.zeros((), x.dtype))

    @staticmethod
    def backward(ctx, grad):
        return apply_to_gradient(type(ctx), grad, diagonal=ctx.diagonal, upper=ctx.upper)


class Triu(Tril):
    """``Tril`` with ``upper=True``, under PyTorch's name of the node."""


def _dims_list(dims, ndim: int, name: str) -> tuple:
    """``dims`` (a sequence of ints) as non-negative dimensions, each at most once."""
    if isinstance(dims, int) or not all(isinstance(d, int) for d in dims):
        raise TypeError(f"{name}(): argument 'dims' must be a tuple or list of ints, got "
                        f"{dims!r}")
    normalized = tuple(_dim(d, max(ndim, 1), name) for d in dims)
    for d in normalized:
        if normalized.count(d) > 1:
            raise RuntimeError(f"{name}: dim {d} appears multiple times in the list of dims")
    return normalized if ndim else ()


def flip(input: Tensor, dims) -> Tensor:
    """A copy with the order of the elements reversed along each dimension of ``dims``."""
    return Flip.apply(input, dims=_dims_list(dims, input.ndim, "flip"))


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Elements shifted by ``shifts`` along ``dims``, those past the end wrapping around to the
    start; without ``dims`` the flattened tensor is rolled (then given back its shape).
    ``shifts`` and ``dims`` are ints or sequences of the same length."""
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(shifts)}, "
                               f"dims:0")
        return Roll.apply(input, shifts=shifts[0], dims=None)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(dims)}")
    if input.ndim == 0:
        raise IndexError(f"roll: dimension specified as {dims[0]} but tensor has no dimensions")
    return Roll.apply(input, shifts=shifts, dims=tuple(_dim(d, input.ndim, "roll") for d in dims))


def _triangle(op, input: Tensor, diagonal: int, name: str) -> Tensor:
    if input.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions, got shape "
                           f"{tuple(input.shape)}")
    return op.apply(input, diagonal=diagonal, upper=op is Triu)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dimensions: elements at or below the ``diagonal``-th
    diagonal (0 the main one, positive above it, negative below) kept, the others zero."""
    return _triangle(Tril, input, diagonal, "tril")


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dimensions: elements at or above the
    ``diagonal``-th diagonal kept, the others zero."""
    return _triangle(Triu, input, diagonal, "triu")

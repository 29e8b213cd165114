"""Indexing and joining: ``x[key]`` (slices, steps, integer arrays, boolean masks), gather,
cat, stack, split and chunk.

Reading ``x[key]`` has as backward the adjoint: zeros with the gradient written back at
``[key]``, where repeated indices add up. That adjoint is itself an operation (its own backward
is indexing again), so gradients of gradients flow through indexing too.
"""
from __future__ import annotations

import math
from typing import Any

from ..autograd.function import Op
from ..backend import (
    array_module,
    backend_of,
    is_device_array,
    memory_owner,
    ndarray,
    overlaps_itself,
    xp,
)
from ..device import device_of
from ..tensor import Tensor
from . import array_or_tensor as aot
from .elementwise import where
from .shape import refuse_recorded_in_place


def normalize_key(key, array: Any):
    """An index of ``array`` with every Tensor, list or host array in it turned into an array
    on ``array``'s device, checked to be in range where the device's library would wrap it
    (CuPy; NumPy raises itself). CPU index tensors index device tensors, as in PyTorch."""
    key = _on_device(key, array_module(array))
    if _wraps_silently(array):
        _check_key_in_range(key, array.shape)
    return key


def _on_device(key, xp: Any):
    """``key`` with its Tensors, lists and arrays as arrays of the module ``xp``."""
    if isinstance(key, tuple):
        return tuple(_on_device(k, xp) for k in key)
    if isinstance(key, Tensor):
        key = key.array
    elif isinstance(key, list):
        return xp.asarray(key)
    if is_device_array(key) and array_module(key) is not xp:
        if not isinstance(key, ndarray):  # PyTorch's rule: host indices go anywhere
            raise RuntimeError(f"indices should be either on cpu or on the same device as the "
                               f"indexed tensor, got indices on {device_of(key)}")
        return xp.asarray(key)  # a copy to the device
    return key


def _wraps_silently(array: Any) -> bool:
    """True for arrays of a library that wraps out-of-range indices (CuPy) instead of raising
    as NumPy does."""
    return not isinstance(array, ndarray)


def _check_in_range(index: Any, size: int, dim: int) -> None:
    """IndexError unless every integer of ``index`` is in [-size, size)."""
    outside = index >= size
    if index.dtype.kind == "i":
        outside |= index < -size
    if index.size and outside.any():
        raise IndexError(f"index {int(index[outside][0])} is out of bounds for dimension {dim} "
                         f"with size {size}")


def _dims_indexed(part: Any) -> int:
    """How many dimensions one part of a key indexes."""
    if part is None or part is Ellipsis:
        return 0
    if is_device_array(part) and part.dtype.kind == "b":
        return part.ndim  # a mask covers as many dimensions as it has
    return 1


def _check_key_in_range(key, shape: tuple) -> None:
    """``_check_in_range`` for every integer array of ``key`` (the library checks the rest)."""
    parts = key if isinstance(key, tuple) else (key,)
    dim = 0
    for part in parts:
        if part is Ellipsis:
            dim += len(shape) - sum(_dims_indexed(p) for p in parts)
        elif is_device_array(part) and part.dtype.kind in "iu" and dim < len(shape):
            _check_in_range(part, shape[dim], dim)
        dim += _dims_indexed(part)


def is_basic(key) -> bool:
    """True for keys made of ints, slices, None and Ellipsis: they select a view."""
    parts = key if isinstance(key, tuple) else (key,)
    return all(isinstance(k, (int, slice)) or k is None or k is Ellipsis for k in parts)


class GetItem(Op):
    _view_of_input = True  # for basic keys: NumPy returns a view of x

    @staticmethod
    def forward(ctx, x, key):
        ctx.key, ctx.input_shape = key, x.shape
        if is_basic(key) and not _has_ellipsis(key):
            # an Ellipsis makes NumPy return a 0-d view where it would return a scalar copy
            return x[(*key, ...) if isinstance(key, tuple) else (key, ...)]
        return x[key]

    @staticmethod
    def backward(ctx, grad):
        return aot.index_into_zeros(grad, ctx.key, ctx.input_shape)


class IndexIntoZeros(Op):
    @staticmethod
    def forward(ctx, grad, key, shape):
        if ctx is not None:
            ctx.key = key
        out = array_module(grad).zeros(shape, dtype=grad.dtype)
        if is_basic(key):
            out[key] = grad
        else:  # a repeated index receives the sum of its gradients
            backend_of(out).scatter_add(out, key, grad)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad[ctx.key]


def _module_of(value: Any) -> Any:
    """The array module of an array or of a Tensor's array (a gradient under create_graph)."""
    return array_module(value.array if isinstance(value, Tensor) else value)


def _has_ellipsis(key) -> bool:
    return any(k is Ellipsis for k in key) if isinstance(key, tuple) else key is Ellipsis


class IndexPut(Op):
    """``x[key] = values`` out of place: the new tensor, and the gradient of the positions
    written going to ``values``, the rest to ``x``."""

    @staticmethod
    def forward(ctx, x, values, key):
        ctx.key = key
        out = x.copy()
        out[key] = values
        return out

    @staticmethod
    def backward(ctx, grad):
        need_x, need_values = ctx.needs_input_grad
        grad_x = grad_values = None
        if need_x:
            kept = _module_of(grad).ones(grad.shape, dtype=bool)
            kept[ctx.key] = False
            grad_x = grad * kept
        if need_values:
            grad_values = grad[ctx.key]  # the engine sums it back to the shape of values
        return grad_x, grad_values


class IndexAdd(Op):
    """``x`` with ``alpha * source`` added at ``index`` along ``dim`` (repeated indices add)."""

    @staticmethod
    def forward(ctx, x, source, key, alpha):
        ctx.key, ctx.alpha = key, alpha
        out = x.copy()
        backend_of(out).scatter_add(out, ctx.key, source * alpha if alpha != 1 else source)
        return out

    @staticmethod
    def backward(ctx, grad):
        need_x, need_source = ctx.needs_input_grad
        grad_source = None
        if need_source:
            grad_source = grad[ctx.key] if ctx.alpha == 1 else grad[ctx.key] * ctx.alpha
        return (grad if need_x else None), grad_source


class CopySlices(Op):
    """The history of a base tensor after an in-place change of one of its views.

    The new values are already written through the view; this node routes the gradient: the
    view's region of it to the new values (``view`` replays the view on the gradient), the
    rest to the base's previous history. PyTorch records the same node under this name.
    """

    @staticmethod
    def forward(ctx, base, values, view):
        ctx.view, ctx.base = view, base  # the base's layout decides what the view replays to
        return base

    @staticmethod
    def backward(ctx, grad):
        need_base, need_values = ctx.needs_input_grad
        # the region is found by replaying the view on a mask laid out as the base: a view
        # of the same strides (a reshape may view one layout and copy another)
        kept = array_module(ctx.base).ones_like(ctx.base, dtype=bool)
        region = ctx.view(Tensor(kept)).array
        if overlaps_itself(ctx.base) or overlaps_itself(region):  # PyTorch refuses it too
            raise RuntimeError(
                "unsupported operation: more than one element of the written-to tensor refers "
                "to a single memory location: an expand() view was changed in place in a graph; "
                "clone() the tensor before changing it")
        if memory_owner(region) is not kept:
            raise RuntimeError(
                f"an in-place change through a view of a tensor with strides "
                f"{ctx.base.strides} cannot be differentiated here; change a .contiguous() "
                f"copy of the tensor instead")
        grad_base = grad_values = None
        if need_base:
            region[...] = False
            grad_base = grad * kept
        if need_values:
            grad_values = ctx.view(grad) if isinstance(grad, Tensor) else \
                ctx.view(Tensor(grad)).array
        return grad_base, grad_values


def _along_axis_key(index, dim: int) -> tuple:
    """The advanced-index tuple that picks ``index`` along ``dim`` and everything elsewhere."""
    xp = array_module(index)
    key = []
    for axis, size in enumerate(index.shape):
        if axis == dim:
            key.append(index)
        else:
            shape = [1] * index.ndim
            shape[axis] = size
            key.append(xp.arange(size).reshape(shape))
    return tuple(key)


class Gather(Op):
    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.dim, ctx.index, ctx.input_shape = dim, index, x.shape
        return x[_along_axis_key(index, dim)]

    @staticmethod
    def backward(ctx, grad):
        return aot.scatter_into_zeros(grad, ctx.dim, ctx.index, ctx.input_shape)


class ScatterIntoZeros(Op):
    @staticmethod
    def forward(ctx, grad, dim, index, shape):
        if ctx is not None:
            ctx.dim, ctx.index = dim, index
        out = array_module(grad).zeros(shape, dtype=grad.dtype)
        backend_of(out).scatter_add(out, _along_axis_key(index, dim), grad)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad[_along_axis_key(ctx.index, ctx.dim)]


class Cat(Op):
    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.dim = dim
        ctx.bounds = [0]
        for array in arrays:
            ctx.bounds.append(ctx.bounds[-1] + array.shape[dim])
        return array_module(arrays[0]).concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        before = (slice(None),) * ctx.dim
        return tuple(grad[before + (slice(start, stop),)]
                     for start, stop in zip(ctx.bounds, ctx.bounds[1:]))


class Stack(Op):
    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.dim, ctx.count = dim, len(arrays)
        return array_module(arrays[0]).stack(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        before = (slice(None),) * ctx.dim
        return tuple(grad[before + (i,)] for i in range(ctx.count))


def getitem(input: Tensor, key) -> Tensor:
    """``input[key]`` with NumPy's indexing rules (a bool mask, an int64 array, slices...)."""
    try:
        key = normalize_key(key, input.array)
        return GetItem.apply(input, key=key)
    except IndexError as error:
        raise IndexError(f"index {key!r} is invalid for a tensor of shape "
                         f"{tuple(input.shape)}: {error}") from None


def _check_dim(dim: int, ndim: int, name: str) -> int:
    if not -ndim <= dim < ndim:
        raise IndexError(f"{name}: dim {dim} is out of range for {ndim} dimensions")
    return dim % ndim


def gather(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """Picks ``input`` values along ``dim`` at ``index`` (an int64 tensor of input's rank).

    ``out[i][j] = input[i][index[i][j]]`` for dim=1.
    """
    index = _on_device(index, array_module(input.array))
    if index.ndim != input.ndim:
        raise RuntimeError(f"gather: index has {index.ndim} dimensions but input has "
                           f"{input.ndim}; they must have the same number")
    if index.dtype.kind not in "iu":  # type: ignore[attr-defined]  # an array (_on_device)
        raise TypeError(f"gather: index must be an integer tensor, got {index.dtype}")
    dim = _check_dim(dim, input.ndim, "gather")
    if any(i > s for d, (i, s) in enumerate(zip(index.shape, input.shape)) if d != dim):
        raise RuntimeError(f"gather: size does not match at a dimension: expected index "
                           f"{list(index.shape)} to be no larger than input {list(input.shape)} "
                           f"apart from dimension {dim}")
    if _wraps_silently(input.array):
        _check_in_range(index, input.shape[dim], dim)
    return Gather.apply(input, dim=dim, index=index)


def _tensor_list(tensors, name: str) -> list:
    """``tensors`` as a list, checked to be a non-empty sequence of Tensors."""
    if isinstance(tensors, Tensor):  # iterating it would silently join its rows
        raise TypeError(f"{name} expects a list or tuple of Tensors, got a single Tensor; "
                        f"write {name}([a, b, ...])")
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{name} needs a non-empty sequence of tensors")
    for i, tensor in enumerate(tensors):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"{name}: element {i} is a {type(tensor).__name__}, expected Tensor")
    return tensors


def cat(tensors, dim: int = 0) -> Tensor:
    """Joins tensors along an existing dimension; other dimensions must match."""
    tensors = _tensor_list(tensors, "cat")
    dim = _check_dim(dim, tensors[0].ndim, "cat")
    for tensor in tensors[1:]:
        if tensor.ndim != tensors[0].ndim or any(
                a != b for i, (a, b) in enumerate(zip(tensor.shape, tensors[0].shape)) if i != dim):
            raise RuntimeError(f"cat: shapes {[tuple(t.shape) for t in tensors]} differ outside "
                               f"dimension {dim}")
    return Cat.apply(*tensors, dim=dim)


def stack(tensors, dim: int = 0) -> Tensor:
    """Joins same-shape tensors along a new dimension ``dim``."""
    tensors = _tensor_list(tensors, "stack")
    dim = _check_dim(dim, tensors[0].ndim + 1, "stack")
    if any(t.shape != tensors[0].shape for t in tensors):
        raise RuntimeError(f"stack: every tensor must have the same shape, got "
                           f"{[tuple(t.shape) for t in tensors]}")
    return Stack.apply(*tensors, dim=dim)


def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Splits into pieces of ``split_size`` (the last may be smaller) or of the given sizes."""
    dim = _check_dim(dim, tensor.ndim, "split")
    length = tensor.shape[dim]
    if isinstance(split_size_or_sections, int):
        if split_size_or_sections <= 0:
            raise ValueError("split: split_size must be a positive int")
        sizes = [min(split_size_or_sections, length - start)
                 for start in range(0, length, split_size_or_sections)]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != length:
            raise RuntimeError(f"split: sizes {sizes} add up to {sum(sizes)}, but dimension "
                               f"{dim} has size {length}")
    before = (slice(None),) * dim
    pieces, start = [], 0
    for size in sizes:
        pieces.append(getitem(tensor, before + (slice(start, start + size),)))
        start += size
    return refuse_recorded_in_place(tuple(pieces), "split")


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """Splits into ``chunks`` pieces of equal size (the last may be smaller), as PyTorch does."""
    if chunks <= 0:
        raise RuntimeError(f"chunk: chunks must be a positive int, got {chunks}")
    length = input.shape[_check_dim(dim, input.ndim, "chunk")]
    return split(input, max(math.ceil(length / chunks), 1), dim)


def index_add_key(input: Tensor, dim: int, index, source) -> tuple:
    """The key ``index_add`` adds ``source`` at: ``index`` along ``dim``, checked."""
    dim = _check_dim(dim, input.ndim, "index_add")
    index = _on_device(index, array_module(input.array))
    if index.ndim != 1 or index.dtype.kind not in "iu":
        raise IndexError(f"index_add: index must be a 1-d integer tensor, got {index.ndim} "
                         f"dimensions of {index.dtype}")
    expected = input.shape[:dim] + (len(index),) + input.shape[dim + 1:]
    if tuple(source.shape) != expected:
        raise RuntimeError(f"index_add: source has shape {tuple(source.shape)}, expected "
                           f"{expected} (input's shape with len(index) along dim {dim})")
    if _wraps_silently(input.array):
        _check_in_range(index, input.shape[dim], dim)
    return (slice(None),) * dim + (index,)


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, alpha: float = 1) -> Tensor:
    """``input`` with ``alpha * source[i]`` added at position ``index[i]`` of dimension ``dim``;
    ``source`` has input's shape except ``len(index)`` along ``dim``."""
    return IndexAdd.apply(input, source, key=index_add_key(input, dim, index, source), alpha=alpha)


# -- index_select, masked_fill, scatter, nonzero -------------------------------------------------

def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The slices of ``input`` at ``index`` (a 1-d or 0-d integer tensor) along ``dim``: input's
    shape with ``len(index)`` along ``dim``. Repeated indices add their gradients."""
    dim = _check_dim(dim, max(input.ndim, 1), "index_select")
    index = _on_device(index, array_module(input.array))
    if index.ndim > 1:
        raise IndexError(f"index_select(): Index is supposed to be a vector, got "
                         f"{index.ndim} dimensions")
    if index.dtype.kind not in "iu":  # type: ignore[attr-defined]  # an array (_on_device)
        raise RuntimeError(f"index_select(): Expected dtype int32 or int64 for index, got "
                           f"{index.dtype}")
    _check_bounds(index, input.shape[dim] if input.ndim else 1, dim, "index_select")
    if input.ndim == 0:  # PyTorch's rule: one index, the 0-d tensor itself
        if index.size != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got "
                               f"{index.size} value(s)")
        return input.clone()
    return GetItem.apply(input, key=(slice(None),) * dim + (index.reshape(-1),))


def _check_bounds(index, size: int, dim: int, name: str) -> None:
    """RuntimeError unless every index is in [0, size) (no negative index, as PyTorch)."""
    outside = (index >= size) | (index < 0)
    if index.size and outside.any():
        raise RuntimeError(f"{name}: index {int(index[outside][0])} is out of bounds for "
                           f"dimension {dim} with size {size}")


def check_masked_fill(mask, value) -> None:
    """PyTorch's rules for masked_fill: a bool mask (a tensor, or an array of retrograd's own
    code), a number or 0-d tensor as the value."""
    dtype = getattr(mask.array if isinstance(mask, Tensor) else mask, "dtype", None)
    if dtype is None or dtype.kind != "b":
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype if isinstance(mask, Tensor) else dtype}")
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s).")


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """``value`` (a number or a 0-d tensor, cast to input's dtype) where the bool ``mask`` is
    true, else ``input``; input and mask broadcast together."""
    check_masked_fill(mask, value)
    result = where(mask, value, input)
    return result if result.array.dtype == input.array.dtype else result.to(input.dtype)


class Scatter(Op):
    """``x`` with ``src`` (a tensor of at least index's size, or a number) written, or added
    (``add``), at ``index`` along ``dim``: ``out[i][index[i][j]] = src[i][j]`` for dim=1."""

    @staticmethod
    def forward(ctx, x, src, dim, index, add=False):
        if ctx is not None:
            ctx.dim, ctx.index, ctx.add = dim, index, add
            ctx.src_shape = getattr(src, "shape", ())
        out = x.copy()
        write_scatter(out, src, dim, index, add)
        return out

    @staticmethod
    def backward(ctx, grad):
        need_x, need_src = ctx.needs_input_grad
        grad_x = grad_src = None
        if need_x:  # written positions take nothing of the gradient; added ones all of it
            grad_x = grad if ctx.add else _scatter_into(grad, 0.0, ctx.dim, ctx.index)
        if need_src:
            grad_src = grad[_along_axis_key(ctx.index, ctx.dim)]
            if tuple(ctx.index.shape) != tuple(ctx.src_shape):  # src larger than index
                block = tuple(slice(0, n) for n in ctx.index.shape)
                grad_src = aot.index_into_zeros(grad_src, block, ctx.src_shape)
        return grad_x, grad_src


def write_scatter(out, src, dim: int, index, add: bool) -> None:
    """Writes (or adds) ``src``, an array at least index's size or a number, into the array
    ``out`` at ``index`` along ``dim``."""
    key = _along_axis_key(index, dim)
    values = src[tuple(slice(0, n) for n in index.shape)] if getattr(src, "ndim", 0) else src
    if add:
        backend_of(out).scatter_add(out, key, values)
    else:
        out[key] = values


def _scatter_into(grad, value, dim: int, index):
    """``grad`` with ``value`` written at ``index`` along ``dim`` (recorded for a Tensor)."""
    if isinstance(grad, Tensor):
        return Scatter.apply(grad, value, dim=dim, index=index)
    return Scatter.forward(None, grad, value, dim=dim, index=index)


def scatter_arguments(input: Tensor, dim: int, index: Tensor, src, value, reduce,
                      add: bool) -> tuple:
    """``(src or value, dim, index array)``, checked as PyTorch checks the arguments of scatter
    (``add=False``: a tensor ``src`` or a number ``value``) and of scatter_add (a tensor)."""
    name = "scatter_add" if add else "scatter"
    if reduce is not None:
        raise NotImplementedError(f"scatter(reduce={reduce!r}) is not supported; use "
                                  f"scatter_add for sums")
    if add and not isinstance(src, Tensor):
        raise TypeError(f"scatter_add(): argument 'src' (position 4) must be Tensor, not "
                        f"{type(src).__name__}")
    if (src is None) == (value is None):
        raise TypeError("scatter() expects src (a tensor) or value (a number), exactly one")
    src = value if src is None else src
    dim = _check_dim(dim, max(input.ndim, 1), name)
    index = _on_device(index, array_module(input.array))
    if index.dtype.kind not in "iu":  # type: ignore[attr-defined]  # an array (_on_device)
        raise RuntimeError(f"{name}(): Expected dtype int64 for index, got {index.dtype}")
    if index.ndim != input.ndim:
        raise RuntimeError(f"{name}: Index tensor must have the same number of dimensions as "
                           f"self tensor (index {tuple(index.shape)}, self "
                           f"{tuple(input.shape)})")
    src_shape = tuple(src.shape) if isinstance(src, Tensor) else None
    if src_shape is not None:
        if len(src_shape) != index.ndim:
            raise RuntimeError(f"{name}: Index tensor must have the same number of dimensions "
                               f"as src tensor (index {tuple(index.shape)}, src {src_shape})")
        if src.array.dtype != input.array.dtype:
            raise RuntimeError(f"scatter(): Expected self.dtype to be equal to src.dtype "
                               f"(self {input.dtype}, src {src.dtype})")
    if any(n > s for d, (n, s) in enumerate(zip(index.shape, input.shape)) if d != dim) or \
            src_shape is not None and any(n > s for n, s in zip(index.shape, src_shape)):
        raise RuntimeError(f"{name}: Expected index {list(index.shape)} to be no larger than "
                           f"self {list(input.shape)} apart from dimension {dim}" +
                           ("" if src_shape is None else
                            f" and to be no larger size than src {list(src_shape)}"))
    _check_bounds(index, input.shape[dim] if input.ndim else 1, dim, name)
    return src, dim, index


def scatter(input: Tensor, dim: int, index: Tensor, src=None, *, value=None,
            reduce: str | None = None) -> Tensor:
    """A copy of ``input`` with ``src`` (a tensor, at least index's size) or ``value`` (a
    number) written at ``index`` along ``dim``: ``out[i][index[i][j]] = src[i][j]`` for dim=1.

    ``index`` has input's number of dimensions and is no larger than input apart from ``dim``.
    Where an index repeats, one of the values written wins; ``reduce`` is not supported.
    """
    src, dim, index = scatter_arguments(input, dim, index, src, value, reduce, add=False)
    return Scatter.apply(input, src, dim=dim, index=index)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim``:
    ``out[i][index[i][j]] += src[i][j]`` for dim=1; repeated indices add up."""
    src, dim, index = scatter_arguments(input, dim, index, src, None, None, add=True)
    return Scatter.apply(input, src, dim=dim, index=index, add=True)


def nonzero(input: Tensor, *, as_tuple: bool = False):
    """The int64 indices of the non-zero elements: a (count, ndim) tensor, one row per element
    in row-major order, or with ``as_tuple`` one 1-d tensor per dimension (a 0-d input counts as
    1-d there)."""
    module = array_module(input.array)
    if as_tuple:
        array = input.array.reshape(1) if input.ndim == 0 else input.array
        return tuple(Tensor(i.astype(xp.int64, copy=False)) for i in module.nonzero(array))
    return argwhere(input)


def argwhere(input: Tensor) -> Tensor:
    """The int64 indices of the non-zero elements, one row per element: shape (count, ndim)."""
    return Tensor(array_module(input.array).argwhere(input.array).astype(xp.int64, copy=False))

"""Sorting: sort, argsort, topk and unique.

``sort`` and ``topk`` return PyTorch's named pairs ``(values, indices)``; the values are
``gather(input, dim, indices)``, so their gradient is scattered back to the positions picked.
Sorting is always stable here (equal elements keep their order); NaN sorts as the largest value,
as in PyTorch.
"""
from __future__ import annotations

from collections import namedtuple

from ..autograd.function import Op
from ..backend import array_module, xp
from ..tensor import Tensor
from .indexing import gather
from .shape import _dim

sort_result = namedtuple("sort", ["values", "indices"])  # type: ignore[name-match]  # PyTorch's
sort_result.__module__ = "retrograd.return_types"
sort_result.__doc__ = "What sort returns: the sorted values and their int64 indices in input."
topk_result = namedtuple("topk", ["values", "indices"])  # type: ignore[name-match]  # PyTorch's
topk_result.__module__ = "retrograd.return_types"
topk_result.__doc__ = "What topk returns: the k values and their int64 indices in input."

_INT64 = xp.dtype(xp.int64)


def _sorting_indices(array, axis: int, descending: bool):
    """The int64 indices that sort ``array`` stably along ``axis`` (NaN counted largest)."""
    module = array_module(array)
    if not descending:
        return module.argsort(array, axis=axis, kind="stable").astype(_INT64, copy=False)
    # ascending on the reversed array, read backwards: the largest first, ties in input order
    order = module.flip(module.argsort(module.flip(array, axis), axis=axis, kind="stable"), axis)
    return (array.shape[axis] - 1 - order).astype(_INT64, copy=False)


def _picked(input: Tensor, axis: int, indices) -> Tensor:
    """``input``'s values at ``indices`` along ``axis``, in the graph (0-d: input itself)."""
    if input.ndim == 0:
        return input.clone()
    return gather(input, axis, Tensor(indices))


def sort(input: Tensor, dim: int = -1, descending: bool = False, *,
         stable: bool = False) -> sort_result:
    """``(values, indices)``: ``input`` sorted along ``dim`` (ascending unless ``descending``),
    and where each value was; both of input's shape, the indices int64.

    The sort is stable whatever ``stable`` says (PyTorch's unstable order of ties is not
    specified).
    """
    axis = _dim(dim, max(input.ndim, 1), "sort")
    if input.ndim == 0:
        return sort_result(input.clone(), Tensor(array_module(input.array).zeros((), _INT64)))
    indices = _sorting_indices(input.array, axis, descending)
    return sort_result(_picked(input, axis, indices), Tensor(indices))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, *,
            stable: bool = False) -> Tensor:
    """The int64 indices that sort ``input`` along ``dim`` (``sort(...).indices``)."""
    return sort(input, dim, descending, stable=stable).indices


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True,
         sorted: bool = True) -> topk_result:
    """``(values, indices)`` of the ``k`` largest (``largest=False``: smallest) elements along
    ``dim``; the shape is input's with ``k`` along ``dim``.

    They always come sorted (the largest first, or the smallest first), also for
    ``sorted=False``, whose order PyTorch leaves unspecified.
    """
    axis = _dim(dim, max(input.ndim, 1), "topk")
    size = input.shape[axis] if input.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError(f"selected index k out of range: topk: k={k} but dimension {axis} "
                           f"of a tensor of shape {tuple(input.shape)} has {size} elements")
    if input.ndim == 0:  # PyTorch returns the element for k = 0 too
        return topk_result(*sort(input))
    indices = _sorting_indices(input.array, axis, largest)
    indices = indices[(slice(None),) * axis + (slice(0, k),)]
    return topk_result(_picked(input, axis, indices), Tensor(indices))


class Unique(Op):
    """The distinct values of unique, recorded so that a backward through them raises, as in
    PyTorch (which records a node but has no derivative for it)."""

    torch_name = "Unique2"

    @staticmethod
    def forward(ctx, x, values):
        return values

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("the derivative for 'unique' is not implemented (as for "
                                  "PyTorch's '_unique2'); unique's values take no gradient")


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None):
    """The distinct elements of ``input`` in ascending order, as a 1-d tensor.

    ``return_inverse`` also returns, for each element of input (input's shape), the int64 index
    of its value in the output; ``return_counts`` how many times each distinct value occurs.
    The result is a tensor, or a tuple ``(output, inverse?, counts?)`` when either is asked.
    ``sorted=False`` sorts as well (as PyTorch does on the CPU).
    """
    if dim is not None:
        raise NotImplementedError(f"unique(dim={dim}) is not supported: retrograd's unique "
                                  f"works on the flattened tensor only (dim=None)")
    module = array_module(input.array)
    values, inverse, counts = module.unique(input.array, return_inverse=True,
                                            return_counts=True)
    output = Unique.apply(input, values=values)
    if not (return_inverse or return_counts):
        return output
    result = [output]
    if return_inverse:
        result.append(Tensor(inverse.reshape(input.shape).astype(_INT64, copy=False)))
    if return_counts:
        result.append(Tensor(counts.astype(_INT64, copy=False)))
    return tuple(result)

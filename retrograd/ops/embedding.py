"""Embedding: a lookup table, ``weight[indices]``, whose rows are learned vectors."""
from __future__ import annotations

from ..autograd.function import Op
from ..backend import array_module
from ..device import on_one_device
from ..tensor import Tensor
from . import array_or_tensor as aot


class Embedding(Op):
    @staticmethod
    def forward(ctx, weight, indices, padding_idx):
        ctx.indices, ctx.padding_idx, ctx.weight_shape = indices, padding_idx, weight.shape
        return weight[indices]

    @staticmethod
    def backward(ctx, grad):
        if ctx.padding_idx is not None:  # the padding row stays fixed: it gets no gradient
            grad = grad * (ctx.indices != ctx.padding_idx)[..., None]
        # each row receives the sum of the gradients of every place it was looked up
        return aot.index_into_zeros(grad, ctx.indices, ctx.weight_shape)


def check_padding_idx(padding_idx: int | None, num_embeddings: int) -> int | None:
    """``padding_idx`` as a row in [0, num_embeddings) (negative counts from the end)."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"Padding_idx must be within num_embeddings: got {padding_idx} for "
                         f"{num_embeddings} embeddings")
    return padding_idx % num_embeddings


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """Rows of ``weight`` (num_embeddings, embedding_dim) picked by the integer ``input`` (*):
    the result has shape (*, embedding_dim). Row ``padding_idx`` receives no gradient."""
    if isinstance(input, Tensor):
        indices = input.array
        if type(indices) is not type(weight.array):  # PyTorch's error, or a 0-d CPU tensor
            indices = on_one_device([weight.array, indices])[1]
    else:  # host data: made on the weight's device
        indices = array_module(weight.array).asarray(input)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers (int64), got {indices.dtype}; "
                        f"convert them with .long()")
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be a (num_embeddings, embedding_dim) matrix, "
                         f"got shape {tuple(weight.shape)}")
    count = weight.shape[0]
    if indices.size and (indices.min() < 0 or indices.max() >= count):
        bad = indices[(indices < 0) | (indices >= count)][0]
        raise IndexError(f"embedding: index {int(bad)} is out of range: the table has {count} "
                         f"rows, so indices must be in [0, {count - 1}]")
    return Embedding.apply(weight, indices=indices,
                           padding_idx=check_padding_idx(padding_idx, count))


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 indices of shape (*) -> their one-hot vectors, (*, num_classes) of 0s and 1s.

    ``num_classes=-1`` takes one more than the largest index. No gradient (indices are
    integers); ``one_hot(i) @ weight`` is ``embedding(i, weight)``.
    """
    if not isinstance(tensor, Tensor) or tensor.dtype.np_dtype.kind != "i" or \
            tensor.dtype.np_dtype.itemsize != 8:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    indices = tensor.array
    xp = array_module(indices)
    if num_classes == -1:
        if indices.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(indices.max()) + 1
    if indices.size and int(indices.min()) < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes < 0 or indices.size and int(indices.max()) >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return Tensor((indices[..., None] == xp.arange(num_classes)).astype(xp.int64))

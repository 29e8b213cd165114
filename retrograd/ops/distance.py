"""Vector geometry along a dimension: ``normalize``, ``cosine_similarity`` and
``pairwise_distance``, composed of norms and arithmetic (their gradients of any order come from
those operations)."""
from __future__ import annotations

from ..autograd.grad_mode import no_grad
from ..tensor import Tensor


def normalize(input: Tensor, p: float = 2.0, dim=1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """``input / max(||input||_p, eps)`` with the norm taken along ``dim`` (an int or a tuple):
    each slice along ``dim`` becomes a unit vector. Output: the shape of ``input``."""
    result = input / input.norm(p, dim, keepdim=True).clamp(min=eps)
    if out is None:
        return result
    with no_grad():  # as in PyTorch, a result written into out= is not differentiable
        return out.copy_(result)


def _clamped_norm(x: Tensor, dim: int, eps: float) -> Tensor:
    """||x|| along ``dim`` (kept), at least ``eps`` in value; its gradient is the norm's own,
    clamped or not (PyTorch clamps a copy in place, out of the graph)."""
    norm = x.norm(2, dim, keepdim=True).clone()
    with no_grad():
        norm.clamp_(min=eps)
    return norm


def _check_broadcast(x1: Tensor, x2: Tensor) -> tuple:
    """The broadcast shape of x1 and x2, or PyTorch's error naming the sizes that differ."""
    shape1, shape2 = tuple(x1.shape), tuple(x2.shape)
    ndim = max(len(shape1), len(shape2))
    shape1, shape2 = (1,) * (ndim - len(shape1)) + shape1, (1,) * (ndim - len(shape2)) + shape2
    for axis, (a, b) in enumerate(zip(shape1, shape2)):
        if a != b and 1 not in (a, b):
            raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b "
                               f"({b}) at non-singleton dimension {axis}")
    return tuple(max(a, b) for a, b in zip(shape1, shape2))


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``<x1, x2> / (max(||x1||, eps) max(||x2||, eps))`` along ``dim``, in [-1, 1].

    x1 and x2 broadcast to a common shape; ``dim`` is a dimension of it, removed in the
    output. Each vector is divided by its norm before the product, as in PyTorch (stabler).
    """
    shape = _check_broadcast(x1, x2)
    x1, x2 = x1.expand(shape), x2.expand(shape)
    return ((x1 / _clamped_norm(x1, dim, eps)) * (x2 / _clamped_norm(x2, dim, eps))).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """``||x1 - x2 + eps||_p`` along the last dimension: (N, D) and (N, D) -> (N,), or (N, 1)
    with ``keepdim``. The inputs broadcast; ``eps`` keeps the norm's gradient finite where
    x1 == x2."""
    shape = _check_broadcast(x1, x2)
    return (x1 - x2 + eps).norm(p, len(shape) - 1, keepdim=keepdim)

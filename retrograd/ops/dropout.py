"""Dropout: during training, zero each element with probability p and scale the rest by
1 / (1 - p), so that the expected value of every element is unchanged ("inverted" dropout)."""
from __future__ import annotations

from ..backend import xp
from ..random import uniform_array
from ..tensor import Tensor


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zeroes each element with probability ``p`` and multiplies the others by ``1 / (1 - p)``
    when ``training``; returns ``input`` itself otherwise. Same shape as ``input``.

    The random mask comes from rg's global generator (``rg.manual_seed`` makes it repeatable);
    the gradient is the same mask. ``inplace=True`` changes ``input`` itself.
    """
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    keep = uniform_array(input.shape, 0.0, 1.0, input.data.dtype) >= p  # probability 1 - p
    mask = xp.multiply(keep, 0.0 if p == 1 else 1.0 / (1.0 - p), dtype=input.data.dtype)
    return input.mul_(mask) if inplace else input * mask

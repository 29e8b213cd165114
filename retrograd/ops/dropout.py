"""Dropout: during training, zero each element with probability p and scale the rest by
1 / (1 - p), so that the expected value of every element is unchanged ("inverted" dropout)."""
from __future__ import annotations

import warnings

from ..backend import array_module
from ..device import device_of
from ..random import uniform_array
from ..tensor import Tensor


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zeroes each element with probability ``p`` and multiplies the others by ``1 / (1 - p)``
    when ``training``; returns ``input`` itself otherwise. Same shape as ``input``.

    The random mask comes from rg's global generator (``rg.manual_seed`` makes it repeatable);
    the gradient is the same mask. ``inplace=True`` changes ``input`` itself.
    """
    return _drop(input, p, training, inplace, input.shape)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zeroes whole channels: each (example, channel) feature map of ``input`` (N, C, H, W)
    is zeroed with probability ``p`` and the others multiplied by ``1 / (1 - p)`` when
    ``training``. As in PyTorch, a 3D input is taken as (N, C, L)."""
    if input.ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is "
                      f"meant for (N, C, H, W) inputs; use dropout instead", stacklevel=2)
    return _drop(input, p, training, inplace, input.shape[:2] + (1,) * (input.ndim - 2))


def _drop(input: Tensor, p: float, training: bool, inplace: bool, mask_shape: tuple) -> Tensor:
    """Inverted dropout with one random draw per element of ``mask_shape`` (broadcast over
    ``input``: a size-1 dimension drops whole slices)."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    array = input.array  # the mask is drawn on its device, by that device's generator
    keep = uniform_array(mask_shape, 0.0, 1.0, array.dtype, target=device_of(array)) >= p
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)  # for the elements kept, probability 1 - p
    mask = array_module(array).multiply(keep, scale, dtype=array.dtype)
    return input.mul_(mask) if inplace else input * mask

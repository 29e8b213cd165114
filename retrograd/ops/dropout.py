"""Dropout: during training, zero each element with probability p and scale the rest by
1 / (1 - p), so that the expected value of every element is unchanged ("inverted" dropout)."""
from __future__ import annotations

import warnings

from ..backend import array_module
from ..device import device_of
from ..random import uniform_array
from ..recording import recorded
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
    mask = _dropout_mask(input.array, mask_shape, p)
    return input.mul_(mask) if inplace else input * mask


@recorded
def _dropout_mask(array, mask_shape: tuple, p: float):
    """0 with probability ``p``, else ``1 / (1 - p)``, of ``mask_shape`` in ``array``'s dtype,
    drawn on its device by that device's generator (again at each replay of rg.compile)."""
    keep = uniform_array(mask_shape, 0.0, 1.0, array.dtype, target=device_of(array)) >= p
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)  # for the elements kept, probability 1 - p
    return array_module(array).multiply(keep, scale, dtype=array.dtype)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zeroes whole channels of signals: each (example, channel) of ``input`` (N, C, L), or
    each channel of an unbatched (C, L), is zeroed with probability ``p`` and the others
    multiplied by ``1 / (1 - p)`` when ``training``."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D "
                           f"input. Note that dropout1d exists to provide channel-wise dropout "
                           f"on inputs with 1 spatial dimension, a channel dimension, and an "
                           f"optional batch dimension (i.e. 2D or 3D inputs).")
    return _drop(input, p, training, inplace, input.shape[:-1] + (1,))


# SELU's alpha * scale: where a SELU unit saturates, the value a dropped element takes
_SELU_SATURATION = 1.7580993408473766


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Dropout for self-normalizing (SELU) networks: each element is set with probability
    ``p`` to SELU's negative saturation ``-alpha'``, then every element is mapped by the affine
    ``a x + b`` that brings the mean and variance back to those of the input (0 and 1 for a
    standardized input), ``a = ((1 - p) (1 + p alpha'^2))^-1/2``, ``b = a alpha' p`` for the
    kept ones. Returns ``input`` itself unless ``training`` (note: False by default, as in
    PyTorch); p = 1 gives zeros. The gradient is ``a`` at the kept elements, 0 elsewhere."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    if p == 1:
        return input.mul_(0.0) if inplace else input * 0.0
    scale, shift = _alpha_dropout_affine(input.array, p)
    if inplace:
        return input.mul_(scale).add_(shift)
    return input * scale + shift


@recorded
def _alpha_dropout_affine(array, p: float) -> tuple:
    """The random ``(scale, shift)`` of alpha dropout (see ``alpha_dropout``)."""
    keep = uniform_array(array.shape, 0.0, 1.0, array.dtype, target=device_of(array)) >= p
    a = 1.0 / ((_SELU_SATURATION ** 2 * p + 1) * (1 - p)) ** 0.5
    xp = array_module(array)
    scale = xp.multiply(keep, a, dtype=array.dtype)
    # kept: a x + a alpha' p; dropped: a (p - 1) alpha'
    shift = (xp.asarray(keep, dtype=array.dtype) - 1) * (_SELU_SATURATION * a) + \
        _SELU_SATURATION * a * p
    return scale, shift

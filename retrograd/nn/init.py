"""Weight initialisation, in place, as ``torch.nn.init``: ``normal_``, ``uniform_``,
``xavier_uniform_``, ``kaiming_uniform_``, ``calculate_gain``...

Initialisation matters: weights too large saturate tanh and sigmoid, too small make the signal
vanish with depth. Xavier (Glorot) and Kaiming (He) scale the spread by the fan of the layer so
that activations keep about the same variance from layer to layer.

    layer = rg.nn.Linear(784, 256)
    rg.nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
    rg.nn.init.zeros_(layer.bias)

Every function fills its tensor under ``no_grad`` and returns it; random ones take an optional
``generator`` (the global one, seeded by ``rg.manual_seed``, by default).
"""
from __future__ import annotations

import math
import warnings

from ..autograd.grad_mode import no_grad
from ..backend import array_module
from ..random import Generator
from ..tensor import Tensor

_LINEAR_FUNCTIONS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                     "conv_transpose2d", "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended scale of the weights before ``nonlinearity``: 1 for linear and sigmoid,
    5/3 for tanh, sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for leaky_relu (``param`` is the
    slope, 0.01 by default), 3/4 for selu."""
    if nonlinearity in _LINEAR_FUNCTIONS:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}: expected one of "
                     f"{', '.join(_LINEAR_FUNCTIONS)}, tanh, relu, leaky_relu, selu")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """Inputs and outputs feeding one weight: for a (out, in, *kernel) tensor, in * kernel size
    and out * kernel size (so a Linear weight (out, in) has fan_in = in)."""
    if tensor.ndim < 2:
        raise ValueError(f"Fan in and fan out can not be computed for tensor with fewer than 2 "
                         f"dimensions (got shape {tuple(tensor.shape)})")
    receptive_field_size = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field_size, tensor.shape[0] * receptive_field_size


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0,
             generator: Generator | None = None) -> Tensor:
    """Fills ``tensor`` with samples of U(a, b)."""
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0,
            generator: Generator | None = None) -> Tensor:
    """Fills ``tensor`` with samples of N(mean, std^2)."""
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fills ``tensor`` with ``val``."""
    with no_grad():
        return tensor.fill_(val)


def ones_(tensor: Tensor) -> Tensor:
    """Fills ``tensor`` with ones."""
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    """Fills ``tensor`` with zeros."""
    return constant_(tensor, 0.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0,
                    generator: Generator | None = None) -> Tensor:
    """Glorot initialisation: U(-a, a) with ``a = gain * sqrt(6 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std  # U(-a, a) has standard deviation a / sqrt(3)
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0,
                   generator: Generator | None = None) -> Tensor:
    """Glorot initialisation: N(0, std^2) with ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float | None:
    # None for a tensor without elements, which there is nothing to fill (PyTorch warns too)
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    return calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(tensor, mode))


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     generator: Generator | None = None) -> Tensor:
    """He initialisation: U(-bound, bound) with ``bound = gain * sqrt(3 / fan)``.

    ``mode='fan_in'`` keeps the variance of activations in the forward pass, ``'fan_out'``
    that of gradients in the backward pass; ``a`` is the negative slope of a leaky_relu.
    """
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    generator: Generator | None = None) -> Tensor:
    """He initialisation: N(0, std^2) with ``std = gain / sqrt(fan)``."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std, generator)


def eye_(tensor: Tensor) -> Tensor:
    """Fills the 2-D ``tensor`` with the identity matrix (ones on the diagonal, zeros
    elsewhere; a rectangular one keeps the min(rows, columns) ones): a Linear layer that
    starts by passing its inputs through."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    xp = array_module(tensor.array)
    with no_grad():
        return tensor.copy_(Tensor(xp.eye(*tensor.shape, dtype=tensor.array.dtype)))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fills the 3-, 4- or 5-D convolution weight ``tensor`` (out, in, *kernel) with the Dirac
    delta: output channel o of each of the ``groups`` copies the input channel o at the
    kernel's centre, so the convolution starts as the identity (as many channels as fit)."""
    if tensor.ndim not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor.shape
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per_group = sizes[0] // groups
    channels = min(out_per_group, sizes[1])
    xp = array_module(tensor.array)
    delta = xp.zeros(tuple(sizes), dtype=tensor.array.dtype)
    centre = tuple(size // 2 for size in sizes[2:])
    for g in range(groups):
        for d in range(channels):
            delta[(g * out_per_group + d, d) + centre] = 1
    with no_grad():
        return tensor.copy_(Tensor(delta))


def orthogonal_(tensor: Tensor, gain: float = 1, generator: Generator | None = None) -> Tensor:
    """Fills ``tensor`` (at least 2-D, seen as rows = its first dimension by columns = the
    rest) with a random (semi-)orthogonal matrix times ``gain``: the Q of the QR decomposition
    of a standard normal matrix, its columns' signs fixed by R's diagonal so that Q is
    uniformly distributed (Saxe et al., 2013)."""
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor  # nothing to fill
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flattened = normal_(tensor.new_empty((rows, cols)), 0.0, 1.0, generator).array
    xp = array_module(flattened)
    if rows < cols:
        flattened = flattened.T
    q, r = xp.linalg.qr(flattened)
    q = q * xp.sign(xp.diagonal(r))  # a unique, uniformly distributed Q
    if rows < cols:
        q = q.T
    with no_grad():
        return tensor.copy_(Tensor(xp.ascontiguousarray(q).reshape(tensor.shape) * gain))

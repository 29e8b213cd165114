"""Normalization: ``batch_norm`` and ``layer_norm``, composed of existing operations.

Both standardize values, ``(x - mean) / sqrt(var + eps)``, then scale and shift them by learned
per-feature ``weight`` and ``bias``. They differ in what the statistics are taken over:
batch norm over the batch (every dimension but the channels), layer norm over the last
dimensions of each example. Being compositions, their backward (and gradients of gradients)
come from the operations they are made of.
"""
from __future__ import annotations

import math

from ..autograd.grad_mode import no_grad
from ..tensor import Tensor


def _standardize(input: Tensor, axes: tuple, eps: float, weight: Tensor | None,
                 bias: Tensor | None) -> tuple[Tensor, Tensor, Tensor]:
    """``(input - mean) / sqrt(var + eps) * weight + bias`` with the mean and the biased variance
    taken over ``axes``; returns it with that mean and variance (kept dimensions)."""
    mean = input.mean(axes, keepdim=True)
    centered = input - mean
    var = (centered * centered).mean(axes, keepdim=True)
    scale = (var + eps) ** -0.5
    if weight is not None:
        scale = scale * weight  # scaling the small (1, C) factor saves a pass over the input
    out = centered * scale
    if bias is not None:
        out = out + bias
    return out, mean, var


def _check_channels(input: Tensor, name: str, value: Tensor | None) -> None:
    if value is not None and tuple(value.shape) != (input.shape[1],):
        raise RuntimeError(f"batch_norm: {name} should have one element per channel of the "
                           f"input, shape ({input.shape[1]},), but got shape "
                           f"{tuple(value.shape)} for input of shape {tuple(input.shape)}")


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalizes each channel of ``input`` (N, C) or (N, C, L...) over the batch.

    ``training=True`` uses the batch mean and biased variance, and updates ``running_mean``
    and ``running_var`` (C,) in place when given: ``running = (1 - momentum) * running +
    momentum * batch``, with the unbiased variance for ``running_var`` (as PyTorch).
    ``training=False`` normalizes with the running statistics instead.
    ``weight`` and ``bias`` (C,) scale and shift each channel afterwards.
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm expects an input (N, C) or (N, C, L...), got shape "
                         f"{tuple(input.shape)}")
    for name, value in (("running_mean", running_mean), ("running_var", running_var),
                        ("weight", weight), ("bias", bias)):
        _check_channels(input, name, value)
    channels = input.shape[1]
    per_channel = (channels,) + (1,) * (input.ndim - 2)  # broadcasts over (N, C, L...)
    weight = None if weight is None else weight.reshape(per_channel)
    bias = None if bias is None else bias.reshape(per_channel)
    if not training:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean and running_var must be given in "
                               "evaluation mode (training=False)")
        # a fixed affine map: one multiply and one add over the input
        scale = (running_var.reshape(per_channel) + eps) ** -0.5
        if weight is not None:
            scale = scale * weight
        shift = -running_mean.reshape(per_channel) * scale
        if bias is not None:
            shift = shift + bias
        return input * scale + shift
    count = input.numel() // channels
    if count <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {tuple(input.shape)}")
    axes = (0,) + tuple(range(2, input.ndim))  # every dimension but the channels
    out, mean, var = _standardize(input, axes, eps, weight, bias)
    with no_grad():
        if running_mean is not None:
            running_mean.mul_(1 - momentum).add_(mean.reshape(channels) * momentum)
        if running_var is not None:  # the unbiased variance: count / (count - 1) times larger
            running_var.mul_(1 - momentum).add_(
                var.reshape(channels) * (momentum * count / (count - 1)))
    return out


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalizes each example over its last dimensions, those of ``normalized_shape``.

    input (*, *normalized_shape); ``weight`` and ``bias`` have shape ``normalized_shape``.
    The same computation in training and evaluation (no running statistics).
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else \
        tuple(normalized_shape)
    if input.ndim < len(shape) or tuple(input.shape[input.ndim - len(shape):]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size "
                           f"{tuple(input.shape)}")
    for name, value in (("weight", weight), ("bias", bias)):
        if value is not None and tuple(value.shape) != shape:
            raise RuntimeError(f"layer_norm: {name} should have the normalized shape {shape}, "
                               f"got {tuple(value.shape)}")
    axes = tuple(range(input.ndim - len(shape), input.ndim))
    return _standardize(input, axes, eps, weight, bias)[0]


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalizes each example over groups of channels: input (N, C, *) with C divisible by
    ``num_groups``; the mean and biased variance of each (example, group) are taken over its
    C / num_groups channels and every spatial position. ``weight`` and ``bias`` (C,) then
    scale and shift each channel. The same in training and evaluation."""
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.ndim}")
    n, channels = input.shape[:2]
    sizes = [n * channels // num_groups, num_groups] + list(input.shape[2:])
    if sizes[0] * math.prod(sizes[2:]) == 1:  # PyTorch's check, as it words and computes it
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {sizes}")
    if channels % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(input.shape)} and "
                           f"num_groups={num_groups}")
    for name, value in (("weight", weight), ("bias", bias)):
        if value is not None and (value.ndim != 1 or value.shape[0] != channels):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape "
                               f"{list(value.shape)} and input of shape {list(input.shape)}")
    grouped = input.reshape(n, num_groups, -1)
    out = _standardize(grouped, (2,), eps, None, None)[0].reshape(input.shape)
    per_channel = (channels,) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(per_channel)
    if bias is not None:
        out = out + bias.reshape(per_channel)
    return out


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalizes each (example, channel) of ``input`` (N, C, *) over its positions alone.

    ``use_input_stats=True`` uses each instance's mean and biased variance, and updates
    ``running_mean`` and ``running_var`` (C,) in place when given, with the average over the
    batch of the instances' mean and unbiased variance (``running = (1 - momentum) running +
    momentum batch``). ``use_input_stats=False`` normalizes with the running statistics, as
    batch norm in evaluation. ``weight`` and ``bias`` (C,) scale and shift each channel.
    """
    if input.ndim < 2:
        raise ValueError(f"instance_norm expects an input (N, C, *), got shape "
                         f"{tuple(input.shape)}")
    for name, value in (("running_mean", running_mean), ("running_var", running_var),
                        ("weight", weight), ("bias", bias)):
        _check_channels(input, name, value)
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    count = math.prod(input.shape[2:])
    if count == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"{list(input.shape)}")
    per_channel = (input.shape[1],) + (1,) * (input.ndim - 2)
    out, mean, var = _standardize(input, tuple(range(2, input.ndim)), eps,
                                  None if weight is None else weight.reshape(per_channel),
                                  None if bias is None else bias.reshape(per_channel))
    with no_grad():
        if running_mean is not None:
            running_mean.mul_(1 - momentum).add_(
                mean.reshape(input.shape[:2]).mean(0) * momentum)
        if running_var is not None:  # the unbiased variance: count / (count - 1) times larger
            running_var.mul_(1 - momentum).add_(
                var.reshape(input.shape[:2]).mean(0) * (momentum * count / (count - 1)))
    return out

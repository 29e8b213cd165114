"""Normalization layers: ``BatchNorm1d`` and ``BatchNorm2d`` (statistics over the batch),
``LayerNorm`` (statistics over each example's features) and ``GroupNorm`` (over groups of
channels)."""
from __future__ import annotations

import warnings

from ... import dtype as dtypes
from ...creation import ones, tensor, zeros
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter


class _BatchNorm(Module):
    """Batch normalization per channel C (dimension 1), what BatchNorm1d and BatchNorm2d share.

    Training mode normalizes with the batch's mean and (biased) variance and keeps running
    averages of them, ``running = (1 - momentum) * running + momentum * batch`` (the unbiased
    variance for ``running_var``; ``momentum=None`` makes it a plain cumulative average).
    Evaluation mode normalizes with the running averages. ``affine`` adds a learned scale
    ``weight`` (ones) and shift ``bias`` (zeros); ``track_running_stats=False`` keeps no
    running averages and always uses the batch's statistics.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None,
                 dtype=None, *, bias: bool = True) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        factory = {"device": device, "dtype": dtype}
        self.register_parameter("weight", Parameter(ones(num_features, **factory))
                                if affine else None)
        self.register_parameter("bias", Parameter(zeros(num_features, **factory))
                                if affine and bias else None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, **factory))
            self.register_buffer("running_var", ones(num_features, **factory))
            self.register_buffer("num_batches_tracked",
                                 tensor(0, dtype=dtypes.int64, device=device))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batch seen."""
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            init.zeros_(self.num_batches_tracked)

    def reset_parameters(self) -> None:
        """Resets the running statistics, and the scale to ones and the shift to zeros."""
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        if input.shape[1] != self.num_features:
            raise ValueError(f"{self._get_name()}({self.num_features}) expects "
                             f"{self.num_features} channels in dimension 1, got input of shape "
                             f"{tuple(input.shape)}")
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # a cumulative average of every batch seen so far
                momentum = 1.0 / self.num_batches_tracked.item()
        # batch statistics in training, and whenever there are no running ones to use
        use_batch_stats = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch_stats, momentum, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) inputs, per channel C (statistics over N and
    L). See ``_BatchNorm`` for the arguments and the running statistics."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.ndim}D input): BatchNorm1d "
                             f"takes (N, C) or (N, C, L)")


class BatchNorm2d(_BatchNorm):
    """Batch normalization of images (N, C, H, W), per channel C: statistics over N, H and W,
    one (weight, bias) pair per channel. Same arguments and train/eval behaviour as
    BatchNorm1d.

    >>> rg.nn.BatchNorm2d(6)(rg.randn(8, 6, 28, 28)).shape
    (8, 6, 28, 28)
    """

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim != 4:
            raise ValueError(f"expected 4D input (got {input.ndim}D input): BatchNorm2d takes "
                             f"(N, C, H, W)")


class _ScaleAndShift(Module):
    """A normalization's learned ``weight`` (ones) and ``bias`` (zeros), either optional."""

    def _register_scale_and_shift(self, shape, scale: bool, shift: bool, device,
                                  dtype) -> None:
        factory = {"device": device, "dtype": dtype}
        self.register_parameter("weight", Parameter(ones(shape, **factory)) if scale else None)
        self.register_parameter("bias", Parameter(zeros(shape, **factory))
                                if scale and shift else None)

    def reset_parameters(self) -> None:
        """Scale back to ones, shift to zeros."""
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)


class LayerNorm(_ScaleAndShift):
    """Layer normalization: each example normalized over its last dimensions, the
    ``normalized_shape`` (an int for the last dimension alone), then scaled by ``weight``
    (ones) and shifted by ``bias`` (zeros) when ``elementwise_affine``.

    input (*, *normalized_shape) -> output of the same shape; the same in training and
    evaluation.
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        self.normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else \
            tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        self._register_scale_and_shift(self.normalized_shape, elementwise_affine, bias, device,
                                       dtype)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(_ScaleAndShift):
    """Group normalization: the ``num_channels`` channels of (N, C, *) inputs split into
    ``num_groups`` groups, each (example, group) normalized over its channels and positions,
    then each channel scaled by ``weight`` (ones) and shifted by ``bias`` (zeros) when
    ``affine``. Independent of the batch size; the same in training and evaluation.

    >>> rg.nn.GroupNorm(2, 6)(rg.randn(4, 6, 8, 8)).shape
    (4, 6, 8, 8)
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device=None, dtype=None, *, bias: bool = True) -> None:
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups, self.num_channels, self.eps = num_groups, num_channels, eps
        self.affine = affine
        self._register_scale_and_shift(num_channels, affine, bias, device, dtype)

    def forward(self, input: Tensor) -> Tensor:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")


class _InstanceNorm(_BatchNorm):
    """Instance normalization: each (example, channel) normalized over its positions alone.

    ``affine=True`` adds a learned per-channel scale and shift; ``track_running_stats=True``
    keeps running averages of the instances' statistics (updated in training) and normalizes
    with them in evaluation. Unbatched inputs (C, *) are one example.
    """

    _spatial: int  # the positions' dimensions: 1 for InstanceNorm1d, 2 for InstanceNorm2d

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device=None,
                 dtype=None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def forward(self, input: Tensor) -> Tensor:
        unbatched = self._spatial + 1  # dimensions of an unbatched input
        if input.ndim not in (unbatched, unbatched + 1):
            raise ValueError(f"expected {unbatched}D or {unbatched + 1}D input (got "
                             f"{input.ndim}D input)")
        feature_dim = input.ndim - unbatched
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim={feature_dim} to match "
                                 f"num_features ({self.num_features}), but got: "
                                 f"{input.shape[feature_dim]}.")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. "
                          f"You can silence this warning by not passing in num_features, "
                          f"which is not used because affine=False", stacklevel=2)
        x = input.unsqueeze(0) if feature_dim == 0 else input
        out = F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                              self.training or not self.track_running_stats,
                              0.0 if self.momentum is None else self.momentum, self.eps)
        return out.squeeze(0) if feature_dim == 0 else out


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization of signals (N, C, L) or (C, L): each channel of each example
    normalized over its L positions. See ``_InstanceNorm``."""

    _spatial = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization of images (N, C, H, W) or (C, H, W): each channel of each
    example normalized over its H x W pixels (as in style transfer). See ``_InstanceNorm``."""

    _spatial = 2

"""Convolution layers: ``Conv1d``, ``Conv2d``, ``ConvTranspose1d`` and ``ConvTranspose2d``, with
PyTorch's arguments, weight layout and initialisation."""
from __future__ import annotations

import math
from typing import Any, Callable, NoReturn

from ...creation import empty
from ...ops.conv import ntuple
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def raise_for_layer(layer: Module, error: Exception) -> NoReturn:
    """Raises ``error`` again with the layer that received the bad input named first, e.g.
    ``Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1)): expected input with 3 channels...``."""
    raise type(error)(f"{layer!r}: {error}") from None


class _ConvNd(Module):
    """What Conv1d and Conv2d share: arguments, parameters, initialisation and repr."""

    _spatial: int                  # 1 or 2 spatial dimensions
    _function: Callable[..., Tensor]  # F.conv1d or F.conv2d
    _transposed = False  # weight (in, out/groups, *kernel) instead of (out, in/groups, *kernel)

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device=None, dtype=None) -> None:
        super().__init__()
        spatial = self._spatial
        if not isinstance(groups, int) or groups <= 0:
            raise ValueError(f"groups must be a positive integer, got {groups!r}")
        if in_channels % groups:
            raise ValueError(f"in_channels ({in_channels}) must be divisible by groups "
                             f"({groups})")
        if out_channels % groups:
            raise ValueError(f"out_channels ({out_channels}) must be divisible by groups "
                             f"({groups})")
        self.kernel_size = ntuple(kernel_size, spatial, "kernel_size", 1)
        self.stride = ntuple(stride, spatial, "stride", 1)
        self.dilation = ntuple(dilation, spatial, "dilation", 1)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 f"{{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding: str | tuple[int, ...] = padding
        else:
            self.padding = ntuple(padding, spatial, "padding")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, but got "
                             f"padding_mode='{padding_mode}'")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.padding_mode = padding_mode
        self.transposed, self.output_padding = self._transposed, (0,) * spatial
        factory = {"device": device, "dtype": dtype}
        channels = (in_channels, out_channels // groups) if self._transposed else \
            (out_channels, in_channels // groups)
        self.weight = Parameter(empty(*channels, *self.kernel_size, **factory))
        self.register_parameter("bias", Parameter(empty(out_channels, **factory))
                                if bias else None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draws the weights again with PyTorch's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        for weight and bias, fan_in = in_channels / groups * kernel size."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def _edge_padding(self) -> tuple:
        """F.pad's amounts, last dimension first, for a padding_mode other than zeros."""
        if self.padding == "valid":
            return (0, 0) * self._spatial
        if self.padding == "same":
            totals = [d * (k - 1) for k, d in zip(self.kernel_size, self.dilation)]
            pairs = [(total // 2, total - total // 2) for total in totals]
        else:
            pairs = [(p, p) for p in self.padding]  # type: ignore[misc]  # numbers here
        return tuple(side for pair in reversed(pairs) for side in pair)

    def forward(self, input: Tensor) -> Tensor:
        try:
            if self.padding_mode != "zeros":
                input = F.pad(input, self._edge_padding(), mode=self.padding_mode)
                return self._function(input, self.weight, self.bias, self.stride, 0,
                                      self.dilation, self.groups)
            return self._function(input, self.weight, self.bias, self.stride, self.padding,
                                  self.dilation, self.groups)
        except (RuntimeError, ValueError) as error:
            raise_for_layer(self, error)

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * self._spatial:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self._spatial:
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self._spatial:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class Conv1d(_ConvNd):
    """1-D convolution (cross-correlation) layer over signals.

    input (N, C_in, L) or (C_in, L) -> output (N, C_out, L_out),
    ``L_out = floor((L + 2 padding - dilation (kernel_size - 1) - 1) / stride) + 1``.
    ``weight`` (C_out, C_in / groups, kernel_size); ``bias`` (C_out,). ``padding`` is an int,
    ``'valid'`` or ``'same'``; ``padding=kernel_size - 1`` gives the *full* convolution.
    ``padding_mode``: ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.

    >>> rg.nn.Conv1d(2, 4, kernel_size=3, padding="same")(rg.randn(8, 2, 50)).shape
    (8, 4, 50)
    """

    _spatial = 1
    _function = staticmethod(F.conv1d)


class Conv2d(_ConvNd):
    """2-D convolution (cross-correlation) layer over images.

    input (N, C_in, H, W) or (C_in, H, W) -> output (N, C_out, H_out, W_out),
    ``H_out = floor((H + 2 padding - dilation (kh - 1) - 1) / stride) + 1`` (the same for W).
    ``weight`` (C_out, C_in / groups, kh, kw), ``bias`` (C_out,); it has
    ``C_out * (C_in / groups * kh * kw + 1)`` parameters. ``kernel_size``, ``stride``,
    ``padding``, ``dilation``: an int or a pair; ``padding`` may also be ``'valid'`` or
    ``'same'``. ``groups`` convolves groups of channels separately.

    >>> conv = rg.nn.Conv2d(1, 6, kernel_size=5, padding=2)
    >>> conv(rg.randn(64, 1, 28, 28)).shape
    (64, 6, 28, 28)
    """

    _spatial = 2
    _function = staticmethod(F.conv2d)


class _ConvTransposeNd(_ConvNd):
    """What ConvTranspose1d and ConvTranspose2d share: PyTorch's argument order (output_padding
    after padding, dilation last), the weight (in_channels, out_channels / groups, *kernel),
    and ``forward(input, output_size=None)``."""

    _transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device=None,
                 dtype=None) -> None:
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for '
                             f"{type(self).__name__}")
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__}: padding must be an int or a tuple of "
                             f"ints, got {padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)
        self.output_padding = ntuple(output_padding, self._spatial, "output_padding")

    def _output_padding(self, input: Tensor, output_size: Any) -> tuple:
        """The output_padding that gives ``output_size`` (PyTorch's rule and errors)."""
        if output_size is None:
            return self.output_padding
        spatial = self._spatial
        leading = 2 if input.ndim == spatial + 2 else 1
        output_size = list(output_size)
        if len(output_size) == leading + spatial:
            output_size = output_size[leading:]
        if len(output_size) != spatial:
            raise ValueError(f"ConvTranspose{spatial}D: for {input.ndim}D input, output_size "
                             f"must have {spatial} or {leading + spatial} elements (got "
                             f"{len(output_size)})")
        padding: Any = self.padding  # numbers: a transposed convolution takes no 'same'
        smallest = [(size - 1) * s - 2 * p + d * (k - 1) + 1 for size, s, p, d, k in
                    zip(input.shape[leading:], self.stride, padding, self.dilation,
                        self.kernel_size)]
        largest = [low + s - 1 for low, s in zip(smallest, self.stride)]
        if any(not low <= size <= high for size, low, high in
               zip(output_size, smallest, largest)):
            raise ValueError(f"requested an output size of {output_size}, but valid sizes "
                             f"range from {smallest} to {largest} (for an input of "
                             f"{input.shape[leading:]})")
        return tuple(size - low for size, low in zip(output_size, smallest))

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        output_padding = self._output_padding(input, output_size)
        try:
            return self._function(input, self.weight, self.bias, self.stride, self.padding,
                                  output_padding, self.groups, self.dilation)
        except (RuntimeError, ValueError) as error:
            raise_for_layer(self, error)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution layer (the gradient of a Conv1d with respect to its input),
    which upsamples signals: input (N, C_in, L) or (C_in, L) -> (N, C_out, L_out),
    ``L_out = (L - 1) stride - 2 padding + dilation (kernel_size - 1) + output_padding + 1``.
    ``weight`` (C_in, C_out / groups, kernel_size); ``bias`` (C_out,).
    """

    _spatial = 1
    _function = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution layer (the gradient of a Conv2d with respect to its input),
    which upsamples images: input (N, C_in, H, W) or (C_in, H, W) -> (N, C_out, H_out, W_out),
    ``H_out = (H - 1) stride - 2 padding + dilation (kh - 1) + output_padding + 1`` (the same
    for W). ``weight`` (C_in, C_out / groups, kh, kw); ``bias`` (C_out,).

    >>> up = rg.nn.ConvTranspose2d(16, 8, kernel_size=3, stride=2, padding=1, output_padding=1)
    >>> up(rg.randn(4, 16, 7, 7)).shape
    (4, 8, 14, 14)
    """

    _spatial = 2
    _function = staticmethod(F.conv_transpose2d)

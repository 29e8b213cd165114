"""Pooling layers: ``MaxPool1d/2d``, ``AvgPool1d/2d``, ``AdaptiveAvgPool1d/2d``, thin modules
over the functions of ``rg.nn.functional`` with PyTorch's arguments."""
from __future__ import annotations

from typing import Any, Callable

from ...tensor import Tensor
from .. import functional as F
from ..module import Module
from .conv import raise_for_layer


class _Pool(Module):
    """Calls ``_function`` with the layer's settings, naming the layer in input errors."""

    _function: Callable[..., Any]

    def _settings(self) -> dict:
        raise NotImplementedError

    def forward(self, input: Tensor) -> Any:
        try:
            return self._function(input, **self._settings())
        except (RuntimeError, ValueError) as error:
            raise_for_layer(self, error)


class _MaxPoolNd(_Pool):
    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size  # windows side by side
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def _settings(self) -> dict:
        return dict(kernel_size=self.kernel_size, stride=self.stride, padding=self.padding,
                    dilation=self.dilation, ceil_mode=self.ceil_mode,
                    return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """The maximum of each window of ``kernel_size`` values: (N, C, L) -> (N, C, L_out),
    ``L_out = floor((L + 2 padding - dilation (kernel_size - 1) - 1) / stride) + 1``;
    ``stride`` defaults to ``kernel_size``. The gradient goes to each window's maximum."""

    _function = staticmethod(F.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    """The maximum of each kh x kw window: (N, C, H, W) -> (N, C, H_out, W_out),
    ``H_out = floor((H + 2 padding - dilation (kh - 1) - 1) / stride) + 1``; ``stride``
    defaults to ``kernel_size``. No parameters. The gradient goes to each window's maximum.

    >>> rg.nn.MaxPool2d(2)(rg.randn(64, 6, 28, 28)).shape
    (64, 6, 14, 14)
    """

    _function = staticmethod(F.max_pool2d)


class _AvgPoolNd(_Pool):
    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size  # windows side by side
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad = count_include_pad

    def _settings(self) -> dict:
        return dict(kernel_size=self.kernel_size, stride=self.stride, padding=self.padding,
                    ceil_mode=self.ceil_mode, count_include_pad=self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """The average of each window of ``kernel_size`` values: (N, C, L) -> (N, C, L_out),
    ``L_out = floor((L + 2 padding - kernel_size) / stride) + 1``; ``stride`` defaults to
    ``kernel_size``; the zero padding counts in the average unless
    ``count_include_pad=False``."""

    _function = staticmethod(F.avg_pool1d)

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        def single(value: Any) -> Any:  # PyTorch keeps AvgPool1d's settings as 1-tuples
            return value if value is None or isinstance(value, (tuple, list)) else (value,)
        super().__init__(single(kernel_size), single(stride), single(padding), ceil_mode,
                         count_include_pad)


class AvgPool2d(_AvgPoolNd):
    """The average of each kh x kw window: (N, C, H, W) -> (N, C, H_out, W_out),
    ``H_out = floor((H + 2 padding - kh) / stride) + 1``; ``stride`` defaults to
    ``kernel_size``; the zero padding counts in the average unless
    ``count_include_pad=False``; ``divisor_override`` replaces the window size as divisor."""

    _function = staticmethod(F.avg_pool2d)

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        self.divisor_override = divisor_override

    def _settings(self) -> dict:
        return dict(super()._settings(), divisor_override=self.divisor_override)


class AdaptiveAvgPool1d(_Pool):
    """Average pooling to ``output_size`` values whatever the input's length:
    (N, C, L) -> (N, C, output_size)."""

    _function = staticmethod(F.adaptive_avg_pool1d)

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def _settings(self) -> dict:
        return dict(output_size=self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(AdaptiveAvgPool1d):
    """Average pooling to ``output_size`` (an int, a pair, None in a pair keeps that size)
    whatever the input's size: (N, C, H, W) -> (N, C, *output_size).
    ``AdaptiveAvgPool2d(1)`` is global average pooling."""

    _function = staticmethod(F.adaptive_avg_pool2d)


class AdaptiveMaxPool1d(_Pool):
    """Max pooling to ``output_size`` values whatever the input's length: (N, C, L) ->
    (N, C, output_size); ``return_indices=True`` also returns where each maximum was."""

    _function = staticmethod(F.adaptive_max_pool1d)

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def _settings(self) -> dict:
        return dict(output_size=self.output_size, return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(AdaptiveMaxPool1d):
    """Max pooling to ``output_size`` (an int, a pair, None in a pair keeps that size)
    whatever the input's size: (N, C, H, W) -> (N, C, *output_size).
    ``AdaptiveMaxPool2d(1)`` is global max pooling."""

    _function = staticmethod(F.adaptive_max_pool2d)

"""Padding layers: ``ZeroPad1d/2d``, ``ConstantPad1d/2d``, ``ReflectionPad1d/2d`` and
``ReplicationPad1d/2d``, ``F.pad`` as modules. ``padding`` is an int (the same on every side)
or a tuple: (left, right) for 1d, (left, right, top, bottom) for 2d."""
from __future__ import annotations

from typing import Any

from ...tensor import Tensor
from .. import functional as F
from ..module import Module


def _sides(padding: Any, count: int) -> tuple:
    return tuple(padding) if isinstance(padding, (tuple, list)) else (padding,) * count


class _PadNd(Module):
    """``F.pad(input, padding, mode)``; ``_sides`` is 2 (1d) or 4 (2d) amounts."""

    _mode: str
    _sides: int

    def __init__(self, padding: Any) -> None:
        super().__init__()
        self.padding = _sides(padding, self._sides)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    _mode = "constant"

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pads the last dimension of (N, C, L) or (C, L) with ``value``: L + left + right."""

    _sides = 2


class ConstantPad2d(_ConstantPadNd):
    """Pads the last two dimensions of (N, C, H, W) or (C, H, W) with ``value``."""

    _sides = 4


class ZeroPad1d(ConstantPad1d):
    """Pads the last dimension with zeros: (N, C, L) -> (N, C, L + left + right)."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pads the last two dimensions with zeros: (N, C, H, W) -> (N, C, H + top + bottom,
    W + left + right)."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Pads the last dimension with its mirror image, the edge not repeated (each amount
    smaller than the size): [1, 2, 3] padded by 2 is [3, 2, 1, 2, 3, 2, 1]."""

    _mode, _sides = "reflect", 2


class ReflectionPad2d(_PadNd):
    """Pads the last two dimensions with their mirror image, the edge not repeated."""

    _mode, _sides = "reflect", 4


class ReplicationPad1d(_PadNd):
    """Pads the last dimension by repeating its edge values: [1, 2, 3] padded by 2 is
    [1, 1, 1, 2, 3, 3, 3]."""

    _mode, _sides = "replicate", 2


class ReplicationPad2d(_PadNd):
    """Pads the last two dimensions by repeating their edge values."""

    _mode, _sides = "replicate", 4

"""``Dropout``: a regulariser that zeroes random elements during training only."""
from __future__ import annotations

from ...tensor import Tensor
from .. import functional as F
from ..module import Module


class Dropout(Module):
    """In training mode, zeroes each element with probability ``p`` and scales the others by
    ``1 / (1 - p)``; in evaluation mode (``.eval()``), returns the input unchanged.

    Any shape; the output has the input's shape. The mask is drawn from rg's global generator.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout2d(Dropout):
    """In training mode, zeroes whole channels: each (example, channel) feature map of a
    (N, C, H, W) input with probability ``p``, the others scaled by ``1 / (1 - p)``; in
    evaluation mode, returns the input unchanged. Neighbouring pixels are correlated, so
    dropping single ones regularises little: dropping maps does."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout2d(input, self.p, self.training, self.inplace)


class Dropout1d(Dropout):
    """In training mode, zeroes whole channels of signals: each (example, channel) of a
    (N, C, L) input, or each channel of (C, L), with probability ``p``, the others scaled by
    ``1 / (1 - p)``; in evaluation mode, returns the input unchanged."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout1d(input, self.p, self.training, self.inplace)


class AlphaDropout(Dropout):
    """Dropout for SELU networks: in training mode, sets elements with probability ``p`` to
    SELU's negative saturation and maps all by an affine transformation that keeps the mean
    and variance of a standardized input; in evaluation mode, the identity."""

    def forward(self, input: Tensor) -> Tensor:
        return F.alpha_dropout(input, self.p, self.training)

"""Distance layers: ``CosineSimilarity`` and ``PairwiseDistance`` between two batches of
vectors (no parameters)."""
from __future__ import annotations

from ...tensor import Tensor
from .. import functional as F
from ..module import Module


class CosineSimilarity(Module):
    """The cosine of the angle between x1 and x2 along ``dim``: (N, D), (N, D) -> (N,)."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """``||x1 - x2 + eps||_p`` along the last dimension: (N, D), (N, D) -> (N,) (or (N, 1) with
    ``keepdim``). The exponent is kept as ``norm``, as in PyTorch."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)

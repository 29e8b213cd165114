"""``Embedding``: a table of learned vectors looked up by integer index (words, categories)."""
from __future__ import annotations

from ...autograd.grad_mode import no_grad
from ...creation import empty
from ...ops.embedding import check_padding_idx
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter


class Embedding(Module):
    """A lookup table: ``weight`` (num_embeddings, embedding_dim), initialised from N(0, 1).

    input (*) int64 indices -> output (*, embedding_dim). Row ``padding_idx`` (if given)
    starts at zero and is never updated: it stands for "no token".

    >>> table = rg.nn.Embedding(10, 3)
    >>> table(rg.tensor([[1, 2], [4, 9]])).shape
    (2, 2, 3)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 *, device=None, dtype=None) -> None:
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = check_padding_idx(padding_idx, num_embeddings)
        self.weight = Parameter(empty(num_embeddings, embedding_dim, device=device,
                                      dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draws the table from N(0, 1) again, with the padding row at zero."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0

    def forward(self, input: Tensor) -> Tensor:
        return F.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return text + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")

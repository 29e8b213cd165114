"""``rg.Size``: the shape of a tensor, a tuple that prints as PyTorch's ``torch.Size`` does."""
from __future__ import annotations

import math
from typing import Any


class Size(tuple):
    """The sizes of a tensor's dimensions (``x.shape``, ``x.size()``): a tuple of ints.

    >>> rg.zeros(3, 28, 28).shape
    retrograd.Size([3, 28, 28])
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"retrograd.Size({list(self)})"

    __str__ = __repr__

    def numel(self) -> int:
        """The number of elements a tensor of this shape has."""
        return math.prod(self)

    # slices and concatenations of a Size are Sizes, as in PyTorch
    def __getitem__(self, key: Any) -> Any:
        item = tuple.__getitem__(self, key)
        return Size(item) if isinstance(key, slice) else item

    def __add__(self, other: Any) -> "Size":
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(self, other))

    def __radd__(self, other: Any) -> "Size":
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(other, self))

    def __mul__(self, times: Any) -> "Size":
        return Size(tuple.__mul__(self, times))

    __rmul__ = __mul__

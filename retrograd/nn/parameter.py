"""``Parameter``: a Tensor that a Module registers as one of its learnable weights."""
from __future__ import annotations

from typing import Any

from ..creation import empty
from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor that, assigned as an attribute of a ``Module``, is listed by ``parameters()``.

    It requires a gradient by default and shares memory with the tensor it wraps.

    >>> w = rg.nn.Parameter(rg.zeros(3, 2))
    >>> w.requires_grad
    True
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = empty(0)
        super().__init__(data.array if isinstance(data, Tensor) else data,
                         requires_grad=requires_grad)
        if isinstance(data, Tensor):
            self._version_counter = data._version_counter  # the same memory, the same version

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


"""``Variable``, the pre-0.4 PyTorch wrapper, as PyTorch keeps it for old scripts.

``Variable(t, requires_grad=True)`` is ``t.detach().requires_grad_(True)``: a new leaf sharing
``t``'s storage. Every Tensor is a Variable for ``isinstance``.
"""
from __future__ import annotations

import warnings
from typing import Any

from ..tensor import Tensor


class _VariableType(type):
    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, Tensor)


class Variable(metaclass=_VariableType):
    """``Variable(data: Tensor, requires_grad=False, volatile=False) -> Tensor``."""

    def __new__(cls, data: Tensor, requires_grad: bool = False,  # type: ignore[misc]
                volatile: bool = False) -> Tensor:
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with "
                          "retrograd.no_grad():` instead.", UserWarning, stacklevel=2)
        return data.detach().requires_grad_(requires_grad)

"""``Linear`` (a fully connected layer, ``y = x W^T + b``) and ``Identity``."""
from __future__ import annotations

import math
from typing import Any

from ...creation import empty
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter


class Identity(Module):
    """Returns its input unchanged (a placeholder, for instance for a removed layer); accepts
    and ignores any constructor arguments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Any) -> Any:
        return input


class Linear(Module):
    """Fully connected layer: ``y = x W^T + b``, one example per row.

    input (*, in_features) -> output (*, out_features); ``weight`` (out_features, in_features),
    ``bias`` (out_features,). Both start as U(-1/sqrt(in_features), 1/sqrt(in_features)), as in
    PyTorch.

    >>> layer = rg.nn.Linear(2, 3)
    >>> layer(rg.randn(4, 2)).shape
    (4, 3)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        factory = {"device": device, "dtype": dtype}
        self.weight = Parameter(empty(out_features, in_features, **factory))
        self.register_parameter("bias", Parameter(empty(out_features, **factory))
                                if bias else None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draws the weights again with PyTorch's default initialisation."""
        # kaiming_uniform_ with a = sqrt(5) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")

"""Activation modules: ``ReLU``, ``LeakyReLU``, ``Tanh``, ``Sigmoid``, ``Softplus``, ``GELU``,
``ELU``, ``Softmax``, ``LogSoftmax``, ``LogSigmoid``, ``Hardtanh``, ``ReLU6``, ``SiLU``,
``Mish``: the functions of ``rg.nn.functional`` as layers, to place in a ``Sequential``. None
has parameters; each keeps the shape of its input.
"""
from __future__ import annotations

import warnings
from typing import Callable

from ...backend import array_module
from ...creation import empty
from ...tensor import Tensor
from .. import functional as F
from .. import init as initializers
from ..module import Module
from ..parameter import Parameter


def in_place(input: Tensor, function: Callable[[Tensor], Tensor]) -> Tensor:
    """PyTorch's ``inplace=True``: ``input`` itself takes the values ``function`` gives (and, in
    a graph, the history of that operation, as Tensor's in-place methods do); returns it."""
    return input.modify_in_place(
        function, lambda: array_module(input.array).copyto(input.array, function(input).array))


class ReLU(Module):
    """``max(x, 0)``, elementwise."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return in_place(input, F.relu) if self.inplace else F.relu(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """``x`` where positive, ``negative_slope * x`` elsewhere."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input: Tensor) -> Tensor:
        def leaky_relu(x: Tensor) -> Tensor:
            return F.leaky_relu(x, self.negative_slope)
        return in_place(input, leaky_relu) if self.inplace else leaky_relu(input)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(Module):
    """``x`` where positive, ``alpha * (e^x - 1)`` elsewhere."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: Tensor) -> Tensor:
        def elu(x: Tensor) -> Tensor:
            return F.elu(x, self.alpha)
        return in_place(input, elu) if self.inplace else elu(input)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Tanh(Module):
    """Hyperbolic tangent, in (-1, 1); derivative ``1 - tanh^2``."""

    def forward(self, input: Tensor) -> Tensor:
        return F.tanh(input)


class Sigmoid(Module):
    """``1 / (1 + e^-x)``, in (0, 1); derivative ``s (1 - s)``."""

    def forward(self, input: Tensor) -> Tensor:
        return F.sigmoid(input)


class Softplus(Module):
    """``log(1 + e^(beta x)) / beta``, a smooth ReLU; linear where ``beta x > threshold``."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class GELU(Module):
    """``x Phi(x)``, Phi the standard normal CDF (``approximate='tanh'``: its tanh form)."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


def _implicit_dim(name: str, ndim: int) -> int:
    # PyTorch's legacy choice when no dim is given, with its deprecation warning
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  f"to include dim=X as an argument.", stacklevel=4)
    return 0 if ndim in (0, 1, 3) else 1


class Softmax(Module):
    """``e^x / sum(e^x)`` along ``dim``: each slice becomes a probability distribution."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        dim = _implicit_dim("softmax", input.ndim) if self.dim is None else self.dim
        return F.softmax(input, dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """``x - logsumexp(x)`` along ``dim``: log-probabilities, computed stably."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        dim = _implicit_dim("log_softmax", input.ndim) if self.dim is None else self.dim
        return F.log_softmax(input, dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSigmoid(Module):
    """``log(1 / (1 + e^-x))``, computed stably; always negative."""

    def forward(self, input: Tensor) -> Tensor:
        return F.logsigmoid(input)


class Hardtanh(Module):
    """``x`` clamped to [min_val, max_val] (-1 and 1 by default); gradient 1 inside, 0 outside."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace
        if max_val <= min_val:
            raise AssertionError(f"max_val ({max_val}) must be greater than min_val ({min_val})")

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}" + (
            ", inplace=True" if self.inplace else "")


class ReLU6(Hardtanh):
    """``min(max(x, 0), 6)``: a ReLU capped at 6."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class _InPlaceOption(Module):
    """An activation whose only setting is ``inplace``."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class SiLU(_InPlaceOption):
    """``x * sigmoid(x)`` (swish): smooth, and negative only slightly, for x < 0."""

    def forward(self, input: Tensor) -> Tensor:
        return F.silu(input, inplace=self.inplace)


class Mish(_InPlaceOption):
    """``x * tanh(softplus(x))``: smooth and non-monotonic, like SiLU."""

    def forward(self, input: Tensor) -> Tensor:
        return F.mish(input, inplace=self.inplace)


class PReLU(Module):
    """``x`` where positive, ``weight * x`` elsewhere, with a learned slope ``weight``: one
    shared by every channel (``num_parameters=1``), or one per channel (dimension 1 of the
    input), each starting at ``init``."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(empty(num_parameters, device=device, dtype=dtype))
        initializers.constant_(self.weight, init)

    def reset_parameters(self) -> None:
        """Every slope back to ``init``."""
        initializers.constant_(self.weight, self.init)

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"

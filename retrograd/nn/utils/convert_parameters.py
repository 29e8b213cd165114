"""``parameters_to_vector`` and ``vector_to_parameters``: every parameter of a model as one
flat vector and back, as ``torch.nn.utils`` (for optimizers or analyses that see the weights
as one point in R^n)."""
from __future__ import annotations

from typing import Iterable

from ...ops.indexing import cat
from ...tensor import Tensor


def _check_device(param: Tensor, old_device):
    """The device of ``param``, which must be that of the parameters before it."""
    if old_device is not None and param.device != old_device:
        raise TypeError(f"Found two parameters on different devices, this is currently not "
                        f"supported. ({old_device} and {param.device})")
    return param.device


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """The parameters, each flattened, one after the other in a single 1-D tensor (a new
    one, in the graph: its gradient flows back to each parameter)."""
    device, vectors = None, []
    for param in parameters:
        device = _check_device(param, device)
        vectors.append(param.reshape(-1))
    return cat(vectors)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Sets the values of ``parameters``, in order, from consecutive slices of the 1-D
    ``vec`` (each parameter's ``.data`` becomes its slice, reshaped)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    device, pointer = None, 0
    for param in parameters:
        device = _check_device(param, device)
        count = param.numel()
        param.data = vec[pointer:pointer + count].view_as(param).data
        pointer += count

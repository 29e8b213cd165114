"""``normal``: samples of N(mean, std^2), in PyTorch's four forms (tensor or float mean and
std; floats need a ``size``). Samples drawn from tensor means and stds are differentiable with
zero gradients, as in PyTorch (the draw does not move with its parameters)."""
from __future__ import annotations

from typing import Any

from ..autograd.function import Op
from ..backend import xp
from ..device import DeviceLike, as_device
from ..random import Generator, float_dtype, normal_array
from ..tensor import Tensor
from .out import supports_out


class Normal(Op):
    @staticmethod
    def forward(ctx, mean, std, shape, dtype, device, generator):
        draw = normal_array(shape, 0.0, 1.0, dtype, generator, device)
        return (mean + std * draw).astype(dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        need_mean, need_std = ctx.needs_input_grad
        return (grad * 0 if need_mean else None), (grad * 0 if need_std else None)


def _shape(mean: Any, std: Any) -> tuple:
    shapes = [tuple(t.shape) for t in (mean, std) if isinstance(t, Tensor)]
    try:
        return tuple(xp.broadcast_shapes(*shapes))
    except ValueError:
        raise RuntimeError(f"normal: mean of shape {shapes[0]} and std of shape {shapes[1]} do "
                           f"not broadcast together") from None


@supports_out
def normal(mean: Tensor | float, std: Tensor | float = 1.0, size=None, *,
           generator: Generator | None = None, dtype=None, layout=None,
           device: DeviceLike = None, pin_memory: bool = False,
           requires_grad: bool = False) -> Tensor:
    """Samples of N(mean, std^2), in one of PyTorch's forms:

    - ``normal(mean: Tensor, std: Tensor)``: one sample per element of their broadcast shape;
    - ``normal(mean: Tensor, std: float = 1.0)`` and ``normal(mean: float, std: Tensor)``: the
      shape and dtype of the tensor;
    - ``normal(mean: float, std: float, size, *, dtype, device, requires_grad)``: a new tensor
      of ``size`` (float32 by default).

    ``generator`` is the source of the draw (the device's default one otherwise).
    """
    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    if not tensors:
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments: with a "
                            "float mean and std, give the size: normal(mean, std, size)")
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        shape = (size,) if isinstance(size, int) else tuple(size)
        values = normal_array(shape, mean, std, float_dtype(dtype), generator,
                              as_device(device))
        return Tensor(values, requires_grad=requires_grad)
    if size is not None or dtype is not None or device is not None or requires_grad:
        raise TypeError("normal() received an invalid combination of arguments: size, dtype, "
                        "device and requires_grad go only with a float mean and std")
    first = tensors[0]
    if not first.is_floating_point():
        raise NotImplementedError(f"normal needs floating-point mean and std, got "
                                  f"{first.dtype}")
    if isinstance(std, Tensor):
        if bool((std.array < 0).any()):
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    return Normal.apply(mean, std, shape=_shape(mean, std), dtype=first.array.dtype,
                        device=first.device, generator=generator)

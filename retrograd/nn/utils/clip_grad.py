"""Gradient clipping: ``clip_grad_norm_`` and ``clip_grad_value_``, in place on ``.grad``.

Clipping bounds the step an optimizer takes when a batch produces an exploding gradient.
Call it between ``loss.backward()`` and ``optimizer.step()``.
"""
from __future__ import annotations

import math
from typing import Iterable

from ...autograd.grad_mode import no_grad
from ...backend import array_module
from ...creation import tensor
from ...device import to_device
from ...recording import recorded
from ...tensor import Tensor


def _gradients(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [param.grad for param in parameters if param.grad is not None]


@recorded
def _norm(array, norm_type: float):
    """The ``norm_type``-norm of every element of ``array``, in its dtype, on its device."""
    xp = array_module(array)
    if norm_type == math.inf:
        return xp.abs(array).max()
    if norm_type == -math.inf:
        return xp.abs(array).min()
    if norm_type == 2:
        return xp.sqrt(xp.vdot(array.ravel(), array.ravel()))
    if norm_type == 1:
        return xp.abs(array).sum()
    return (xp.abs(array) ** norm_type).sum() ** (1.0 / norm_type)


@no_grad()
def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: bool | None = None) -> Tensor:
    """Scales the gradients of ``parameters`` down, together, so that their total norm (the norm
    of all gradients concatenated into one vector) is at most ``max_norm``.

    ``norm_type`` is p of the p-norm (``inf`` for the largest magnitude). Returns the total
    norm before clipping, a scalar Tensor. ``error_if_nonfinite=True`` raises when that norm
    is NaN or infinite instead of filling the gradients with NaN. ``foreach`` is accepted for
    PyTorch compatibility and ignored.
    """
    grads = _gradients(parameters)
    norm_type = float(norm_type)
    if not grads:
        return tensor(0.0)
    # the norm of the per-gradient norms is the norm of everything concatenated
    norms = [_norm(grad.array, norm_type) for grad in grads]
    device = grads[0].device
    several_devices = any(grad.device != device for grad in grads)
    if several_devices:  # as PyTorch: the total is computed on the first gradient's device
        norms = [to_device(array_module(norm).asarray(norm), device) for norm in norms]
    total_norm = _norm_of_norms(norm_type, *norms)
    if error_if_nonfinite and not array_module(total_norm).isfinite(total_norm):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           f"`parameters` is non-finite, so it cannot be clipped. To disable "
                           f"this error and scale the gradients by the non-finite norm anyway, "
                           f"set `error_if_nonfinite=False`")
    # the small constant avoids dividing by zero; the factor never scales gradients up
    clip_coef = Tensor(_clip_coefficient(float(max_norm), total_norm))
    for grad in grads:
        grad.mul_(clip_coef.to(grad.device) if several_devices else clip_coef)
    return Tensor(total_norm)


@no_grad()
def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamps every gradient element of ``parameters`` into ``[-clip_value, clip_value]``."""
    clip_value = float(clip_value)
    for grad in _gradients(parameters):
        grad.clamp_(-clip_value, clip_value)


@recorded
def _norm_of_norms(norm_type: float, *norms):
    """The norm of the gradients' norms: that of every gradient concatenated."""
    return _norm(array_module(norms[0]).stack(norms), norm_type)


@recorded
def _clip_coefficient(max_norm: float, total_norm):
    """``max_norm / total_norm``, never above 1; the small constant avoids dividing by zero."""
    coef = max_norm / (total_norm + 1e-6)
    return array_module(coef).minimum(coef, 1.0)

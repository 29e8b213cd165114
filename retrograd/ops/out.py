"""The ``out=`` keyword of PyTorch's functions: the result is written into a given tensor.

``supports_out`` wraps a function so that ``f(..., out=t)`` computes ``f(...)``, stores it in
``t`` (resized when its shape differs, as PyTorch does: silently when ``t`` is empty, with a
warning otherwise) and returns ``t`` itself. Functions with ``out=`` are not differentiable in
PyTorch: an input (or ``out``) that requires grad, in grad mode, is a RuntimeError.
"""
from __future__ import annotations

import functools
import inspect
import warnings
from typing import Any, Callable

from ..autograd.grad_mode import state
from ..backend import array_module, xp
from ..tensor import Tensor


def _requires_grad(value: Any) -> bool:
    if isinstance(value, Tensor):
        return value.requires_grad
    if isinstance(value, (list, tuple)):
        return any(_requires_grad(v) for v in value)
    return False


def write_out(name: str, result: Tensor, out: Tensor, exact_dtype: bool = False) -> Tensor:
    """Stores ``result`` in ``out`` (resizing it as PyTorch does) and returns ``out``.

    ``exact_dtype``: the dtypes must agree (PyTorch's matrix products), else the result is
    cast to ``out``'s dtype when PyTorch allows it (not float into an integer tensor).
    """
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    source, target = result.array.dtype, out.array.dtype
    if exact_dtype and source != target:
        raise RuntimeError(f"{name}(): expected out tensor to have dtype {result.dtype}, but "
                           f"got {out.dtype} instead")
    if not xp.can_cast(source, target, "same_kind"):
        raise RuntimeError(f"{name}(): result type {result.dtype} can't be cast to the desired "
                           f"output type {out.dtype}")
    if type(result.array) is not type(out.array):
        raise RuntimeError(f"{name}(): expected out tensor to be on {result.device}, but it is "
                           f"on {out.device}")
    if out.array.shape != result.array.shape:
        if out.array.size:
            warnings.warn(f"An output with one or more elements was resized since it had shape "
                          f"{list(out.shape)}, which does not match the required output shape "
                          f"{list(result.shape)}. This behavior is deprecated, and in a future "
                          f"PyTorch release outputs will not be resized unless they have zero "
                          f"elements.", UserWarning, stacklevel=3)
        out.array = array_module(out.array).empty(result.array.shape, target)
    array_module(out.array).copyto(out.array, result.array, casting="unsafe")
    out._version_counter[0] += 1
    return out


def supports_out(function: Callable | None = None, *, exact_dtype: bool = False) -> Callable:
    """Decorator giving ``function`` PyTorch's keyword-only ``out=`` (see ``write_out``)."""
    if function is None:
        return functools.partial(supports_out, exact_dtype=exact_dtype)
    name = function.__name__

    @functools.wraps(function)
    def with_out(*args: Any, out: Tensor | None = None, **kwargs: Any) -> Tensor:
        if out is None:
            return function(*args, **kwargs)
        if state.grad_enabled and (_requires_grad(args) or _requires_grad(out) or
                                   _requires_grad(tuple(kwargs.values()))):
            raise RuntimeError(f"{name}(): functions with out=... arguments don't support "
                               f"automatic differentiation, but one of the arguments requires "
                               f"grad.")
        return write_out(name, function(*args, **kwargs), out, exact_dtype)

    signature = inspect.signature(function)
    keyword = inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None)
    parameters = list(signature.parameters.values())
    variadic = [i for i, p in enumerate(parameters) if p.kind is inspect.Parameter.VAR_KEYWORD]
    parameters.insert(variadic[0] if variadic else len(parameters), keyword)
    # inspect.signature reads it
    with_out.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return with_out

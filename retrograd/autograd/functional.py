"""Higher-level differentiation of functions: ``jacobian``, ``hessian``, ``vjp``, ``jvp``.

Each takes a function of tensors and the point at which to differentiate it, as PyTorch's
``torch.autograd.functional`` does. All are built on ``autograd.grad``.
"""
from __future__ import annotations

from typing import Any, Callable

from ..backend import array_module
from ..ops.indexing import stack
from ..tensor import Tensor
from .engine import grad


def _prepare(inputs: Any, create_graph: bool) -> tuple[tuple, bool]:
    """The inputs as the tensors to differentiate with respect to.

    With ``create_graph=True`` an input that requires grad stays in the caller's graph (a view
    of itself, as PyTorch's ``_grad_preprocess`` does), so that the results can be
    differentiated with respect to the caller's tensors; otherwise each is a detached copy of
    the graph's edge that requires grad, and the caller's graph is left untouched.
    """
    is_tuple = isinstance(inputs, (tuple, list))
    tensors = tuple(inputs) if is_tuple else (inputs,)
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"input {i} must be a Tensor, got {type(t).__name__}")
    return tuple(t.view_as(t) if create_graph and t.requires_grad else t.detach().requires_grad_()
                 for t in tensors), is_tuple


def _as_tuple(outputs: Any) -> tuple[tuple, bool]:
    is_tuple = isinstance(outputs, (tuple, list))
    return (tuple(outputs) if is_tuple else (outputs,)), is_tuple


def _zeros_for_unused(grads: tuple, like: tuple) -> tuple:
    return tuple(Tensor(array_module(t.array).zeros_like(t.array)) if g is None else g
                 for g, t in zip(grads, like))


def _unwrap(values: tuple, is_tuple: bool):
    return values if is_tuple else values[0]


def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False) -> tuple:
    """``(func(inputs), v^T J)``: the vector-Jacobian product, what backward computes."""
    inputs, inputs_tuple = _prepare(inputs, create_graph)
    outputs, outputs_tuple = _as_tuple(func(*inputs))
    if v is None and (outputs_tuple or outputs[0].numel() != 1):
        raise RuntimeError("vjp: v can be omitted only when func returns a single Tensor with a "
                           "single element; pass v, shaped like func's output")
    if v is not None:
        v, _ = _as_tuple(v)
    grads = grad(outputs, inputs, v, create_graph=create_graph, allow_unused=True)
    grads = _zeros_for_unused(grads, inputs)
    outputs = tuple(o if create_graph else o.detach() for o in outputs)
    return _unwrap(outputs, outputs_tuple), _unwrap(grads, inputs_tuple)


def jvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False) -> tuple:
    """``(func(inputs), J v)``: the Jacobian-vector product (forward-mode), computed by the
    double-backward trick: J v = d/du (u^T J)^T v."""
    inputs, inputs_tuple = _prepare(inputs, create_graph)
    outputs, outputs_tuple = _as_tuple(func(*inputs))
    if v is None:
        if any(t.numel() != 1 for t in inputs):
            raise RuntimeError("jvp: v can be omitted only when every input has one element")
        v = tuple(Tensor(array_module(t.array).ones_like(t.array)) for t in inputs)
    v, _ = _as_tuple(v)
    dummies = tuple(Tensor(array_module(o.array).zeros_like(o.array), requires_grad=True)
                    for o in outputs)
    vjps = grad(outputs, inputs, dummies, create_graph=True, allow_unused=True)
    used = [(g, direction) for g, direction in zip(vjps, v) if g is not None]
    if used:
        jvps = grad([g for g, _ in used], dummies, [d for _, d in used],
                    create_graph=create_graph, allow_unused=True)
    else:
        jvps = (None,) * len(dummies)
    jvps = _zeros_for_unused(jvps, outputs)
    outputs = tuple(o if create_graph else o.detach() for o in outputs)
    return _unwrap(outputs, outputs_tuple), _unwrap(jvps, outputs_tuple)


def jacobian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False) -> Any:
    """The Jacobian of ``func`` at ``inputs``: for one input and one output a Tensor of shape
    ``output.shape + input.shape``; tuples of those for tuples of inputs or outputs."""
    inputs, inputs_tuple = _prepare(inputs, create_graph)
    outputs, outputs_tuple = _as_tuple(func(*inputs))
    result = []
    for output in outputs:
        rows: list[list] = [[] for _ in inputs]
        flat = output.reshape(-1)
        for k in range(output.numel()):
            if output.requires_grad:
                grads = grad(flat[k], inputs, retain_graph=True, create_graph=create_graph,
                             allow_unused=True)
            else:
                grads = (None,) * len(inputs)
            for row, g in zip(rows, _zeros_for_unused(grads, inputs)):
                row.append(g)
        blocks = tuple(stack(row).reshape(output.shape + t.shape) if row else
                       Tensor(array_module(t.array).zeros(output.shape + t.shape,
                                                          dtype=t.array.dtype))
                       for row, t in zip(rows, inputs))
        if not create_graph:
            blocks = tuple(b.detach() for b in blocks)
        result.append(_unwrap(blocks, inputs_tuple))
    return _unwrap(tuple(result), outputs_tuple)


def hessian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False) -> Any:
    """The Hessian of a scalar ``func`` at ``inputs``: shape ``input.shape + input.shape`` for
    one input; a tuple of tuples of blocks for several."""
    inputs_prepared, inputs_tuple = _prepare(inputs, create_graph)

    def gradient(*values):
        output = func(*values)
        if not isinstance(output, Tensor) or output.numel() != 1:
            raise RuntimeError("hessian: func must return a single-element Tensor")
        grads = grad(output, values, create_graph=True, allow_unused=True)
        grads = _zeros_for_unused(grads, values)
        return _unwrap(grads, inputs_tuple)

    return jacobian(gradient, inputs_prepared if inputs_tuple else inputs_prepared[0],
                    create_graph=create_graph)

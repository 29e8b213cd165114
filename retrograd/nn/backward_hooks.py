"""Module backward hooks: the gradients with respect to a module's inputs and outputs.

As in PyTorch, a module call with full backward hooks passes its tensor inputs, then its tensor
outputs, through an identity ``Function`` with several outputs. The outputs' identity receives
the gradients with respect to the outputs (``grad_output``), runs the backward pre-hooks, and
keeps them; the inputs' identity then receives the gradients with respect to the inputs
(``grad_input``) and runs the hooks on both, which may replace ``grad_input``.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable

from ..autograd.function import Function
from ..autograd.grad_mode import state
from ..tensor import Tensor


class BackwardHookFunction(Function):
    """The identity on several tensors; its backward passes their gradients to a callback,
    which returns the gradients to send on. Missing gradients reach the callback as zeros when
    ``materialize`` (the inputs' grad_input, as in PyTorch), as None otherwise (grad_output)."""

    @staticmethod
    def forward(ctx: Function, on_backward: Callable, materialize: bool, *tensors: Tensor
                ) -> tuple:
        ctx.on_backward = on_backward  # type: ignore[attr-defined]  # ctx carries it to backward
        ctx.set_materialize_grads(materialize)
        ctx.mark_non_differentiable(*[t for t in tensors if not t.requires_grad])
        return tensors

    @staticmethod
    def backward(ctx: Function, *grads: Any) -> tuple:
        return (None, None, *ctx.on_backward(grads))  # type: ignore[attr-defined]


class BackwardHook:
    """The backward hooks of one call of ``module``: wraps its inputs and its outputs."""

    def __init__(self, module: Any, hooks: list, pre_hooks: list) -> None:
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.grad_outputs: tuple | None = None
        # the positions of the tensors among the inputs and outputs, once they went through
        # the identity (None: not yet, or no gradient needed); the callbacks run after that
        self.input_positions: list | None = None
        self.output_positions: list | None = None
        self.input_count = self.output_count = 0

    def setup_input_hook(self, args: tuple) -> tuple:
        """The inputs, passed through an identity whose backward calls the hooks."""
        self.input_count = len(args)
        args, self.input_positions = _through_identity(args, self._on_input_grads, True)
        return args

    def setup_output_hook(self, output: Any) -> Any:
        """The outputs, passed through an identity whose backward keeps ``grad_output``."""
        several = isinstance(output, tuple)
        outputs = output if several else (output,)
        self.output_count = len(outputs)
        outputs, self.output_positions = _through_identity(outputs, self._on_output_grads, False)
        return outputs if several else outputs[0]

    def _on_output_grads(self, grads: tuple) -> tuple:
        assert self.output_positions is not None  # the outputs went through the identity
        grad_outputs = _spread(self.output_positions, grads, self.output_count)
        for pre_hook in self.pre_hooks:
            replaced = pre_hook(self.module, grad_outputs)
            if replaced is not None:
                _check_count(replaced, grad_outputs, "pre hook returned an invalid number of "
                                                     "grad_output")
                grad_outputs = tuple(replaced)
        if self.input_positions is None:  # no input needs a gradient: the hooks run now
            warnings.warn("Full backward hook is firing when gradients are computed with "
                          "respect to module outputs since no inputs require gradients.",
                          stacklevel=2)
            no_inputs = (None,) * self.input_count
            for hook in self.hooks:
                result = hook(self.module, no_inputs, grad_outputs)
                if result is not None and not (isinstance(result, tuple) and
                                               all(g is None for g in result)):
                    raise RuntimeError("Backward hook for Modules where no input requires "
                                       "gradient should always return None or None for all "
                                       "gradients.")
        else:
            self.grad_outputs = grad_outputs
        return tuple(grad_outputs[i] for i in self.output_positions)

    def _on_input_grads(self, grads: tuple) -> tuple:
        if self.grad_outputs is None:  # reached without passing the outputs (double backward)
            return grads
        assert self.input_positions is not None  # the inputs went through the identity
        grad_inputs = _spread(self.input_positions, grads, self.input_count)
        for hook in self.hooks:
            replaced = hook(self.module, grad_inputs, self.grad_outputs)
            if replaced is not None:
                _check_count(replaced, grad_inputs, "hook returned an invalid number of "
                                                    "grad_input")
                grad_inputs = tuple(replaced)
        self.grad_outputs = None
        return tuple(grad_inputs[i] for i in self.input_positions)


def _through_identity(values: tuple, on_backward: Callable, materialize: bool) -> tuple:
    """``values`` with their tensors replaced by the identity's outputs, and the positions of
    the tensors (None when no gradient will flow: nothing is wrapped)."""
    positions = [i for i, value in enumerate(values) if isinstance(value, Tensor)]
    if not state.grad_enabled or not any(values[i].requires_grad for i in positions):
        return values, None
    wrapped = BackwardHookFunction.apply(on_backward, materialize,
                                         *[values[i] for i in positions])
    replaced = list(values)
    for i, tensor in zip(positions, wrapped):
        replaced[i] = tensor
    return tuple(replaced), positions


def _spread(positions: list, grads: tuple, count: int) -> tuple:
    """One entry per value (None for the non-tensors) from the tensors' gradients."""
    spread: list = [None] * count
    for i, grad in zip(positions, grads):
        spread[i] = grad
    return tuple(spread)


def _check_count(replaced: Any, expected: tuple, message: str) -> None:
    if len(replaced) != len(expected):
        raise RuntimeError(f"Backward {message}, got {len(replaced)}, but expected "
                           f"{len(expected)}")

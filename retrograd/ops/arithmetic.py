"""Arithmetic: + - * / ** and negation, absolute value. Broadcasting follows NumPy and PyTorch.

Each backward returns gradients of the output's shape; the engine sums them back to each
input's shape, so a formula here never needs to think about broadcasting.
"""
from __future__ import annotations

import math

from ..autograd.function import Op
from ..backend import array_module
from ..tensor import Tensor
from . import array_or_tensor as aot
from .out import supports_out
from .promotion import BinaryOp


class Add(BinaryOp):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad  # addition distributes the gradient unchanged


class Sub(BinaryOp):
    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad):
        return grad, (-grad if ctx.needs_input_grad[1] else None)


class Mul(BinaryOp):
    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad
        # each input's gradient uses only the other: save an operand only when it is used,
        # so that an in-place change of the other one is no error (as in PyTorch)
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        # multiplication swaps: each input's gradient is the other input times the upstream
        return (grad * b if need_a else None), (grad * a if need_b else None)


class Div(BinaryOp):
    _true_division = True  # integers divide in the default float dtype, as in PyTorch

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)
        return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad / b
        return (grad_a if need_a else None), (-grad_a * a / b if need_b else None)


class Pow(BinaryOp):
    @staticmethod
    def forward(ctx, base, exponent):
        out = base ** exponent
        need_base, need_exponent = ctx.needs_input_grad
        ctx.save_for_backward(base, exponent if need_base else None,
                              out if need_exponent else None)
        return out

    @staticmethod
    def backward(ctx, grad):
        base, exponent, out = ctx.saved_tensors
        need_base, need_exponent = ctx.needs_input_grad
        grad_base = grad_exponent = None
        if need_base:  # d b^e / db = e b^(e-1), and 0 for e = 0 (even at b = 0, as PyTorch)
            if isinstance(exponent, (int, float)):
                grad_base = grad * 0 if exponent == 0 else grad * exponent * base ** (exponent - 1)
            else:
                grad_base = aot.where(exponent == 0, 0.0,
                                      grad * exponent * base ** (exponent - 1))
        if need_exponent:  # d b^e / de = b^e ln b, taken as 0 where b = 0 (as PyTorch does)
            if isinstance(base, (int, float)):
                log_base = math.log(base) if base > 0 else (0.0 if base == 0 else math.nan)
            else:
                log_base = aot.where(base == 0, 0.0, aot.log(aot.where(base == 0, 1.0, base)))
            grad_exponent = grad * out * log_base
        return grad_base, grad_exponent


class Neg(Op):
    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Abs(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return array_module(a).abs(a)

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad * aot.sign(a)


@supports_out
def add(input: Tensor, other, alpha: float = 1) -> Tensor:
    """``input + alpha * other``, broadcasting."""
    return Add.apply(input, other if alpha == 1 else other * alpha)


@supports_out
def sub(input: Tensor, other, alpha: float = 1) -> Tensor:
    """``input - alpha * other``, broadcasting."""
    return Sub.apply(input, other if alpha == 1 else other * alpha)


@supports_out
def mul(input: Tensor, other) -> Tensor:
    """Elementwise product, broadcasting."""
    return Mul.apply(input, other)


@supports_out
def div(input: Tensor, other) -> Tensor:
    """Elementwise quotient (true division), broadcasting."""
    return Div.apply(input, other)


def pow(input, exponent) -> Tensor:
    """``input ** exponent``; either may be a Python number."""
    return Pow.apply(input, exponent)


def neg(input: Tensor) -> Tensor:
    """``-input``."""
    return Neg.apply(input)


def abs(input: Tensor) -> Tensor:
    """Elementwise absolute value; its gradient at 0 is 0, as in PyTorch."""
    return Abs.apply(input)

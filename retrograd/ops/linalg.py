"""Matrix products: ``matmul`` (``@``, batched and broadcast like NumPy) and ``linear``."""
from __future__ import annotations

from ..autograd.function import Op
from ..tensor import Tensor
from . import array_or_tensor as aot


class MatMul(Op):
    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad
        ctx.save_for_backward(a if need_b else None, b if need_a else None)  # each uses the other
        ctx.vector_a, ctx.vector_b = a.ndim == 1, b.ndim == 1
        return a @ b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        vector_a, vector_b = ctx.vector_a, ctx.vector_b
        if vector_a and vector_b:  # dot product
            return (grad * b if need_a else None), (grad * a if need_b else None)
        # a vector operand acts as a one-row (or one-column) matrix
        grad_matrix = aot.unsqueeze(grad, -2) if vector_a else grad
        grad_matrix = aot.unsqueeze(grad_matrix, -1) if vector_b else grad_matrix
        grad_a = grad_b = None
        if need_a:  # dL/dA = dL/dC B^T
            b_matrix = aot.unsqueeze(b, -1) if vector_b else b
            grad_a = grad_matrix @ aot.swap_last_two(b_matrix)
            grad_a = aot.squeeze(grad_a, -2) if vector_a else grad_a
        if need_b:  # dL/dB = A^T dL/dC
            a_matrix = aot.unsqueeze(a, 0) if vector_a else a
            grad_b = aot.swap_last_two(a_matrix) @ grad_matrix
            grad_b = aot.squeeze(grad_b, -1) if vector_b else grad_b
        return grad_a, grad_b


class Linear(Op):
    torch_name = "Addmm"

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        need_x, need_weight = ctx.needs_input_grad[:2]
        ctx.save_for_backward(x if need_weight else None, weight if need_x else None)
        out = x @ weight.T
        if bias is not None:
            out += bias
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, need_weight, need_bias = ctx.needs_input_grad
        grad_x = grad @ weight if need_x else None
        grad_weight = grad_bias = None
        if need_weight:  # dW = dY^T X, summed over every leading (batch) dimension
            grad_weight = aot.swap_last_two(grad.reshape(-1, grad.shape[-1])) @ \
                x.reshape(-1, x.shape[-1])
        if need_bias:
            grad_bias = grad.reshape(-1, grad.shape[-1]).sum(axis=0)
        return grad_x, grad_weight, grad_bias


def _check_operands(a: Tensor, b: Tensor, name: str) -> None:
    for position, operand in (("input", a), ("other", b)):
        if not isinstance(operand, Tensor):
            raise TypeError(f"{name}: argument '{position}' must be a Tensor, got "
                            f"{type(operand).__name__}; wrap it with rg.tensor(...)")
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"{name}: both arguments need at least 1 dimension, got shapes "
                           f"{tuple(a.shape)} and {tuple(b.shape)}")


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with NumPy's rules: vectors, matrices, and batches broadcast over leading
    dimensions. Shapes (..., n, k) @ (..., k, m) -> (..., n, m).
    """
    _check_operands(input, other, "matmul")
    k_left = input.shape[-1]
    k_right = other.shape[-2] if other.ndim > 1 else other.shape[0]
    if k_left != k_right:
        raise RuntimeError(f"matmul: shapes {tuple(input.shape)} and {tuple(other.shape)} cannot "
                           f"be multiplied ({k_left} != {k_right})")
    return MatMul.apply(input, other)  # apply reports batch dimensions that do not broadcast


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``: input (..., in_features), weight (out_features,
    in_features), bias (out_features,) -> (..., out_features).
    """
    if input.shape[-1:] != weight.shape[-1:] or weight.ndim != 2:
        raise RuntimeError(f"linear: input of shape {tuple(input.shape)} does not match weight "
                           f"of shape {tuple(weight.shape)} (expected input (..., "
                           f"{weight.shape[-1] if weight.ndim else '?'}))")
    if bias is not None and bias.shape != weight.shape[:1]:
        raise RuntimeError(f"linear: bias of shape {tuple(bias.shape)} does not match "
                           f"{weight.shape[0]} output features")
    return Linear.apply(input, weight, bias)

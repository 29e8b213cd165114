"""The negative log-likelihood on class indices, the core of cross-entropy.

Its backward is linear in the upstream gradient: the gradient of the log-probabilities is
``-weight / total_weight`` at each example's target class and 0 elsewhere.
"""
from __future__ import annotations

from ..autograd.function import Op
from ..backend import xp
from ..tensor import Tensor
from . import array_or_tensor as aot


class NLLLoss(Op):
    @staticmethod
    def forward(ctx, log_probs, target, weight=None, ignore_index=-100, reduction="mean"):
        # log_probs (N, C, d1, ...), target (N, d1, ...) of class indices
        ignored = target == ignore_index
        index = xp.expand_dims(xp.where(ignored, 0, target), 1)
        picked = xp.take_along_axis(log_probs, index, axis=1).squeeze(1)
        example_weight = xp.ones_like(picked) if weight is None else weight[index.squeeze(1)]
        example_weight = xp.where(ignored, 0, example_weight).astype(log_probs.dtype)
        losses = -picked * example_weight
        if reduction == "none":
            scale = example_weight
            out = losses
        else:
            total = example_weight.sum() if reduction == "mean" else 1
            scale = example_weight / total
            out = losses.sum() / total
        ctx.index, ctx.scale, ctx.input_shape = index, scale, log_probs.shape
        return xp.asarray(out, dtype=log_probs.dtype)

    @staticmethod
    def backward(ctx, grad):
        # grad is a scalar ('mean', 'sum') or one value per example ('none')
        per_example = -grad * ctx.scale
        return aot.scatter_into_zeros(aot.unsqueeze(per_example, 1), 1, ctx.index,
                                      ctx.input_shape)

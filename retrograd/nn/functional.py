"""Functional forms of activations and losses, as ``torch.nn.functional`` (``import
retrograd.nn.functional as F``)."""
from __future__ import annotations

from ..backend import xp
from ..ops.activation import elu, gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, softplus
from ..ops.dropout import dropout
from ..ops.elementwise import tanh
from ..ops.embedding import embedding
from ..ops.linalg import linear
from ..ops.loss import NLLLoss
from ..ops.normalization import batch_norm, layer_norm
from ..tensor import Tensor

__all__ = ["relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "softplus", "softmax",
           "log_softmax", "linear", "nll_loss", "cross_entropy"]

__all__ += ["dropout", "batch_norm", "layer_norm", "embedding"]  # layers' functional forms

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction: str, name: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _check_class_target(input: Tensor, target: Tensor, ignore_index: int, name: str):
    if not isinstance(target, Tensor):
        raise TypeError(f"{name}: target must be a Tensor of class indices, got "
                        f"{type(target).__name__}")
    if target.data.dtype.kind not in "iu":
        raise TypeError(f"{name}: target must hold int64 class indices, got {target.dtype}; "
                        f"for class probabilities use cross_entropy with a float target of "
                        f"input's shape")
    if input.ndim < 1 or input.ndim == 1 and target.ndim != 0 or \
            input.ndim > 1 and (target.shape != input.shape[:1] + input.shape[2:]):
        raise ValueError(f"{name}: input of shape {tuple(input.shape)} (N, C, ...) needs a "
                         f"target of shape {tuple(input.shape[:1] + input.shape[2:])}, got "
                         f"{tuple(target.shape)}")
    classes = input.shape[1] if input.ndim > 1 else input.shape[0]
    labels = target.data[target.data != ignore_index]
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        bad = labels[(labels < 0) | (labels >= classes)][0]
        raise IndexError(f"{name}: target {int(bad)} is out of bounds: the input has {classes} "
                         f"classes, so targets must be in [0, {classes - 1}]")


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices: ``-input[n, target[n]]``, averaged.

    input (N, C) or (N, C, d1, ...) log-probabilities; target (N) or (N, d1, ...) int64.
    With ``weight`` (C,), each example counts ``weight[target]`` times ('mean' divides by the
    total weight); targets equal to ``ignore_index`` count for nothing.
    """
    _check_reduction(reduction, "nll_loss")
    _check_class_target(input, target, ignore_index, "nll_loss")
    if input.ndim == 1:  # a single example
        return nll_loss(input.unsqueeze(0), target.reshape(1), weight, ignore_index, reduction
                        ).reshape(()) if reduction == "none" else \
            nll_loss(input.unsqueeze(0), target.reshape(1), weight, ignore_index, reduction)
    return NLLLoss.apply(input, target.data, weight=None if weight is None else
                         xp.asarray(weight.data, dtype=input.data.dtype),
                         ignore_index=ignore_index, reduction=reduction)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy of logits and class indices: ``-z_y + log sum_j e^{z_j}``.

    input (N, C) or (N, C, d1, ...) raw scores (logits); target (N) or (N, d1, ...) int64.
    Equal to ``nll_loss(log_softmax(input, 1), target)``, computed stably.
    """
    return nll_loss(log_softmax(input, 1 if input.ndim > 1 else 0), target, weight,
                    ignore_index, reduction)

"""Loss functions, as ``torch.nn.functional`` defines them, and the fused operations they need.

Every loss takes ``reduction='mean' | 'sum' | 'none'`` ('none' keeps one loss per element or
example). Most are compositions of differentiable operations, so first and higher order
gradients come for free. Three are fused operations of their own:

- ``CrossEntropy``: log-softmax and the pick of each example's class in one pass; its gradient
  is the lectures' ``softmax(z) - onehot(y)``, scaled by each example's weight.
- ``NLLLoss`` picks each example's log-probability; its gradient is ``-onehot(y)``, scaled.
- ``BinaryCrossEntropy`` clamps each log at -100 and bounds its gradient's denominator below by
  1e-12, exactly as PyTorch does, so probabilities of exactly 0 or 1 give finite values.

Losses on logits (``cross_entropy``, ``binary_cross_entropy_with_logits``) go through a shifted
log-sum-exp or ``softplus``, which stay finite for logits of any size.
"""
from __future__ import annotations

import contextlib
import math
import warnings

from ..autograd.function import Op, named_as
from ..autograd.grad_mode import state
from ..backend import array_module, ndarray
from ..backend import xp as host  # NumPy, for host-side values and shapes
from ..recording import array_method, recorded
from ..tensor import Tensor
from . import array_or_tensor as aot
from .activation import log_softmax, logsigmoid, relu, softplus
from .elementwise import minimum, where

_REDUCTIONS = ("mean", "sum", "none")
# PyTorch's guard against dividing by zero in BCE's gradient and cosine's norms: 1e-12 rounded
# to float32, as PyTorch stores it, even in float64 computations
_EPSILON = float(host.float32(1e-12))


# -- the fused operations -------------------------------------------------------------------

def _example_scales(target, weight, ignore_index: int, reduction: str, dtype) -> tuple:
    """The target with ignored entries set to 0, and each example's factor in the output.

    The factor is ``weight[y]`` (1 without weight), 0 for an ignored target, and is divided by
    the total weight for 'mean': a weighted average over the examples that count. When every
    example counts the same, the factor is one Python number.
    """
    ignored = target == ignore_index
    if weight is None and len(target) and not ignored.any():  # the common case: a constant
        return target, (1.0 / len(target) if reduction == "mean" else 1.0)
    xp = array_module(target)
    target = xp.where(ignored, 0, target)  # any valid class: the example's factor is 0
    scale = xp.ones(target.shape, dtype) if weight is None else weight[target]
    scale[ignored] = 0
    if reduction == "mean" and scale.any():
        scale /= scale.sum()
    return target, scale


def _sum_examples(losses, scale, reduction: str):
    """The output: the scaled losses ('none') or their sum. A 'mean' over no counted example
    is 0 / 0 = NaN, as in PyTorch (and its gradient 0, since every factor is 0)."""
    if reduction == "none":
        return losses
    if reduction == "mean" and not isinstance(scale, float) and not scale.any():
        return array_module(losses).full((), host.nan, losses.dtype)
    return losses.sum()


def _one_hot(target, shape: tuple, dtype):
    xp = array_module(target)
    one_hot = xp.zeros(shape, dtype)
    one_hot[xp.arange(len(target)), target] = 1
    return one_hot


class NLLLoss(Op):
    """``-weight[y] log_probs[n, y]`` for log_probs (N, C) and target (N) of class indices."""

    torch_name = "NllLoss"

    @staticmethod
    def forward(ctx, log_probs, target, weight=None, ignore_index=-100, reduction="mean"):
        target, scale = _example_scales(target, weight, ignore_index, reduction, log_probs.dtype)
        losses = -log_probs[array_module(target).arange(len(target)), target] * scale
        ctx.target, ctx.scale, ctx.shape, ctx.dtype = target, scale, log_probs.shape, \
            log_probs.dtype
        return _sum_examples(losses, scale, reduction)

    @staticmethod
    def backward(ctx, grad):
        # grad is a scalar ('mean', 'sum') or one value per example ('none'); linear in the input
        per_example = grad * ctx.scale  # one factor, or one per example (then a column)
        if per_example.ndim:
            per_example = aot.unsqueeze(per_example, 1)
        return -_one_hot(ctx.target, ctx.shape, ctx.dtype) * per_example


class CrossEntropy(Op):
    """``weight[y] (log sum_j e^{z_j} - z_y)`` for logits (N, C) and target (N) of classes."""

    torch_name = "NllLoss"  # PyTorch's cross_entropy ends in nll_loss: its node is NllLoss's

    @staticmethod
    def forward(ctx, logits, target, weight=None, ignore_index=-100, reduction="mean"):
        target, scale = _example_scales(target, weight, ignore_index, reduction, logits.dtype)
        xp = array_module(logits)
        shifted = logits - _row_max(logits)  # e^shifted <= 1: no overflow
        probabilities = xp.exp(shifted)
        sum_exp = xp.add.reduce(probabilities, axis=1, keepdims=True)
        rows = xp.arange(len(target))
        losses = (xp.log(sum_exp[:, 0]) - shifted[rows, target]) * scale
        probabilities /= sum_exp
        ctx.save_for_backward(logits, probabilities)
        ctx.rows, ctx.target, ctx.scale, ctx.dtype = rows, target, scale, logits.dtype
        return _sum_examples(losses, scale, reduction)

    @staticmethod
    def backward(ctx, grad):
        logits, probabilities = ctx.saved_tensors
        factors = grad * ctx.scale  # one factor, or one per example
        per_example = aot.unsqueeze(factors, 1) if factors.ndim else factors  # then a column
        # d/dz (log sum e^z - z_y) = softmax(z) - onehot(y): the "Y^ - Y" of the lectures
        if isinstance(logits, Tensor):  # create_graph: the softmax must be part of the graph
            return (logits.softmax(1) - _one_hot(ctx.target, logits.shape, ctx.dtype)) * \
                per_example
        grad_logits = probabilities * per_example  # the same, without a dense one-hot
        grad_logits[ctx.rows, ctx.target] -= factors
        return grad_logits


def _row_max(a):
    """The maximum of each row of ``a``, as a column. NumPy's ufunc reduction costs a quarter
    of the call of ``.max``; CuPy's ufuncs reduce only by add and multiply."""
    if isinstance(a, ndarray):
        return host.maximum.reduce(a, axis=1, keepdims=True)
    return a.max(axis=1, keepdims=True)


def _at_least(a, low: float):
    return a.clamp(min=low) if isinstance(a, Tensor) else array_module(a).maximum(a, low)


def _log_of_zero_allowed(a) -> contextlib.AbstractContextManager:
    """A context in which log(0) = -inf gives no warning: NumPy's is silenced, CuPy never
    warns (and has no ``errstate``)."""
    return host.errstate(divide="ignore") if isinstance(a, ndarray) else \
        contextlib.nullcontext()


class BinaryCrossEntropy(Op):
    """``-(t log x + (1 - t) log(1 - x))`` elementwise, each log clamped at -100 (PyTorch)."""

    @staticmethod
    def forward(ctx, x, t):
        ctx.save_for_backward(x, t)
        xp = array_module(x)
        with _log_of_zero_allowed(x):  # log(0) = -inf, then clamped to -100
            log_x = xp.maximum(xp.log(x), -100)
            log_one_minus_x = xp.maximum(xp.log(1 - x), -100)
        return -(t * log_x + (1 - t) * log_one_minus_x)

    @staticmethod
    def backward(ctx, grad):
        x, t = ctx.saved_tensors
        need_x, need_t = ctx.needs_input_grad
        # dL/dx = (x - t) / (x (1 - x)); the denominator is kept >= 1e-12 as in PyTorch
        grad_x = grad * (x - t) / _at_least((1 - x) * x, _EPSILON) if need_x else None
        grad_t = grad * (aot.log(1 - x) - aot.log(x)) if need_t else None  # -logit(x)
        return grad_x, grad_t


# -- argument checks shared by the losses -----------------------------------------------------

def _reduction(size_average: bool | None, reduce: bool | None, reduction: str, name: str,
               allowed: tuple = _REDUCTIONS) -> str:
    """The reduction to apply: ``reduction``, or what PyTorch's deprecated arguments mean."""
    if size_average is not None or reduce is not None:
        if reduce is False:
            reduction = "none"
        else:
            reduction = "sum" if size_average is False else "mean"
        warnings.warn(f"{name}: size_average and reduce are deprecated; use "
                      f"reduction='{reduction}' instead", DeprecationWarning, stacklevel=3)
        return reduction
    if reduction not in allowed:
        raise ValueError(f"{name}: reduction must be one of {allowed}, got {reduction!r}")
    return reduction


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses


def _check_tensor(value, what: str, name: str) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}: {what} must be a Tensor, got {type(value).__name__}")


def _check_input(input: Tensor, name: str, what: str = "input") -> None:
    _check_tensor(input, what, name)
    if input.array.dtype.kind != "f":
        raise TypeError(f"{name}: {what} must be a floating-point Tensor, got {input.dtype}; "
                        f"convert it with .float()")


def _check_same_device(input: Tensor, other: Tensor, name: str, what: str) -> None:
    """PyTorch's error for a ``what`` on another device than the input."""
    if type(other.array) is not type(input.array):
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least "
                           f"two devices, {input.device} and {other.device}! ({name}: {what})")


def _float_target(input: Tensor, target: Tensor, name: str, what: str = "target") -> Tensor:
    """``target`` as a float Tensor: integer and bool targets take the input's dtype."""
    _check_tensor(target, what, name)
    if target.array.dtype.kind in "iub":
        return Tensor(array_method(target.array, "astype", input.array.dtype))
    return target


def _constant(weight: Tensor | None, input: Tensor, what: str, name: str):
    """A weight as a raw array of the input's dtype: PyTorch does not differentiate it."""
    if weight is None:
        return None
    _check_tensor(weight, what, name)
    _check_same_device(input, weight, name, what)
    if weight.requires_grad and state.grad_enabled:
        raise RuntimeError(f"{name} is not differentiable with respect to {what}; pass "
                           f"{what}.detach()")
    return weight.array.astype(input.array.dtype, copy=False)


def _check_broadcast(input: Tensor, target: Tensor, name: str, warn: bool = True) -> None:
    """Different shapes broadcast (with a warning, as PyTorch gives for the regression losses);
    incompatible ones raise."""
    if input.shape == target.shape:
        return
    try:
        host.broadcast_shapes(input.shape, target.shape)
    except ValueError:
        raise RuntimeError(f"{name}: input of shape {tuple(input.shape)} and target of shape "
                           f"{tuple(target.shape)} do not broadcast together; give target the "
                           f"input's shape") from None
    if warn:
        warnings.warn(f"{name}: target of shape {tuple(target.shape)} differs from input of shape "
                      f"{tuple(input.shape)}; they are broadcast together, which is likely not "
                      f"what you want. Give target the input's shape.", stacklevel=4)


def _check_same_shape(input: Tensor, other: Tensor, name: str, what: str = "target") -> None:
    if input.shape != other.shape:
        raise ValueError(f"{name}: {what} of shape {tuple(other.shape)} must have the input's "
                         f"shape {tuple(input.shape)}")


def _check_class_target(input: Tensor, target: Tensor, name: str,
                        ignore_index: int | None = None) -> None:
    """Checks int64 class indices against input (N, C, d1, ...) or (C)."""
    _check_tensor(target, "target", name)
    if target.array.dtype.kind not in "iu":
        raise TypeError(f"{name}: target must hold int64 class indices, got {target.dtype}")
    expected = () if input.ndim == 1 else tuple(input.shape[:1] + input.shape[2:])
    if target.shape != expected:
        raise ValueError(f"{name}: input of shape {tuple(input.shape)} needs a target of "
                         f"class indices of shape {expected}, got {tuple(target.shape)}")
    _check_same_device(input, target, name, "target")
    classes = input.shape[1] if input.ndim > 1 else input.shape[0]
    labels = target.array
    if isinstance(labels, ndarray) and not (labels.size and (
            host.minimum.reduce(labels, axis=None) < 0 or
            host.maximum.reduce(labels, axis=None) >= classes)):
        return  # NumPy: quick when all are fine; a device array is checked in one pass
    outside = (labels < 0) | (labels >= classes)
    if ignore_index is not None:
        outside &= labels != ignore_index
    bad = labels[outside]
    if bad.size:
        raise IndexError(f"{name}: target {int(bad[0])} is out of bounds: the input has "
                         f"{classes} classes, so targets must be in [0, {classes - 1}]")


def _class_dim(input: Tensor, name: str) -> int:
    """The class dimension of input (N, C, d1, ...) or (C)."""
    if input.ndim == 0:
        raise ValueError(f"{name}: input must have a class dimension: (C), (N, C) or "
                         f"(N, C, d1, ...), got a 0-d tensor")
    return 1 if input.ndim > 1 else 0


def _class_weight(weight: Tensor | None, input: Tensor, classes: int, name: str):
    """The per-class weight (C) as a raw array, checked."""
    weight = _constant(weight, input, "weight", name)
    if weight is not None and weight.shape != (classes,):
        raise ValueError(f"{name}: weight must have one value per class, shape ({classes},), "
                         f"got {tuple(weight.shape)}")
    return weight


def _class_weight_view(weight, input: Tensor, class_dim: int):
    """weight (C) reshaped to broadcast along the class dimension of input."""
    return weight.reshape((-1,) + (1,) * (input.ndim - class_dim - 1))


# -- classification ---------------------------------------------------------------------------

def _as_rows(input: Tensor, target) -> tuple:
    """input (N, C, d1, ...) or (C) as a matrix (M, C), one example per row; target as (M)."""
    if input.ndim == 2:
        return input, target
    if input.ndim == 1:
        return input.unsqueeze(0), target.reshape(1)
    classes_last = (0,) + tuple(range(2, input.ndim)) + (1,)
    return input.permute(classes_last).reshape(-1, input.shape[1]), target.reshape(-1)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             size_average: bool | None = None, ignore_index: int = -100,
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices: ``-weight[y_n] * input[n, y_n]``.

    input (N, C), (N, C, d1, ...) or (C) log-probabilities; target (N), (N, d1, ...) or () int64
    class indices; weight (C) rescales each class. Targets equal to ``ignore_index`` count for
    nothing. 'mean' divides by the total weight of the counted targets; 'none' returns (N, ...).

    >>> F.nll_loss(F.log_softmax(logits, dim=1), labels)
    """
    name = "nll_loss"
    reduction = _reduction(size_average, reduce, reduction, name)
    _check_input(input, name)
    class_dim = _class_dim(input, name)
    _check_class_target(input, target, name, ignore_index)
    weight = _class_weight(weight, input, input.shape[class_dim], name)
    rows, labels = _as_rows(input, target.array)
    loss = NLLLoss.apply(rows, labels, weight=weight, ignore_index=ignore_index,
                         reduction=reduction)
    return named_as(loss.reshape(target.shape), "NllLoss") if reduction == "none" else loss


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average: bool | None = None, ignore_index: int = -100,
                  reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits: ``-z_y + log sum_j e^{z_j}``, computed stably.

    input (N, C), (N, C, d1, ...) or (C) raw scores (logits). target is either
    - class indices: int64 of shape (N), (N, d1, ...) or (); equal to
      ``nll_loss(log_softmax(input, class_dim), target)``, with ``weight`` and ``ignore_index``
      as there;
    - class probabilities: floats of the input's shape, ``-sum_c weight_c p_c log softmax(z)_c``
      ('mean' divides by the number of examples, N x d1 x ...).
    ``label_smoothing`` in [0, 1] mixes the target with the uniform distribution:
    ``(1 - s) * target + s / C``.

    >>> F.cross_entropy(logits, labels)                  # logits (N, C), labels (N) int64
    >>> F.cross_entropy(logits, labels, label_smoothing=0.1)
    """
    name = "cross_entropy"
    reduction = _reduction(size_average, reduce, reduction, name)
    _check_input(input, name)
    _check_tensor(target, "target", name)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be in [0, 1], got {label_smoothing}")
    class_dim = _class_dim(input, name)
    classes = input.shape[class_dim]
    weight = _class_weight(weight, input, classes, name)
    if target.shape == input.shape:
        return _cross_entropy_probabilities(input, target, weight, ignore_index, reduction,
                                            label_smoothing, class_dim)
    if target.array.dtype.kind == "f":
        raise TypeError(f"{name}: a target of shape {tuple(target.shape)} holds class indices "
                        f"and must be int64, got {target.dtype}; for class probabilities give "
                        f"a float target of the input's shape {tuple(input.shape)}")
    _check_class_target(input, target, name, ignore_index)
    rows, labels = _as_rows(input, target.array)
    if label_smoothing == 0:
        loss = CrossEntropy.apply(rows, labels, weight=weight, ignore_index=ignore_index,
                                  reduction=reduction)
    else:
        loss = _smoothed_cross_entropy(rows, labels, weight, ignore_index, reduction,
                                       label_smoothing)
    if reduction != "none":
        return loss
    # the node PyTorch's last operation makes: nll_loss, or the smoothing's sum of two terms
    return named_as(loss.reshape(target.shape), "NllLoss" if label_smoothing == 0 else "Add")


def _smoothed_cross_entropy(rows: Tensor, labels, weight, ignore_index: int, reduction: str,
                            label_smoothing: float) -> Tensor:
    """The cross-entropy of ``(1 - s) onehot(y) + s / C`` for logits (M, C), labels (M)."""
    log_probs = log_softmax(rows, 1)
    loss = NLLLoss.apply(log_probs, labels, weight=weight, ignore_index=ignore_index,
                         reduction=reduction)
    # The uniform part adds -sum_c weight_c log p_c / C per example that counts, normalised
    # for 'mean' by the total weight of the labels, as the NLL part is.
    share = _uniform_share(labels, weight, ignore_index,
                           reduction, rows.array.dtype)
    weighted = log_probs if weight is None else log_probs * weight
    uniform = -weighted.sum(1) * share
    if reduction != "none":
        uniform = uniform.sum()
    return loss * (1 - label_smoothing) + uniform * (label_smoothing / rows.shape[1])


@recorded
def _other_classes(index, shape: tuple):
    """True everywhere in ``shape`` (N, C) but at each row's class ``index`` (N, 1)."""
    xp = array_module(index)
    mask = xp.ones(shape, dtype=bool)
    mask[xp.arange(len(index)), index[:, 0]] = False
    return mask


@recorded
def _uniform_share(labels, weight, ignore_index: int, reduction: str, dtype):
    """Each example's factor in the smoothing's uniform part: 1 where it counts, over the total
    weight of the counted labels for 'mean'."""
    counted = labels != ignore_index
    share = counted.astype(dtype)
    total_weight = share.sum() if weight is None else weight[labels[counted]].sum()
    if reduction == "mean" and total_weight:  # else the NLL part is already NaN
        share /= total_weight
    return share


def _cross_entropy_probabilities(input: Tensor, target: Tensor, weight, ignore_index: int,
                                 reduction: str, label_smoothing: float,
                                 class_dim: int) -> Tensor:
    name = "cross_entropy"
    if target.array.dtype.kind != "f":
        index_shape = tuple(input.shape[:class_dim] + input.shape[class_dim + 1:])
        raise TypeError(f"{name}: a target of the input's shape {tuple(input.shape)} holds "
                        f"class probabilities and must be floating point, got {target.dtype}; "
                        f"class indices have shape {index_shape}")
    if ignore_index >= 0:
        raise ValueError(f"{name}: ignore_index is not supported with class-probability "
                         f"targets")
    classes = input.shape[class_dim]
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / classes
    terms = log_softmax(input, class_dim) * target
    if weight is not None:
        terms = terms * _class_weight_view(weight, input, class_dim)
    if reduction == "none":
        return -terms.sum(class_dim)
    total = -terms.sum()
    return total / (input.numel() / classes) if reduction == "mean" else total


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities: ``-w (t log x + (1 - t) log(1 - x))``.

    input and target of the same shape (any), values in [0, 1]; weight broadcasts to it. Each
    log is clamped at -100 as in PyTorch, so x = 0 or 1 gives a finite loss. For raw scores,
    ``binary_cross_entropy_with_logits`` is more stable.

    >>> F.binary_cross_entropy(F.sigmoid(scores), labels.float())
    """
    name = "binary_cross_entropy"
    reduction = _reduction(size_average, reduce, reduction, name)
    _check_input(input, name)
    target = _float_target(input, target, name)
    _check_same_shape(input, target, name)
    for what, value in (("input", input.array), ("target", target.array)):
        if not ((value >= 0) & (value <= 1)).all():
            hint = "; for raw scores (logits) use binary_cross_entropy_with_logits" \
                if what == "input" else ""
            raise ValueError(f"{name}: every element of {what} must be in [0, 1], found values "
                             f"in [{float(value.min()):g}, {float(value.max()):g}]{hint}")
    losses = BinaryCrossEntropy.apply(input, target)
    weight = _constant(weight, input, "weight", name)
    return named_as(_reduce(losses if weight is None else losses * weight, reduction),
                    "BinaryCrossEntropy")


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None,
                                     size_average: bool | None = None,
                                     reduce: bool | None = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Binary cross-entropy of logits: ``BCE(sigmoid(x), t)`` computed stably.

    ``loss = (1 - t) x + (1 + (pos_weight - 1) t) softplus(-x)``, times ``weight``; finite for
    logits of any size (+-1e4 included). input and target of the same shape (any); weight
    broadcasts to it; pos_weight (C) weighs the positive examples of each class (last dim).

    >>> F.binary_cross_entropy_with_logits(scores, labels.float())
    """
    name = "binary_cross_entropy_with_logits"
    reduction = _reduction(size_average, reduce, reduction, name)
    _check_input(input, name)
    target = _float_target(input, target, name)
    _check_same_shape(input, target, name)
    weight = _constant(weight, input, "weight", name)
    pos_weight = _constant(pos_weight, input, "pos_weight", name)
    # log(1 + e^-x) without overflow: softplus(-x); -log(1 - sigmoid(x)) = x + softplus(-x)
    negative_log_sigmoid = softplus(-input)
    if pos_weight is not None:
        negative_log_sigmoid = negative_log_sigmoid * ((pos_weight - 1) * target + 1)
    losses = (1 - target) * input + negative_log_sigmoid
    return named_as(_reduce(losses if weight is None else losses * weight, reduction),
                    "BinaryCrossEntropyWithLogits")


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average: bool | None = None,
                      reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """The multiclass SVM hinge: ``sum_{j != y} w_y max(0, margin - x_y + x_j)^p / C``.

    input (N, C) or (C) scores; target (N) or () int64 class indices; p is 1 or 2; weight (C)
    rescales each example by its target's weight. 'none' returns (N).

    >>> F.multi_margin_loss(scores, labels)   # the hinge of the lectures (margin 1)
    """
    name = "multi_margin_loss"
    reduction = _reduction(size_average, reduce, reduction, name)
    _check_input(input, name)
    if p not in (1, 2):
        raise ValueError(f"{name}: p must be 1 or 2, got {p}")
    if input.ndim not in (1, 2) or input.numel() == 0 and input.ndim == 1:
        raise ValueError(f"{name}: input must be (N, C) or a non-empty (C), got shape "
                         f"{tuple(input.shape)}")
    _check_tensor(target, "target", name)
    if input.ndim == 1 and target.shape == (1,):
        target = Tensor(target.array.reshape(()))
    _check_class_target(input, target, name)
    classes = input.shape[-1]
    weight = _class_weight(weight, input, classes, name)
    scores = input if input.ndim == 2 else input.unsqueeze(0)
    index = target.reshape(-1, 1)
    target_score = scores.gather(1, index)
    hinge = relu(margin - target_score + scores)  # relu: gradient 0 at a margin just met
    if p == 2:
        hinge = hinge * hinge
    losses = (hinge * Tensor(_other_classes(index.array, scores.shape))).sum(1) / classes
    if weight is not None:
        losses = losses * Tensor(weight)[index.reshape(-1)]
    return named_as(_reduce(losses if input.ndim == 2 else losses.reshape(()), reduction),
                    "MultiMarginLoss")


# -- regression -------------------------------------------------------------------------------

def _regression_pair(input: Tensor, target: Tensor, weight: Tensor | None, name: str) -> Tensor:
    """Checks a regression loss's arguments; returns the target as floats."""
    _check_input(input, name)
    target = _float_target(input, target, name)
    _check_broadcast(input, target, name)
    if weight is not None:
        _check_tensor(weight, "weight", name)
        _check_same_shape(input, weight, name, "weight")
    return target


def _weighted_reduce(losses: Tensor, weight: Tensor | None, reduction: str,
                     mean_over_weight: bool = True) -> Tensor:
    """Reduces ``losses * weight``; 'mean' divides by the weights' sum (mse, l1) or the count."""
    if weight is None:
        return _reduce(losses, reduction)
    losses = losses * weight
    if reduction == "mean" and mean_over_weight:
        return losses.sum() / weight.sum()
    return _reduce(losses, reduction)


def mse_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
             reduce: bool | None = None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    """Mean squared error ``(x - y)^2``; with ``weight`` (input's shape), 'mean' is
    ``sum(w (x - y)^2) / sum(w)``. input and target of the same shape (any).

    >>> F.mse_loss(prediction, target)
    """
    name = "mse_loss"
    reduction = _reduction(size_average, reduce, reduction, name)
    target = _regression_pair(input, target, weight, name)
    difference = input - target
    return named_as(_weighted_reduce(difference * difference, weight, reduction), "MseLoss")


def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
            reduce: bool | None = None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """Mean absolute error ``|x - y|``; with ``weight`` (input's shape), 'mean' is
    ``sum(w |x - y|) / sum(w)``. input and target of the same shape (any).

    >>> F.l1_loss(prediction, target)
    """
    name = "l1_loss"
    reduction = _reduction(size_average, reduce, reduction, name)
    target = _regression_pair(input, target, weight, name)
    return _weighted_reduce((input - target).abs(), weight, reduction)


def _huber(difference: Tensor, delta: float) -> Tensor:
    """``d^2 / 2`` where ``|d| < delta``, else ``delta (|d| - delta / 2)``: quadratic near 0."""
    magnitude = difference.abs()
    return where(magnitude < delta, 0.5 * difference * difference,
                 delta * (magnitude - 0.5 * delta))


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                   reduce: bool | None = None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - beta / 2`` (d = x - y); beta = 0
    is the L1 loss. input and target of the same shape (any).

    >>> F.smooth_l1_loss(prediction, target, beta=0.5)
    """
    name = "smooth_l1_loss"
    reduction = _reduction(size_average, reduce, reduction, name)
    if beta < 0:
        raise ValueError(f"{name}: beta must be >= 0, got {beta}")
    target = _regression_pair(input, target, None, name)
    if beta == 0:
        return _reduce((input - target).abs(), reduction)  # PyTorch's l1_loss, and its nodes
    return named_as(_reduce(_huber(input - target, beta) / beta, reduction), "SmoothL1Loss")


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """``0.5 d^2`` where ``|d| < delta``, else ``delta (|d| - delta / 2)`` (d = x - y): squared
    error near 0, absolute error (scaled by delta) far from it. With ``weight`` (input's shape),
    'mean' is ``mean(w * loss)``. input and target of the same shape (any).

    >>> F.huber_loss(prediction, target, delta=2.0)
    """
    name = "huber_loss"
    reduction = _reduction(None, None, reduction, name)
    if delta <= 0:
        raise ValueError(f"{name}: delta must be > 0, got {delta}")
    target = _regression_pair(input, target, weight, name)
    return named_as(_weighted_reduce(_huber(input - target, delta), weight, reduction,
                                     mean_over_weight=False), "HuberLoss")


# -- embeddings and rankings ------------------------------------------------------------------

def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """``x`` where ``y = 1`` and ``max(0, margin - x)`` where ``y = -1``: x is typically a
    distance, small for similar pairs (y = 1). input and target (of 1 and -1) broadcast.

    >>> F.hinge_embedding_loss(distances, labels)   # labels in {1, -1}
    """
    name = "hinge_embedding_loss"
    reduction = _reduction(size_average, reduce, reduction, name)
    _check_input(input, name)
    _check_tensor(target, "target", name)
    # as PyTorch: a target that is neither 1 nor -1 gets both terms
    below_margin = where(target != 1, (margin - input).clamp(min=0), 0.0)
    return _reduce(below_margin + where(target != -1, input, 0.0), reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average: bool | None = None, reduce: bool | None = None,
                          reduction: str = "mean") -> Tensor:
    """``1 - cos(x1, x2)`` where ``y = 1`` and ``max(0, cos(x1, x2) - margin)`` where
    ``y = -1``. input1, input2 (N, D) with target (N), or (D) with target ().

    >>> F.cosine_embedding_loss(a, b, same)   # same in {1, -1}
    """
    name = "cosine_embedding_loss"
    reduction = _reduction(size_average, reduce, reduction, name)
    _check_input(input1, name, "input1")
    _check_input(input2, name, "input2")
    _check_tensor(target, "target", name)
    if target.ndim > 1:
        raise ValueError(f"{name}: target must be (N) or (), got shape {tuple(target.shape)}")
    if input1.ndim != target.ndim + 1 or input2.ndim != target.ndim + 1:
        raise ValueError(f"{name}: a target of shape {tuple(target.shape)} needs inputs with "
                         f"{target.ndim + 1} dimensions, got {tuple(input1.shape)} and "
                         f"{tuple(input2.shape)}")
    dim = target.ndim  # the feature dimension
    squared_norms = ((input1 * input1).sum(dim) + _EPSILON) * ((input2 * input2).sum(dim)
                                                               + _EPSILON)
    cosine = (input1 * input2).sum(dim) / squared_norms.sqrt()
    if cosine.shape != target.shape:
        raise ValueError(f"{name}: inputs of shapes {tuple(input1.shape)} and "
                         f"{tuple(input2.shape)} give {tuple(cosine.shape)} similarities but "
                         f"target has shape {tuple(target.shape)}")
    losses = where(target == 1, 1 - cosine, 0.0) + where(
        target == -1, (cosine - margin).clamp(min=0), 0.0)
    return _reduce(losses, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    """``max(0, -y (x1 - x2) + margin)``: y = 1 asks for x1 ranked above x2, y = -1 below.
    input1, input2 and target have the same number of dimensions and broadcast.

    >>> F.margin_ranking_loss(scores_a, scores_b, a_first)   # a_first in {1, -1}
    """
    name = "margin_ranking_loss"
    reduction = _reduction(size_average, reduce, reduction, name)
    _check_input(input1, name, "input1")
    _check_input(input2, name, "input2")
    target = _float_target(input1, target, name)
    if not input1.ndim == input2.ndim == target.ndim:
        raise ValueError(f"{name}: input1, input2 and target must have the same number of "
                         f"dimensions, got shapes {tuple(input1.shape)}, "
                         f"{tuple(input2.shape)} and {tuple(target.shape)}")
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def _pairwise_distance(x1: Tensor, x2: Tensor, p: float, eps: float) -> Tensor:
    # eps keeps the norm differentiable when x1 = x2 (as torch.pairwise_distance)
    return (x1 - x2 + eps).norm(p, dim=-1)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    """``max(0, d(a, p) - d(a, n) + margin)`` with d the p-norm distance over the last
    dimension: the anchor should be closer to the positive than to the negative by a margin.
    anchor, positive, negative (N, D) or (D); ``swap`` uses ``min(d(a, n), d(p, n))``.

    >>> F.triplet_margin_loss(anchor, positive, negative, margin=0.5)
    """
    name = "triplet_margin_loss"
    reduction = _reduction(size_average, reduce, reduction, name)
    for what, value in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        _check_input(value, name, what)
    if margin <= 0:
        raise ValueError(f"{name}: margin must be > 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise ValueError(f"{name}: anchor, positive and negative must have the same number of "
                         f"dimensions, got shapes {tuple(anchor.shape)}, "
                         f"{tuple(positive.shape)} and {tuple(negative.shape)}")
    distance_positive = _pairwise_distance(anchor, positive, p, eps)
    distance_negative = _pairwise_distance(anchor, negative, p, eps)
    if swap:  # the positive may be closer to the negative than the anchor is
        distance_negative = minimum(distance_negative,
                                    _pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + distance_positive - distance_negative).clamp(min=0), reduction)


# -- distributions ----------------------------------------------------------------------------

def kl_div(input: Tensor, target: Tensor, size_average: bool | None = None,
           reduce: bool | None = None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence ``target (log target - input)``, pointwise.

    input: log-probabilities (any shape); target: probabilities of a broadcastable shape, or
    log-probabilities with ``log_target=True``. reduction 'batchmean' (sum / N) is the true KL
    divergence; 'mean' divides by every element and warns, as in PyTorch.

    >>> F.kl_div(F.log_softmax(logits, dim=1), probabilities, reduction="batchmean")
    """
    name = "kl_div"
    legacy = size_average is not None or reduce is not None
    reduction = _reduction(size_average, reduce, reduction, name,
                           allowed=("mean", "batchmean", "sum", "none"))
    _check_input(input, name)
    target = _float_target(input, target, name)
    if reduction == "mean" and not legacy:
        warnings.warn("kl_div: reduction='mean' divides the total loss by both the batch size "
                      "and the support size; 'batchmean' divides only by the batch size and "
                      "is the mathematical KL divergence", stacklevel=2)
    _check_broadcast(input, target, name, warn=False)
    if log_target:
        losses = target.exp() * (target - input)
    else:  # 0 log 0 = 0: a zero target contributes nothing
        losses = target * (target.masked_fill(target == 0, 1.0).log() - input)
    if reduction == "batchmean":
        total = losses.sum()
        return total / input.shape[0] if input.ndim else total
    return _reduce(losses, reduction)


# -- margins on logits, counts and Gaussian likelihoods ---------------------------------------

def soft_margin_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """The two-class logistic loss ``log(1 + e^(-y x))`` of scores x and labels y in {1, -1},
    elementwise, computed stably as ``-logsigmoid(y x)``. input and target broadcast.

    >>> F.soft_margin_loss(scores, labels)   # labels in {1, -1}
    """
    name = "soft_margin_loss"
    reduction = _reduction(size_average, reduce, reduction, name)
    _check_input(input, name)
    target = Tensor(_constant(target, input, "target", name))  # PyTorch: no target gradient
    _check_broadcast(input, target, name, warn=False)
    return _reduce(-logsigmoid(target * input), reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average: bool | None = None, reduce: bool | None = None,
                                reduction: str = "mean") -> Tensor:
    """One binary cross-entropy on logits per class, averaged over the C classes:
    ``-sum_c w_c (y_c log s(x_c) + (1 - y_c) log s(-x_c)) / C`` with s the sigmoid.

    input (N, C) or (C) logits; target of 0 and 1 of the same shape; weight (C) rescales each
    class. 'none' returns one loss per example (N).

    >>> F.multilabel_soft_margin_loss(logits, tags.float())
    """
    name = "multilabel_soft_margin_loss"
    reduction = _reduction(size_average, reduce, reduction, name)
    _check_input(input, name)
    if input.ndim == 0:
        raise ValueError(f"{name}: input must be (N, C) or (C), got a 0-d tensor")
    target = _float_target(input, target, name)
    _check_broadcast(input, target, name, warn=False)
    losses = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        _check_tensor(weight, "weight", name)
        losses = losses * weight
    return _reduce(losses.sum(-1) / input.shape[-1], reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average: bool | None = None, eps: float = 1e-8,
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of counts ``target`` under a Poisson of rate ``input``:
    ``e^x - y x`` when ``log_input`` (x is the log-rate), else ``x - y log(x + eps)``.
    ``full`` adds Stirling's approximation of ``log(y!)``, ``y log y - y + log(2 pi y) / 2``,
    where y > 1. input and target broadcast.

    >>> F.poisson_nll_loss(log_rates, counts)
    """
    name = "poisson_nll_loss"
    reduction = _reduction(size_average, reduce, reduction, name)
    _check_input(input, name)
    target = _float_target(input, target, name)
    _check_broadcast(input, target, name, warn=False)
    if log_input:
        losses = input.exp() - target * input
    else:
        losses = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        losses = losses + stirling.masked_fill(target <= 1, 0.0)
    return _reduce(losses, reduction)


def _variance_shape(input: Tensor, var: Tensor, name: str) -> Tensor:
    """``var`` of the input's shape, one dimension short of it (then unsqueezed), or of it
    with one dimension of size 1 (a variance shared along it), as PyTorch allows."""
    if var.shape == input.shape:
        return var
    if tuple(input.shape[:-1]) == tuple(var.shape):
        return var.unsqueeze(-1)
    if input.ndim == var.ndim and sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1:
        return var
    raise ValueError(f"var is of incorrect size ({name}: var of shape {tuple(var.shape)} for "
                     f"input of shape {tuple(input.shape)})")


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of ``target`` under a Gaussian of mean ``input`` and variance
    ``var``: ``(log max(var, eps) + (x - y)^2 / max(var, eps)) / 2``, plus ``log(2 pi) / 2``
    when ``full``. var has the input's shape, or one dimension fewer, or a dimension of size
    1 (shared), or is a float. The clamp to eps changes the value only: as in PyTorch, the
    gradient with respect to var is that of the unclamped formula's at the clamped value.

    >>> F.gaussian_nll_loss(mean, target, variance)
    """
    name = "gaussian_nll_loss"
    _check_input(input, name)
    target = _float_target(input, target, name)
    if isinstance(var, (int, float)) and not isinstance(var, bool):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = Tensor(array_module(input.array).full(input.shape, var, input.array.dtype))
    else:
        _check_tensor(var, "var", name)
        assert isinstance(var, Tensor)  # _check_tensor raised otherwise
        if (var.array < 0).any():
            raise ValueError("var has negative entry/entries")
    var = _variance_shape(input, var, name)
    reduction = _reduction(None, None, reduction, name)
    # clamped without a trace in the graph: var + (clamped - var), the difference a constant
    var = var + Tensor(array_module(var.array).maximum(var.array, eps) - var.array)
    difference = input - target
    losses = 0.5 * (var.log() + difference * difference / var)
    if full:
        losses = losses + 0.5 * math.log(2 * math.pi)
    return _reduce(losses, reduction)

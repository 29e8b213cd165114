"""The optimizers, simplest first: SGD, Adagrad, RMSprop, Adadelta, Adam, AdamW, NAdam, RAdam,
then Adamax, Rprop and ASGD.

Each writes only the update of one parameter (``_update``), on raw arrays and in place, with
the array module of the parameter's device (NumPy or CuPy) and PyTorch's formulas in PyTorch's
order, so that trajectories match ``torch.optim`` to floating-point precision. ``param`` is the
parameter's array (``p.array``), ``grad`` its gradient's (``p.grad.array``, never modified),
``state`` the parameter's state (buffers are Tensors on the parameter's device, as in PyTorch;
the update works on their ``.array``), ``group`` its group's options.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import array_module
from ..dtype import get_default_dtype, to_numpy_dtype
from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT, check_non_negative


def _direction(param: Any, grad: Any, group: dict[str, Any]) -> Any:
    """The gradient an update follows: negated to maximize, plus the L2 term ``wd * param``.

    With ``group["decoupled_weight_decay"]`` (AdamW, NAdam, RAdam), the decay shrinks
    ``param`` in place (``p = p * (1 - lr * wd)``) instead of being added to the gradient.
    Returns ``grad`` itself when there is nothing to add: callers must not change it in place.
    Optimizers without the option (Rprop) have no decay.
    """
    if group["maximize"]:
        grad = -grad
    weight_decay = group.get("weight_decay", 0)
    if weight_decay != 0:
        if group.get("decoupled_weight_decay", False):
            param *= 1 - group["lr"] * weight_decay
        else:
            grad = grad + weight_decay * param
    return grad


def _check_adam_options(lr: float, betas: tuple[float, float], eps: float,
                        weight_decay: float) -> None:
    """PyTorch's checks of the options Adam, NAdam and RAdam share."""
    check_non_negative("learning rate", lr)
    check_non_negative("epsilon value", eps)
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta} "
                             f"(it must be in [0, 1))")
    check_non_negative("weight_decay value", weight_decay)


def _implementation_options(*, foreach: bool | None, differentiable: bool,
                            **choices: bool | None) -> dict[str, Any]:
    """PyTorch's choices of implementation, kept in the groups as PyTorch keeps them.

    ``choices`` are the other choices the optimizer's PyTorch signature has: ``capturable``
    and/or ``fused``. ``foreach`` (one fused call per group) and ``capturable`` (CUDA graphs)
    do not change the values computed: retrograd accepts them and updates parameter by
    parameter. Refused, with NotImplementedError: ``differentiable=True`` (a step that autograd
    can differentiate: retrograd's updates change raw arrays in place, outside the graph) and
    ``fused=True`` (one compiled kernel for the whole step: retrograd has no kernels of its
    own, its steps are NumPy/CuPy expressions).
    """
    if differentiable:
        raise NotImplementedError("differentiable=True is not supported by retrograd's "
                                  "optimizers: their steps change the raw arrays in place, "
                                  "outside the autograd graph; pass differentiable=False")
    if choices.get("fused"):
        raise NotImplementedError("fused=True is not supported by retrograd's optimizers: "
                                  "retrograd has no fused kernels, its steps are NumPy/CuPy "
                                  "expressions; pass fused=None (the default) or False")
    return {"foreach": foreach, **choices, "differentiable": differentiable}


def _buffer(param: Any, fill_value: float = 0.0) -> Tensor:
    """A state buffer of the parameter's shape and dtype, on its device."""
    return Tensor(array_module(param).full_like(param, fill_value))


def _lerp_(average: Any, target: Any, weight: float) -> None:
    """``average += weight * (target - average)`` in place, in the form PyTorch's ``lerp_``
    takes for this weight (``target - (target - average) * (1 - weight)`` from 0.5 up)."""
    if abs(weight) < 0.5:
        average += weight * (target - average)
    else:
        average[...] = target - (target - average) * (1 - weight)


def _update_moments(grad: Any, state: dict[str, Any], group: dict[str, Any]) -> tuple[Any, Any]:
    """Adam's running averages, updated in place and returned (as arrays)::

        m = m + (1 - beta1) * (g - m)       (PyTorch's lerp_: beta1 * m + (1 - beta1) * g)
        v = beta2 * v + (1 - beta2) * g * g
    """
    beta1, beta2 = group["betas"]
    exp_avg, exp_avg_sq = state["exp_avg"].array, state["exp_avg_sq"].array
    _lerp_(exp_avg, grad, 1 - beta1)
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * grad * grad
    return exp_avg, exp_avg_sq


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum (heavy ball or Nesterov).

    Per parameter, with g its gradient (``-g`` if ``maximize``)::

        g = g + weight_decay * p
        b = g (first step), else momentum * b + (1 - dampening) * g     if momentum != 0
        g = g + momentum * b if nesterov else b                          if momentum != 0
        p = p - lr * g

    >>> opt = rg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    >>> opt.zero_grad(); loss.backward(); opt.step()
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        check_non_negative("learning rate", lr)
        check_non_negative("momentum value", momentum)
        check_non_negative("weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening; pass "
                             "momentum > 0 and dampening=0, or nesterov=False")
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "weight_decay": weight_decay, "nesterov": nesterov,
                                  "maximize": maximize,
                                  **_implementation_options(foreach=foreach, fused=fused,
                                                            differentiable=differentiable)})

    def _update(self, param, grad, state, group):
        grad = _direction(param, grad, group)
        momentum = group["momentum"]
        if momentum != 0:
            if "momentum_buffer" in state:
                buffer = state["momentum_buffer"].array
                buffer *= momentum
                dampening = group["dampening"]
                buffer += grad if dampening == 0 else (1 - dampening) * grad
            else:  # the first step starts the buffer at the gradient itself
                buffer = grad.copy()
                state["momentum_buffer"] = Tensor(buffer)
            grad = grad + momentum * buffer if group["nesterov"] else buffer
        param -= group["lr"] * grad


class Adagrad(Optimizer):
    """Adagrad: each coordinate's step is divided by the root of its summed squared gradients.

    Per parameter, at step t (from 1)::

        g = g + weight_decay * p
        sum = sum + g * g                 (sum starts at initial_accumulator_value)
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(sum) + eps)
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        check_non_negative("learning rate", lr)
        check_non_negative("lr_decay value", lr_decay)
        check_non_negative("weight_decay value", weight_decay)
        check_non_negative("initial_accumulator_value value", initial_accumulator_value)
        check_non_negative("epsilon value", eps)
        super().__init__(params, {"lr": lr, "lr_decay": lr_decay, "eps": eps,
                                  "weight_decay": weight_decay,
                                  "initial_accumulator_value": initial_accumulator_value,
                                  "maximize": maximize,
                                  **_implementation_options(foreach=foreach, fused=fused,
                                                            differentiable=differentiable)})
        # PyTorch creates Adagrad's state at once (other optimizers wait for the first step)
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = self._init_state(p.array, group)

    def _init_state(self, param, group):
        return {"step": 0, "sum": _buffer(param, group["initial_accumulator_value"])}

    def _update(self, param, grad, state, group):
        state["step"] += 1
        grad = _direction(param, grad, group)
        step_lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        square_sum = state["sum"].array
        square_sum += grad * grad
        std = array_module(param).sqrt(square_sum)
        std += group["eps"]
        param -= step_lr * (grad / std)


class RMSprop(Optimizer):
    """RMSprop: steps divided by a running root mean square of the gradients.

    Per parameter::

        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g
        m = m + (1 - alpha) * (g - m);  v~ = v - m * m      if centered (else v~ = v)
        d = g / (sqrt(v~) + eps)
        b = momentum * b + d;  p = p - lr * b               if momentum > 0
        p = p - lr * d                                      otherwise
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        check_non_negative("learning rate", lr)
        check_non_negative("epsilon value", eps)
        check_non_negative("momentum value", momentum)
        check_non_negative("weight_decay value", weight_decay)
        check_non_negative("alpha value", alpha)
        super().__init__(params, {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                                  "centered": centered, "weight_decay": weight_decay,
                                  "maximize": maximize,
                                  **_implementation_options(foreach=foreach,
                                                            capturable=capturable,
                                                            differentiable=differentiable)})

    def _init_state(self, param, group):
        state = {"step": 0, "square_avg": _buffer(param)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = _buffer(param)
        if group["centered"]:
            state["grad_avg"] = _buffer(param)
        return state

    def _update(self, param, grad, state, group):
        state["step"] += 1
        grad = _direction(param, grad, group)
        xp, alpha = array_module(param), group["alpha"]
        square_avg = state["square_avg"].array
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"].array
            _lerp_(grad_avg, grad, 1 - alpha)
            avg = square_avg - grad_avg * grad_avg
            xp.sqrt(avg, out=avg)
        else:
            avg = xp.sqrt(square_avg)
        avg += group["eps"]
        if group["momentum"] > 0:
            buffer = state["momentum_buffer"].array
            buffer *= group["momentum"]
            buffer += grad / avg
            param -= group["lr"] * buffer
        else:
            param -= group["lr"] * (grad / avg)


class Adadelta(Optimizer):
    """Adadelta: steps scaled by the ratio of running roots of past steps and gradients.

    Per parameter::

        g = g + weight_decay * p
        v = rho * v + (1 - rho) * g * g
        d = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * d * d
        p = p - lr * d

    ``foreach`` and ``capturable`` are accepted and change nothing (see
    ``_implementation_options``); ``differentiable=True`` is refused.
    """

    def __init__(self, params: ParamsT, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        check_non_negative("learning rate", lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho} (it must be in [0, 1])")
        check_non_negative("epsilon value", eps)
        check_non_negative("weight_decay value", weight_decay)
        super().__init__(params, {"lr": lr, "rho": rho, "eps": eps,
                                  "weight_decay": weight_decay, "maximize": maximize,
                                  **_implementation_options(foreach=foreach,
                                                            capturable=capturable,
                                                            differentiable=differentiable)})

    def _init_state(self, param, group):
        return {"step": 0, "square_avg": _buffer(param), "acc_delta": _buffer(param)}

    def _update(self, param, grad, state, group):
        state["step"] += 1
        grad = _direction(param, grad, group)
        xp, rho, eps = array_module(param), group["rho"], group["eps"]
        square_avg, acc_delta = state["square_avg"].array, state["acc_delta"].array
        square_avg *= rho
        square_avg += (1 - rho) * grad * grad
        std = xp.sqrt(square_avg + eps)
        delta = xp.sqrt(acc_delta + eps)
        delta /= std
        delta *= grad
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        param -= group["lr"] * delta


class Adam(Optimizer):
    """Adam: momentum on the gradient, steps scaled by the root of its running square.

    Per parameter, at step t (from 1)::

        p = p * (1 - lr * weight_decay)                     if decoupled_weight_decay (AdamW)
        g = g + weight_decay * p                            otherwise
        m = m + (1 - beta1) * (g - m)                       (= beta1 * m + (1 - beta1) * g)
        v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v), used instead of v            if amsgrad
        p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
        _check_adam_options(lr, betas, eps, weight_decay)
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps,
                                  "weight_decay": weight_decay, "amsgrad": amsgrad,
                                  "maximize": maximize,
                                  **_implementation_options(foreach=foreach,
                                                            capturable=capturable, fused=fused,
                                                            differentiable=differentiable),
                                  "decoupled_weight_decay": decoupled_weight_decay})

    def _init_state(self, param, group):
        state = {"step": 0, "exp_avg": _buffer(param), "exp_avg_sq": _buffer(param)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = _buffer(param)
        return state

    def _update(self, param, grad, state, group):
        state["step"] += 1
        xp = array_module(param)
        lr, (beta1, beta2), step = group["lr"], group["betas"], state["step"]
        grad = _direction(param, grad, group)
        exp_avg, exp_avg_sq = _update_moments(grad, state, group)
        if group["amsgrad"]:
            exp_avg_sq = xp.maximum(state["max_exp_avg_sq"].array, exp_avg_sq,
                                    out=state["max_exp_avg_sq"].array)
        step_size = lr / (1 - beta1 ** step)
        denominator = xp.sqrt(exp_avg_sq)
        denominator /= (1 - beta2 ** step) ** 0.5
        denominator += group["eps"]
        param -= step_size * (exp_avg / denominator)


class AdamW(Adam):
    """Adam with decoupled weight decay: ``p = p * (1 - lr * weight_decay)`` before each step,
    instead of adding ``weight_decay * p`` to the gradient (Loshchilov and Hutter, 2019)."""

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)


class NAdam(Optimizer):
    """Adam with Nesterov momentum (Dozat, 2016), its momentum warmed up by ``momentum_decay``.

    Per parameter, at step t (from 1)::

        g = g + weight_decay * p  (or p = p * (1 - lr * weight_decay) if decoupled_weight_decay)
        mu_t = beta1 * (1 - 0.96^(t * momentum_decay) / 2);  prod = mu_1 * ... * mu_t
        m, v = Adam's running averages of g and g * g
        d = sqrt(v / (1 - beta2^t)) + eps
        p = p - lr * (1 - mu_t) / (1 - prod) * g / d - lr * mu_{t+1} / (1 - prod * mu_{t+1}) * m / d

    ``prod`` is kept, as PyTorch keeps it, in the state ``mu_product``: a float32 scalar.
    ``foreach`` and ``capturable`` are accepted and change nothing; ``differentiable=True`` is
    refused.
    """

    def __init__(self, params: ParamsT, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _check_adam_options(lr, betas, eps, weight_decay)
        check_non_negative("momentum_decay value", momentum_decay)
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps,
                                  "weight_decay": weight_decay, "momentum_decay": momentum_decay,
                                  "decoupled_weight_decay": decoupled_weight_decay,
                                  "maximize": maximize,
                                  **_implementation_options(foreach=foreach,
                                                            capturable=capturable,
                                                            differentiable=differentiable)})

    def _init_state(self, param, group):
        # mu_product on the host in float32, as PyTorch's (its scalar dtype)
        return {"step": 0, "mu_product": Tensor(np.ones((), dtype=np.float32)),
                "exp_avg": _buffer(param), "exp_avg_sq": _buffer(param)}

    def _update(self, param, grad, state, group):
        state["step"] += 1
        xp, lr, step = array_module(param), group["lr"], state["step"]
        beta1, beta2 = group["betas"]
        grad = _direction(param, grad, group)
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * group["momentum_decay"]))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * group["momentum_decay"]))
        mu_product = state["mu_product"].array
        mu_product *= mu  # in float32, as PyTorch
        mu_product = float(mu_product)
        exp_avg, exp_avg_sq = _update_moments(grad, state, group)
        denominator = xp.sqrt(exp_avg_sq / (1 - beta2 ** step))
        denominator += group["eps"]
        param += (-lr * (1.0 - mu) / (1.0 - mu_product)) * (grad / denominator)
        param += (-lr * mu_next / (1.0 - mu_product * mu_next)) * (exp_avg / denominator)


class RAdam(Optimizer):
    """Rectified Adam (Liu et al., 2020): plain momentum steps while the variance estimate is
    unreliable, then Adam steps scaled by a rectification factor.

    Per parameter, at step t (from 1)::

        g = g + weight_decay * p  (or p = p * (1 - lr * weight_decay) if decoupled_weight_decay)
        m, v = Adam's running averages of g and g * g
        rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
        m^ = m / (1 - beta1^t)
        p = p - m^ * lr * sqrt(1 - beta2^t) / (sqrt(v) + eps) * r_t        if rho_t > 5
        p = p - m^ * lr                                                      otherwise
        with r_t = sqrt((rho_t - 4) (rho_t - 2) rho_inf / ((rho_inf - 4) (rho_inf - 2) rho_t))

    ``foreach`` and ``capturable`` are accepted and change nothing; ``differentiable=True`` is
    refused.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _check_adam_options(lr, betas, eps, weight_decay)
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps,
                                  "weight_decay": weight_decay, "maximize": maximize,
                                  "decoupled_weight_decay": decoupled_weight_decay,
                                  **_implementation_options(foreach=foreach,
                                                            capturable=capturable,
                                                            differentiable=differentiable)})

    def _init_state(self, param, group):
        return {"step": 0, "exp_avg": _buffer(param), "exp_avg_sq": _buffer(param)}

    def _update(self, param, grad, state, group):
        state["step"] += 1
        xp, lr, step = array_module(param), group["lr"], state["step"]
        beta1, beta2 = group["betas"]
        grad = _direction(param, grad, group)
        exp_avg, exp_avg_sq = _update_moments(grad, state, group)
        bias_correction2 = 1 - beta2 ** step
        step_direction = exp_avg / (1 - beta1 ** step)
        step_direction *= lr
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
        if rho_t > 5.0:
            adaptive_lr = xp.sqrt(exp_avg_sq)
            adaptive_lr += group["eps"]
            step_direction *= bias_correction2 ** 0.5 / adaptive_lr
            step_direction *= ((rho_t - 4) * (rho_t - 2) * rho_inf
                               / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
        param -= step_direction


class Adamax(Optimizer):
    """Adam with the infinity norm: steps scaled by a decaying maximum of ``|g|``.

    Per parameter, at step t (from 1)::

        g = g + weight_decay * p
        m = m + (1 - beta1) * (g - m)
        u = max(beta2 * u, |g| + eps)
        p = p - lr / (1 - beta1^t) * m / u

    ``foreach`` and ``capturable`` are accepted and change nothing; ``differentiable=True`` is
    refused.
    """

    def __init__(self, params: ParamsT, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        _check_adam_options(lr, betas, eps, weight_decay)
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps,
                                  "weight_decay": weight_decay, "maximize": maximize,
                                  **_implementation_options(foreach=foreach,
                                                            capturable=capturable,
                                                            differentiable=differentiable)})

    def _init_state(self, param, group):
        return {"step": 0, "exp_avg": _buffer(param), "exp_inf": _buffer(param)}

    def _update(self, param, grad, state, group):
        state["step"] += 1
        xp, (beta1, beta2) = array_module(param), group["betas"]
        grad = _direction(param, grad, group)
        exp_avg, exp_inf = state["exp_avg"].array, state["exp_inf"].array
        _lerp_(exp_avg, grad, 1 - beta1)
        exp_inf *= beta2
        xp.maximum(exp_inf, xp.abs(grad) + group["eps"], out=exp_inf)
        param += (-group["lr"] / (1 - beta1 ** state["step"])) * (exp_avg / exp_inf)


class Rprop(Optimizer):
    """Resilient backpropagation: each coordinate moves by its own step size, by the sign of
    its gradient only; the step grows while the sign stays, shrinks when it flips.

    Per parameter and coordinate, with g' the previous step's gradient (0 at first)::

        s = s * eta_plus if g * g' > 0;  s * eta_minus if g * g' < 0       (s starts at lr)
        s = clamp(s, step_size_min, step_size_max)
        g = 0 where g * g' < 0         (after a sign flip, wait one step)
        p = p - sign(g) * s;  g' = g

    ``foreach`` and ``capturable`` are accepted and change nothing; ``differentiable=True`` is
    refused.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2,
                 etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        check_non_negative("learning rate", lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]} (they must satisfy "
                             f"0 < eta_minus < 1 < eta_plus)")
        super().__init__(params, {"lr": lr, "etas": etas, "step_sizes": step_sizes,
                                  "maximize": maximize,
                                  **_implementation_options(foreach=foreach,
                                                            capturable=capturable,
                                                            differentiable=differentiable)})

    def _init_state(self, param, group):
        return {"step": 0, "prev": _buffer(param), "step_size": _buffer(param, group["lr"])}

    def _update(self, param, grad, state, group):
        state["step"] += 1
        xp = array_module(param)
        (eta_minus, eta_plus), (step_size_min, step_size_max) = group["etas"], group["step_sizes"]
        grad = _direction(param, grad, group)
        prev, step_size = state["prev"].array, state["step_size"].array
        agreement = xp.sign(grad * prev)
        factor = xp.ones_like(grad)
        factor[agreement > 0] = eta_plus
        factor[agreement < 0] = eta_minus
        step_size *= factor
        xp.clip(step_size, step_size_min, step_size_max, out=step_size)
        grad = xp.where(agreement < 0, xp.zeros_like(grad), grad)
        param -= xp.sign(grad) * step_size
        prev[...] = grad


class ASGD(Optimizer):
    """Averaged SGD (Polyak and Juditsky, 1992): SGD with a decaying step, and a running
    average ``ax`` of the iterates, which starts after ``t0`` steps.

    Per parameter, at step t (from 1), with eta starting at lr and mu at 1::

        g = g + weight_decay * p
        p = p * (1 - lambd * eta) - eta * g
        ax = ax + mu * (p - ax)              (ax = p while mu is 1)
        eta = lr / (1 + lambd * lr * t) ** alpha;  mu = 1 / max(1, t - t0)

    ``eta`` and ``mu`` are kept, as PyTorch keeps them, in the state as 0-d tensors of the
    default dtype (float32 unless ``rg.set_default_dtype`` changed it), their values rounded
    to that dtype. ``foreach`` and
    ``capturable`` are accepted and change nothing; ``differentiable=True`` is refused.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, lambd: float = 1e-4,
                 alpha: float = 0.75, t0: float = 1e6, weight_decay: float = 0,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        check_non_negative("learning rate", lr)
        check_non_negative("weight_decay value", weight_decay)
        super().__init__(params, {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                                  "weight_decay": weight_decay, "maximize": maximize,
                                  **_implementation_options(foreach=foreach,
                                                            capturable=capturable,
                                                            differentiable=differentiable)})

    def _init_state(self, param, group):
        xp, scalar = array_module(param), to_numpy_dtype(get_default_dtype())
        return {"step": 0, "eta": Tensor(xp.asarray(group["lr"], dtype=scalar)),
                "mu": Tensor(xp.ones((), dtype=scalar)), "ax": _buffer(param)}

    def _update(self, param, grad, state, group):
        state["step"] += 1
        step, lr, lambd = state["step"], group["lr"], group["lambd"]
        grad = _direction(param, grad, group)
        eta, mu = state["eta"].array, state["mu"].array
        eta_value, mu_value = float(eta), float(mu)
        param *= 1 - lambd * eta_value
        param -= eta_value * grad
        ax = state["ax"].array
        if mu_value != 1:
            ax += (param - ax) * mu_value
        else:
            ax[...] = param
        # rounded to the default dtype, as PyTorch's torch.as_tensor(value), whatever the dtype
        # of the state (a loaded state has the parameter's)
        scalar = to_numpy_dtype(get_default_dtype()).type
        eta[...] = float(scalar(lr / ((1 + lambd * lr * step) ** group["alpha"])))
        mu[...] = float(scalar(1 / max(1, step - group["t0"])))

"""The optimizers, simplest first: SGD, Adagrad, RMSprop, Adam, AdamW.

Each writes only the update of one parameter (``_update``), on raw arrays and in place, with
the array module of the parameter's device (NumPy or CuPy) and PyTorch's formulas in PyTorch's
order, so that trajectories match ``torch.optim`` to floating-point precision. ``param`` is the
parameter's array (``p.array``), ``grad`` its gradient's (``p.grad.array``, never modified),
``state`` the parameter's state (buffers are Tensors on the parameter's device, as in PyTorch;
the update works on their ``.array``), ``group`` its group's options.
"""
from __future__ import annotations

from typing import Any

from ..backend import array_module
from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT, check_non_negative


def _direction(param: Any, grad: Any, group: dict[str, Any]) -> Any:
    """The gradient an update follows: negated to maximize, plus the L2 term ``wd * param``.

    Returns ``grad`` itself when there is nothing to add: callers must not change it in place.
    """
    if group["maximize"]:
        grad = -grad
    if group["weight_decay"] != 0:
        grad = grad + group["weight_decay"] * param
    return grad


def _buffer(param: Any, fill_value: float = 0.0) -> Tensor:
    """A state buffer of the parameter's shape and dtype, on its device."""
    return Tensor(array_module(param).full_like(param, fill_value))


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
                 maximize: bool = False) -> None:
        check_non_negative("learning rate", lr)
        check_non_negative("momentum value", momentum)
        check_non_negative("weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening; pass "
                             "momentum > 0 and dampening=0, or nesterov=False")
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "weight_decay": weight_decay, "nesterov": nesterov,
                                  "maximize": maximize})

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
                 eps: float = 1e-10, *, maximize: bool = False) -> None:
        check_non_negative("learning rate", lr)
        check_non_negative("lr_decay value", lr_decay)
        check_non_negative("weight_decay value", weight_decay)
        check_non_negative("initial_accumulator_value value", initial_accumulator_value)
        check_non_negative("epsilon value", eps)
        super().__init__(params, {"lr": lr, "lr_decay": lr_decay, "eps": eps,
                                  "weight_decay": weight_decay,
                                  "initial_accumulator_value": initial_accumulator_value,
                                  "maximize": maximize})
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
                 centered: bool = False, *, maximize: bool = False) -> None:
        check_non_negative("learning rate", lr)
        check_non_negative("epsilon value", eps)
        check_non_negative("momentum value", momentum)
        check_non_negative("weight_decay value", weight_decay)
        check_non_negative("alpha value", alpha)
        super().__init__(params, {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                                  "centered": centered, "weight_decay": weight_decay,
                                  "maximize": maximize})

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
            grad_avg += (1 - alpha) * (grad - grad_avg)   # PyTorch's lerp_
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
                 weight_decay: float = 0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False) -> None:
        check_non_negative("learning rate", lr)
        check_non_negative("epsilon value", eps)
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta} "
                                 f"(it must be in [0, 1))")
        check_non_negative("weight_decay value", weight_decay)
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps,
                                  "weight_decay": weight_decay, "amsgrad": amsgrad,
                                  "maximize": maximize,
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
        if group["decoupled_weight_decay"]:
            param *= 1 - lr * group["weight_decay"]
            grad = -grad if group["maximize"] else grad
        else:
            grad = _direction(param, grad, group)
        exp_avg, exp_avg_sq = state["exp_avg"].array, state["exp_avg_sq"].array
        exp_avg += (1 - beta1) * (grad - exp_avg)     # PyTorch's lerp_
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
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
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)

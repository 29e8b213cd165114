"""``Optimizer``: the base of every optimizer, as ``torch.optim.Optimizer``.

The base owns the bookkeeping: the parameter groups (each a dict of a ``"params"`` list and every
option, so that groups can use different learning rates), the per-parameter ``state``,
``zero_grad``, ``step`` and the ``state_dict`` round trip. A subclass writes only the update of
one parameter, in place on raw arrays, with the array module of the parameter's device
(``array_module(param)``: NumPy on the CPU, CuPy on CUDA)::

    class SignSGD(Optimizer):
        def __init__(self, params, lr=1e-3):
            super().__init__(params, {"lr": lr})

        def _update(self, param, grad, state, group):
            xp = array_module(param)
            param -= group["lr"] * xp.sign(grad)     # param is p.array: changed in place
"""
from __future__ import annotations

import copy
import warnings
from collections import defaultdict
from typing import Any, Callable, Iterable

from ..autograd.grad_mode import enable_grad
from ..device import device_of, to_device
from ..recording import replayed_whole
from ..tensor import Tensor

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]] | Iterable[tuple[str, Tensor]]


def check_non_negative(description: str, value: float) -> None:
    """Raises ValueError("Invalid <description>: <value> ...") when ``value`` is negative."""
    if not value >= 0.0:  # also catches NaN
        raise ValueError(f"Invalid {description}: {value} (it must be >= 0)")


class Optimizer:
    """Base class of optimizers: holds the parameters and their state, updates them in place.

    Args:
        params: an iterable of Tensors (the leaves to optimize, e.g. ``model.parameters()``),
            of ``(name, Tensor)`` pairs (``model.named_parameters()``), or of dicts that define
            parameter groups: ``[{"params": [w]}, {"params": [b], "lr": 0.1}]``; options missing
            from a group take the optimizer's defaults.
        defaults: the default value of every option (``{"lr": 0.01, ...}``).
    """

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got a Tensor; pass [tensor] or "
                            "model.parameters()")
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        self._opt_called = False  # set by step(); LRScheduler warns when it steps first
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list; pass the tensors to "
                             "optimize, e.g. model.parameters()")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)  # type: ignore[arg-type]  # dicts by now

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Adds a group of parameters with its own options (others take the defaults).

        Useful to fine-tune: unfreeze layers and hand them to the optimizer mid-training.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. "
                                 "Some param names are missing")
            param_group["param_names"] = names
            params = [p[1] for p in params]
        for param in params:
            if not isinstance(param, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params "
                                f"is {type(param).__name__}")
            if not param.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor (one computed from others); "
                                 "optimize the leaves it was computed from, or .detach() it and "
                                 "call .requires_grad_() to make a new leaf")
        param_group["params"] = params
        for name, default in self.defaults.items():
            param_group.setdefault(name, default)

        ids = [id(p) for p in params]  # ids: `in` on Tensors would compare values
        if len(ids) != len(set(ids)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "in future, this will cause an error", stacklevel=3)
        for group in self.param_groups:
            if ("param_names" in param_group) != ("param_names" in group):
                raise ValueError("all optimizer param groups should be with/without names. "
                                 "cannot add param group "
                                 f"{'with' if 'param_names' in param_group else 'without'} "
                                 "names to the optimizer")
            if not set(ids).isdisjoint(id(p) for p in group["params"]):
                raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    @replayed_whole
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Resets the gradients: to None (the default, which frees them), or to zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.detach_().zero_()

    @replayed_whole
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Updates every parameter that has a gradient (``.grad`` not None), in place.

        ``closure``, when given, re-evaluates the model and returns the loss; it runs with grad
        mode on and its result is returned.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state.update(self._init_state(p.array, group))
                self._update(p.array, grad.array, state, group)
                # as any in-place change: a graph that saved p's old value now refuses to use it
                p._version_counter[0] += 1
        self._opt_called = True
        return loss

    def _init_state(self, param: Any, group: dict[str, Any]) -> dict[str, Any]:
        """The state of a parameter before its first update (buffers as Tensors on the
        parameter's device)."""
        return {}

    def _update(self, param: Any, grad: Any, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        """Changes ``param`` (the raw array) in place, given its gradient and state."""
        raise NotImplementedError(f"{type(self).__name__} must define _update(param, grad, "
                                  f"state, group)")

    # -- saving and loading -----------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as ``{"state": {index: {...}}, "param_groups": [...]}``.

        Parameters are referred to by their index in the order of the groups (0, 1, ...), so
        the dict can be loaded into a new optimizer over other tensors of the same shapes.
        State tensors are copies: going on training does not change a saved dict.
        """
        index_of: dict[int, int] = {}
        param_groups = []
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            for p in group["params"]:
                index_of.setdefault(id(p), len(index_of))
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            param_groups.append(packed)
        state = {index_of[id(p)]: {key: _copy_value(value, None) for key, value in s.items()}
                 for p, s in self.state.items() if s}
        return {"state": state, "param_groups": param_groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Loads a dict made by ``state_dict()``: the options of each group and the state.

        The groups must have the same number of parameters, in the same order, as when saved.
        State tensors move to their parameter's device, floating-point ones cast to its dtype.
        """
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= state_dict.keys():
            raise ValueError("expected a dict with 'state' and 'param_groups', as made by "
                             "optimizer.state_dict()")
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has a different number of parameter groups "
                             f"({len(saved_groups)}) than this optimizer "
                             f"({len(self.param_groups)})")
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(f"loaded state dict contains a parameter group that doesn't "
                                 f"match the size of optimizer's group: group {i} has "
                                 f"{len(saved['params'])} parameters saved, "
                                 f"{len(group['params'])} here")
        param_of = {index: p for group, saved in zip(self.param_groups, saved_groups)
                    for index, p in zip(saved["params"], group["params"])}

        state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for index, saved_state in state_dict["state"].items():
            param = param_of[index]
            for key, value in saved_state.items():
                if isinstance(value, Tensor) and value.ndim > 0 and value.shape != param.shape:
                    raise ValueError(f"loaded state {key!r} of parameter {index} has shape "
                                     f"{value.shape}, but the parameter has shape "
                                     f"{param.shape}; was the state dict saved from another "
                                     f"model?")
            state[param] = {key: _copy_value(value, param) for key, value in saved_state.items()}
        for group, saved in zip(self.param_groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
        self.state = state
        self.param_groups = saved_groups

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines) + "\n)"


def _copy_value(value: Any, param: Tensor | None) -> Any:
    # A state value copied so that saved and live state never share memory; tensors follow
    # their parameter's device when loaded, and floating-point ones its dtype.
    if not isinstance(value, Tensor):
        return copy.deepcopy(value)
    array = value.array
    if param is not None:
        array = to_device(array, device_of(param.array))
        if array.dtype.kind == "f" and param.array.dtype.kind == "f":
            return Tensor(array.astype(param.array.dtype))  # astype copies
    return Tensor(array.copy() if array is value.array else array)

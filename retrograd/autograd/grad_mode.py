"""Grad mode: whether operations record the graph: ``no_grad``, ``enable_grad``,
``set_grad_enabled``.

Each works as a context manager and as a decorator, as in PyTorch.
"""
from __future__ import annotations

import functools
import threading
from typing import Callable


class _State(threading.local):
    def __init__(self) -> None:
        self.grad_enabled = True
        # True while the engine runs backward formulas on Tensors (create_graph=True)
        self.create_graph = False
        # True inside detect_anomaly(): every operation checks its result for NaN and Inf
        self.anomaly_mode = False
        # True inside rg.explain.record(): every node keeps its forward's arguments and output
        self.keep_forward = False


state = _State()


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad record the graph."""
    return state.grad_enabled


class ModeSwitch:
    """Sets one flag of ``state`` inside a ``with`` block or a decorated function, then restores
    it. Grad mode by default; ``detect_anomaly`` switches ``anomaly_mode``."""

    _flag = "grad_enabled"

    def __init__(self, mode: bool) -> None:
        self.mode = mode

    def __enter__(self) -> None:
        self._previous = getattr(state, self._flag)
        setattr(state, self._flag, self.mode)

    def __exit__(self, *exc_info) -> None:
        setattr(state, self._flag, self._previous)

    def __call__(self, function: Callable) -> Callable:
        flag, mode = self._flag, self.mode

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            # the previous mode is kept per call, so that recursive calls restore it correctly
            previous = getattr(state, flag)
            setattr(state, flag, mode)
            try:
                return function(*args, **kwargs)
            finally:
                setattr(state, flag, previous)
        return wrapper


class ModeSetter(ModeSwitch):
    """A switch that acts as soon as it is made, as PyTorch's ``set_grad_enabled``: called as a
    plain statement it holds until changed again; ``with`` restores the previous mode on exit."""

    def __init__(self, mode: bool) -> None:
        super().__init__(mode)
        super().__enter__()

    def __enter__(self) -> None:
        pass  # __init__ already switched the mode

    def __call__(self, function: Callable) -> Callable:
        setattr(state, self._flag, self._previous)  # used as a decorator: switch only in calls
        return super().__call__(function)


class no_grad(ModeSwitch):
    """Operations inside do not record the graph (for evaluation and parameter updates).

    >>> with rg.no_grad():
    ...     y = x * 2          # y.requires_grad is False
    """

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(ModeSwitch):
    """Turns recording back on inside a ``no_grad`` block."""

    def __init__(self) -> None:
        super().__init__(True)


class inference_mode(ModeSwitch):
    """PyTorch's mode for evaluation: here exactly ``no_grad`` (retrograd has no separate
    inference tensors). ``inference_mode(False)`` turns recording on inside, as in PyTorch."""

    def __init__(self, mode: bool = True) -> None:
        super().__init__(not mode)


class set_grad_enabled(ModeSetter):
    """``set_grad_enabled(False)`` acts as ``no_grad()``, ``set_grad_enabled(True)`` as
    ``enable_grad()``.

    Called as a plain statement it switches the mode until changed again, as in PyTorch.
    """

    def __init__(self, mode: bool) -> None:
        super().__init__(bool(mode))

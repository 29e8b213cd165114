"""Grad mode: whether operations record the graph. ``no_grad``, ``enable_grad``, ``set_grad_enabled``.

Each works as a context manager and as a decorator, as in PyTorch.
"""
from __future__ import annotations

import functools
import threading


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


class _GradModeContext:
    """Base of the grad-mode switches: sets the mode inside ``with`` or a decorated function."""

    def __init__(self, mode: bool) -> None:
        self.mode = mode

    def __enter__(self) -> None:
        self._previous = state.grad_enabled
        state.grad_enabled = self.mode

    def __exit__(self, *exc_info) -> None:
        state.grad_enabled = self._previous

    def __call__(self, function):
        mode = self.mode

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            previous = state.grad_enabled
            state.grad_enabled = mode
            try:
                return function(*args, **kwargs)
            finally:
                state.grad_enabled = previous
        return wrapper


class no_grad(_GradModeContext):
    """Operations inside do not record the graph (for evaluation and parameter updates).

    >>> with rg.no_grad():
    ...     y = x * 2          # y.requires_grad is False
    """

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(_GradModeContext):
    """Turns recording back on inside a ``no_grad`` block."""

    def __init__(self) -> None:
        super().__init__(True)


class set_grad_enabled(_GradModeContext):
    """``set_grad_enabled(False)`` acts as ``no_grad()``, ``set_grad_enabled(True)`` as ``enable_grad()``.

    Called as a plain statement it switches the mode until changed again, as in PyTorch.
    """

    def __init__(self, mode: bool) -> None:
        super().__init__(bool(mode))
        self._previous = state.grad_enabled
        state.grad_enabled = self.mode

    def __enter__(self) -> None:
        pass  # __init__ already switched the mode

    def __call__(self, function):
        state.grad_enabled = self._previous  # used as a decorator: switch only inside calls
        return super().__call__(function)

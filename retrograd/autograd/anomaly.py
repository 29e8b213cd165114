"""``detect_anomaly()``: find the first operation whose forward or backward makes NaN or Inf.

Inside the context every operation checks its result, and every recorded node remembers where in
the user's code it was created, so the error names the operation, the shapes and that line.
"""
from __future__ import annotations

import traceback

from ..backend import xp
from .grad_mode import state


class detect_anomaly:
    """Context manager (and decorator): raise at the first NaN or Inf in forward or backward.

    >>> with rg.autograd.detect_anomaly():
    ...     loss = model(x).log().sum()   # RuntimeError: Log produced NaN ... at line ...
    ...     loss.backward()
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self) -> None:
        self._previous = state.anomaly_mode
        state.anomaly_mode = self.check_nan

    def __exit__(self, *exc_info) -> None:
        state.anomaly_mode = self._previous

    def __call__(self, function):
        def wrapper(*args, **kwargs):
            with self:
                return function(*args, **kwargs)
        return wrapper


def _user_frame() -> str:
    """The innermost stack frame outside retrograd itself, as 'file:line in function'."""
    for frame in reversed(traceback.extract_stack()[:-1]):
        if "/retrograd/" not in frame.filename.replace("\\", "/") or "/tests/" in frame.filename:
            return f"{frame.filename}:{frame.lineno} in {frame.name}\n    {frame.line}"
    return "<unknown>"


def _bad(value) -> str | None:
    # a raw array, or a Tensor under create_graph (an ndarray's own .data is a memoryview)
    array = value if isinstance(value, xp.ndarray) else getattr(value, "data", None)
    if not isinstance(array, xp.ndarray) or array.dtype.kind != "f":
        return None
    if xp.isnan(array).any():
        return "NaN"
    if xp.isinf(array).any():
        return "Inf"
    return None


def _shapes(values) -> str:
    return ", ".join(str(tuple(getattr(v, "shape", ()))) for v in values)


def record_creation(node, result) -> None:
    node.created_at = _user_frame()


def check_forward(op_class, args, out) -> None:
    kind = _bad(out)
    if kind:
        raise RuntimeError(f"anomaly: {op_class.__name__} produced {kind} in its forward "
                           f"(inputs of shapes {_shapes(args)}), at\n  {_user_frame()}")


def check_backward(node, grads) -> None:
    for i, g in enumerate(grads):
        kind = _bad(g)
        if kind:
            where = getattr(node, "created_at", "<unknown>")
            raise RuntimeError(f"anomaly: the backward of {type(node).__name__} returned {kind} "
                               f"in the gradient of its input {i} (shape {tuple(g.shape)}); "
                               f"that operation was created at\n  {where}")

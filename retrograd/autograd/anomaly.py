"""``detect_anomaly()``: find the first operation whose forward or backward makes NaN or Inf.

Inside the context (or a decorated function) every operation checks its result, and every
recorded node remembers where in the user's code it was created, so the error names the
operation, the shapes and that line::

    with rg.autograd.detect_anomaly():
        loss = (x - 3).log().sum()     # RuntimeError: anomaly: Log produced NaN in its forward
        loss.backward()                # ... at train.py:12 in step:  loss = (x - 3).log().sum()

PyTorch checks only the backward; retrograd checks the forward as well. The checks cost a scan
of every result and a look at the call stack per operation: use the mode for debugging only.
"""
from __future__ import annotations

import linecache
import os
import traceback
import warnings
from typing import Any, Sequence

from ..backend import array_module, is_device_array
from .grad_mode import ModeSetter, ModeSwitch, state

# frames in these files are retrograd's own; the first frame outside is the user's code
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep

_ENABLED_MESSAGE = ("Anomaly Detection has been enabled. This mode will increase the runtime "
                    "and should only be enabled for debugging.")


class detect_anomaly(ModeSwitch):
    """Context manager (and, unlike PyTorch's, decorator): raise at the first NaN or Inf in
    forward or backward.

    The RuntimeError names the operation, the shapes of its inputs and where in your code the
    operation was called (file, line, function and the source line). ``check_nan=False`` turns
    the checks off. Warns once, on entering, as PyTorch does.

    >>> with rg.autograd.detect_anomaly():
    ...     loss = model(x).log().sum()   # RuntimeError: anomaly: Log produced NaN ... at ...
    ...     loss.backward()
    """

    _flag = "anomaly_mode"

    def __init__(self, check_nan: bool = True) -> None:
        super().__init__(check_nan)
        self.check_nan = check_nan
        warnings.warn(_ENABLED_MESSAGE, stacklevel=2)


class set_detect_anomaly(ModeSetter):
    """Turns anomaly detection on or off: as a statement (until changed again) or as a context
    manager, as PyTorch's ``set_detect_anomaly(mode, check_nan=True)``."""

    _flag = "anomaly_mode"

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        super().__init__(bool(mode) and check_nan)


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly()`` (or after ``set_detect_anomaly(True)``)."""
    return state.anomaly_mode


# -- called by Function.apply and the engine while the mode is on ------------------------------

def _user_frame() -> str:
    """The innermost call outside retrograd itself: 'file:line in function' and its source."""
    for frame, line_number in traceback.walk_stack(None):
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_PACKAGE_DIR):
            source = linecache.getline(filename, line_number).strip()
            return f"{filename}:{line_number} in {frame.f_code.co_name}" + (
                f"\n    {source}" if source else "")
    return "<unknown>"


def _bad(value: Any) -> str | None:
    """'NaN' or 'Inf' when ``value`` (an array, or a Tensor under create_graph) holds one."""
    array = value if is_device_array(value) else getattr(value, "array", None)
    if array is None or not is_device_array(array) or array.dtype.kind not in "fc":
        return None
    xp = array_module(array)
    if xp.isnan(array).any():
        return "NaN"
    if xp.isinf(array).any():
        return "Inf"
    return None


def _shapes(values: Sequence) -> str:
    return ", ".join(str(tuple(getattr(v, "shape", ()))) for v in values)


def record_creation(node, result) -> None:
    """Remembers where ``node`` was created, for an anomaly found later in its backward."""
    if result.grad_fn is node:  # only nodes of the graph can be met again in backward
        node.created_at = _user_frame()


def check_forward(op_class: type, args: Sequence, out: Any) -> None:
    """Raises when ``out`` holds NaN or Inf that ``op_class`` made (not its inputs)."""
    kind = _bad(out)
    if kind is None:
        return
    name = op_class.__name__
    for i, arg in enumerate(args):
        # NaN in, NaN out: the culprit came earlier, from the data or code outside the mode
        if _bad(arg) == kind:
            raise RuntimeError(
                f"anomaly: the input {i} of {name} (shape {tuple(arg.shape)}) already holds "
                f"{kind}: it comes from the data, or from code run outside detect_anomaly(). "
                f"{name} was called at\n  {_user_frame()}")
    during = (" while computing a gradient (backward with create_graph=True)"
              if state.create_graph else "")
    raise RuntimeError(
        f"anomaly: {name} produced {kind} in its forward{during} (inputs of shapes "
        f"{_shapes(args)}, output of shape {tuple(out.shape)}), at\n  {_user_frame()}")


def check_backward(node, grads: Sequence) -> None:
    """Raises when the backward of ``node`` returned a gradient holding NaN or Inf."""
    for i, grad in enumerate(grads):
        kind = _bad(grad)
        if kind is not None:
            where = getattr(node, "created_at", "<unknown> (created outside detect_anomaly())")
            raise RuntimeError(
                f"anomaly: the backward of {type(node).__name__} returned {kind} in the gradient "
                f"of its input {i} (shape {tuple(grad.shape)}); that operation was created at\n"
                f"  {where}")

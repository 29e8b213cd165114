"""Gradient checking: analytic gradients against centred finite differences.

``(f(t + eps) - f(t - eps)) / (2 eps)`` is slow (two evaluations per input element) but hard to
get wrong; backpropagation is fast but easy to get wrong. Comparing them on small inputs, in
float64, is how every operation of retrograd is verified. Inputs may be on any device: they are
perturbed there, and the Jacobians are compared on the host.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from ..backend import array_module, backend_of, xp
from ..device import device_of, to_device
from ..tensor import Tensor
from .engine import grad as autograd_grad
from .grad_mode import enable_grad, no_grad


class GradcheckError(RuntimeError):
    """Raised by gradcheck; the message is a table of the worst mismatches."""


def _as_tuple(value: Any) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _outputs(fn: Callable, inputs: Sequence[Tensor]) -> tuple:
    return tuple(o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor))


def _on_host(array: Any) -> Any:
    """``array`` as a flat float64 NumPy array."""
    return backend_of(array).to_host(array).astype(xp.float64).ravel()


def _numerical_jacobians(fn, inputs, differentiable, eps) -> list:
    """jacobians[i][j]: d output_j / d input_i, shape (input_i.numel(), output_j.numel())."""
    with no_grad():
        outputs = _outputs(fn, inputs)
        jacobians = []
        for i in differentiable:
            flat = inputs[i].array.reshape(-1)  # a view: writing it perturbs the input
            # a copy to read from: CuPy's flat[k] is a 0-d view, which writing flat[k] changes
            original = flat.copy()
            columns = [xp.zeros((flat.size, o.numel())) for o in outputs]
            for k in range(flat.size):
                flat[k] = original[k] + eps
                plus = [_on_host(o.array) for o in _outputs(fn, inputs)]
                flat[k] = original[k] - eps
                minus = [_on_host(o.array) for o in _outputs(fn, inputs)]
                flat[k] = original[k]
                for column, p, m in zip(columns, plus, minus):
                    column[k] = (p - m) / (2 * eps)
            jacobians.append(columns)
    return jacobians


def _analytical_jacobians(fn, inputs, differentiable) -> list:
    outputs = _outputs(fn, inputs)
    targets = [inputs[i] for i in differentiable]
    jacobians = [[xp.zeros((t.numel(), o.numel())) for o in outputs] for t in targets]
    for j, output in enumerate(outputs):
        if not output.requires_grad:
            continue
        for k in range(output.numel()):
            seed = array_module(output.array).zeros(output.shape, dtype=output.array.dtype)
            seed.reshape(-1)[k] = 1
            grads = autograd_grad(output, targets, Tensor(seed), retain_graph=True,
                                  allow_unused=True)
            for jacobian, g in zip(jacobians, grads):
                if g is not None:
                    jacobian[j][:, k] = _on_host(g.array)
    return jacobians


def _report(rows: list, limit: int = 10) -> str:
    rows = sorted(rows, key=lambda r: -r[4])[:limit]
    header = f"{'input':>5} {'output':>6} {'index':>12} {'analytic':>14} {'numerical':>14} " \
             f"{'error':>11}"
    lines = [header, "-" * len(header)]
    for i, j, index, (analytic, numerical), error in rows:
        lines.append(f"{i:>5} {j:>6} {str(index):>12} {analytic:>14.6g} {numerical:>14.6g} "
                     f"{error:>11.3g}")
    return "\n".join(lines)


def gradcheck(fn: Callable, inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Checks the gradients of ``fn`` at ``inputs`` against centred finite differences.

    ``inputs`` is a Tensor or a tuple (tensors with ``requires_grad=True`` are checked; use
    float64). An entry fails when ``|analytic - numerical| > atol + rtol * |numerical|``.
    Returns True, or raises ``GradcheckError`` listing the worst mismatches (input, output,
    index, analytic, numerical, error); with ``raise_exception=False`` returns False instead.
    """
    inputs = _as_tuple(inputs)
    differentiable = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not differentiable:
        raise ValueError("gradcheck: no input has requires_grad=True; nothing to check")
    for i in differentiable:
        if inputs[i].array.dtype != xp.float64:
            import warnings
            warnings.warn(f"gradcheck: input {i} is {inputs[i].dtype}, not float64; finite "
                          f"differences will be inaccurate", stacklevel=2)
    numerical = _numerical_jacobians(fn, inputs, differentiable, eps)
    analytical = _analytical_jacobians(fn, inputs, differentiable)
    failures = []
    for position, i in enumerate(differentiable):
        for j, (a, n) in enumerate(zip(analytical[position], numerical[position])):
            error = xp.abs(a - n)
            bad = ~(error <= atol + rtol * xp.abs(n))  # written so that a NaN counts as bad
            for flat_index, k in zip(*xp.nonzero(bad)):
                index = xp.unravel_index(flat_index, inputs[i].shape)
                failures.append((i, j, tuple(int(v) for v in index), (a[flat_index, k],
                                 n[flat_index, k]), float(error[flat_index, k])))
    if not failures:
        return True
    if not raise_exception:
        return False
    raise GradcheckError(f"gradcheck found {len(failures)} mismatched entries of the Jacobian "
                         f"(atol={atol}, rtol={rtol}); the worst:\n{_report(failures)}")


def gradgradcheck(fn: Callable, inputs: Any, grad_outputs: Any = None, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Checks second derivatives: gradcheck of the vector-Jacobian product of ``fn``.

    ``grad_outputs`` (random when None) are differentiated too, as in PyTorch.
    """
    inputs = _as_tuple(inputs)
    differentiable = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    outputs = _outputs(fn, inputs)
    if grad_outputs is None:
        generator = xp.random.default_rng(0)
        grad_outputs = tuple(  # drawn on the host, then moved to each output's device
            Tensor(to_device(generator.standard_normal(o.shape).astype(o.array.dtype),
                             device_of(o.array)), requires_grad=True) for o in outputs)
    grad_outputs = _as_tuple(grad_outputs)
    count = len(inputs)

    def first_derivative(*args):
        values, seeds = args[:count], args[count:]
        with enable_grad():  # also while finite differences evaluate it under no_grad
            outs = _outputs(fn, values)
            wanted = [t for t in values if isinstance(t, Tensor) and t.requires_grad]
            grads = autograd_grad(outs, wanted, list(seeds), create_graph=True,
                                  allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivative, inputs + tuple(grad_outputs), eps, atol, rtol,
                     raise_exception) if differentiable else True

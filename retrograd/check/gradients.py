"""Checking hand-written gradients: which one is wrong, by how much, where, and probably why.

``gradients(loss_fn, params, grads)`` computes the reference gradient of ``loss_fn`` at
``params`` in float64, by centred finite differences ``(L(t + eps) - L(t - eps)) / 2 eps``
(always) and by retrograd's autograd (when ``loss_fn`` also runs on retrograd tensors), compares
your ``grads`` with it entry by entry, and recognises the usual mistakes of a hand-written
backward pass: a transposed matrix, a factor of N from a sum where the loss takes a mean, a
wrong sign, a missing term or factor, a gradient of the wrong shape or left at zero.

    >>> report = rg.check.gradients(lambda p: scratch.loss_accuracy(
    ...     scratch.forward(p, X)[0], Y)[0], params, my_grads, batch_size=len(X))
    >>> report.ok
    False
    >>> print(report)          # one row per parameter, then the worst entries and a hint
"""
from __future__ import annotations

import html
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..autograd.engine import grad as autograd_grad
from ..autograd.grad_mode import enable_grad
from ..backend import backend_of, is_device_array
from ..device import device_of, to_device
from ..tensor import Tensor

WORST_ENTRIES = 3  # entries shown for each wrong gradient
# A pattern "explains" your gradient when it matches with this many times the check's tolerance:
# the pattern's own estimate (a fitted factor, say) adds a little error of its own.
PATTERN_SLACK = 10.0
SIMILAR_DIRECTION = 0.8  # cosine above which a wrong gradient is "nearly right"


@dataclass
class ParameterResult:
    """The check of one parameter's gradient.

    ``yours`` and ``expected`` are float64 arrays; ``expected`` has the parameter's shape and
    holds NaN at the entries that were not computed (large parameters without autograd are
    checked on a random subset). ``worst`` lists the largest mismatches as
    ``(index, yours, expected)``; ``pattern`` names the recognised mistake (``'transposed'``,
    ``'batch_factor'``, ``'factor'``, ``'sign'``, ``'l2'``, ``'offset'``, ``'elementwise'``,
    ``'zeros'``, ``'nonfinite'``, ``'swapped'``, ``'unsummed'``, ``'reshaped'``, ``'shape'``,
    ``'expected_zero'``, ``'precision'``) or is None, and ``hint`` says it in words.
    """

    name: str
    shape: tuple
    yours: np.ndarray
    expected: np.ndarray
    checked: int
    max_abs_error: float
    relative_error: float
    ok: bool
    worst: list = field(default_factory=list)
    pattern: str | None = None
    hint: str | None = None


@dataclass
class GradientReport:
    """What ``gradients`` found: ``ok`` (every gradient matches), ``parameters`` (name ->
    ``ParameterResult``, in the order of ``params``), ``reference`` (how the expected gradients
    were computed), ``notes`` and the tolerances. ``print(report)`` shows a table; in a notebook
    the report shows itself as HTML."""

    parameters: dict[str, ParameterResult]
    reference: str
    atol: float
    rtol: float
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.parameters.values())

    def _summary(self) -> str:
        wrong = [name for name, result in self.parameters.items() if not result.ok]
        if not wrong:
            return f"Gradient check: all {len(self.parameters)} gradients match"
        return (f"Gradient check: {len(wrong)} of {len(self.parameters)} gradients wrong: "
                f"{', '.join(wrong)}")

    def _rows(self) -> list[tuple[str, ...]]:
        """The table: name, shape, max absolute error, relative error, result."""
        rows: list[tuple[str, ...]] = [("parameter", "shape", "max abs error", "rel. error",
                                        "result")]
        for result in self.parameters.values():
            shape = str(result.shape)
            if np.shape(result.yours) != result.shape:
                shape += f", yours {np.shape(result.yours)}"
            rows.append((result.name, shape, _number(result.max_abs_error),
                         _number(result.relative_error), "ok" if result.ok else "FAIL"))
        return rows

    def __str__(self) -> str:
        lines = [self._summary(), f"expected: {self.reference}",
                 f"tolerance: |yours - expected| <= {self.atol:g} + {self.rtol:g} * |expected|, "
                 f"entry by entry", ""]
        lines += text_columns(self._rows())
        for result in self.parameters.values():
            if result.ok:
                continue
            lines += ["", f"{result.name}: FAIL"]
            if result.hint:
                lines.append(f"  hint: {result.hint}")
            if result.worst:
                lines.append(f"  worst entries:  {'index':<12} {'yours':>13} {'expected':>13}")
                lines += [f"                  {str(index):<12} {yours:>13.6g} {expected:>13.6g}"
                          for index, yours, expected in result.worst]
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<GradientReport ok={self.ok}: {self._summary()}>"

    def _repr_html_(self) -> str:
        escape = html.escape
        rows = self._rows()
        head = "".join(f"<th>{escape(cell)}</th>" for cell in rows[0])
        body = []
        for row, result in zip(rows[1:], self.parameters.values()):
            colour = "#e6f4ea" if result.ok else "#fce8e6"
            cells = "".join(f"<td>{escape(cell)}</td>" for cell in row)
            body.append(f'<tr style="background:{colour}">{cells}</tr>')
            if result.ok:
                continue
            details = []
            if result.hint:
                details.append(f"<b>hint:</b> {escape(result.hint)}")
            if result.worst:
                details.append("<b>worst entries</b> (index: yours / expected): " + "; ".join(
                    f"{escape(str(index))}: {yours:.6g} / {expected:.6g}"
                    for index, yours, expected in result.worst))
            body.append(f'<tr><td colspan="5">{"<br>".join(details)}</td></tr>')
        notes = "".join(f"<p>note: {escape(note)}</p>" for note in self.notes)
        return (f"<div><p><b>{escape(self._summary())}</b><br>expected: "
                f"{escape(self.reference)}<br>tolerance: |yours - expected| &le; {self.atol:g} + "
                f"{self.rtol:g} &middot; |expected|</p><table><tr>{head}</tr>{''.join(body)}"
                f"</table>{notes}</div>")


def gradients(loss_fn: Callable[[Any], Any], params: Mapping[str, Any] | Sequence[Any],
              grads: Mapping[str, Any] | Sequence[Any], eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, batch_size: int | None = None, l2: float | None = None,
              max_entries: int | None = 500, seed: int = 0) -> GradientReport:
    """Checks hand-computed gradients ``grads`` of ``loss_fn`` at ``params``.

    - ``params``: a dict (or list) of arrays or retrograd tensors, any shapes, on any device;
    - ``loss_fn(params) -> scalar``: the loss, written with NumPy or retrograd; it is called with
      float64 copies of ``params`` (same container, same kind of array, same device), never the
      originals;
    - ``grads``: your gradients, the same keys (or length) as ``params``, each of its
      parameter's shape.

    The comparison runs on the host, in NumPy. The expected gradient comes from retrograd's
    autograd when ``loss_fn`` runs on tensors that
    require grad (and agrees with finite differences), otherwise from centred finite differences
    with step ``eps``, both in float64. Parameters with more than ``max_entries`` entries are
    checked by finite differences on ``max_entries`` random entries (chosen by ``seed``; None:
    all). An entry passes when ``|yours - expected| <= atol + rtol * |expected|``.

    ``batch_size`` (N) and ``l2`` (lambda of a ``lambda ||theta||^2`` term in the loss) are
    optional: given, the hints can say "a factor of N: a sum where the loss takes a mean" and
    "the L2 term 2 lambda theta is missing".

    Returns a ``GradientReport``: ``report.ok``, ``report.parameters[name]``, ``print(report)``.

    >>> report = gradients(lambda p: ((p["w"] * x) ** 2).sum(), {"w": w}, {"w": 2 * w * x})
    """
    if not eps > 0:
        raise ValueError(f"gradients: eps is the finite-difference step and must be > 0, "
                         f"got {eps}")
    if max_entries is not None and max_entries < 1:
        raise ValueError(f"gradients: max_entries must be a positive int or None, got "
                         f"{max_entries!r}")
    named_params, named_grads = _named(params, "params"), _named(grads, "grads")
    names = list(named_params)
    if set(named_grads) != set(names):
        missing = [name for name in names if name not in named_grads]
        extra = [name for name in named_grads if name not in named_params]
        raise ValueError(f"gradients: grads must have the keys of params {names}; missing "
                         f"{missing}, unexpected {extra}")
    # float64 copies: the check never changes your arrays
    theta = {name: _float64(value, f"params[{name!r}]") for name, value in named_params.items()}
    yours = {name: _float64(named_grads[name], f"grads[{name!r}]") for name in names}

    def loss_at(point: dict[str, np.ndarray]) -> Any:
        return loss_fn(_rebuild(params, point))

    base = loss_at(theta)
    if not np.isfinite(_scalar(base)):
        raise ValueError(f"gradients: loss_fn returned {_scalar(base)} at params; finite "
                         f"differences need a finite loss")
    automatic, why_not = _autograd(loss_fn, params, theta)
    expected, reference, notes = _references(loss_at, theta, automatic, eps, atol, rtol,
                                             max_entries, seed)
    if getattr(base.array if isinstance(base, Tensor) else base, "dtype", None) == np.float32:
        notes.append("loss_fn returns float32, so its finite differences are inaccurate: keep "
                     "float64 inputs float64 (no .astype(np.float32) inside)")
    if automatic is None:
        notes.append(f"finite differences only: {why_not}")
    results = {name: _compare(name, theta, yours[name], expected, atol, rtol, batch_size, l2)
               for name in names}
    return GradientReport(results, reference, atol, rtol, notes)


# -- inputs -----------------------------------------------------------------------------------

def _named(container: Any, what: str) -> dict[str, Any]:
    """The entries of a dict (or list) of arrays, by name: the dict's keys, or 'params[i]'."""
    if isinstance(container, Mapping):
        return {str(name): value for name, value in container.items()}
    if isinstance(container, (list, tuple)):
        return {f"params[{i}]": value for i, value in enumerate(container)}
    raise TypeError(f"gradients: {what} must be a dict (or list) of arrays or tensors, got "
                    f"{type(container).__name__}")


def _values(container: Mapping | Sequence) -> list:
    return list(container.values()) if isinstance(container, Mapping) else list(container)


def host(value: Any) -> Any:
    """The NumPy array of a tensor or array on any device (a host copy of a GPU's); other
    values as they are."""
    array = value.array if isinstance(value, Tensor) else value
    return backend_of(array).to_host(array) if is_device_array(array) else array


def _float64(value: Any, what: str) -> np.ndarray:
    try:
        return np.array(host(value), dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"gradients: {what} must be an array or a tensor of numbers, got "
                        f"{type(value).__name__}") from None


def _device_of(value: Any) -> Any:
    """The device of a parameter: its tensor's or array's (the CPU for other values)."""
    return device_of(value.array if isinstance(value, Tensor) else value)


def _placed(original: Any, array: Any) -> Any:
    """``array`` (a NumPy array, or an autograd leaf already placed) as the kind of value
    ``original`` is: a Tensor where it is a Tensor, on its device."""
    if isinstance(array, Tensor):
        return array
    if isinstance(original, Tensor):
        return Tensor(to_device(array, _device_of(original)))
    return to_device(array, _device_of(original)) if is_device_array(original) else array


def _rebuild(like: Mapping | Sequence, arrays: dict[str, Any]) -> Any:
    """``arrays`` in the container of ``like`` (dict or list), each placed like the matching
    entry of ``like`` (see ``_placed``)."""
    values = [_placed(original, array) for original, array in zip(_values(like), arrays.values())]
    if isinstance(like, Mapping):
        return dict(zip(like, values))
    return type(like)(values)  # type: ignore[call-arg]  # a list or tuple


def _scalar(value: Any) -> float:
    """The float in a loss value: a number, a one-element array or a one-element Tensor."""
    if isinstance(value, tuple):
        raise TypeError(f"gradients: loss_fn returned a tuple of {len(value)}; return only the "
                        f"loss, e.g. loss_accuracy(Yhat, Y)[0]")
    array = np.asarray(host(value))
    if array.size != 1 or array.dtype.kind not in "fiu":
        raise TypeError(f"gradients: loss_fn must return one number, got "
                        f"{type(value).__name__} of shape {np.shape(array)}")
    return float(array.reshape(()))


# -- the references ---------------------------------------------------------------------------

def _autograd(loss_fn: Callable, params: Any,
              theta: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray] | None, str]:
    """The gradient by retrograd's autograd, when loss_fn runs on tensors; else (None, why)."""
    devices = [_device_of(original) for original in _values(params)]
    leaves = {name: Tensor(to_device(value.copy(), where), requires_grad=True)
              for (name, value), where in zip(theta.items(), devices)}
    try:
        # a NumPy loss_fn fails on tensors in many ways, all of which mean "no autograd"
        with enable_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loss = loss_fn(_rebuild(params, leaves))
    except Exception as error:
        return None, (f"loss_fn does not run on retrograd tensors ({type(error).__name__}: "
                      f"{' '.join(str(error).split())[:100]})")
    if not isinstance(loss, Tensor) or not loss.requires_grad or loss.numel() != 1:
        return None, ("loss_fn does not return a one-element retrograd tensor that requires "
                      f"grad when given tensors (it returned {type(loss).__name__})")
    found = autograd_grad(loss.sum(), list(leaves.values()), allow_unused=True)
    return {name: np.zeros_like(theta[name]) if grad is None else host(grad).astype(np.float64)
            for name, grad in zip(theta, found)}, ""


def _references(loss_at: Callable, theta: dict[str, np.ndarray],
                automatic: dict[str, np.ndarray] | None, eps: float, atol: float, rtol: float,
                max_entries: int | None, seed: int) -> tuple[dict[str, np.ndarray], str, list]:
    """The expected gradients (NaN where not computed), a description of how they were found,
    and notes. Finite differences always; autograd's full gradient where they confirm it."""
    rng = np.random.default_rng(seed)
    expected, sources, partial, notes = {}, set(), [], []
    for name, value in theta.items():
        entries = np.arange(value.size)
        if max_entries is not None and value.size > max_entries:
            entries = np.sort(rng.choice(value.size, max_entries, replace=False))
            partial.append(f"{name} ({max_entries} of {value.size} entries)")
        numerical = _finite_differences(loss_at, theta, name, entries, eps)
        if automatic is not None and _close(automatic[name].ravel()[entries], numerical, atol,
                                            rtol):
            expected[name] = automatic[name]
            sources.add("autograd")
            continue
        if automatic is not None:
            notes.append(f"autograd and finite differences disagree on {name} (loss_fn may "
                         f"leave the graph, or not be differentiable at params): {name} is "
                         f"compared with finite differences")
        reference = np.full(value.size, np.nan)
        reference[entries] = numerical
        expected[name] = reference.reshape(value.shape)
        sources.add("finite differences")
    if sources == {"autograd"}:
        how = f"autograd (float64), confirmed by centred finite differences (eps={eps:g})"
    else:
        how = f"centred finite differences (eps={eps:g}, float64)" + (
            " and autograd" if "autograd" in sources else "")
    if partial:
        how += "; finite differences on random entries of " + ", ".join(partial)
    return expected, how, notes


def _finite_differences(loss_at: Callable, theta: dict[str, np.ndarray], name: str,
                        entries: np.ndarray, eps: float) -> np.ndarray:
    """(L(theta + eps e_k) - L(theta - eps e_k)) / 2 eps for each flat index k of ``entries``
    of parameter ``name``: two evaluations of the loss per entry, which is why backprop exists
    and why this is only a check."""
    point = {key: value.copy() for key, value in theta.items()}
    flat = point[name].reshape(-1)  # a view: writing it moves the point
    slopes = np.empty(len(entries))
    for position, k in enumerate(entries):
        original = flat[k]
        flat[k] = original + eps
        plus = _scalar(loss_at(point))
        flat[k] = original - eps
        minus = _scalar(loss_at(point))
        flat[k] = original
        slopes[position] = (plus - minus) / (2 * eps)
    return slopes


# -- comparing and recognising mistakes -------------------------------------------------------

def _close(yours: np.ndarray, expected: np.ndarray, atol: float, rtol: float) -> bool:
    """Every entry within tolerance; written so that a NaN fails."""
    return bool(np.all(np.abs(yours - expected) <= atol + rtol * np.abs(expected)))


def _compare(name: str, theta: dict[str, np.ndarray], yours: np.ndarray,
             expected: dict[str, np.ndarray], atol: float, rtol: float, batch_size: int | None,
             l2: float | None) -> ParameterResult:
    reference = expected[name]
    known = ~np.isnan(reference)
    result = ParameterResult(name, reference.shape, yours, reference, int(known.sum()),
                             float("nan"), float("nan"), False)
    if yours.shape == reference.shape:
        mine, theirs = yours[known], reference[known]
        errors = np.abs(mine - theirs)
        result.ok = _close(mine, theirs, atol, rtol)
        result.max_abs_error = float(errors.max(initial=0.0))
        # relative to the larger of the two gradients, so that it lies in [0, 2]
        scale = max(np.abs(mine).max(initial=0.0), np.abs(theirs).max(initial=0.0),
                    np.finfo(np.float64).tiny)
        result.relative_error = result.max_abs_error / scale
        order = np.argsort(-np.nan_to_num(errors, nan=np.inf), kind="stable")[:WORST_ENTRIES]
        indices = np.argwhere(known)[order]
        result.worst = [(tuple(int(i) for i in index), float(yours[tuple(index)]),
                         float(reference[tuple(index)])) for index in indices]
    if not result.ok:
        slack_atol, slack_rtol = PATTERN_SLACK * atol, PATTERN_SLACK * rtol

        def matches(candidate: np.ndarray) -> bool:
            return _close(candidate[known], reference[known], slack_atol, slack_rtol)

        others = [other for other, array in expected.items() if other != name
                  and array.shape == reference.shape and not np.isnan(array).any()
                  and _close(yours, array, atol, rtol)]
        result.pattern, result.hint = (
            ("swapped", f"yours equals the expected gradient of {others[0]}: the two are "
                        f"swapped, or computed from the wrong step") if others
            else _recognise(yours, reference, known, theta[name], matches, atol, batch_size, l2))
    return result


def _recognise(yours: np.ndarray, expected: np.ndarray, known: np.ndarray, theta: np.ndarray,
               matches: Callable[[np.ndarray], bool], atol: float, batch_size: int | None,
               l2: float | None) -> tuple[str | None, str]:
    """The mistake that turns ``expected`` into ``yours``, as (pattern, hint), from the most
    specific explanation to the vaguest. ``matches(candidate)``: candidate is the expected
    gradient, on the known entries, within the (slackened) tolerance."""
    shape = expected.shape
    if yours.shape != shape:
        rule = "a gradient has the shape of what it differentiates"
        if yours.ndim == 2 and yours.shape == shape[::-1] and matches(yours.T):
            return "transposed", (f"yours.T matches: your {yours.shape} gradient is the "
                                  f"transpose of the expected {shape} one; {rule}: for W of shape "
                                  f"n_out x n_in, dW = dZ^T X (dZ: N x n_out), not X^T dZ")
        if yours.size == expected.size and matches(yours.reshape(shape)):
            return "reshaped", (f"the values are right but the shape is {yours.shape}, not "
                                f"{shape}: reshape, or sum without keepdims=True")
        if yours.shape[1:] == shape and matches(yours.sum(axis=0)):
            return "unsummed", (f"yours.sum(axis=0) matches: your {yours.shape} gradient has "
                                f"one row per example; a bias is added to every row, so its "
                                f"gradient sums the rows: db = sum_rows(dZ)")
        return "shape", f"your gradient has shape {yours.shape}, expected {shape}; {rule}"
    if not np.all(np.isfinite(yours)):
        return "nonfinite", ("yours holds NaN or inf: look for a log or a division by zero, "
                             "or an exp that overflows")
    yours_known, expected_known = yours[known], expected[known]
    if not np.any(yours_known) and np.any(expected_known):
        return "zeros", ("yours is all zeros: the gradient was never computed, or an "
                         "accumulator (np.zeros_like) was never added to")
    if yours.ndim == 2 and shape[0] == shape[1] and matches(yours.T):
        return "transposed", ("yours.T matches: the matrix is transposed (for W of shape "
                              "n_out x n_in, dW = dZ^T X, not X^T dZ)")
    if matches(yours):
        return "precision", ("yours is within 10 times the tolerance: float32 rounding (or a "
                             "loss computed in float32) rather than a wrong formula; compute in "
                             "float64, or loosen atol and rtol")
    if np.all(np.abs(expected_known) <= atol):
        return "expected_zero", ("the expected gradient is zero: the loss does not depend on "
                                 "this parameter here, so its gradient should be 0")
    factor = float(yours_known @ expected_known / (expected_known @ expected_known))
    if factor and matches(yours / factor):
        if abs(factor + 1) < 1e-2:
            return "sign", ("yours = -expected: a wrong sign (the gradient of -L, or Y - Y^ "
                            "where dY~ = Y^ - Y)")
        if batch_size and abs(factor / batch_size - 1) < 1e-2:
            return "batch_factor", (f"yours = {batch_size} x expected, and N = {batch_size} "
                                    f"examples: a sum over the batch where the loss takes the "
                                    f"mean; divide by N once (dY~ = (Y^ - Y) / N)")
        if batch_size and abs(factor * batch_size - 1) < 1e-2:
            return "batch_factor", (f"yours = expected / {batch_size}, and N = {batch_size} "
                                    f"examples: divided by N once too often (the 1/N of the "
                                    f"mean belongs in dY~ only)")
        return "factor", f"yours = {_factor(factor)} x expected: off by a constant factor" + (
            _factor_guess(factor))
    missing_known = expected_known - yours_known
    if l2:
        for share, words in ((1.0, "the L2 term 2 lambda theta is missing"),
                             (0.5, "the L2 term is lambda theta, but the derivative of lambda "
                                   "||theta||^2 is 2 lambda theta"),
                             (-1.0, "the L2 term 2 lambda theta is counted twice")):
            if matches(yours + share * 2 * l2 * theta):
                return "l2", (f"yours {'+' if share > 0 else '-'} {abs(share) * 2 * l2:g} theta "
                              f"matches: {words}")
    theta_known = theta[known]
    if theta_known.size >= 2 and theta_known @ theta_known > 0:
        slope = float(missing_known @ theta_known / (theta_known @ theta_known))
        if slope and matches(yours + slope * theta):
            return "l2", (f"yours = expected - {slope:.4g} theta: a term proportional to the "
                          f"parameter is missing, like the 2 lambda theta of an L2 penalty "
                          f"lambda ||theta||^2 with lambda = {slope / 2:.4g}")
    offset = float(missing_known.mean())
    if missing_known.size >= 2 and offset and matches(yours + offset):
        return "offset", (f"yours = expected - {offset:.4g} in every entry: a constant term is "
                          f"missing")
    cosine = float(yours_known @ expected_known / (np.linalg.norm(yours_known)
                                                     * np.linalg.norm(expected_known)))
    if cosine >= SIMILAR_DIRECTION:
        return "elementwise", (f"yours points nearly the same way as the expected gradient "
                               f"(cosine {cosine:.2f}) without being a multiple of it: likely a "
                               f"missing elementwise factor, such as the activation's "
                               f"derivative (1 - H^2 for tanh) in dH~, or a missing path of the "
                               f"chain rule (gradients along several paths add up)")
    return None, ("no pattern recognised (cosine with the expected gradient "
                  f"{cosine:.2f}); compare the worst entries")


def _factor(factor: float) -> str:
    return f"{factor:.4g}" if abs(factor) >= 1 else f"1/{1 / factor:.4g}"


def _factor_guess(factor: float) -> str:
    """What a factor close to an integer (or its inverse) usually means."""
    whole = round(factor if abs(factor) >= 1 else 1 / factor)
    if abs(whole) < 2 or abs((factor if abs(factor) >= 1 else 1 / factor) / whole - 1) > 1e-2:
        return ""
    if abs(whole) == 2:
        return " (a 2 often comes from the derivative of a square: d x^2/dx = 2x)"
    return (f" ({abs(whole)}: if that is the batch size N, a sum over the examples where the "
            f"loss takes the mean, or the reverse)")


def text_columns(rows: Sequence[Sequence[str]]) -> list[str]:
    """The lines of a plain-text table (header first): left-aligned columns two spaces apart,
    each as wide as its widest cell."""
    widths = [max(len(cell) for cell in column) for column in zip(*rows)]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
            for row in rows]


def _number(value: float) -> str:
    return "-" if value != value else f"{value:.2e}"

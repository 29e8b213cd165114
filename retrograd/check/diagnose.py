"""``rg.diagnose``: the health of a network's activations and gradients, measured on one batch.

    report = rg.diagnose(model, (x, y), F.cross_entropy, lr=0.1)
    print(report)           # a table per layer and per parameter, then warnings in plain words
    report.warnings         # [DiagnosisWarning(code='saturated', message='...', layer='1')]
    report.to_json("diagnosis.json")

It runs one forward and one backward on the batch, on the model's device (the batch is moved
there), as a training step would; the statistics are computed on the host. It updates
nothing: the parameters, their ``.grad``, the buffers (BatchNorm's running statistics) and the
global random generator (Dropout) are left exactly as they were. The model stays in its mode:
call ``model.train()`` first to see what training sees.

What is measured
- Every layer (a module without children, or one with parameters of its own), on its output:
  mean and standard deviation (NumPy's, ``ddof=0``); for sigmoid and tanh, the saturated
  fraction: the entries where sigmoid < 0.03 or > 0.97, or |tanh| > 0.97, where the derivative
  is below 0.03 (sigmoid) or 0.06 (tanh) and almost no gradient passes; for ReLU, the dead
  fraction: the units (output features) that are 0 for every example of the batch, which pass
  no gradient, so nothing can bring them back.
- Every parameter that requires grad: ``|w|`` and ``|grad|`` (Frobenius norms) and, given
  ``lr``, the update-to-weight ratio ``lr * |grad| / |w|`` of one SGD step (about 1e-3 is
  healthy; None where ``|w| = 0``, as for biases initialised at zero).

The warnings, by ``code`` (the thresholds are the constants below)
- ``inputs_all_positive``: every input value is >= 0.
- ``inputs_not_zero_mean``: the features' mean |mean| exceeds half their mean standard
  deviation.
- ``outputs_far_from_targets``: class-index targets and logits whose spread across classes
  (standard deviation per example) exceeds 3 while their cross-entropy exceeds log(C), that of
  a uniform guess; or value targets of the output's shape and outputs whose mean or standard
  deviation is more than 3 target standard deviations off.
- ``targets_outside_output_range``: a sigmoid/softmax ([0, 1]) or tanh ([-1, 1]) output and
  targets outside that range.
- ``saturated``: more than 20% saturated entries in a sigmoid or tanh layer.
- ``dead_relu``: more than 25% dead units in a ReLU layer.
- ``vanishing_gradients`` / ``exploding_gradients``: the gradient of the first weight matrix
  (root mean square per entry, so layers of different sizes compare) is less than 1e-2 times,
  or more than 1e2 times, the last one's; matrices are ordered by when their layers ran.
- ``mse_after_softmax_or_sigmoid``: an MSE loss (``nn.MSELoss`` or ``F.mse_loss``) on the output
  of a softmax or a sigmoid.
- ``update_ratio_too_large`` / ``update_ratio_too_small``: given ``lr``, a weight matrix whose
  update-to-weight ratio is above 1e-1 or below 1e-5.
- ``not_finite``: the loss or a gradient is NaN or infinite.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass
from html import escape
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from ..autograd.engine import grad as autograd_grad
from ..autograd.grad_mode import enable_grad
from ..backend import array_module, backend_of
from ..nn import MSELoss, ReLU, Sigmoid, Softmax, Tanh
from ..nn.module import Module
from ..nn.recording import layers_of, recording_outputs
from ..ops import activation as activation_ops
from ..ops import elementwise as elementwise_ops
from ..ops.loss import mse_loss
from ..random import default_generator
from ..tensor import Tensor
from ..train import Callback
from .gradients import text_columns

__all__ = ["diagnose", "DiagnosisReport", "DiagnosisWarning", "LayerStats", "ParameterStats",
           "DiagnosisCallback"]

SIGMOID_SATURATION = 0.03     # sigmoid below this or above 1 - this is saturated
TANH_SATURATION = 0.97        # |tanh| above this is saturated
SATURATED_LIMIT = 0.20        # warn above this fraction of saturated entries in a layer
DEAD_LIMIT = 0.25             # warn above this fraction of dead ReLU units in a layer
NOT_ZERO_MEAN_LIMIT = 0.5     # warn when the inputs' mean |mean| / mean std exceeds this
LOGIT_SPREAD_LIMIT = 3.0      # warn when logits spread more than this across classes
TARGET_DISTANCE_LIMIT = 3.0   # warn when outputs are this many target stds off the targets
VANISHING_RATIO = 1e-2        # warn when the first / last weight gradient is below this
EXPLODING_RATIO = 1e2         # ... or above this
UPDATE_RATIO_RANGE = (1e-5, 1e-1)  # around the healthy 1e-3, a factor of 100 either way

# an activation is recognised by its layer or, in a custom forward, by the operation that made it
_KIND_OF_MODULE = {Sigmoid: "sigmoid", Tanh: "tanh", ReLU: "relu", Softmax: "softmax"}
_KIND_OF_OP = {activation_ops.Sigmoid: "sigmoid", elementwise_ops.Tanh: "tanh",
               activation_ops.ReLU: "relu", activation_ops.Softmax: "softmax"}
_OUTPUT_RANGE = {"sigmoid": (0.0, 1.0), "softmax": (0.0, 1.0), "tanh": (-1.0, 1.0)}


@dataclass
class LayerStats:
    """Statistics of one layer's output. ``saturated``: fraction of entries (sigmoid and tanh
    only); ``dead``: fraction of units that are 0 for the whole batch (ReLU only)."""

    name: str
    type: str
    shape: tuple
    mean: float
    std: float
    saturated: float | None = None
    dead: float | None = None


@dataclass
class ParameterStats:
    """One parameter: ``norm`` = |w|, ``grad_norm`` = |grad| (None: no gradient reached it),
    ``update_ratio`` = lr * |grad| / |w| (None without lr, gradient or weight)."""

    name: str
    shape: tuple
    norm: float
    grad_norm: float | None
    update_ratio: float | None


@dataclass
class DiagnosisWarning:
    """A problem found, in plain words; ``code`` names its kind (see the module's docstring) and
    ``layer`` the layer or parameter concerned, if one is."""

    code: str
    message: str
    layer: str | None = None

    def __str__(self) -> str:
        return self.message


class DiagnosisReport:
    """What ``diagnose`` found. ``print(report)`` shows it; programs read the attributes.

    Attributes: ``loss`` (float), ``lr``, ``inputs`` and ``outputs`` (dicts of mean, std, min,
    max), ``layers`` (list of LayerStats, in the order the layers ran), ``parameters`` (list of
    ParameterStats, in ``named_parameters`` order), ``warnings`` (list of DiagnosisWarning).
    """

    def __init__(self, loss: float, lr: float | None, inputs: dict | None, outputs: dict,
                 layers: list[LayerStats], parameters: list[ParameterStats],
                 warnings: list[DiagnosisWarning]) -> None:
        self.loss, self.lr, self.inputs, self.outputs = loss, lr, inputs, outputs
        self.layers, self.parameters, self.warnings = layers, parameters, warnings

    @property
    def grad_norms(self) -> dict[str, float | None]:
        """``{parameter name: |grad|}``, to follow over training."""
        return {p.name: p.grad_norm for p in self.parameters}

    def to_dict(self) -> dict:
        """Everything in plain Python types (shapes as lists), for JSON or a program."""
        def plain(stats) -> dict:
            entry = asdict(stats)
            if "shape" in entry:
                entry["shape"] = list(entry["shape"])
            return entry
        return {"loss": self.loss, "lr": self.lr, "inputs": self.inputs, "outputs": self.outputs,
                "layers": [plain(s) for s in self.layers],
                "parameters": [plain(s) for s in self.parameters],
                "warnings": [plain(w) for w in self.warnings]}

    def to_json(self, path: str | None = None) -> str:
        """The report as JSON text (NaN and infinities written as null); also written to
        ``path`` if given."""
        text = json.dumps(_finite_or_none(self.to_dict()), indent=2)
        if path is not None:
            with open(path, "w", encoding="utf-8") as file:
                file.write(text + "\n")
        return text

    def _headline(self) -> list[str]:
        lines = [f"Diagnosis on one batch: loss {self.loss:.4g}"
                 + (f", lr {self.lr:g}" if self.lr is not None else "")]
        if self.inputs is not None:
            lines.append("inputs:  " + _summary(self.inputs))
        return lines + ["outputs: " + _summary(self.outputs)]

    def _tables(self) -> list[tuple[str, list[list[str]]]]:
        """(title, rows with the header first) of each table."""
        return [
            ("Activations (layer outputs)",
             [["layer", "type", "shape", "mean", "std", "saturated", "dead"]]
             + [[s.name, s.type, str(s.shape), f"{s.mean:.3g}", f"{s.std:.3g}",
                 _percent(s.saturated), _percent(s.dead)] for s in self.layers]),
            ("Gradients (per parameter)",
             [["parameter", "shape", "|w|", "|grad|", "lr*|grad|/|w|"]]
             + [[p.name, str(p.shape), f"{p.norm:.3g}", _scientific(p.grad_norm),
                 _scientific(p.update_ratio)] for p in self.parameters])]

    def _warnings_title(self) -> str:
        if not self.warnings:
            return "No warnings: activations and gradients look healthy on this batch."
        return f"Warnings ({len(self.warnings)})"

    def __str__(self) -> str:
        lines = self._headline()
        for title, rows in self._tables():
            lines += ["", title, *text_columns(rows)]
        lines += ["", self._warnings_title()]
        lines += [f"- [{w.code}] {w.message}" for w in self.warnings]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """The report as HTML, for notebooks: the same tables, and the warnings as a list."""
        parts = ["<div><p>" + "<br>".join(escape(line) for line in self._headline()) + "</p>"]
        for title, rows in self._tables():
            head = "".join(f"<th>{escape(cell)}</th>" for cell in rows[0])
            body = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row)
                           + "</tr>" for row in rows[1:])
            parts.append(f"<table><caption>{escape(title)}</caption><thead><tr>{head}</tr>"
                         f"</thead><tbody>{body}</tbody></table>")
        parts.append(f"<p><b>{escape(self._warnings_title())}</b></p>")
        if self.warnings:
            parts.append("<ul>" + "".join(f"<li><code>{escape(w.code)}</code>: "
                                          f"{escape(w.message)}</li>" for w in self.warnings)
                         + "</ul>")
        return "".join(parts) + "</div>"

    def __repr__(self) -> str:
        return (f"<DiagnosisReport: {len(self.layers)} layers, {len(self.parameters)} "
                f"parameters, {len(self.warnings)} warnings>")


def diagnose(model: Module, batch: tuple | list, loss_fn: Callable[[Tensor, Tensor], Tensor],
             lr: float | None = None) -> DiagnosisReport:
    """Measures activations and gradients of ``model`` on one batch and warns about what the
    lectures warn about (saturation, dead ReLUs, vanishing gradients, uncentered inputs...).

    Args:
        model: an ``rg.nn.Module``.
        batch: a pair ``(input, target)`` as a DataLoader yields: input (N, ...) and target as
            ``loss_fn`` expects them, Tensors or NumPy arrays.
        loss_fn: ``loss_fn(model(input), target)`` gives the scalar loss (``F.cross_entropy``,
            ``nn.MSELoss()``...).
        lr: the learning rate, to compute the update-to-weight ratio ``lr * |grad| / |w|``.

    Returns a ``DiagnosisReport``; the model, its ``.grad``, its buffers and the global random
    generator are left unchanged.

    >>> net = rg.nn.Sequential(rg.nn.Linear(2, 16), rg.nn.Tanh(), rg.nn.Linear(16, 3))
    >>> print(rg.diagnose(net, (rg.randn(64, 2), rg.randint(0, 3, (64,))), F.cross_entropy))
    """
    if not isinstance(model, Module):
        raise TypeError(f"diagnose: model must be an rg.nn.Module, got {type(model).__name__}")
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise TypeError("diagnose: batch must be a pair (input, target), as a DataLoader yields; "
                        f"got {type(batch).__name__}"
                        + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else ""))
    if lr is not None and not lr > 0:
        raise ValueError(f"diagnose: lr must be a positive number, got {lr!r}")
    named = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    if not named:
        raise ValueError("diagnose: the model has no parameter that requires grad, so there is "
                         "no gradient to diagnose")
    input, target = (_as_tensor(value, what).to(named[0][1].device)
                     for value, what in zip(batch, ("input", "target")))

    with recording_outputs(layers_of(model)) as calls, _state_kept(model), enable_grad():
        output = model(input)
        loss = loss_fn(output, target)
        if not isinstance(loss, Tensor) or loss.numel() != 1:
            raise TypeError("diagnose: loss_fn(model(input), target) must return a scalar "
                            f"Tensor, got {_describe(loss)}")
        if not loss.requires_grad:
            raise RuntimeError("diagnose: the loss does not depend on any parameter that "
                               "requires grad (was it computed under no_grad or detached?)")
        # autograd.grad returns the gradients and leaves every .grad untouched
        grads = autograd_grad(loss, [p for _, p in named], allow_unused=True)

    layers = _layer_stats(calls)
    parameters = [_parameter_stats(name, p, g, lr) for (name, p), g in zip(named, grads)]
    last_kind = _activation_kind(calls[-1][1] if calls and calls[-1][2] is output else None,
                                 output)
    x, y, out = (_host(value.array) for value in (input, target, output))
    inputs = _summary_of(x) if x.dtype.kind == "f" else None
    warnings = [*_input_warnings(x),
                *_output_warnings(out, y, last_kind),
                *_layer_warnings(layers),
                *_flow_warnings(_weights_in_running_order(named, grads, calls)),
                *_loss_warnings(loss_fn, last_kind),
                *_update_warnings(parameters, lr),
                *_finite_warnings(float(loss.array), parameters)]
    return DiagnosisReport(float(loss.array), lr, inputs, _summary_of(out), layers,
                           parameters, warnings)


class DiagnosisCallback(Callback):
    """A callback of ``rg.train``: ``diagnose`` on a fixed batch as each chosen epoch begins
    (epoch 1: the network as initialised), and the gradient norm of every parameter averaged
    over each epoch's steps, to follow over training.

    With ``folder``, each report is written there as ``epoch-<N>.txt`` and ``epoch-<N>.json``,
    and a line per report is printed. ``reports`` maps epochs to reports; ``grad_norms`` maps
    parameter names to their per-epoch mean |grad| (``epochs_seen`` gives the epochs).

    >>> diagnosis = DiagnosisCallback((X[:256], y[:256]), epochs=[1, 5, 10], folder="run")
    >>> rg.train.fit(model, F.cross_entropy, optimizer, loader, 10, callbacks=[diagnosis])
    """

    def __init__(self, batch: tuple | list, epochs: Sequence[int],
                 folder: str | None = None) -> None:
        self.batch, self.epochs, self.folder = batch, sorted(set(epochs)), folder
        self.reports: dict[int, DiagnosisReport] = {}
        # one entry per epoch: {"epoch", "steps", "sums": {parameter name: sum of |grad|}}
        self._per_epoch: list[dict] = []

    def on_epoch_begin(self, trainer, epoch: int) -> None:
        self._per_epoch.append({"epoch": epoch, "steps": 0, "sums": {}})
        if epoch not in self.epochs:
            return
        was_training = trainer.model.training
        trainer.model.train()  # what the coming steps will see (Dropout, BatchNorm)
        try:
            report = diagnose(trainer.model, self.batch, trainer.loss_fn,
                              lr=trainer.optimizer.param_groups[0]["lr"])
        finally:
            trainer.model.train(was_training)
        self.reports[epoch] = report
        if self.folder is not None:
            os.makedirs(self.folder, exist_ok=True)
            path = os.path.join(self.folder, f"epoch-{epoch}")
            with open(path + ".txt", "w", encoding="utf-8") as file:
                file.write(str(report) + "\n")
            report.to_json(path + ".json")
            found = ", ".join(dict.fromkeys(w.code for w in report.warnings)) or "no warning"
            print(f"diagnosis before epoch {epoch}: {found} (see {path}.txt)", flush=True)

    def on_batch_end(self, trainer, step: int, loss: float, accuracy: float | None) -> None:
        # after the optimizer step, .grad still holds this step's gradients
        current = self._per_epoch[-1]
        current["steps"] += 1
        sums = current["sums"]
        for name, param in trainer.model.named_parameters():
            if param.grad is not None:  # summed on the device: no sync per step on a GPU
                grad = param.grad.array
                norm = array_module(grad).linalg.norm(grad.astype(np.float64))
                sums[name] = sums.get(name, 0.0) + norm

    def _read(self) -> list[dict]:
        """The per-epoch entries, their sums read from the device as numbers."""
        for entry in self._per_epoch:
            entry["sums"] = {name: float(total) for name, total in entry["sums"].items()}
        return self._per_epoch

    @property
    def epochs_seen(self) -> list[int]:
        return [entry["epoch"] for entry in self._per_epoch if entry["steps"]]

    @property
    def grad_norms(self) -> dict[str, list[float | None]]:
        """``{parameter name: [mean |grad| of each epoch in epochs_seen]}``."""
        done = [entry for entry in self._read() if entry["steps"]]
        names = dict.fromkeys(name for entry in done for name in entry["sums"])
        return {name: [entry["sums"][name] / entry["steps"] if name in entry["sums"] else None
                       for entry in done] for name in names}

    def state_dict(self) -> dict[str, Any]:
        return {"per_epoch": self._read()}  # a resumed run goes on with the same curves

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._per_epoch = list(state.get("per_epoch", []))


# -- running the model --------------------------------------------------------------------------

class _state_kept:
    """Inside, the model's buffers and the global random generator may change; on exit they are
    as they were (a diagnosis must not alter the training it looks at)."""

    def __init__(self, model: Module) -> None:
        self.buffers = [(module, name, buffer, buffer.array.copy())
                        for module in model.modules()
                        for name, buffer in module._buffers.items() if buffer is not None]
        self.rng_state = default_generator.get_state()

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc_info) -> None:
        for module, name, buffer, data in self.buffers:
            buffer.array = data
            module._buffers[name] = buffer
        default_generator.set_state(self.rng_state)


def _host(array: Any) -> np.ndarray:
    """``array`` as a NumPy array (a host copy of a device array)."""
    return backend_of(array).to_host(array)


def _as_tensor(value: Any, what: str) -> Tensor:
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.ndarray):
        return Tensor(value)
    raise TypeError(f"diagnose: the batch's {what} must be a Tensor or a NumPy array, got "
                    f"{type(value).__name__}")


def _describe(value: Any) -> str:
    if isinstance(value, Tensor):
        return f"a Tensor of shape {tuple(value.shape)}"
    return f"a {type(value).__name__}"


# -- statistics ---------------------------------------------------------------------------------

def _activation_kind(module: Module | None, output: Any) -> str | None:
    """'sigmoid', 'tanh', 'relu', 'softmax' when ``output`` comes out of one, else None."""
    kind = None if module is None else _KIND_OF_MODULE.get(type(module))
    return kind or _KIND_OF_OP.get(type(output.grad_fn))


def _summary_of(values: np.ndarray) -> dict:
    values = values.astype(np.float64)
    return {"mean": float(values.mean()), "std": float(values.std()),
            "min": float(values.min()), "max": float(values.max())}


def _layer_stats(calls: list) -> list[LayerStats]:
    stats: list = []
    times_called: dict = {}
    for name, module, output in calls:
        if not isinstance(output, Tensor) or output.array.dtype.kind != "f":
            continue  # a layer giving a tuple or indices has no activation statistics
        times_called[name] = times_called.get(name, 0) + 1
        if times_called[name] > 1:  # a layer used twice gets one row per call
            name = f"{name} (call {times_called[name]})"
        values = _host(output.array).astype(np.float64)
        kind = _activation_kind(module, output)
        saturated = dead = None
        if kind == "sigmoid":
            saturated = float(np.mean((values < SIGMOID_SATURATION)
                                      | (values > 1 - SIGMOID_SATURATION)))
        elif kind == "tanh":
            saturated = float(np.mean(np.abs(values) > TANH_SATURATION))
        elif kind == "relu":
            # a unit is one output feature; dead when no example of the batch activates it
            dead = float(np.mean(np.all(_per_unit(values) <= 0, axis=0)))
        stats.append(LayerStats(name, type(module).__name__, tuple(output.shape),
                                float(values.mean()), float(values.std()), saturated, dead))
    return stats


def _per_unit(values: np.ndarray) -> np.ndarray:
    """(N, units) in float64: one row per example, one column per feature or unit."""
    values = np.atleast_1d(values).astype(np.float64)
    return values.reshape(len(values), -1)


def _parameter_stats(name: str, param: Tensor, grad: Tensor | None,
                     lr: float | None) -> ParameterStats:
    norm = float(np.linalg.norm(_host(param.array).astype(np.float64)))
    grad_norm = None if grad is None else float(np.linalg.norm(
        _host(grad.array).astype(np.float64)))
    ratio = None
    if lr is not None and grad_norm is not None and norm > 0:
        ratio = lr * grad_norm / norm
    return ParameterStats(name, tuple(param.shape), norm, grad_norm, ratio)


def _weights_in_running_order(named: list, grads: tuple,
                              calls: list) -> list[tuple[str, np.ndarray]]:
    """The weight matrices (parameters of 2 or more dimensions) that got a gradient, with it,
    ordered by the first run of the layer that owns them (unknown owners last)."""
    first_run: dict = {}
    for index, (_, module, _) in enumerate(calls):
        for param in module._parameters.values():
            if param is not None:
                first_run.setdefault(id(param), index)
    weights = [(first_run.get(id(p), len(calls)), position, name, _host(g.array))
               for position, ((name, p), g) in enumerate(zip(named, grads))
               if p.ndim >= 2 and g is not None]
    return [(name, grad) for *_, name, grad in sorted(weights, key=lambda w: w[:2])]


# -- warnings -----------------------------------------------------------------------------------

def _input_warnings(x: np.ndarray) -> Iterator[DiagnosisWarning]:
    if x.dtype.kind != "f" or x.size == 0:
        return  # class indices (for an Embedding) have no scale to check
    x = _per_unit(x)
    if x.min() >= 0 and x.max() > 0:
        yield DiagnosisWarning(
            "inputs_all_positive",
            f"The inputs are all positive (min {x.min():.3g}). Then, for each unit of the first "
            "layer, the gradients of all its weights have the same sign: they can only all go "
            "up or all go down together, and gradient descent zig-zags. Center the data: "
            "subtract each feature's mean (and divide by its standard deviation).")
        return
    mean_std = x.std(axis=0).mean()
    off_center = np.abs(x.mean(axis=0)).mean()
    if off_center > NOT_ZERO_MEAN_LIMIT * mean_std:
        yield DiagnosisWarning(
            "inputs_not_zero_mean",
            f"The inputs are not zero-mean: their features' means are {off_center:.3g} away "
            f"from 0 on average, for a typical standard deviation of {mean_std:.3g}. Subtract "
            "each feature's mean (computed on the training set) before training.")


def _output_warnings(output: np.ndarray, target: np.ndarray,
                     kind: str | None) -> Iterator[DiagnosisWarning]:
    if output.dtype.kind != "f":
        return
    output = output.astype(np.float64)
    if target.dtype.kind in "iub" and output.ndim >= 2 and kind not in _OUTPUT_RANGE:
        # class indices: logits should start small (a near-uniform softmax, a loss near log C);
        # large ones are fine only once they are right (a low loss, after training)
        spread = output.std(axis=1).mean()
        classes = output.shape[1]
        fits = (target.shape == output.shape[:1] + output.shape[2:]
                and target.min() >= 0 and target.max() < classes)
        if spread > LOGIT_SPREAD_LIMIT and fits:
            loss = _cross_entropy(output, target)
            if loss > math.log(classes):
                yield DiagnosisWarning(
                    "outputs_far_from_targets",
                    f"The outputs (logits) are large and confidently wrong: they spread by "
                    f"{spread:.3g} across classes, and their cross-entropy, {loss:.3g}, is above "
                    f"log({classes}) = {math.log(classes):.3g}, that of a uniform guess: the "
                    "gradients are extreme. At initialisation, normalise the inputs or give the "
                    "last layer smaller weights.")
        return
    if target.dtype.kind != "f" or target.shape != output.shape or target.size == 0:
        return
    target = target.astype(np.float64)
    if kind in _OUTPUT_RANGE:
        low, high = _OUTPUT_RANGE[kind]
        if target.min() < low or target.max() > high:
            yield DiagnosisWarning(
                "targets_outside_output_range",
                f"The model ends with a {kind}, whose outputs lie in [{low:g}, {high:g}], but "
                f"the targets range over [{target.min():.3g}, {target.max():.3g}]: the outputs "
                "can never reach them. Rescale the targets, or end with a linear layer for "
                "regression.")
            return
    scale = target.std() if target.std() > 0 else 1.0
    if (abs(output.mean() - target.mean()) > TARGET_DISTANCE_LIMIT * scale
            or output.std() > TARGET_DISTANCE_LIMIT * scale):
        yield DiagnosisWarning(
            "outputs_far_from_targets",
            f"The initial outputs (mean {output.mean():.3g}, std {output.std():.3g}) are far "
            f"from the targets (mean {target.mean():.3g}, std {target.std():.3g}): the first "
            "steps will only shift and rescale the outputs, with large gradients. Standardise "
            "the targets, or start the last layer's bias at their mean.")


def _cross_entropy(logits: np.ndarray, target: np.ndarray) -> float:
    """Mean ``-log softmax(logits)_target`` over examples (and any further positions)."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probabilities = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    picked = np.take_along_axis(log_probabilities, np.expand_dims(target, 1), axis=1)
    return float(-picked.mean())


def _layer_warnings(layers: list[LayerStats]) -> Iterator[DiagnosisWarning]:
    for layer in layers:
        if layer.saturated is not None and layer.saturated > SATURATED_LIMIT:
            yield DiagnosisWarning(
                "saturated",
                f"Layer {layer.name} ({layer.type}): {layer.saturated:.0%} of its outputs are "
                "saturated (sigmoid below 0.03 or above 0.97, |tanh| above 0.97), where its "
                "derivative is nearly 0: gradients vanish through it. Use smaller initial "
                "weights, normalise the inputs, or use ReLU.", layer.name)
        if layer.dead is not None and layer.dead > DEAD_LIMIT:
            yield DiagnosisWarning(
                "dead_relu",
                f"Layer {layer.name} ({layer.type}): {layer.dead:.0%} of its units are dead "
                "(0 for every example of the batch). A dead ReLU passes no gradient, so its "
                "weights never change again. Look for large negative biases or a too large "
                "learning rate, or use LeakyReLU.", layer.name)


def _flow_warnings(weights: list[tuple[str, np.ndarray]]) -> Iterator[DiagnosisWarning]:
    if len(weights) < 2:
        return
    (first, first_grad), (last, last_grad) = weights[0], weights[-1]
    first_rms, last_rms = (float(np.sqrt(np.mean(g.astype(np.float64) ** 2)))
                           for g in (first_grad, last_grad))
    if last_rms == 0 or not math.isfinite(first_rms / last_rms):
        return  # no gradient at the end at all: not_finite or dead units say why
    ratio = first_rms / last_rms
    where = (f"the first weight matrix ({first}) gets gradients {ratio:.1e} times as large "
             f"(root mean square per entry) as the last one ({last})")
    if ratio < VANISHING_RATIO:
        yield DiagnosisWarning(
            "vanishing_gradients",
            f"Gradients vanish from layer to layer: {where}, so the first layers barely learn. "
            "Each sigmoid multiplies the gradient by at most 0.25: use ReLU or tanh, a "
            "better initialisation, or fewer layers.", first)
    elif ratio > EXPLODING_RATIO:
        yield DiagnosisWarning(
            "exploding_gradients",
            f"Gradients explode from layer to layer: {where}, so the first layers take huge "
            "steps. Use smaller initial weights or a smaller learning rate, or clip the "
            "gradients (rg.nn.utils.clip_grad_norm_).", first)


def _loss_warnings(loss_fn: Callable, last_kind: str | None) -> Iterator[DiagnosisWarning]:
    is_mse = (isinstance(loss_fn, MSELoss) or loss_fn is mse_loss
              or getattr(loss_fn, "func", None) is mse_loss)  # also functools.partial(mse_loss)
    if is_mse and last_kind in ("softmax", "sigmoid"):
        fix = ("F.cross_entropy on the logits (no softmax layer)" if last_kind == "softmax"
               else "F.binary_cross_entropy_with_logits on the logits (no sigmoid layer)")
        yield DiagnosisWarning(
            "mse_after_softmax_or_sigmoid",
            f"The loss is a mean squared error on the output of a {last_kind}. When the "
            f"{last_kind} saturates on a wrong answer its derivative is nearly 0, so a large "
            f"error gives almost no gradient and learning stalls. Use {fix}.")


def _update_warnings(parameters: list[ParameterStats],
                     lr: float | None) -> Iterator[DiagnosisWarning]:
    low, high = UPDATE_RATIO_RANGE
    weights = [p for p in parameters if len(p.shape) >= 2 and p.update_ratio is not None]
    # the ignores: mypy cannot see that the ratios of `weights` are not None
    too_large = [p for p in weights if p.update_ratio > high]  # type: ignore[operator]
    too_small = [p for p in weights if p.update_ratio < low]  # type: ignore[operator]
    if too_large:
        largest = max(p.update_ratio for p in too_large)  # type: ignore[type-var]
        yield DiagnosisWarning(
            "update_ratio_too_large",
            f"With lr={lr:g}, one step would change {_names(too_large)} by more than {high:g} of "
            f"their size (lr*|grad|/|w| up to {largest:.1e}; "
            "about 1e-3 is healthy): the learning rate is probably too high.",
            too_large[0].name)
    if too_small:
        smallest = min(p.update_ratio for p in too_small)  # type: ignore[type-var]
        yield DiagnosisWarning(
            "update_ratio_too_small",
            f"With lr={lr:g}, one step would change {_names(too_small)} by less than {low:g} of "
            f"their size (lr*|grad|/|w| down to {smallest:.1e}; "
            "about 1e-3 is healthy): the learning rate is probably too low, training will "
            "crawl.", too_small[0].name)


def _finite_warnings(loss: float, parameters: list[ParameterStats]) -> Iterator[DiagnosisWarning]:
    bad = [p for p in parameters if p.grad_norm is not None and not math.isfinite(p.grad_norm)]
    if not math.isfinite(loss) or bad:
        what = "the loss is" if not math.isfinite(loss) else f"the gradient of {_names(bad)} is"
        yield DiagnosisWarning(
            "not_finite",
            f"{what[0].upper()}{what[1:]} NaN or infinite. Run one step under "
            "rg.autograd.detect_anomaly() to find the operation that produced it.")


# -- text ---------------------------------------------------------------------------------------

def _names(parameters: list[ParameterStats]) -> str:
    return ", ".join(p.name for p in parameters)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _scientific(value: float | None) -> str:
    return "-" if value is None else f"{value:.2e}"


def _summary(stats: dict) -> str:
    return ", ".join(f"{key} {value:.3g}" for key, value in stats.items())


def _finite_or_none(value: Any) -> Any:
    # strict JSON has no NaN or Infinity
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite_or_none(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite_or_none(item) for item in value]
    return value

"""The playground's training session: its settings, checked, and a network trained step by step.

``Settings.from_query`` reads the settings from a page's query string (every value a string) and
raises ``SettingsError`` with a message that says what was wrong and what is allowed;
``Settings.to_query`` writes them back, so that the URL holds the whole exercise.

``Session`` owns the data, the model, the optimizer and a background thread that trains while
the session runs. Every ``EVALUATE_EVERY`` steps (and after a reset) it evaluates the model:
loss and accuracy on the whole data set, the decision boundary (the predicted class and its
probability over a ``GRID`` x ``GRID`` grid of the plane) and ``rg.diagnose`` on a fixed batch
(per-parameter gradient norms and the health warnings). ``view`` returns all of it in plain
Python types, for JSON.
"""
from __future__ import annotations

import copy
import math
import threading
import time
from dataclasses import dataclass, fields, replace
from typing import Any, Callable

import numpy as np

from .. import datasets, nn, optim
from ..autograd.grad_mode import no_grad
from ..check.diagnose import diagnose
from ..explain import record, trace
from ..explain.text import short
from ..nn import functional as F
from ..random import manual_seed
from ..tensor import Tensor

DATASETS = ("circles", "moons", "spirals", "xor", "blobs")
CUSTOM = "custom"  # the data given to rg.playground(data=...) or uploaded as CSV
ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
               "leaky_relu": nn.LeakyReLU, "gelu": nn.GELU}
LOSSES = ("cross_entropy", "mse", "multi_margin")
OPTIMIZERS = {"sgd": optim.SGD, "adam": optim.Adam, "rmsprop": optim.RMSprop,
              "adagrad": optim.Adagrad}
MAX_UNITS, MAX_LAYERS, MAX_LR = 256, 4, 10.0
MAX_ROWS, MAX_CLASSES = 10_000, 10  # a CSV's bounds
SAMPLES = 400          # examples of a generated data set
GRID = 40              # the decision boundary's grid is GRID x GRID points
EVALUATE_EVERY = 10    # steps between two evaluations (curves, boundary, diagnosis)
DIAGNOSIS_EXAMPLES = 256
MAX_STEPS = 100_000    # training pauses there, so that a forgotten tab does not run forever
STEP_PAUSE = 0.002     # seconds between two steps: slow enough to watch the boundary move


class SettingsError(ValueError):
    """A setting from the page or the caller is invalid; the message says which and why."""


@dataclass(frozen=True)
class Settings:
    """Everything that defines a run; ``l2`` is the optimizer's weight decay."""

    dataset: str = "circles"
    hidden: tuple[int, ...] = (8, 8)
    activation: str = "tanh"
    loss: str = "cross_entropy"
    optimizer: str = "sgd"
    lr: float = 0.1
    batch: int = 32
    l2: float = 0.0
    seed: int = 0

    @classmethod
    def from_query(cls, query: dict[str, str], base: Settings | None = None,
                   n_samples: int | None = SAMPLES) -> Settings:
        """Settings from ``query`` (name -> text, as a URL gives them); names not in it keep
        their value in ``base``. ``n_samples`` (the data set's size) bounds the batch size;
        None leaves that check to ``check_batch``. Raises SettingsError."""
        base = base or cls()
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(query) - known)
        if unknown:
            raise SettingsError(f"unknown setting {unknown[0]!r}: the settings are "
                                f"{', '.join(sorted(known))}")
        values: dict[str, Any] = {}
        for name, text in query.items():
            values[name] = _PARSERS[name](str(text).strip())
        settings = replace(base, **values)
        if n_samples is not None:
            settings.check_batch(n_samples)
        return settings

    def check_batch(self, n_samples: int) -> None:
        """Raises SettingsError when the batch is larger than the data set's ``n_samples``."""
        if self.batch > n_samples:
            raise SettingsError(f"batch must be at most the data set's size, {n_samples}; "
                                f"got {self.batch}")

    def to_query(self) -> dict[str, str]:
        """The settings as texts, for a URL's query string; ``from_query`` reads them back."""
        return {"dataset": self.dataset, "hidden": ",".join(map(str, self.hidden)),
                "activation": self.activation, "loss": self.loss, "optimizer": self.optimizer,
                "lr": f"{self.lr:g}", "batch": str(self.batch), "l2": f"{self.l2:g}",
                "seed": str(self.seed)}


def _one_of(name: str, choices) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.lower().replace("-", "_")
        if value not in choices:
            raise SettingsError(f"{name} must be one of {', '.join(choices)}; got {text!r}")
        return value
    return parse


def _integer(name: str, low: int, high: int | None = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise SettingsError(f"{name} must be an integer; got {text!r}") from None
        if value < low or (high is not None and value > high):
            upper = f" and at most {high}" if high is not None else ""
            raise SettingsError(f"{name} must be at least {low}{upper}; got {value}")
        return value
    return parse


def _real(name: str, low: float, high: float, low_inclusive: bool) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise SettingsError(f"{name} must be a number; got {text!r}") from None
        above = value >= low if low_inclusive else value > low
        if not (math.isfinite(value) and above and value <= high):
            bracket = "[" if low_inclusive else "("
            raise SettingsError(f"{name} must be a finite number in {bracket}{low:g}, {high:g}]; "
                                f"got {text}")
        return value
    return parse


def _hidden(text: str) -> tuple[int, ...]:
    sizes = tuple(_integer("each hidden layer size", 1, MAX_UNITS)(part)
                  for part in text.split(",") if part.strip())
    if len(sizes) > MAX_LAYERS:
        raise SettingsError(f"hidden: at most {MAX_LAYERS} hidden layers; got {len(sizes)}")
    return sizes


_PARSERS: dict[str, Callable[[str], Any]] = {
    "dataset": _one_of("dataset", DATASETS + (CUSTOM,)),
    "hidden": _hidden,
    "activation": _one_of("activation", tuple(ACTIVATIONS)),
    "loss": _one_of("loss", LOSSES),
    "optimizer": _one_of("optimizer", tuple(OPTIMIZERS)),
    "lr": _real("lr", 0.0, MAX_LR, low_inclusive=False),
    "batch": _integer("batch", 1),
    "l2": _real("l2", 0.0, 1.0, low_inclusive=True),
    "seed": _integer("seed", 0, 2**31 - 1),
}


def read_csv(source: str, text: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` from a CSV of two feature columns and a label, with or without a header row;
    ``source`` is a path, or the CSV itself when ``text``. Labels may be any texts or numbers:
    they become the classes 0..C-1 in sorted order. Raises SettingsError for a bad file."""
    lines = (source if text else open(source, encoding="utf-8").read()).splitlines()
    rows = [[cell.strip() for cell in line.split(",")] for line in lines if line.strip()]
    if rows and not _is_number(rows[0][0]):
        rows = rows[1:]  # a header
    if len(rows) < 2 or len(rows) > MAX_ROWS:
        raise SettingsError(f"the CSV must hold 2 to {MAX_ROWS} rows of data; it has {len(rows)}")
    for number, row in enumerate(rows, 1):
        if len(row) != 3 or not (_is_number(row[0]) and _is_number(row[1])):
            raise SettingsError(f"CSV row {number} must be 'x1,x2,label' with two numbers; got "
                                f"{','.join(row)!r}")
    X = np.array([[float(row[0]), float(row[1])] for row in rows], dtype=np.float32)
    if not np.isfinite(X).all():
        raise SettingsError("the CSV's features must be finite numbers")
    classes, y = np.unique([row[2] for row in rows], return_inverse=True)
    if not 2 <= len(classes) <= MAX_CLASSES:
        raise SettingsError(f"the CSV's labels must name 2 to {MAX_CLASSES} classes; they name "
                            f"{len(classes)}")
    return X, y.astype(np.int64)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _one_hot_mse(output: Tensor, target: Tensor) -> Tensor:
    """MSE between the class scores and the one-hot rows of the labels."""
    eye = np.eye(output.shape[1], dtype=np.float32)
    return F.mse_loss(output, Tensor(eye[target.numpy()]))


LOSS_FUNCTIONS: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "cross_entropy": F.cross_entropy, "mse": _one_hot_mse,
    "multi_margin": F.multi_margin_loss}


def build_model(settings: Settings, n_classes: int) -> nn.Module:
    """The MLP of ``settings``: 2 inputs, the hidden layers, each followed by the activation,
    and ``n_classes`` outputs (the class scores)."""
    layers, width = [], 2
    for size in settings.hidden:
        layers += [nn.Linear(width, size), ACTIVATIONS[settings.activation]()]
        width = size
    return nn.Sequential(*layers, nn.Linear(width, n_classes))


class Session:
    """A network trained on 2-D data, one batch at a time, in a background thread.

    ``model`` and ``data`` (X of shape (n, 2), y of classes 0..C-1) replace the built MLP and
    the named data set; the settings' hidden sizes and activation do not apply to a given model.
    Thread-safe: the page's requests and the training thread share the lock.
    """

    def __init__(self, settings: Settings | None = None, model: nn.Module | None = None,
                 data: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self._custom_data = None if data is None else _checked_data(*data)
        self._custom_model = model
        self._initial_state = None if model is None else copy.deepcopy(model.state_dict())
        settings = settings or Settings(dataset=CUSTOM if data is not None else "circles")
        self._lock = threading.Lock()
        self._changes = threading.Condition(self._lock)  # notified by _changed
        self.running = False
        self.run_id, self.version = 0, 0
        self._closed = False
        with self._lock:
            self._restart(settings)
        self._thread = threading.Thread(target=self._train, name="playground-training",
                                        daemon=True)
        self._thread.start()

    # -- what the page calls ----------------------------------------------------------------

    def apply(self, query: dict[str, str]) -> Settings:
        """New settings from a query (raises SettingsError): the run starts again with them and
        keeps running if it was."""
        with self._lock:
            settings = Settings.from_query(query, self.settings, n_samples=None)
            settings.check_batch(len(self._data_for(settings)[1]))
            self._restart(settings)
            return settings

    def set_data(self, X: np.ndarray, y: np.ndarray) -> None:
        """Uploaded data: the run starts again on it (dataset ``custom``)."""
        with self._lock:
            previous, self._custom_data = self._custom_data, _checked_data(X, y)
            try:
                self._restart(replace(self.settings, dataset=CUSTOM,
                                      batch=min(self.settings.batch, len(y))))
            except SettingsError:  # e.g. more classes than a given model has outputs
                self._custom_data = previous
                raise

    def control(self, action: str) -> None:
        """``start``, ``pause``, ``step`` (one batch, then paused) or ``reset`` (the initial
        weights again, paused)."""
        with self._lock:
            if action == "start":
                self.running = True
            elif action == "pause":
                self.running = False
            elif action == "step":
                self.running = False
                self._step()
                self._evaluate()
            elif action == "reset":
                self.running = False
                self._restart(self.settings)
            else:
                raise SettingsError(f"unknown action {action!r}: choose start, pause, step or "
                                    "reset")
            self._changed()

    def view(self, since: int = 0, with_data: bool = True) -> dict[str, Any]:
        """The state for the page, in plain Python types: ``points`` holds the curves' points
        (step, loss, accuracy) from index ``since``; ``data`` the examples, if ``with_data``."""
        with self._lock:
            return self._view(since, with_data)

    def graph(self) -> list[dict[str, Any]]:
        """The computational graph of the next batch's loss, as ``rg.explain.trace`` walks it
        backwards: one dict per variable (``variable``, ``operation``, ``expression``, ``value``
        and ``gradient`` in short text, the derivative ``rule`` and the chain rule to each of
        its ``inputs``). Nothing is updated: the parameters' ``.grad`` are left as they were."""
        with self._lock:
            index = self._next_batch()
            inputs, labels = Tensor(self.X[index]), Tensor(self.y[index])
            with record():
                loss = self.loss_fn(self.model(inputs), labels)
            names = {inputs: "X", labels: "y"}
            names.update({p: name for name, p in self.model.named_parameters()})
            return [{"step": row["step"], "variable": row["variable"],
                     "operation": row["operation"], "expression": row["expression"],
                     "value": short(row["value"], row["shape"]),
                     "gradient": short(row["gradient"], row["shape"]), "rule": row["rule"],
                     "inputs": [{"variable": x["variable"], "formula": x["formula"],
                                 "gradient": short(x["gradient"])} for x in row["inputs"]]}
                    for row in trace(loss, names).rows]

    def wait(self, version: int, timeout: float) -> int:
        """Waits until the state changes after ``version`` (or ``timeout`` seconds pass);
        returns the current version."""
        with self._lock:
            self._changes.wait_for(lambda: self.version != version or self._closed, timeout)
            return self.version

    def close(self) -> None:
        """Stops the training thread."""
        with self._lock:
            self._closed = True
            self._changes.notify_all()
        self._thread.join(timeout=5)

    # -- training ---------------------------------------------------------------------------

    def _data_for(self, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
        if settings.dataset == CUSTOM:
            if self._custom_data is None:
                raise SettingsError("dataset 'custom' needs data: upload a CSV, or give "
                                    "data=(X, y) to rg.playground")
            return self._custom_data
        return getattr(datasets, settings.dataset)(SAMPLES, seed=settings.seed)

    def _restart(self, settings: Settings) -> None:
        """Data, model and optimizer afresh for ``settings`` (lock held)."""
        X, y = self._data_for(settings)
        n_classes = int(y.max()) + 1
        manual_seed(settings.seed)
        if self._custom_model is None:
            model = build_model(settings, n_classes)
        else:
            model = self._custom_model
            # kept with the custom model, never None here
            model.load_state_dict(copy.deepcopy(self._initial_state))  # type: ignore[arg-type]
            _check_model(model, n_classes)
        self.settings, self.X, self.y, self.model = settings, X, y, model
        self.n_classes = n_classes
        self.loss_fn = LOSS_FUNCTIONS[settings.loss]
        self.optimizer = OPTIMIZERS[settings.optimizer](model.parameters(), lr=settings.lr,
                                                        weight_decay=settings.l2)
        self._rng = np.random.default_rng(settings.seed)
        self._order, self._cursor = self._rng.permutation(len(y)), 0
        self.step_count, self.run_id = 0, self.run_id + 1
        self.points: list = []
        self.error: str | None = None
        pick = self._rng.choice(len(y), min(DIAGNOSIS_EXAMPLES, len(y)), replace=False)
        self._diagnosis_batch = (X[pick], y[pick])
        low, high = X.min(axis=0), X.max(axis=0)
        margin = 0.1 * (high - low) + 1e-3
        self.extent = [float(low[0] - margin[0]), float(high[0] + margin[0]),
                       float(low[1] - margin[1]), float(high[1] + margin[1])]
        xs = np.linspace(self.extent[0], self.extent[1], GRID)
        ys = np.linspace(self.extent[3], self.extent[2], GRID)  # top row first, as drawn
        self._grid = np.array([[x, y] for y in ys for x in xs], dtype=np.float32)
        self._evaluate()

    def _next_batch(self) -> np.ndarray:
        """The examples of the next step (lock held); a new epoch's order when they run out."""
        if self._cursor + self.settings.batch > len(self._order):
            self._order, self._cursor = self._rng.permutation(len(self.y)), 0
        return self._order[self._cursor:self._cursor + self.settings.batch]

    def _step(self) -> None:
        """One batch of the optimizer (lock held)."""
        index = self._next_batch()
        self._cursor += self.settings.batch
        self.model.train()
        self.optimizer.zero_grad()
        with _quiet_overflow():  # a diverging run is reported below, in one line
            loss = self.loss_fn(self.model(Tensor(self.X[index])), Tensor(self.y[index]))
            loss.backward()
            self.optimizer.step()
        self.step_count += 1
        if not math.isfinite(loss.item()):
            self.running = False
            self.error = (f"the loss became {loss.item()} at step {self.step_count}: the "
                          "learning rate is too large; lower it, then reset")

    def _evaluate(self) -> None:
        """The curves' next point, the decision boundary and the diagnosis (lock held)."""
        self.model.eval()
        with no_grad(), _quiet_overflow():
            scores = self.model(Tensor(self.X))
            loss = float(self.loss_fn(scores, Tensor(self.y)).item())
            accuracy = float((scores.numpy().argmax(axis=1) == self.y).mean())
            grid_scores = self.model(Tensor(self._grid)).numpy().astype(np.float64)
        self.points.append([self.step_count, _finite_or_none(loss), accuracy])
        shifted = np.exp(grid_scores - grid_scores.max(axis=1, keepdims=True))
        probabilities = shifted / shifted.sum(axis=1, keepdims=True)
        self.boundary = {"classes": probabilities.argmax(axis=1).tolist(),
                         "confidence": np.round(probabilities.max(axis=1), 2).tolist()}
        try:
            with _quiet_overflow():
                report = diagnose(self.model, self._diagnosis_batch, self.loss_fn,
                                  lr=self.settings.lr)
            self.grad_norms = {name: _finite_or_none(norm)
                               for name, norm in report.grad_norms.items()
                               if name.endswith("weight")}
            self.warnings = [{"code": w.code, "message": w.message} for w in report.warnings]
        except (ValueError, FloatingPointError) as error:
            self.grad_norms, self.warnings = {}, [{"code": "error", "message": str(error)}]
        self._changed()

    def _changed(self) -> None:
        """A new version of the state, for the event streams waiting on it (lock held)."""
        self.version += 1
        self._changes.notify_all()

    def _train(self) -> None:
        """The background thread: steps while running, evaluating every EVALUATE_EVERY steps."""
        while True:
            with self._lock:
                self._changes.wait_for(lambda: self.running or self._closed)
                if self._closed:
                    return
                self._step()
                if self.step_count % EVALUATE_EVERY == 0 or not self.running:
                    self._evaluate()
                if self.step_count >= MAX_STEPS:
                    self.running = False
            time.sleep(STEP_PAUSE)

    def _view(self, since: int, with_data: bool) -> dict[str, Any]:
        return {"run": self.run_id, "version": self.version, "step": self.step_count,
                "running": self.running, "settings": self.settings.to_query(),
                "custom_model": self._custom_model is not None,
                "has_custom_data": self._custom_data is not None,
                "n_classes": self.n_classes, "extent": self.extent, "grid": GRID,
                "points": self.points[since:], "since": since, "boundary": self.boundary,
                "data": ({"x": np.round(self.X, 3).tolist(), "y": self.y.tolist()}
                         if with_data else None),
                "grad_norms": self.grad_norms, "warnings": self.warnings, "error": self.error,
                "code": python_code(self.settings, self._custom_model)}


def _quiet_overflow() -> np.errstate:
    """NumPy's overflow warnings off: NaN and infinite losses are reported as an error."""
    return np.errstate(over="ignore", invalid="ignore", divide="ignore")


def _finite_or_none(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _checked_data(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    X, y = np.asarray(X, dtype=np.float32), np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise SettingsError(f"data: X must have shape (n, 2), two features per row; got "
                            f"{X.shape}")
    if y.shape != (len(X),) or len(X) < 2 or len(X) > MAX_ROWS:
        raise SettingsError(f"data: y must hold one label per row of X, 2 to {MAX_ROWS} rows; "
                            f"got X {X.shape} and y {y.shape}")
    if not np.isfinite(X).all():
        raise SettingsError("data: X must hold finite numbers")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or not 2 <= y.max() + 1 <= MAX_CLASSES:
        raise SettingsError(f"data: y must hold the classes 0..C-1 as integers, 2 <= C <= "
                            f"{MAX_CLASSES}")
    return X, y.astype(np.int64)


def _check_model(model: nn.Module, n_classes: int) -> None:
    with no_grad():
        shape = model(Tensor(np.zeros((1, 2), dtype=np.float32))).shape
    if tuple(shape) != (1, n_classes):
        raise SettingsError(f"model: it must map (N, 2) inputs to (N, {n_classes}) class scores "
                            f"for this data; it gave {tuple(shape)} for one example")


def python_code(settings: Settings, model: nn.Module | None = None) -> str:
    """The Python program that trains as the playground does with ``settings``."""
    if settings.dataset == CUSTOM:
        data = ("# your data: X of shape (n, 2), y the classes 0..C-1, e.g. from a CSV\n"
                "from retrograd.live.session import read_csv\n"
                "X, y = read_csv(\"data.csv\")\n")
    else:
        data = f"X, y = rg.datasets.{settings.dataset}({SAMPLES}, seed={settings.seed})\n"
    if model is not None:
        network = ("model = ...  # the model given to rg.playground:\n"
                   + "".join(f"# {line}\n" for line in repr(model).splitlines()))
    else:
        layers, width = [], 2
        name = ACTIVATIONS[settings.activation].__name__
        for size in settings.hidden:
            layers += [f"nn.Linear({width}, {size})", f"nn.{name}()"]
            width = size
        layers.append(f"nn.Linear({width}, n_classes)")
        network = "model = nn.Sequential(\n" + "".join(f"    {x},\n" for x in layers) + ")\n"
    loss = {"cross_entropy": "loss_fn = F.cross_entropy\n",
            "multi_margin": "loss_fn = F.multi_margin_loss\n",
            "mse": "def loss_fn(scores, labels):  # MSE onto the one-hot labels\n"
                   "    return F.mse_loss(scores, rg.tensor(np.eye(n_classes, "
                   "dtype=np.float32)[labels.numpy()]))\n"}[settings.loss]
    optimizer = OPTIMIZERS[settings.optimizer].__name__
    return ("import numpy as np\n"
            "import retrograd as rg\n"
            "from retrograd import nn\n"
            "from retrograd.nn import functional as F\n"
            "from retrograd.utils.data import DataLoader, TensorDataset\n\n"
            f"rg.manual_seed({settings.seed})\n"
            + data +
            "n_classes = int(y.max()) + 1\n"
            + network + loss +
            f"optimizer = rg.optim.{optimizer}(model.parameters(), lr={settings.lr:g}, "
            f"weight_decay={settings.l2:g})\n"
            f"loader = DataLoader(TensorDataset(X, y), batch_size={settings.batch}, "
            "shuffle=True)\n\n"
            "for epoch in range(50):\n"
            "    for inputs, labels in loader:\n"
            "        optimizer.zero_grad()\n"
            "        loss = loss_fn(model(inputs), labels)\n"
            "        loss.backward()\n"
            "        optimizer.step()\n"
            "    print(f\"epoch {epoch + 1}: loss {loss.item():.4f}\")\n"
            "print(rg.diagnose(model, (rg.tensor(X), rg.tensor(y)), loss_fn, lr="
            f"{settings.lr:g}))\n")

"""The training loop: ``rg.train.fit`` (or a ``Trainer``), callbacks, checkpoints that resume
exactly.

One epoch is PyTorch's usual loop, written once so you don't have to::

    for x, y in train_loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

then an evaluation on ``val_loader`` (``model.eval()`` under ``rg.no_grad()``) and one step of
the learning-rate ``scheduler``. ``fit`` returns a ``History`` of per-epoch metrics:

    >>> history = rg.train.fit(model, F.cross_entropy, optimizer, train_loader, epochs=20,
    ...                        val_loader=val_loader,
    ...                        callbacks=[EarlyStopping(patience=5),
    ...                                   ModelCheckpoint("run/checkpoint.npz")])
    >>> history["val_acc"][-1]

A checkpoint holds the model, the optimizer, the scheduler, the history, the callbacks' state and
the random generators (the global one and the loaders'): ``fit(..., resume=path)`` goes on from
where the saved run stopped and produces the very same numbers, bit for bit, as a run that was
never interrupted.

The model trains on its parameters' device (or ``fit(..., device="cuda")``): batches go there,
and the per-batch losses stay there, read every ``log_every`` steps: each read waits for the
GPU to finish its queued work, so it is not done at every step.
"""
from __future__ import annotations

import csv
import math
import os
import sys
import time
from typing import Any, Callable, Iterable, Sequence, TextIO

import numpy as np

from . import distributed as dist
from .autograd.grad_mode import no_grad
from .backend import array_module, backend_of
from .compiler import CompiledFunction
from .device import CPU, DeviceLike, as_device, device
from .nn.parallel import DistributedDataParallel
from .optim.lr_scheduler import ReduceLROnPlateau
from .random import default_generator
from .serialization import load, save
from .tensor import Tensor

__all__ = ["fit", "evaluate", "Trainer", "History", "Callback", "EarlyStopping",
           "ModelCheckpoint", "ProgressBar", "NonFiniteLossError"]

LossFn = Callable[[Tensor, Tensor], Tensor]


class NonFiniteLossError(FloatingPointError):
    """The training loss, a gradient or the validation loss became NaN or infinite: training
    stopped before that step's update (the weights are those of the step before).

    ``epoch`` (1-based) and ``step`` (the batch within the epoch, 1-based; None for the
    validation loss) say where, ``what`` which value it was.
    """

    def __init__(self, epoch: int, step: int | None, value: float,
                 what: str = "the training loss") -> None:
        where = f"at epoch {epoch}, step {step}" if step is not None else \
            f"after epoch {epoch}"
        advice = ("clip the gradients (a callback's on_before_step), lower the learning rate, "
                  "or check the data for NaN/Inf" if what.startswith("the gradient") else
                  "lower the learning rate, or check the data for NaN/Inf")
        super().__init__(f"{what} became {value} {where}: {advice}")
        self.epoch, self.step, self.value, self.what = epoch, step, value, what


class History:
    """Per-epoch metrics of a run: ``history["val_loss"]`` is that column, one value per epoch.

    Columns: epoch (1-based), train_loss, train_acc, val_loss, val_acc (None without a
    validation loader; accuracies None when targets are not class labels), lr (of the first
    parameter group, during that epoch), time (seconds).
    """

    columns = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "time")

    def __init__(self, records: Iterable[dict] = ()) -> None:
        self.records: list[dict[str, Any]] = [dict(record) for record in records]

    def __getitem__(self, column: str) -> list:
        if column not in self.columns:
            raise KeyError(f"no column {column!r} in the history; columns: {self.columns}")
        return [record[column] for record in self.records]

    def __len__(self) -> int:
        return len(self.records)

    def __repr__(self) -> str:
        last = self.records[-1] if self.records else {}
        return f"History({len(self)} epochs, last: {format_metrics(last)})"

    def to_csv(self, path: str | os.PathLike) -> None:
        """Writes one row per epoch (an empty cell where a value is None)."""
        with open(path, "w", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=self.columns)
            writer.writeheader()
            for record in self.records:
                writer.writerow({key: "" if value is None else value
                                 for key, value in record.items()})


def format_metrics(record: dict[str, Any]) -> str:
    """``'train_loss 0.1234  train_acc 97.50%  ...'``: the metrics of one epoch, for humans."""
    parts = []
    for key in ("train_loss", "train_acc", "val_loss", "val_acc", "lr"):
        value = record.get(key)
        if value is None:
            continue
        text = f"{100 * value:.2f}%" if key.endswith("acc") else f"{value:.4g}"
        parts.append(f"{key} {text}")
    return "  ".join(parts)


# -- evaluation -------------------------------------------------------------------------------

def _batch(batch: Any, device: device) -> tuple[Tensor, Tensor]:
    """The (inputs, targets) of a batch, tensors moved to ``device`` (the model's)."""
    if not isinstance(batch, (list, tuple)) or len(batch) != 2:
        raise TypeError(f"the training loop expects batches (inputs, targets), got "
                        f"{type(batch).__name__}; use a TensorDataset(X, y) or return pairs")
    inputs, targets = (part.to(device) if isinstance(part, Tensor) and part.device != device
                       else part for part in batch)
    return inputs, targets


def _correct(output: Tensor, target: Tensor) -> Any:
    """How many rows of ``output`` (N, C) have their largest score at the right class: a
    0-d array on their device, not read (on a GPU, reading is a sync).

    ``target`` holds class indices (N,) or class probabilities (N, C) (one-hot rows, rows
    summing to 1). For anything else (regression) accuracy means nothing: this returns None,
    or -1 for float targets of the output's shape that are not probabilities (which only the
    values tell).
    """
    scores, labels = output.array, target.array
    if scores.ndim != 2:
        return None
    if labels.ndim == 1 and labels.dtype.kind in "iu":
        return (scores.argmax(1) == labels).sum()
    if labels.shape != scores.shape or labels.dtype.kind != "f":
        return None
    xp = array_module(labels)
    probabilities = (labels.min() >= 0) & xp.all(xp.isclose(labels.sum(1), 1))
    return xp.where(probabilities, (scores.argmax(1) == labels.argmax(1)).sum(), -1)


def _host_values(arrays: list) -> list:
    """The values of 0-d arrays (of one device) as Python numbers, in one copy to the host."""
    if len(arrays) == 1:
        return [arrays[0].item()]
    return backend_of(arrays[0]).to_host(array_module(arrays[0]).stack(arrays)).tolist()


class _Totals:
    """Running sums over the batches of an epoch: mean loss and accuracy so far.

    ``add`` queues a batch's loss and correct count where the model computed them; ``read``
    copies the queued ones to the host at once (one device sync on a GPU) and adds them up in
    float64, batch after batch. With ``epoch``, a NaN or infinite loss raises
    ``NonFiniteLossError`` there.
    """

    def __init__(self, epoch: int | None = None) -> None:
        self.loss_sum, self.correct, self.seen = 0.0, 0, 0
        self.has_accuracy = True
        self.epoch, self.steps_read = epoch, 0
        self.losses: list = []
        self.sizes: list[int] = []
        self.counts: list = []

    def add(self, loss: Tensor, output: Tensor, target: Tensor) -> None:
        array = loss.array
        if array.ndim:
            if array.size != 1:
                raise ValueError(f"the loss must be one number (a batch mean), got a tensor of "
                                 f"shape {tuple(array.shape)}")
            array = array.reshape(())
        self.losses.append(array)
        self.sizes.append(len(target))
        correct = _correct(output, target) if self.has_accuracy else None
        if correct is None:
            self.has_accuracy = False
        else:
            self.counts.append(correct)

    def read(self, gradient_total: Any = None) -> float | None:
        """Reads the queued values, and ``gradient_total`` (a 0-d array: the sum of the
        gradients) in the same copy; returns its value."""
        if not self.losses:
            return None
        values = _host_values(self.losses if gradient_total is None else
                              [*self.losses, gradient_total])
        for value, size in zip(values, self.sizes):
            self.steps_read += 1
            if self.epoch is not None and not math.isfinite(value):
                raise NonFiniteLossError(self.epoch, self.steps_read, value)
            self.loss_sum += value * size  # losses are batch means: weigh them by batch size
            self.seen += size
        if self.has_accuracy and self.counts:
            counts = _host_values(self.counts)
            self.has_accuracy = min(counts) >= 0
            self.correct += sum(counts)
        self.losses, self.sizes, self.counts = [], [], []
        return None if gradient_total is None else values[-1]

    def reduce(self) -> None:
        """Sums the totals of every rank (a world of one: nothing), so that each rank's means
        are those of the whole epoch."""
        if dist.is_initialized() and dist.get_world_size() > 1:
            sums = Tensor(np.array([self.loss_sum, self.correct, self.seen,
                                    not self.has_accuracy], dtype=np.float64))
            dist.all_reduce(sums)
            self.loss_sum, correct, self.seen, no_accuracy = sums.array.tolist()
            self.correct, self.seen = int(correct), int(self.seen)
            self.has_accuracy = not no_accuracy

    @property
    def loss(self) -> float:
        return self.loss_sum / self.seen if self.seen else math.nan

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.seen if self.seen and self.has_accuracy else None


def model_device(model) -> device:
    """The device of ``model``'s first parameter (the CPU for a model without any)."""
    parameter = next(iter(model.parameters()), None)
    return CPU if parameter is None else parameter.device


def evaluate(model, loss_fn: LossFn, loader: Iterable) -> tuple[float, float | None]:
    """Mean loss and accuracy of ``model`` over ``loader``, in eval mode, without gradients.

    Batches are moved to the model's device, and the sums read once at the end. Returns
    ``(loss, accuracy)``; accuracy is None when the targets are not class labels. The model's
    train/eval mode is restored afterwards.
    """
    was_training = model.training
    model.eval()
    target = model_device(model)
    totals = _Totals()
    try:
        with no_grad():
            for batch in loader:
                inputs, targets = _batch(batch, target)
                output = model(inputs)
                totals.add(loss_fn(output, targets), output, targets)
        totals.read()
        totals.reduce()
    finally:
        model.train(was_training)
    return totals.loss, totals.accuracy


# -- callbacks --------------------------------------------------------------------------------

class Callback:
    """Base class of callbacks: override the hooks you need. ``trainer`` is the running
    ``Trainer``: its ``history``, ``epoch``, ``model`` ...; set ``trainer.stop_training = True``
    to stop after this epoch.

    A callback with state that must survive a resume returns it from ``state_dict`` (it goes into
    checkpoints) and takes it back in ``load_state_dict``. In a distributed run every rank calls
    its callbacks, with the metrics of all ranks, except those with ``rank_zero_only`` (the
    progress bar): they run on rank 0 alone.
    """

    rank_zero_only = False

    def on_train_begin(self, trainer: "Trainer") -> None:
        pass

    def on_epoch_begin(self, trainer: "Trainer", epoch: int) -> None:
        pass

    def on_after_backward(self, trainer: "Trainer") -> None:
        """After ``loss.backward()``: the gradients are in ``.grad`` (averaged over the ranks
        under ``DistributedDataParallel``)."""

    def on_before_step(self, trainer: "Trainer") -> None:
        """Just before ``optimizer.step()``: the place to clip or check the gradients.

        With ``compile=True`` this hook and ``on_after_backward`` are part of the recorded
        step: their tensor work is replayed at every step, their other Python runs only while
        recording (reading a value, ``.item()``, makes the step run eagerly instead)."""

    def on_batch_end(self, trainer: "Trainer", step: int, loss: float,
                     accuracy: float | None) -> None:
        """After each optimizer step; ``loss`` and ``accuracy`` are the epoch's running means."""

    def on_epoch_end(self, trainer: "Trainer", epoch: int, record: dict[str, Any]) -> None:
        """After validation and the scheduler step; ``record`` is the epoch's history row."""

    def on_train_end(self, trainer: "Trainer") -> None:
        """Also called when training stops on an error."""

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass


class _Monitor(Callback):
    """Shared by the callbacks that watch one metric and remember its best value."""

    def __init__(self, monitor: str, mode: str, min_delta: float = 0.0) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if monitor not in History.columns:
            raise ValueError(f"cannot monitor {monitor!r}: choose one of {History.columns}")
        self.monitor, self.mode, self.min_delta = monitor, mode, abs(min_delta)
        self.best: float | None = None

    def improved(self, record: dict[str, Any]) -> bool:
        """Whether the monitored value beats the best so far (and if so, remembers it)."""
        value = record[self.monitor]
        if value is None:
            raise ValueError(f"{type(self).__name__} monitors {self.monitor!r}, which this run "
                             f"does not compute (no val_loader? targets not class labels?); "
                             f"monitor one of: {[k for k, v in record.items() if v is not None]}")
        better = self.best is None or (value < self.best - self.min_delta if self.mode == "min"
                                       else value > self.best + self.min_delta)
        if better:
            self.best = value
        return better


class EarlyStopping(_Monitor):
    """Stops training when ``monitor`` has not improved by more than ``min_delta`` for
    ``patience`` epochs in a row (``mode='min'`` for losses, ``'max'`` for accuracies)."""

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 3,
                 mode: str = "min") -> None:
        super().__init__(monitor, mode, min_delta)
        if patience < 1:
            raise ValueError(f"patience must be at least 1 epoch, got {patience}")
        self.patience = patience
        self.wait = 0
        self.stopped_epoch: int | None = None

    def on_epoch_end(self, trainer: "Trainer", epoch: int, record: dict[str, Any]) -> None:
        self.wait = 0 if self.improved(record) else self.wait + 1
        if self.wait >= self.patience:
            trainer.stop_training = True
            self.stopped_epoch = epoch

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "wait": self.wait}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.wait = state["best"], state["wait"]


class ModelCheckpoint(_Monitor):
    """Saves the whole training state to ``path`` at the end of every epoch, or, with
    ``monitor``, only when that metric improves (the best model).

    ``extra`` is stored in the checkpoint too (the command line keeps its configuration there).
    ``last_saved_epoch`` says which epoch the file holds.
    """

    def __init__(self, path: str | os.PathLike, monitor: str | None = None, mode: str = "min",
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(monitor or "train_loss", mode)  # the metric is unused without monitor
        self.path, self.every_epoch, self.extra = path, monitor is None, extra or {}
        self.last_saved_epoch: int | None = None

    def on_epoch_end(self, trainer: "Trainer", epoch: int, record: dict[str, Any]) -> None:
        if self.every_epoch or self.improved(record):
            self.last_saved_epoch = epoch
            trainer.save_checkpoint(self.path, **self.extra)

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "last_saved_epoch": self.last_saved_epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.last_saved_epoch = state["best"], state["last_saved_epoch"]


class ProgressBar(Callback):
    """A progress bar per epoch with the live loss and accuracy when ``stream`` is a terminal
    and tqdm is installed; otherwise one plain line per epoch (logs, pipes, notebooks' files).
    The bar is short enough for 80 columns; at the epoch's end it gives way to the plain line,
    which a narrow terminal may wrap (a bar that wraps could not be redrawn in place)."""

    BAR_FORMAT = "{desc} {n_fmt}/{total_fmt} |{bar}| {elapsed}<{remaining}{postfix}"

    rank_zero_only = True

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self.bar = None

    def _out(self) -> TextIO:
        return self.stream or sys.stdout

    def on_epoch_begin(self, trainer: "Trainer", epoch: int) -> None:
        if not self._out().isatty():
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return
        total = len(trainer.train_loader)  # type: ignore[arg-type]  # a loader with a len
        self.bar = tqdm(total=total, desc=f"epoch {epoch}/{trainer.epochs}",
                        file=self._out(), leave=False, dynamic_ncols=True,
                        bar_format=self.BAR_FORMAT)

    def on_batch_end(self, trainer: "Trainer", step: int, loss: float,
                     accuracy: float | None) -> None:
        if self.bar is not None:
            self.bar.update(1)
            if math.isnan(loss):  # on a GPU, before the first read of the epoch
                return
            live = f"loss {loss:.4g}" + ("" if accuracy is None else f" acc {100 * accuracy:.1f}%")
            self.bar.set_postfix_str(live, refresh=False)

    def on_epoch_end(self, trainer: "Trainer", epoch: int, record: dict[str, Any]) -> None:
        if self.bar is not None:
            self.bar.refresh()  # its last state (n/n), then the line takes its place
        self._close()
        print(f"epoch {epoch}/{trainer.epochs}  {format_metrics(record)}  {record['time']:.2f}s",
              file=self._out(), flush=True)

    def on_train_end(self, trainer: "Trainer") -> None:
        self._close()  # an epoch cut short by an error leaves its bar open

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


# -- the loop ---------------------------------------------------------------------------------

def _loader_generators(*loaders: Any) -> list:
    """The random generators the loaders draw from (shuffling), each once, in a fixed order."""
    found: list = []
    for loader in loaders:
        for owner in (loader, getattr(loader, "sampler", None)):
            generator = getattr(owner, "generator", None)
            if generator is not None and all(generator is not g for g in found):
                found.append(generator)
    return found


def _epoch_samplers(loader: Any) -> list:
    """The samplers of ``loader`` with ``set_epoch`` (``DistributedSampler``)."""
    batch_sampler = getattr(loader, "batch_sampler", None)
    owners = (getattr(loader, "sampler", None), getattr(batch_sampler, "sampler", None))
    found: list = []
    for sampler in owners:
        if hasattr(sampler, "set_epoch") and all(sampler is not s for s in found):
            found.append(sampler)
    return found


class Trainer:
    """Trains ``model`` with ``optimizer`` on the batches ``(inputs, targets)`` of
    ``train_loader``; see ``fit`` for the arguments. Holds the state of a run: ``epoch`` (epochs
    done), ``history``, ``stop_training``, ``device`` (where the model trains).
    """

    def __init__(self, model, loss_fn: LossFn, optimizer, train_loader: Iterable,
                 val_loader: Iterable | None = None, scheduler=None,
                 callbacks: Sequence[Callback] = (), device: DeviceLike = None,
                 log_every: int | None = None, compile: bool = False) -> None:
        if device is not None and as_device(device) != model_device(model):
            model.to(as_device(device))
        self.device = model_device(model)
        if log_every is None:
            log_every = 1 if self.device.type == "cpu" else 50
        if not isinstance(log_every, int) or log_every < 1:
            raise ValueError(f"log_every must be a positive number of steps, got {log_every!r}")
        self.log_every = log_every
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.train_loader, self.val_loader, self.scheduler = train_loader, val_loader, scheduler
        self.callbacks = list(callbacks)
        # the training step recorded once and replayed (rg.compile), or None: eager
        self.compiled_step = CompiledFunction(self._step) if compile else None
        self.history = History()
        self.epoch = 0
        self.epochs = 0
        self._batch_number = 0  # the batch of the epoch being trained, for messages
        self.stop_training = False

    @property
    def module(self) -> Any:
        """The model itself, out of its ``DistributedDataParallel`` if it has one: what
        checkpoints hold (they load without DDP), what pictures and summaries show."""
        model = self.model
        return model.module if isinstance(model, DistributedDataParallel) else model

    def fit(self, epochs: int, resume: str | os.PathLike | None = None) -> History:
        """Trains until ``epochs`` epochs in all are done (counting those of a resumed
        checkpoint), or a callback stops it. Returns the history."""
        if not isinstance(epochs, int) or epochs < 0:
            raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
        if resume is not None:
            self.load_checkpoint(resume)
        self.epochs, self.stop_training = epochs, False
        self._call("on_train_begin")
        try:
            while self.epoch < epochs and not self.stop_training:
                self._run_epoch(self.epoch + 1)
        finally:
            self._call("on_train_end")
        return self.history

    def _run_epoch(self, epoch: int) -> None:
        start = time.perf_counter()
        lr = self.optimizer.param_groups[0]["lr"]
        self._call("on_epoch_begin", epoch)
        self.model.train()
        for sampler in _epoch_samplers(self.train_loader):
            sampler.set_epoch(epoch - 1)  # DistributedSampler: a new order each epoch
        totals = _Totals(epoch)
        for step, batch in enumerate(self.train_loader, start=1):
            self._batch_number = step
            inputs, targets = _batch(batch, self.device)
            if self.compiled_step is not None:  # a replay reads nothing: the check comes after
                loss, output = self.compiled_step(inputs, targets)
                totals.add(loss, output, targets)
                if step % self.log_every == 0:
                    totals.read()
            else:
                self.optimizer.zero_grad()
                output = self.model(inputs)
                loss = self.loss_fn(output, targets)
                totals.add(loss, output, targets)
                loss.backward()
                self._before_step()
                if step % self.log_every == 0:  # a NaN loss or gradient raises here, before
                    self._check(totals.read(self._gradient_total()))  # this step's update
                self.optimizer.step()
            self._call("on_batch_end", step, totals.loss, totals.accuracy)
        totals.read()
        totals.reduce()
        if not totals.seen:
            raise ValueError("the training loader gave no batch this epoch (an empty data set, "
                             "or drop_last with fewer examples than batch_size): there is "
                             "nothing to train on")
        val_loss, val_acc = (evaluate(self.module, self.loss_fn, self.val_loader)
                             if self.val_loader is not None else (None, None))
        if val_loss is not None and not math.isfinite(val_loss):
            raise NonFiniteLossError(epoch, None, val_loss, "the validation loss")
        if isinstance(self.scheduler, ReduceLROnPlateau):
            self.scheduler.step(totals.loss if val_loss is None else val_loss)
        elif self.scheduler is not None:
            self.scheduler.step()
        record = {"epoch": epoch, "train_loss": totals.loss, "train_acc": totals.accuracy,
                  "val_loss": val_loss, "val_acc": val_acc, "lr": lr,
                  "time": time.perf_counter() - start}
        self.history.records.append(record)
        self.epoch = epoch
        self._call("on_epoch_end", epoch, record)

    def _step(self, inputs: Tensor, targets: Tensor) -> tuple[Tensor, Tensor]:
        """One training step, as ``compile=True`` records it: the loss and the output."""
        self.optimizer.zero_grad()
        output = self.model(inputs)
        loss = self.loss_fn(output, targets)
        loss.backward()
        self._update()
        return loss, output

    def _update(self) -> None:
        """After backward: the callbacks' seam, then the optimizer's step."""
        self._before_step()
        self.optimizer.step()

    def _before_step(self) -> None:
        self._call("on_after_backward")
        self._call("on_before_step")

    def _gradient_total(self) -> Any:
        """The sum of every gradient, a 0-d float64 array on the model's device (float64, so
        that large finite gradients do not overflow it), or None without gradients."""
        sums = [p.grad.array.sum(dtype="float64") for p in self.module.parameters()
                if p.grad is not None]
        return array_module(sums[0]).stack(sums).sum() if sums else None

    def _check(self, gradient_total: float | None) -> None:
        """A NaN or infinite gradient under a finite loss stops training before it reaches
        the weights, naming the first parameter that has one."""
        if gradient_total is None or math.isfinite(gradient_total):
            return
        for name, p in self.module.named_parameters():
            values = None if p.grad is None else backend_of(p.grad.array).to_host(p.grad.array)
            if values is not None and not np.isfinite(values).all():
                raise NonFiniteLossError(self.epoch + 1, self._batch_number,
                                         float(values[~np.isfinite(values)].flat[0]),
                                         f"the gradient of {name}")
        raise NonFiniteLossError(self.epoch + 1, self._batch_number, gradient_total,
                                 "the sum of the gradients")

    def _call(self, hook: str, *args: Any) -> None:
        rank = dist.get_rank() if dist.is_initialized() else 0
        for callback in self.callbacks:
            if rank == 0 or not callback.rank_zero_only:
                getattr(callback, hook)(self, *args)

    # -- checkpoints ----------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Everything a resume needs: model, optimizer, scheduler, epochs done, history, the
        callbacks' state and the random generators' states."""
        return {
            "epoch": self.epoch,
            "model": self.module.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": None if self.scheduler is None else self.scheduler.state_dict(),
            "history": self.history.records,
            "callbacks": [callback.state_dict() for callback in self.callbacks],
            "rng": self._generator_states(),
        }

    def _generator_states(self) -> dict[str, Any]:
        states = {"global": default_generator.get_state(),
                  "loaders": [g.get_state() for g in _loader_generators(self.train_loader,
                                                                        self.val_loader)]}
        if dist.is_initialized() and dist.get_world_size() > 1:  # every rank draws its own
            ranks: list = [None] * dist.get_world_size()
            dist.all_gather_object(ranks, states)
            states = {**ranks[0], "ranks": ranks}
        return states

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restores what ``state_dict`` returned (the same model, optimizer, scheduler,
        callbacks and loaders must have been built first)."""
        missing = {"epoch", "model", "optimizer", "history", "rng"} - set(state)
        if missing:
            raise ValueError(f"not a training checkpoint: it lacks {sorted(missing)} (a bare "
                             f"state_dict goes into model.load_state_dict instead)")
        self.module.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state.get("scheduler") is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        for callback, saved in zip(self.callbacks, state.get("callbacks", [])):
            callback.load_state_dict(saved)
        rng = state["rng"]
        world = dist.get_world_size() if dist.is_initialized() else 1
        if len(rng.get("ranks", [rng])) != world:
            raise ValueError(f"the checkpoint was saved by a run of {len(rng.get('ranks', [rng]))} "
                             f"process(es), this one has {world}: resume it with as many to go "
                             f"on exactly")
        if world > 1:
            rng = rng["ranks"][dist.get_rank()]
        generators = _loader_generators(self.train_loader, self.val_loader)
        if len(generators) != len(rng["loaders"]):
            raise ValueError(f"the checkpoint saved {len(rng['loaders'])} loader "
                             f"generators, these loaders have {len(generators)}: build the "
                             f"loaders as in the saved run to resume it exactly")
        default_generator.set_state(rng["global"])
        for generator, saved in zip(generators, rng["loaders"]):
            generator.set_state(saved)
        self.history = History(state["history"])
        self.epoch = state["epoch"]

    def save_checkpoint(self, path: str | os.PathLike, **extra: Any) -> None:
        """Saves ``state_dict()`` (and ``extra`` entries, e.g. a configuration) atomically; in
        a distributed run every rank must call it, and rank 0 writes the file."""
        state = self.state_dict()
        if not dist.is_initialized() or dist.get_rank() == 0:
            save({**state, **extra}, path)

    def load_checkpoint(self, path: str | os.PathLike) -> dict[str, Any]:
        """Restores a checkpoint written by ``save_checkpoint``; returns the whole dict."""
        state = load(path, map_location=self.device)
        self.load_state_dict(state)
        return state


def fit(model, loss_fn: LossFn, optimizer, train_loader: Iterable, epochs: int,
        val_loader: Iterable | None = None, scheduler=None, callbacks: Sequence[Callback] = (),
        resume: str | os.PathLike | None = None, device: DeviceLike = None,
        log_every: int | None = None, compile: bool = False) -> History:
    """Trains ``model`` for ``epochs`` epochs and returns the per-epoch ``History``.

    Args:
        model: an ``rg.nn.Module``; it gets batches of inputs, e.g. (N, features).
        loss_fn: ``loss_fn(output, targets)`` -> a scalar Tensor averaged over the batch, e.g.
            ``F.cross_entropy`` with output (N, C) and targets (N,) class indices.
        optimizer: an ``rg.optim`` optimizer over the model's parameters.
        train_loader: yields ``(inputs, targets)`` batches (e.g. a ``DataLoader``).
        epochs: the total number of epochs, counting those already in a resumed checkpoint.
        val_loader: evaluated after each epoch (val_loss, val_acc in the history).
        scheduler: an ``rg.optim.lr_scheduler`` scheduler, stepped once per epoch
            (``ReduceLROnPlateau`` with the validation loss, or the training loss without one).
        callbacks: ``EarlyStopping``, ``ModelCheckpoint``, ``ProgressBar`` or your own.
        resume: a checkpoint written by ``ModelCheckpoint``/``Trainer.save_checkpoint`` in a run
            with the same configuration: training goes on from its epoch, exactly.
        device: where to train ("cpu", "cuda"...): the model is moved there first. By default
            it trains where its parameters are. Tensors of each batch go to the model's device.
        log_every: the per-batch losses and accuracies stay on the model's device and are read
            (one device sync) every ``log_every`` steps and at the end of each epoch: the
            callbacks' ``on_batch_end`` gets the running means of the latest read. Default: 1
            on the CPU (reading costs nothing there), 50 on a GPU.
        compile: record the training step once and replay it (``rg.compile``): the same
            results, without the cost of Python per operation. A step that cannot be replayed
            runs eagerly, with a warning that says why.

    Raises ``NonFiniteLossError`` (saying which epoch and step) when the loss becomes NaN or
    infinite, at the first read that sees it. With ``log_every=1`` (the CPU's default), the
    parameters are left as they were before that step; otherwise (and with ``compile=True``,
    which reads the loss after the step) the updates of the steps since the previous read have
    been made. It is raised too, before the update, when a gradient is NaN or infinite under a
    finite loss (checked at the same reads; not with ``compile=True``: the next loss shows
    it), and when the
    validation loss is (it would silently defeat early stopping and best-model selection).
    An epoch of no batch (an empty data set) raises ValueError.
    """
    trainer = Trainer(model, loss_fn, optimizer, train_loader, val_loader, scheduler, callbacks,
                      device, log_every, compile)
    return trainer.fit(epochs, resume)

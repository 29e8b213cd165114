"""What each command of ``retrograd`` does, given its parsed flags (see ``main.py``)."""
from __future__ import annotations

import argparse
import contextlib
import csv
import errno
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from .. import __version__
from .. import distributed as dist
from ..backend import backend_for
from ..check.diagnose import DiagnosisCallback
from ..creation import zeros
from ..datasets import available
from ..device import as_device, checked_index, device
from ..nn import summary
from ..nn.parallel import DistributedDataParallel
from ..serialization import load
from ..train import EarlyStopping, ModelCheckpoint, NonFiniteLossError, ProgressBar, Trainer
from ..train import evaluate as evaluate_model
from . import plots
from .errors import ConfigError
from .experiment import (
    DEFAULTS,
    INITIALISATION,
    PLANNED_SCHEDULES,
    Data,
    build_loss,
    build_optimizer,
    build_scheduler,
    check_saved_config,
    complete,
    describe_optimizer,
    describe_schedule,
    evaluation_loader,
    has_test_set,
    load_data,
    loaders,
    read_saved_model,
)
from .models import build_model, describe
from .run_folder import FolderInUseError, claim, new_folder, release

CHECKPOINT = "checkpoint.npz"
LAUNCHED = "RETROGRAD_NPROC_LAUNCHED"  # set by `train --nproc N` in the processes it starts
DIAGNOSIS_EXAMPLES = 256  # the fixed batch of --diagnose: the first training examples
# Checkpoints store it: before it, digits' and MNIST's validation set was their test set, so a
# run saved then cannot go on with the split of today.
DATA_SPLIT = 2
TEST = "test (evaluated once, after training)"


class CommandError(Exception):
    """A problem to report to the user in one line (the command then exits with status 1)."""


def _given(args: argparse.Namespace) -> dict[str, Any]:
    """The configuration flags the user gave (those left out are None)."""
    return {key: value for key, value in vars(args).items()
            if key in DEFAULTS and value is not None}


def _write_json(path: str, content: dict[str, Any]) -> None:
    with open(path, "w") as file:
        json.dump(content, file, indent=2)
        file.write("\n")


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table: the first column (the rows' names) and text left-aligned, columns of
    numbers right-aligned."""
    cells = [list(map(str, header))] + [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    numeric = [i > 0 and all(_is_number(row[i]) for row in cells[1:])
               for i in range(len(header))]
    return "\n".join("  ".join(cell.rjust(width) if right else cell.ljust(width)
                               for cell, width, right in zip(row, widths, numeric)).rstrip()
                     for row in cells)


def _is_number(text: str) -> bool:
    try:
        float(text.rstrip("%"))
    except ValueError:
        return text in ("-", "diverged")
    return True


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}%"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _device(args: argparse.Namespace) -> device:
    """The device of --device, checked now: a missing GPU is reported before any work."""
    try:
        target = as_device(args.device)
        if target.type != "cpu":
            checked_index(backend_for(target.type), target)
    except RuntimeError as error:
        raise CommandError(f"--device {args.device}: {error}") from None
    return target


def make_trainer(config: dict[str, Any], data: Data, callbacks: Sequence = (),
                 target: device | None = None, compile: bool = False) -> Trainer:
    """A Trainer for ``config`` on ``data`` (on ``target``, default the CPU): loaders, model,
    loss, optimizer, schedule; ``compile``: its step replayed by rg.compile. In a distributed
    run (``--nproc``) the model trains inside ``DistributedDataParallel``."""
    train_loader, val_loader = loaders(data, config)
    model = build_model(config, data.input_shape, data.n_classes)
    optimizer = build_optimizer(config, model)
    if dist.is_initialized() and dist.get_world_size() > 1:
        model = DistributedDataParallel(model)
    return Trainer(model, build_loss(config, data.n_classes), optimizer, train_loader,
                   val_loader, build_scheduler(config, optimizer), callbacks, device=target,
                   compile=compile)


# -- retrograd train ----------------------------------------------------------------------------

def _resumed_config(checkpoint: Any, given: dict[str, Any], path: str) -> dict[str, Any]:
    """The configuration of the run saved in ``checkpoint``; of the flags given, only --epochs
    and --patience may change it (anything else would not be the same run), and --epochs not
    past the end of a cosine or poly schedule (the lr would rise again, or stay at 0)."""
    config = checkpoint.get("config") if isinstance(checkpoint, dict) else None
    if not isinstance(config, dict):
        raise CommandError(f"{path} is not a checkpoint of `retrograd train` (it holds no "
                           f"configuration), so it cannot be resumed")
    weights = checkpoint.get("model")
    check_saved_config(config, weights if isinstance(weights, dict) else {}, path)
    config = complete(config)
    if checkpoint.get("data_split") != DATA_SPLIT and has_test_set(config["dataset"]):
        raise CommandError(f"{path} was saved by an older retrograd, which validated on the "
                           f"test set of {config['dataset']}; this one keeps a validation part "
                           f"of the training data, so the run cannot go on: start a new run")
    for key, value in given.items():
        if key not in ("epochs", "patience") and value != config[key]:
            raise ConfigError(f"--{key.replace('_', '-')} {value} differs from the run saved "
                              f"in {path} ({config[key]}): a resumed run keeps its "
                              f"configuration; drop the flag, or start a new run")
    epochs = given.get("epochs", config["epochs"])
    if epochs > config["epochs"] and config["schedule"] in PLANNED_SCHEDULES:
        past_the_end = "rise again" if config["schedule"] == "cosine" else "stay at 0"
        raise ConfigError(f"--epochs {epochs}: the {config['schedule']} schedule of the run "
                          f"saved in {path} was planned for {config['epochs']} epochs and ends "
                          f"there; past its end the lr would {past_the_end}: start a new run "
                          f"with --epochs {epochs}, or train with --schedule none, step, "
                          f"multistep or exponential, which can go on")
    return {**config, **{key: given[key] for key in ("epochs", "patience") if key in given}}


def _summary(trainer: Trainer, seconds: float, test: dict[str, Any] | None) -> str:
    """The table of the last epoch (and of the test set), then the best validation epoch."""
    records = trainer.history.records
    last = records[-1]
    rows = [["training", _number(last["train_loss"]), _percent(last["train_acc"])],
            ["validation", _number(last["val_loss"]), _percent(last["val_acc"])]]
    if test is not None:
        rows.append([TEST, _number(test["loss"]), _percent(test["accuracy"])])
    lines = [_table(["after epoch " + str(last["epoch"]), "loss", "accuracy"], rows)]
    accuracies = [r["val_acc"] for r in records if r["val_acc"] is not None]
    if accuracies:
        best = max(records, key=lambda r: r["val_acc"] if r["val_acc"] is not None else -1)
        lines.append(f"best validation accuracy {_percent(best['val_acc'])} at epoch "
                     f"{best['epoch']}; {len(records)} epochs in all, this session took "
                     f"{seconds:.1f} s")
    return "\n".join(lines)


def _test(trainer: Trainer, data: Data, config: dict[str, Any]) -> dict[str, Any] | None:
    """The loss and accuracy of the trained model on the test set (None without one): the
    one look at it, after training, so that it never chose anything."""
    if data.X_test is None or data.y_test is None:
        return None
    loss, accuracy = evaluate_model(trainer.module, build_loss(config, data.n_classes),
                                    evaluation_loader(data.X_test, data.y_test))
    return {"split": TEST, "epoch": trainer.history.records[-1]["epoch"],
            "examples": len(data.y_test), "loss": loss, "accuracy": accuracy}


def _write_run(trainer: Trainer, data: Data, config: dict[str, Any], out: str) -> list[str]:
    """metrics.csv and the pictures of a run; returns the file names written."""
    trainer.history.to_csv(os.path.join(out, "metrics.csv"))
    pictures = plots.training_curves(trainer.history.records, out)
    if data.n_features == 2 and trainer.history.records:
        accuracy = trainer.history.records[-1]["val_acc"]
        picture = plots.decision_boundary(
            trainer.module, data.X_val, data.y_val, os.path.join(out, "decision_boundary.png"),
            f"{config['dataset']}: validation accuracy {_percent(accuracy)}")
        pictures += [picture] if picture else []
    written = ["metrics.csv"] + [os.path.basename(path) for path in pictures]
    for callback in trainer.callbacks:
        if isinstance(callback, DiagnosisCallback):
            written += _write_gradient_norms(callback, trainer.module, out)
    return written


def _diagnosis(args: argparse.Namespace, config: dict[str, Any], data: Data,
               out: str) -> list[DiagnosisCallback]:
    """The callback of --diagnose (none without it), on the first training examples."""
    if not (args.diagnose or args.diagnose_epochs):
        return []
    last = config["epochs"]
    epochs = args.diagnose_epochs or [1, (last + 1) // 2, last]
    beyond = [epoch for epoch in epochs if epoch > last]
    if beyond:
        raise ConfigError(f"--diagnose-epochs {','.join(map(str, beyond))}: the run has "
                          f"{last} epochs; choose epochs from 1 to {last}")
    batch = (data.X_train[:DIAGNOSIS_EXAMPLES], data.y_train[:DIAGNOSIS_EXAMPLES])
    return [DiagnosisCallback(batch, epochs, os.path.join(out, "diagnosis"))]


def _write_gradient_norms(diagnosis: DiagnosisCallback, model: Any, out: str) -> list[str]:
    """diagnosis/grad_norms.csv (every parameter) and grad_norms.png (the weight matrices): the
    mean |grad| of each epoch's steps."""
    epochs, norms = diagnosis.epochs_seen, diagnosis.grad_norms
    if not epochs:
        return []
    os.makedirs(os.path.join(out, "diagnosis"), exist_ok=True)
    with open(os.path.join(out, "diagnosis", "grad_norms.csv"), "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["epoch", *norms])
        writer.writerows([epoch, *(values[i] for values in norms.values())]
                         for i, epoch in enumerate(epochs))
    shapes = {name: param.shape for name, param in model.named_parameters()}
    weights = {name: values for name, values in norms.items() if len(shapes[name]) >= 2}
    picture = plots.gradient_norm_curves(epochs, weights or norms,
                                         os.path.join(out, "grad_norms.png"),
                                         "gradient norm of each layer's weights")
    return ["diagnosis/"] + ([os.path.basename(picture)] if picture else [])


def _launch_processes(args: argparse.Namespace) -> int:
    """``retrograd train --nproc N``, first call: the same command in N processes under
    mpiexec, which all write to one run folder (chosen here, so that they agree)."""
    mpiexec = _mpiexec()
    command = list(args.argv)
    if not args.out and not args.resume:
        command += ["--out", new_folder(os.path.join("runs", complete(_given(args))["dataset"]))]
    return subprocess.run([str(mpiexec), "-n", str(args.nproc), sys.executable, "-m",
                           "retrograd", *command], env={**os.environ, LAUNCHED: "1"}).returncode


def _join_processes(args: argparse.Namespace) -> None:
    """A process of ``--nproc N``: joins the others; only rank 0 prints."""
    dist.init_process_group("mpi")
    if dist.get_world_size() != args.nproc:
        raise CommandError(f"--nproc {args.nproc}, but MPI started {dist.get_world_size()} "
                           f"process(es)")
    if dist.get_rank() != 0:
        sys.stdout = open(os.devnull, "w")


def train(args: argparse.Namespace) -> int:
    """``retrograd train``: trains (or resumes) one run and writes its folder; exit status.
    With ``--nproc N``, in N processes, data-parallel."""
    if args.nproc > 1:
        if args.device != "cpu":
            raise ConfigError("--nproc trains on the CPU (MPI moves host memory); drop --device")
        if LAUNCHED not in os.environ:
            return _launch_processes(args)
        _join_processes(args)
        try:
            return _train(args)
        except BaseException as error:  # reported on this rank; the others may be waiting
            message = " ".join(str(error).split()) or type(error).__name__
            print(f"retrograd train: error on rank {dist.get_rank()}: {message}",
                  file=sys.stderr)
            dist.abort(1)
    return _train(args)


def _header(config: dict[str, Any], data: Data, processes: int, target: device) -> str:
    """What is trained, on what, and how: the lines printed before the first epoch."""
    examples = f"{len(data.y_train)} training and {len(data.y_val)} validation examples"
    if data.X_test is not None and data.y_test is not None:
        examples = (f"{len(data.y_train)} training, {len(data.y_val)} validation and "
                    f"{len(data.y_test)} test examples (the test set is evaluated once, after "
                    f"training)")
    batch = f"batch {config['batch_size']}" + ("" if processes == 1 else (
        f" per process, {processes} processes (batch {processes * config['batch_size']} in "
        f"all)"))
    if processes * config["batch_size"] >= len(data.y_train):
        batch += (f" (at least the {len(data.y_train)} training examples: each step takes the "
                  f"whole training set, one step per epoch)")
    return "\n".join([
        f"training {describe(config)} on {config['dataset']}: {examples}",
        f"{describe_optimizer(config)}, {batch}, {config['epochs']} epochs; "
        f"{describe_schedule(config)}",
        f"initial weights: {INITIALISATION}, seed {config['seed']}"
        + ("" if target.type == "cpu" else f"; on {target}")])


def _schedule_note(config: dict[str, Any], saved_epochs: int) -> str | None:
    """For a resumed run given more epochs: what its schedule does past the planned ones."""
    if config["epochs"] <= saved_epochs or config["schedule"] == "none":
        return None
    return (f"note: the {describe_schedule({**config, 'epochs': saved_epochs})}, built for "
            f"{saved_epochs} epochs, goes on as built up to epoch {config['epochs']}")


def _train(args: argparse.Namespace) -> int:
    given = _given(args)
    target = _device(args)
    checkpoint = None
    if args.resume:
        checkpoint = load(args.resume, map_location=target)
        config = _resumed_config(checkpoint, given, args.resume)
        out = args.out or os.path.dirname(args.resume) or "."
    else:
        config = complete(given)
        out = args.out or new_folder(os.path.join("runs", config["dataset"]))
    writes = not dist.is_initialized() or dist.get_rank() == 0  # one process writes the folder
    created = writes and (not os.path.exists(out) or not args.out and not args.resume)
    try:  # claimed first: a second run into this folder is refused before it writes anything
        lock = claim(out) if writes else None
    except FolderInUseError as error:
        raise CommandError(str(error)) from None
    saver = ModelCheckpoint(os.path.join(out, CHECKPOINT), extra={
        "config": config, "data_split": DATA_SPLIT, "retrograd_version": __version__})
    try:
        if not args.resume and os.path.exists(os.path.join(out, CHECKPOINT)):
            raise ConfigError(f"--out {out} already holds a run ({CHECKPOINT}): choose another "
                              f"--out, or continue that run with --resume "
                              f"{os.path.join(out, CHECKPOINT)}")
        data = load_data(config)
        diagnosis = _diagnosis(args, config, data, out)
        return _run(args, config, data, checkpoint, [saver, *diagnosis], out, writes, target)
    except BaseException:
        if created and not saver.last_saved_epoch:  # nothing of this run worth keeping
            shutil.rmtree(out, ignore_errors=True)
            if not args.out:  # and runs/, if that was all it held
                with contextlib.suppress(OSError):
                    os.rmdir(os.path.dirname(out))
        raise
    finally:
        if lock is not None:
            release(lock)


def _run(args: argparse.Namespace, config: dict[str, Any], data: Data, checkpoint: Any,
         callbacks: list, out: str, writes: bool, target: device) -> int:
    """The training of ``_train``, in its run folder ``out``; ``callbacks``: the checkpoint
    saver, then those of --diagnose."""
    saver = callbacks[0]
    # early stopping updates its state before the checkpoint saves it: a resume sees it whole;
    # the diagnosis comes last: the other callbacks keep their places in a resumed checkpoint
    stopper = [EarlyStopping(patience=config["patience"])] if config["patience"] else []
    trainer = make_trainer(config, data, [ProgressBar(), *stopper, *callbacks], target,
                           args.compile)
    processes = dist.get_world_size() if dist.is_initialized() else 1
    if checkpoint is not None:
        trainer.load_state_dict(checkpoint)
    if writes:
        _write_json(os.path.join(out, "config.json"), config)
    print(_header(config, data, processes, target), flush=True)
    if checkpoint is not None:
        note = _schedule_note(config, checkpoint["config"]["epochs"])
        if note:
            print(note, flush=True)
    example = zeros(config["batch_size"], *data.input_shape, device=target)
    print(summary(trainer.module, input_data=example, verbose=0), flush=True)
    start = time.perf_counter()
    try:
        trainer.fit(config["epochs"])
    except NonFiniteLossError as error:
        if writes:
            _write_run(trainer, data, config, out)
        kept = (f"the last good checkpoint, from epoch {saver.last_saved_epoch}, is "
                f"{saver.path}" if saver.last_saved_epoch else "no epoch finished, so no "
                "checkpoint was written")
        raise CommandError(f"{error}; {kept}") from None
    except KeyboardInterrupt:
        if writes:
            _write_run(trainer, data, config, out)
        if saver.last_saved_epoch:
            print(f"stopped after epoch {saver.last_saved_epoch}; go on with: retrograd train "
                  f"--resume {saver.path}", file=sys.stderr)
        raise
    test = _test(trainer, data, config)
    written = _write_run(trainer, data, config, out) if writes else []
    if writes and test is not None:
        _write_json(os.path.join(out, "test.json"), test)
        written.append("test.json")
    print(_summary(trainer, time.perf_counter() - start, test))
    print(f"run folder {out}: {', '.join(['config.json', CHECKPOINT] + written)}")
    return 0


# -- retrograd sweep ----------------------------------------------------------------------------

def sweep(args: argparse.Namespace) -> int:
    """``retrograd sweep``: one run per learning rate and batch size, a table and a figure."""
    base = complete(_given(args))
    target = _device(args)
    out = args.out or new_folder(os.path.join("runs", f"sweep-{base['dataset']}"))
    data = load_data(base)
    os.makedirs(out, exist_ok=True)
    _write_json(os.path.join(out, "config.json"),
                {**base, "lrs": args.lrs, "batch_sizes": args.batch_sizes})
    setting = (f"{describe_optimizer(base, lr=False)}; {describe_schedule(base)}, "
               f"{base['epochs']} epochs")
    print(f"sweep on {base['dataset']}: {len(args.lrs)} learning rates x "
          f"{len(args.batch_sizes)} batch sizes; {setting} each", flush=True)
    runs, rows = [], []
    for lr in args.lrs:
        for batch_size in args.batch_sizes:
            config = {**base, "lr": lr, "batch_size": batch_size}
            stopper = [EarlyStopping(patience=config["patience"])] if config["patience"] else []
            # the bar on a terminal; in a log, the one line per run below is enough
            bar = [ProgressBar()] if sys.stdout.isatty() else []
            trainer = make_trainer(config, data, bar + stopper, target, args.compile)
            start = time.perf_counter()
            try:
                trainer.fit(config["epochs"])
                diverged = ""
            except NonFiniteLossError as error:
                diverged = f"epoch {error.epoch}, step {error.step}"
            records = trainer.history.records
            last = records[-1] if records else dict.fromkeys(("train_loss", "val_loss",
                                                              "val_acc"))
            row = {"lr": lr, "batch_size": batch_size, "epochs": len(records),
                   "train_loss": last["train_loss"], "val_loss": last["val_loss"],
                   "val_acc": last["val_acc"],
                   "best_val_acc": max((r["val_acc"] for r in records), default=None),
                   "seconds": round(time.perf_counter() - start, 3), "diverged_at": diverged}
            rows.append(row)
            runs.append({"lr": lr, "batch_size": batch_size, "records": records,
                         "diverged": bool(diverged)})
            print(f"  lr {lr:<8g} batch {batch_size:<5d} "
                  + (f"diverged at {diverged}" if diverged else
                     f"train_loss {_number(row['train_loss'])}  val_acc "
                     f"{_percent(row['val_acc'])}") + f"  ({row['seconds']:.1f} s)", flush=True)
    with open(os.path.join(out, "sweep.csv"), "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    figure = plots.sweep_curves(runs, os.path.join(out, "sweep.png"),
                                f"{base['dataset']}, {describe(base)}: {setting}")

    def grid(metric: str, show) -> str:
        by_run = {(row["lr"], row["batch_size"]): row for row in rows}
        return _table([metric + " (rows: lr)"] + [f"batch {b}" for b in args.batch_sizes],
                      [[f"{lr:g}"] + [("diverged" if by_run[lr, b]["diverged_at"] else
                                       show(by_run[lr, b][metric])) for b in args.batch_sizes]
                       for lr in args.lrs])

    print(grid("val_acc", _percent))
    print(grid("train_loss", _number))
    print(f"results in {out}: sweep.csv" + (", sweep.png" if figure else ""))
    return 0


# -- retrograd eval ------------------------------------------------------------------------------

def evaluate(args: argparse.Namespace) -> int:
    """``retrograd eval``: the loss and accuracy of a saved model on a data set."""
    target = _device(args)
    weights, saved_config = read_saved_model(args.checkpoint, target)
    config = complete(_given(args), saved=saved_config)
    data = load_data(config)
    model = build_model(config, data.input_shape, data.n_classes)
    if target.type != "cpu":
        model.to(target)
    try:
        model.load_state_dict(weights)
    except (RuntimeError, TypeError) as error:
        trained_on = f" (trained on {saved_config['dataset']})" if saved_config else ""
        raise CommandError(f"{args.checkpoint}{trained_on} does not fit "
                           f"{describe(config, details=False)} for {config['dataset']} "
                           f"({data.n_features} features, {data.n_classes} classes): "
                           f"{error}") from None
    if args.split == "test" and data.X_test is None:
        raise ConfigError(f"--split test: {config['dataset']} has no test set (digits, mnist "
                          f"and fashion-mnist have one); use --split val")
    X, y, split = {"val": (data.X_val, data.y_val, "validation"),
                   "train": (data.X_train, data.y_train, "training"),
                   "test": (data.X_test, data.y_test, "test")}[args.split]
    assert X is not None and y is not None  # the split exists (checked above)
    loss, accuracy = evaluate_model(model, build_loss(config, data.n_classes),
                                    evaluation_loader(X, y))
    print(_table(["checkpoint", "data set", "examples", config["loss"], "accuracy"],
                 [[args.checkpoint, f"{config['dataset']} ({split})", len(y), _number(loss),
                   _percent(accuracy)]]))
    return 0


# -- retrograd datasets ----------------------------------------------------------------------------

def datasets(args: argparse.Namespace) -> int:
    """``retrograd datasets``: the table of the data sets, with their sizes."""
    rows = [[info.name.replace("_", "-"), info.n_samples, info.n_features, info.n_classes,
             info.description + (" (needs --data-dir)" if info.needs_root else "")]
            for info in available().values()]
    print(_table(["name", "examples", "features", "classes", "description"], rows))
    return 0


# -- retrograd run -------------------------------------------------------------------------------

def _mpiexec() -> Path:
    """The mpiexec installed beside this Python (by the mpich wheel)."""
    mpiexec = Path(sys.executable).parent / "mpiexec"
    if not mpiexec.is_file():
        raise CommandError(f"no mpiexec beside {sys.executable}: "
                           f"pip install 'retrograd[distributed]'")
    return mpiexec


def run(args: argparse.Namespace) -> int:
    """``retrograd run -n N SCRIPT [ARGS...]``: SCRIPT in N processes under MPI (the mpiexec
    installed beside this Python by the mpich wheel); returns mpiexec's exit status."""
    mpiexec = _mpiexec()
    if not os.path.isfile(args.script):
        raise CommandError(f"{args.script}: no such script")
    command = [str(mpiexec), "-n", str(args.n), sys.executable, args.script, *args.args]
    return subprocess.run(command).returncode


def playground(args: argparse.Namespace) -> int:
    """``retrograd playground``: the page until Ctrl-C (main reports the interrupt: 130)."""
    from ..live import playground as serve  # the web server, only for this command

    try:
        serve(data=args.data, port=args.port, open_browser=not args.no_browser)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise CommandError(f"port {args.port} is in use: choose another with --port (0: any "
                               "free port)") from None
        raise
    return 0

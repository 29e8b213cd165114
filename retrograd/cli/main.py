"""``retrograd``: the command line (also ``python -m retrograd``).

    retrograd train                        # an MLP on circles, in seconds
    retrograd train --dataset digits --hidden 128 --optimizer adam --lr 1e-3
    retrograd train --dataset mnist --device cuda   # on a GPU (CuPy installed)
    retrograd sweep --lrs 0.01,0.1,1 --batch-sizes 16,64,256
    retrograd eval runs/circles-20250101-120000/checkpoint.npz
    retrograd datasets
    retrograd check my_network.py          # checks the gradients of a hand-written backward
    retrograd explain "(u + v) * w" --at u=2,v=3,w=4   # backprop step by step, and its graph
    retrograd run -n 2 train_ddp.py        # a script in 2 processes over MPI (data-parallel)
    retrograd playground                   # a live training page in the browser

Every hyper-parameter is a flag; ``retrograd COMMAND --help`` lists them with their defaults.
Bad input ends with one line on stderr and a non-zero exit status (2 for a bad command line,
1 for a problem met while running), never a traceback.
"""
from __future__ import annotations

import argparse
import math
import sys
from typing import Callable, NoReturn, Sequence

import numpy as np

from .. import __version__
from ..check import cli as check_cli
from ..explain import cli as explain_cli
from ..threads import set_num_threads
from ..train import NonFiniteLossError
from . import commands
from .errors import ConfigError
from .experiment import DATASET_DEFAULTS, DEFAULTS, LOSSES, OPTIMIZERS, SCHEDULES, dataset_name
from .models import ACTIVATIONS, MODEL_DEFAULTS, MODELS, POOLS

EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


class Parser(argparse.ArgumentParser):
    """argparse, except that a bad command line gets one line on stderr, not the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# -- checked types of the flags' values ---------------------------------------------------------

def _number(kind: type, low: float | None = None, low_inclusive: bool = True,
            high: float | None = None, what: str = "") -> Callable[[str], float]:
    """An argparse type: a ``kind`` (int or float) number in the given range."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None
        too_low = low is not None and (value < low if low_inclusive else value <= low)
        if too_low or (high is not None and value >= high) or not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text} is out of range: expected {what}")
        return value

    return parse


positive = _number(float, 0, False, what="a finite number > 0")
non_negative = _number(float, 0, what="a finite number >= 0")
positive_int = _number(int, 1, what="an integer >= 1")
fraction = _number(float, 0, False, 1, what="a number strictly between 0 and 1")
momentum = _number(float, 0, True, 1, what="a number in [0, 1)")


def _list_of(item: Callable[[str], float]) -> Callable[[str], list]:
    """An argparse type: comma-separated values, each checked by ``item``."""

    def parse(text: str) -> list:
        parts = [part.strip() for part in text.split(",")]
        if not all(parts):
            raise argparse.ArgumentTypeError(f"{text!r} has an empty value: give values "
                                             f"separated by single commas, e.g. 64,64")
        return [item(part) for part in parts]

    return parse


def _choice(choices: Sequence[str]) -> Callable[[str], str]:
    """An argparse type: one of ``choices``, written with - or _ as the user likes."""

    def parse(text: str) -> str:
        value = text.strip().lower().replace("-", "_")
        if value not in choices:
            raise argparse.ArgumentTypeError(f"unknown value {text!r}: choose one of "
                                             f"{', '.join(choices)}")
        return value

    return parse


def _dataset(text: str) -> str:
    """An argparse type: a data set of the registry, by its name or one written with -."""
    try:
        return dataset_name(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


# -- the parser -------------------------------------------------------------------------------

def _add_compute_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default="cpu", metavar="DEVICE",
                        help="where to compute: cpu, or cuda / cuda:N on an NVIDIA GPU with "
                        "CuPy installed (default: cpu)")
    parser.add_argument("--threads", type=positive_int, metavar="N",
                        help="threads of NumPy's matrix products (default: 1, or what "
                        "RETROGRAD_NUM_THREADS / OMP_NUM_THREADS say; more pays only for large "
                        "networks on an idle machine)")


def _add_data_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("data")
    group.add_argument("--dataset", type=_dataset, metavar="NAME",
                       help="the data set: circles (default), moons, spirals, blobs, xor, digits, "
                       "mnist, fashion-mnist (see `retrograd datasets`)")
    group.add_argument("--data-dir", metavar="DIR",
                       help="the folder holding the MNIST / Fashion-MNIST IDX files (default: "
                       f"{DEFAULTS['data_dir']})")
    group.add_argument("--samples", type=positive_int, metavar="N",
                       help="examples to generate for circles, moons, spirals, blobs, xor "
                       "(default: 1000)")
    group.add_argument("--val-fraction", type=fraction, metavar="F",
                       help="the part of the training data kept for validation, which chooses "
                       "between epochs and settings (digits and MNIST also have a test set, "
                       f"evaluated once, after training; default: {DEFAULTS['val_fraction']})")
    group.add_argument("--seed", type=int, metavar="N",
                       help="seeds the data, the initial weights and the shuffling: same seed, "
                       f"same run, bit for bit (default: {DEFAULTS['seed']})")


def _add_model_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model")
    group.add_argument("--model", type=_choice(MODELS), metavar="NAME",
                       help="mlp (default) | lenet (LeNet-5, on images) | cnn (convolution "
                       "blocks then an MLP head, on images)")
    per_dataset = "; ".join(f"{name}: {','.join(map(str, table['hidden']))}"
                            for name, table in DATASET_DEFAULTS.items() if "hidden" in table)
    group.add_argument("--hidden", type=_list_of(positive_int), metavar="SIZES",
                       help="hidden layer sizes of the mlp or of the cnn's head, comma-separated "
                       f"(default: {','.join(map(str, DEFAULTS['hidden']))}; {per_dataset})")
    group.add_argument("--channels", type=_list_of(positive_int), metavar="SIZES",
                       help="cnn: the output channels of its convolution blocks (each: "
                       "convolution, activation, 2x2 pooling), comma-separated (default: "
                       f"{','.join(map(str, DEFAULTS['channels']))})")
    group.add_argument("--kernel-size", type=positive_int, metavar="K",
                       help="cnn: the side of its convolution kernels, padded by K // 2 "
                       f"(default: {DEFAULTS['kernel_size']})")
    group.add_argument("--pool", type=_choice(POOLS), metavar="NAME",
                       help=f"lenet, cnn: {' | '.join(POOLS)} pooling (default: "
                       f"{DEFAULTS['pool']})")
    group.add_argument("--activation", type=_choice(tuple(ACTIVATIONS)), metavar="NAME",
                       help=f"{' | '.join(ACTIVATIONS)} (default: {DEFAULTS['activation']})")
    group.add_argument("--loss", type=_choice(LOSSES), metavar="NAME",
                       help="cross_entropy (default) | nll (adds LogSoftmax to the model) | "
                       "multi_margin (the multiclass SVM hinge) | mse (onto one-hot labels)")


def _per_model(key: str) -> str:
    """'; lenet: 0.05; cnn: 0.05': the models' own defaults for ``key``, for --help."""
    return "".join(f"; {model}: {table[key]:g}" for model, table in MODEL_DEFAULTS.items()
                   if key in table)


def _add_training_flags(parser: argparse.ArgumentParser, grid: bool) -> None:
    group = parser.add_argument_group("training")
    group.add_argument("--optimizer", type=_choice(tuple(OPTIMIZERS)), metavar="NAME",
                       help=f"{' | '.join(OPTIMIZERS)} (default: {DEFAULTS['optimizer']})")
    if not grid:
        group.add_argument("--lr", type=positive,
                           help=f"the learning rate (default: {DEFAULTS['lr']}"
                           f"{_per_model('lr')})")
        group.add_argument("--batch-size", type=positive_int, metavar="N",
                           help=f"examples per step (default: {DEFAULTS['batch_size']})")
    group.add_argument("--compile", action="store_true",
                       help="record the training step once and replay it (rg.compile): the "
                       "same results, faster on small networks")
    group.add_argument("--momentum", type=momentum, help="momentum of sgd and rmsprop "
                       f"(default: {DEFAULTS['momentum']})")
    group.add_argument("--weight-decay", type=non_negative,
                       help=f"L2 penalty (default: {DEFAULTS['weight_decay']}"
                       f"{_per_model('weight_decay')})")
    defaults = ", ".join(f"{name}: {table['epochs']}" for name, table in DATASET_DEFAULTS.items())
    group.add_argument("--epochs", type=positive_int, metavar="N",
                       help=f"passes over the training data (default: {DEFAULTS['epochs']}; "
                       f"{defaults})")
    group.add_argument("--patience", type=positive_int, metavar="N",
                       help="stop early when the validation loss has not improved for this many "
                       "epochs (default: off)")
    schedule = parser.add_argument_group("learning-rate schedule (stepped once per epoch)")
    schedule.add_argument("--schedule", type=_choice(SCHEDULES), metavar="NAME",
                          help=f"{' | '.join(SCHEDULES)} (default: {DEFAULTS['schedule']})")
    schedule.add_argument("--step-size", type=positive_int, metavar="N",
                          help="step: epochs between decays (default: a third of the epochs)")
    schedule.add_argument("--milestones", type=_list_of(positive_int), metavar="EPOCHS",
                          help="multistep: the epochs of the decays, e.g. 60,90 (default: "
                          "half and three quarters of the epochs)")
    schedule.add_argument("--gamma", type=positive, help="step, multistep: factor of each decay "
                          "(default: 0.1); exponential: factor per epoch (default: 0.95)")
    schedule.add_argument("--power", type=non_negative,
                          help="poly: the power of the decay to 0 (default: 1.0)")
    schedule.add_argument("--min-lr", type=non_negative,
                          help="cosine: the learning rate at the end (default: 0)")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="retrograd", description="Train, compare and evaluate neural networks "
                    "with retrograd. `retrograd train` alone trains an MLP on the circles data "
                    "set in seconds.")
    parser.add_argument("--version", action="version", version=f"retrograd {__version__}")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    def add(name: str, help: str, description: str) -> argparse.ArgumentParser:
        return subcommands.add_parser(name, help=help, description=description)

    train = add("train", "train a model and write a run folder",
                "Train a model. Writes a run folder with config.json, metrics.csv (one row per "
                "epoch), checkpoint.npz (resumable) and pictures: loss.png, accuracy.png and, "
                "for 2-D data, decision_boundary.png.")
    _add_data_flags(train)
    _add_model_flags(train)
    _add_training_flags(train, grid=False)
    train.add_argument("--nproc", type=positive_int, default=1, metavar="N",
                       help="train data-parallel in N processes over MPI (pip install "
                       "'retrograd[distributed]'); --batch-size is per process (default: 1)")
    train.add_argument("--out", metavar="DIR",
                       help="the run folder (default: runs/<dataset>-<date>-<time>)")
    train.add_argument("--resume", metavar="CHECKPOINT",
                       help="go on with the run saved in CHECKPOINT exactly where it stopped "
                       "(after a crash or Ctrl-C); --epochs may raise its number of epochs, "
                       "except under the cosine and poly schedules, which end at the epochs "
                       "they were planned for (the others go on as they were built)")
    train.add_argument("--diagnose", action="store_true",
                       help="check the health of activations and gradients (rg.diagnose) on "
                       f"{commands.DIAGNOSIS_EXAMPLES} training examples as chosen epochs begin: "
                       "reports in diagnosis/epoch-N.txt and .json, per-layer gradient norms "
                       "over training in diagnosis/grad_norms.csv and grad_norms.png")
    train.add_argument("--diagnose-epochs", type=_list_of(positive_int), metavar="EPOCHS",
                       help="the epochs to diagnose, e.g. 1,5,10 (epoch 1: the network as "
                       "initialised; default: the first, middle and last; implies --diagnose)")
    _add_compute_flags(train)
    train.set_defaults(handler=commands.train)

    sweep = add("sweep", "train over a grid of learning rates and batch sizes",
                "Train the same model for every learning rate and batch size of a grid: one "
                "figure with the curves of all the runs (sweep.png) and a table of their final "
                "results (printed, and sweep.csv).")
    sweep.add_argument("--lrs", type=_list_of(positive), metavar="LRS",
                       default=[0.01, 0.1, 1.0],
                       help="the learning rates, comma-separated (default: 0.01,0.1,1)")
    sweep.add_argument("--batch-sizes", type=_list_of(positive_int), metavar="SIZES",
                       default=[16, 64, 256],
                       help="the batch sizes, comma-separated (default: 16,64,256)")
    _add_data_flags(sweep)
    _add_model_flags(sweep)
    _add_training_flags(sweep, grid=True)
    sweep.add_argument("--out", metavar="DIR",
                       help="the output folder (default: runs/sweep-<dataset>-<date>-<time>)")
    _add_compute_flags(sweep)
    sweep.set_defaults(handler=commands.sweep)

    evaluate = add("eval", "loss and accuracy of a saved model",
                   "Evaluate a checkpoint (from `retrograd train`, or a model state_dict saved "
                   "with rg.save) on a data set: by default the one it was trained on, its "
                   "validation/test part.")
    evaluate.add_argument("checkpoint", metavar="CHECKPOINT", help="the .npz file")
    evaluate.add_argument("--split", choices=("val", "train", "test"), default="val",
                          help="which part of the data set: val (the validation part of the "
                          "training data), train, or test (digits, MNIST: the data set's test "
                          "set; default: val)")
    _add_data_flags(evaluate)
    _add_model_flags(evaluate)
    _add_compute_flags(evaluate)
    evaluate.set_defaults(handler=commands.evaluate)

    listing = add("datasets", "list the data sets", "The data sets retrograd can train on.")
    listing.set_defaults(handler=commands.datasets)

    run = add("run", "run a script in N processes (data-parallel, over MPI)",
              "Run SCRIPT in N processes with mpiexec (pip install 'retrograd[distributed]'); "
              "in the script, retrograd.distributed.init_process_group() gives each its rank. "
              "Exits with mpiexec's status: non-zero when any process fails.")
    run.add_argument("-n", type=positive_int, required=True, metavar="N",
                     help="the number of processes")
    run.add_argument("script", metavar="SCRIPT", help="the Python script to run")
    run.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS",
                     help="the script's own arguments")
    run.set_defaults(handler=commands.run)

    page = add("playground", "a live training page in the browser",
               "Serve a page on 127.0.0.1 where a network trains live on 2-D data: the "
               "decision boundary, the curves, the gradients and rg.diagnose's warnings, the "
               "settings in the URL to share. Ctrl-C stops it.")
    page.add_argument("--port", type=_number(int, 0, high=65536, what="0..65535"),
                      default=8765, help="the port (default: 8765; 0: any free one)")
    page.add_argument("--no-browser", action="store_true", help="do not open a browser")
    page.add_argument("--data", metavar="CSV",
                      help="train on a CSV of two feature columns and a label")
    page.set_defaults(handler=commands.playground)
    check_cli.add_parser(subcommands)
    explain_cli.add_parser(subcommands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:  # --help, --version or a bad command line: already reported
        return exit.code  # type: ignore[return-value]  # argparse exits with an int
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    args.argv = list(sys.argv[1:] if argv is None else argv)  # `train --nproc` starts it again
    if getattr(args, "threads", None) is not None:
        set_num_threads(args.threads)
    try:
        # overflow on the way to a NaN loss is reported by the training loop, in one line
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return args.handler(args)
    except KeyboardInterrupt:
        print(f"retrograd {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except ConfigError as error:  # flags that do not fit together, found after parsing
        print(f"retrograd {args.command}: error: {' '.join(str(error).split())} "
              f"(see retrograd {args.command} --help)", file=sys.stderr)
        return EXIT_USAGE
    except (commands.CommandError, NonFiniteLossError, OSError, ValueError, RuntimeError,
            IndexError, TypeError) as error:
        if isinstance(error, OSError) and error.errno is not None and error.filename:
            message = f"{error.filename}: {error.strerror}"  # not '[Errno 2] No such file...'
        else:
            message = " ".join(str(error).split())  # one line, whatever the error's layout
        print(f"retrograd {args.command}: error: {message}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())

"""``retrograd check FILE.py``: checks the hand-written ``backward`` of a user's file.

The file defines the four functions of the practical work (NumPy arrays or retrograd tensors):

    init_params(nx, nh, ny)         -> params, a dict such as {'Wh', 'bh', 'Wy', 'by'}
    forward(params, X)              -> (Yhat, outputs)      X: (N, nx), one example per row
    loss_accuracy(Yhat, Y)          -> (L, acc)             Y: (N, ny) one-hot
    backward(params, outputs, Y)    -> grads, a dict with the keys of params: dL/dparam

On seeded random data, ``backward``'s gradients are compared with those of
``loss_accuracy(forward(params, X)[0], Y)[0]`` computed by finite differences (and autograd
when the functions also run on retrograd tensors). Before that, forward's ``Yhat`` is checked
(shape N x ny, rows that sum to one), and ``backward`` gets copies of the parameters: one that
changes them (an update inside backward) is told so. A wrong gradient that a known mistake
explains (see ``mistakes``) gets that mistake as its hint. Exit status: 0 when every gradient
matches, 1 when one is wrong or forward is, 2 when the file cannot be checked (missing function,
wrong signature, an exception inside it, a TODO left).

``retrograd check --template FILE.py`` writes a starter file to fill in.
"""
from __future__ import annotations

import argparse
import importlib.util
import inspect
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..random import manual_seed
from ..tensor import Tensor
from . import mistakes
from .gradients import GradientReport, gradients, host
from .template import TEMPLATE

EXIT_OK, EXIT_WRONG, EXIT_BAD_FILE = 0, 1, 2
TEMPLATE_FILE = "my_network.py"  # where --template writes without FILE.py
# patterns of rg.check.gradients too vague to keep when a known mistake explains the gradient
VAGUE_PATTERNS = {None, "factor", "l2", "offset", "elementwise"}
# The functions the file must define and the arguments the practical work gives them.
CONTRACT = {"init_params": ("nx", "nh", "ny"), "forward": ("params", "X"),
            "loss_accuracy": ("Yhat", "Y"), "backward": ("params", "outputs", "Y")}


class BadFileError(Exception):
    """The file cannot be checked; the message says why in one line."""


class ForwardError(Exception):
    """forward's output is not what the contract asks; the message says what is wrong."""


@dataclass
class Outcome:
    """What the check found: the gradient report, L and the accuracy at the parameters, and
    the parameters backward changed in place."""

    report: GradientReport
    loss: float
    accuracy: float
    changed: list[str]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Adds the ``check`` subcommand to ``subparsers`` (from ``add_subparsers``)."""
    # imported here: retrograd.cli.main imports this module to register the command
    from ..cli.main import positive, positive_int

    parser = subparsers.add_parser(
        "check", help="check the gradients of a hand-written backward",
        description="Check the hand-written backpropagation of FILE.py, which must define "
        "init_params(nx, nh, ny), forward(params, X) -> (Yhat, outputs), loss_accuracy(Yhat, Y) "
        "-> (L, acc) and backward(params, outputs, Y) -> grads (NumPy arrays or retrograd "
        "tensors; X is N x nx, one example per row; Y is one-hot). On seeded random data, "
        "every gradient of backward is compared with finite differences (and autograd where "
        "the functions run on retrograd tensors), and a table shows which are wrong, where, "
        "and a hint of why. FILE.py is imported and run like any Python module (as pytest "
        "runs test files): check only code you trust. Exit status: 0 every gradient matches, "
        "1 some gradient (or forward) is wrong, 2 the file cannot be checked. With --template, "
        "writes a starter FILE.py to fill in instead.")
    parser.add_argument("file", metavar="FILE.py", nargs="?",
                        help="the Python file to check (or to write, with --template)")
    parser.add_argument("--template", action="store_true",
                        help=f"write a starter FILE.py (default: {TEMPLATE_FILE}) whose TODOs "
                        f"you fill in, then check it; never overwrites a file")
    data = parser.add_argument_group("random data")
    for flag, default, meaning in (("--batch-size", 8, "examples N, the rows of X"),
                                   ("--nx", 4, "inputs"), ("--nh", 5, "hidden units"),
                                   ("--ny", 3, "outputs (classes)")):
        data.add_argument(flag, type=positive_int, default=default, metavar="N",
                          help=f"{meaning} (default: {default})")
    data.add_argument("--seed", type=int, default=0, metavar="N",
                      help="seeds the data and init_params (default: 0)")
    tolerance = parser.add_argument_group("comparison")
    tolerance.add_argument("--eps", type=positive, default=1e-6,
                           help="finite-difference step (default: 1e-06)")
    tolerance.add_argument("--atol", type=positive, default=1e-5,
                           help="absolute tolerance (default: 1e-05)")
    tolerance.add_argument("--rtol", type=positive, default=1e-3,
                           help="relative tolerance (default: 0.001)")
    parser.add_argument("--traceback", action="store_true",
                        help="on an error inside FILE.py, print its traceback")
    parser.set_defaults(handler=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Runs ``retrograd check`` and returns the exit status (0, 1 or 2; see the module)."""
    if args.template:
        return _write_template(Path(args.file or TEMPLATE_FILE))
    if args.file is None:
        print("retrograd check: error: give the FILE.py to check, or --template to write one "
              "(see retrograd check --help)", file=sys.stderr)
        return EXIT_BAD_FILE
    path = Path(args.file)
    heading = (f"retrograd check {args.file}: backward on random data, N={args.batch_size} "
               f"examples, nx={args.nx}, nh={args.nh}, ny={args.ny} (seed {args.seed})")
    try:
        module = _load(path)
        functions = {name: _function(module, name) for name in CONTRACT}
        outcome = _check(functions, args)
    except BadFileError as error:
        print(f"retrograd check: error: {args.file}: {error}", file=sys.stderr)
        if error.__cause__ is not None:
            _explain(error.__cause__, path, args.traceback)
        return EXIT_BAD_FILE
    except ForwardError as error:
        print(f"{heading}\n\nForward check: FAIL: {error}\nThe gradients of backward are "
              f"checked once forward is right.")
        return EXIT_WRONG
    print(f"{heading}; L = {outcome.loss:.6g}, accuracy {outcome.accuracy:.3g}\n")
    if outcome.changed:
        print(f"note: your backward changed the parameters {', '.join(outcome.changed)} (an "
              f"update inside backward?): the check used copies, so the gradients below are "
              f"those at the parameters forward saw; update the parameters after backward\n")
    print(outcome.report)
    return EXIT_OK if outcome.report.ok else EXIT_WRONG


def _write_template(path: Path) -> int:
    """Writes the starter file to ``path`` unless something is there already."""
    try:
        with path.open("x") as file:  # "x": fails on an existing file rather than replace it
            file.write(TEMPLATE)
    except FileExistsError:
        print(f"retrograd check: error: {path} already exists; give another FILE.py (the "
              f"template never overwrites a file)", file=sys.stderr)
        return EXIT_BAD_FILE
    except OSError as error:
        print(f"retrograd check: error: cannot write {path}: {error.strerror}", file=sys.stderr)
        return EXIT_BAD_FILE
    print(f"wrote the template to {path.resolve()}: fill in its TODOs, then run "
          f"retrograd check {path}")
    return EXIT_OK


def _explain(cause: BaseException, path: Path, show_traceback: bool) -> None:
    """Prints where in the user's code ``cause`` was raised: the traceback from the first frame
    outside retrograd (ours say nothing to the user) or, without ``show_traceback``, the last
    line of the user's folder it went through."""
    ours = Path(__file__).resolve().parents[1]
    frames = cause.__traceback__
    while frames is not None and _is_ours(frames.tb_frame.f_code.co_filename, ours):
        frames = frames.tb_next
    if show_traceback:
        traceback.print_exception(type(cause), cause, frames, file=sys.stderr)
        return
    folder = path.resolve().parent
    lines = [f"at {Path(frame.filename).name} line {frame.lineno}; "
             for frame in traceback.extract_tb(frames)
             if folder in Path(frame.filename).resolve().parents
             and not _is_ours(frame.filename, ours)]
    print(f"({''.join(lines[-1:])}run with --traceback to see the traceback)", file=sys.stderr)


def _is_ours(filename: str, package: Path) -> bool:
    """True for a frame of retrograd itself or of Python's import machinery."""
    return filename.startswith("<") or package in Path(filename).resolve().parents


def _load(path: Path):
    """Imports the file at ``path`` as a module (running it), with its folder on sys.path so
    that it can import its neighbours."""
    if not path.is_file():
        raise BadFileError("no such file")
    spec = importlib.util.spec_from_file_location(f"retrograd_check_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise BadFileError("not a Python file (expected FILE.py)")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as importlib's recipe does: some code looks itself up
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except BaseException as error:  # SyntaxError and SystemExit too: the file is broken
        if isinstance(error, KeyboardInterrupt):
            raise
        raise BadFileError(f"running the file raised {_describe(error)}") from error
    finally:
        sys.path.remove(folder)
    return module


def _function(module: Any, name: str) -> Callable:
    """The function ``name`` of the user's module, checked against the contract."""
    arguments = ", ".join(CONTRACT[name])
    function = getattr(module, name, None)
    if not callable(function):
        found = "is missing" if function is None else f"is a {type(function).__name__}"
        raise BadFileError(f"{name}({arguments}) {found}; the file must define "
                           f"{', '.join(CONTRACT)}")
    try:
        inspect.signature(function).bind(*CONTRACT[name])
    except TypeError:
        raise BadFileError(f"{name} must accept ({arguments}); yours is "
                           f"{name}{inspect.signature(function)}") from None
    except ValueError:  # a builtin without a signature: let the call decide
        pass
    return function


def _check(functions: dict[str, Callable], args: argparse.Namespace) -> Outcome:
    """Runs the user's functions on random data and checks forward, then backward."""
    rng = np.random.default_rng(args.seed)
    X = rng.standard_normal((args.batch_size, args.nx))
    Y = np.eye(args.ny)[rng.integers(0, args.ny, args.batch_size)]  # one-hot rows
    np.random.seed(args.seed)  # init_params may draw from NumPy's or retrograd's generator
    manual_seed(args.seed)
    params = _call(functions, "init_params", args.nx, args.nh, args.ny)
    if not isinstance(params, dict) or not params:
        raise BadFileError(f"init_params must return a dict of parameters such as {{'Wh', "
                           f"'bh', 'Wy', 'by'}}, got {type(params).__name__}")
    # float64, so that the comparison sees your formulas rather than float32 rounding
    params = {name: _float64(value, f"init_params()[{name!r}]") for name, value in params.items()}
    arrays = {name: np.array(host(value)) for name, value in params.items()}  # kept apart

    def data_for(point: dict) -> tuple:
        """X and Y as retrograd tensors when the parameters are tensors."""
        if any(isinstance(value, Tensor) for value in point.values()):
            return Tensor(X), Tensor(Y)
        return X, Y

    def loss_of(point: dict) -> Any:
        inputs, targets = data_for(point)
        return functions["loss_accuracy"](functions["forward"](point, inputs)[0], targets)[0]

    inputs, targets = data_for(params)
    Yhat, outputs = _pair(functions, "forward", params, inputs)
    _check_forward(_float64(host(Yhat), "forward's Yhat"), args.batch_size, args.ny)
    loss, accuracy = _pair(functions, "loss_accuracy", Yhat, targets)
    if not np.isfinite(_number(loss, "loss_accuracy's L")):
        raise BadFileError(f"loss_accuracy returned L = {_number(loss, 'L')} on random data: "
                           f"the loss must be finite (a log of 0?)")
    # copies: a backward that also takes an SGD step must not move the point being checked
    given = {name: _float64(value, name) for name, value in params.items()}
    grads = _call(functions, "backward", given, outputs, targets)
    changed = [name for name in params
               if not np.array_equal(np.asarray(host(given.get(name))), arrays[name])]
    if not isinstance(grads, dict) or set(grads) != set(params):
        found = sorted(grads) if isinstance(grads, dict) else type(grads).__name__
        raise BadFileError(f"backward must return a dict with the keys of params "
                           f"{sorted(params)}, got {found}")
    try:
        report = gradients(loss_of, params, grads, eps=args.eps, atol=args.atol, rtol=args.rtol,
                           batch_size=args.batch_size)
    except Exception as error:  # your grads are not arrays, or your code fails near params
        raise BadFileError(f"checking the gradients: {_describe(error)}") from error
    _known_mistakes(report, arrays, X, Y, _float64(host(Yhat), "Yhat"), args)
    return Outcome(report, _number(loss, "loss_accuracy's L"),
                   _number(accuracy, "loss_accuracy's acc"), changed)


def _check_forward(Yhat: np.ndarray, N: int, ny: int) -> None:
    """Raises ForwardError unless ``Yhat`` is N x ny with rows that sum to one (when it holds
    probabilities, i.e. no negative entry: a softmax of each row is expected)."""
    if Yhat.shape == (ny, N) and N != ny:
        raise ForwardError(f"forward returns Yhat of shape {Yhat.shape}, one column per "
                           f"example; it must be N x ny = {(N, ny)}, one example per row "
                           f"(X is N x nx: Z = X W^T + b)")
    if Yhat.shape != (N, ny):
        raise ForwardError(f"forward returns Yhat of shape {Yhat.shape}; it must be N x ny = "
                           f"{(N, ny)}, one row of probabilities per example")
    if not np.all(Yhat >= 0):  # not probabilities: nothing to say about a softmax
        return
    rows = Yhat.sum(axis=1)
    if np.allclose(rows, 1, atol=1e-6):
        return
    if np.allclose(Yhat.sum(axis=0), 1, atol=1e-6):
        raise ForwardError("the columns of Yhat sum to one, not its rows: the softmax is "
                           "taken over axis 0 (across the examples); take it over each row, "
                           "axis=1 (dim=1), e.g. exps / exps.sum(axis=1, keepdims=True)")
    if np.isclose(Yhat.sum(), 1, atol=1e-6):
        raise ForwardError("the whole of Yhat sums to one, not each row: the softmax divides "
                           "by the sum of all the entries; divide by each row's sum, "
                           "exps.sum(axis=1, keepdims=True)")
    raise ForwardError(f"the rows of Yhat sum to {rows.min():.4g} .. {rows.max():.4g}, not "
                       f"one: Yhat must be the softmax of each row, "
                       f"exps / exps.sum(axis=1, keepdims=True)")


def _known_mistakes(report: GradientReport, params: dict[str, np.ndarray], X: np.ndarray,
                    Y: np.ndarray, Yhat: np.ndarray, args: argparse.Namespace) -> None:
    """Replaces the vague hints of the report by the known mistake that explains the gradient,
    where the network is the practical work's (see ``mistakes``)."""
    wrong = [name for name, result in report.parameters.items()
             if not result.ok and result.pattern in VAGUE_PATTERNS]
    network = mistakes.rebuild(params, X, Yhat, args.ny) if wrong else None
    if network is None:
        return
    yours = {name: report.parameters[name].yours for name in wrong}
    for name, hint in mistakes.explain(network, Y, yours, wrong, args.atol,
                                       args.rtol).items():
        report.parameters[name].pattern, report.parameters[name].hint = "known_mistake", hint


def _call(functions: dict[str, Callable], name: str, *arguments: Any) -> Any:
    """Calls the user's function ``name``; an exception becomes a BadFileError naming it."""
    try:
        return functions[name](*arguments)
    except NotImplementedError as error:  # the template's TODO(...) not yet replaced
        raise BadFileError(f"{name}({', '.join(CONTRACT[name])}) is not finished: "
                           f"{_describe(error)}; fill in the TODOs") from error
    except Exception as error:
        raise BadFileError(f"{name}({', '.join(CONTRACT[name])}) raised "
                           f"{_describe(error)}") from error


def _pair(functions: dict[str, Callable], name: str, *arguments: Any) -> tuple:
    """Calls ``name``, which must return a pair such as (Yhat, outputs) or (L, acc)."""
    result = _call(functions, name, *arguments)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        expected = {"forward": "(Yhat, outputs)", "loss_accuracy": "(L, acc)"}[name]
        raise BadFileError(f"{name} must return {expected}, got {type(result).__name__}")
    return tuple(result)


def _float64(value: Any, what: str) -> Any:
    """``value`` as float64 on the host (the check's data is there), staying a Tensor if it is
    one."""
    try:
        array = np.array(host(value), dtype=np.float64)
    except (TypeError, ValueError):
        raise BadFileError(f"{what} must be an array of numbers, got "
                           f"{type(value).__name__}") from None
    return Tensor(array) if isinstance(value, Tensor) else array


def _number(value: Any, what: str) -> float:
    try:
        return float(np.asarray(host(value)).reshape(()))
    except (TypeError, ValueError):
        raise BadFileError(f"{what} must be a number, got {type(value).__name__}") from None


def _describe(error: BaseException) -> str:
    message = " ".join(str(error).split())
    return f"{type(error).__name__}: {message}" if message else type(error).__name__

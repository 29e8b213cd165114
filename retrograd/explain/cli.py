"""``retrograd explain``: the chain rule on an expression, or a saved network layer by layer.

    retrograd explain "(u + v) * w" --at u=2,v=3,w=4
    retrograd explain "sum(tanh(x * w + 1))" --at x=[1,2,3] --at w=0.5 --out pictures
    retrograd explain --model runs/circles-20250101-120000/checkpoint.npz

The trace (or the table of layers) is printed; the graph is written to DIR as ``graph.dot``
(``model.dot``) and as a picture: a PNG drawn by Graphviz's ``dot`` program when it is
installed, else an SVG drawn in Python (``--format`` and ``--engine`` choose).
"""
from __future__ import annotations

import argparse
import os
import shutil

from ..creation import zeros
from .drawing import ENGINES, INSTALL_HINT, Graph, graph, layer_summary, model_graph
from .expression import FUNCTIONS, ExpressionError, evaluate, parse_values
from .text import text_table
from .tracing import trace


def _values(text: str) -> dict:
    """An argparse type: the values of ``--at``."""
    try:
        return parse_values(text)
    except ExpressionError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Adds the ``explain`` command to the sub-commands of ``retrograd``'s parser; its handler
    is ``run``."""
    parser = subparsers.add_parser(
        "explain", help="explain backpropagation on an expression, or draw a saved network",
        description="Explain backpropagation step by step on an expression such as "
        "\"(u + v) * w\" (printed as a table: each variable's value and gradient, the local "
        "derivative rules and the chain rule), and draw its computational graph. Or, with "
        "--model, draw a network saved by `retrograd train` layer by layer.")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("expression", nargs="?", metavar="EXPRESSION",
                        help="numbers, variables, + - * / ** @, parentheses and the functions "
                        f"{', '.join(FUNCTIONS)}; quote it for the shell")
    target.add_argument("--model", metavar="CHECKPOINT",
                        help="a checkpoint.npz of `retrograd train` (or a saved state_dict of "
                        "its default network) to draw layer by layer")
    parser.add_argument("--at", type=_values, action="append", metavar="NAME=VALUE,...",
                        help="the values of the variables: numbers or lists for small tensors, "
                        "such as --at u=2,v=3,w=4 or --at x=[1,2,3] (may be repeated)")
    parser.add_argument("--out", metavar="DIR", default=".",
                        help="the folder for the .dot file and the picture (default: the "
                        "current folder)")
    parser.add_argument("--format", choices=("png", "svg"),
                        help="the picture's format (default: png when Graphviz's dot is "
                        "installed, else svg; png without dot is written as svg)")
    parser.add_argument("--engine", choices=ENGINES, default="auto",
                        help="who draws: dot (Graphviz), python (built in, SVG only) or auto "
                        "(the default: dot when installed, else python)")
    parser.set_defaults(handler=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Prints the trace (or the layers) and writes the graph; returns the exit status."""
    if args.model is not None:
        if args.at:
            raise ExpressionError("--at gives values to the variables of an EXPRESSION; it has "
                                  "no use with --model")
        drawing, text, name = *_model(args.model), "model"
    else:
        values: dict = {}
        for group in args.at or []:
            values.update(group)
        output, names = evaluate(args.expression, values)
        drawing, text, name = graph(output, names), str(trace(output, names)), "graph"
    print(text)
    print()
    print(_write(drawing, args.out, name, args.format, args.engine))
    return 0


def _write(drawing: Graph, folder: str, name: str, format: str | None, engine: str) -> str:
    """Writes NAME.dot and the picture; says what it wrote."""
    os.makedirs(folder, exist_ok=True)
    has_dot = shutil.which("dot") is not None
    note = ""
    if format is None:
        format = "png" if engine != "python" and has_dot else "svg"
    elif format != "svg" and engine == "auto" and not has_dot:
        note = (f"\n{name}.{format} needs Graphviz's dot program, so the picture is an SVG; "
                f"for {format.upper()}, {INSTALL_HINT}")
        format = "svg"
    written = [drawing.save(os.path.join(folder, f"{name}.dot")),
               drawing.render(os.path.join(folder, f"{name}.{format}"), engine=engine)]
    return f"graph written to {' and '.join(written)}{note}"


def _model(path: str) -> tuple[Graph, str]:
    """The layer graph and the table of layers of the network saved in ``path``."""
    # the network is rebuilt as `retrograd eval` rebuilds it, from the configuration it saved
    from ..cli.experiment import complete, load_data, read_saved_model
    from ..cli.models import build_model

    weights, config = read_saved_model(path)
    config = complete(config)
    data = load_data(config)  # for the shape of one example
    model = build_model(config, data.input_shape, data.n_classes)
    try:
        model.load_state_dict(weights)
    except (RuntimeError, TypeError) as error:
        raise ValueError(f"{path} does not fit the {config['model']} network of its "
                         f"configuration: {error}") from None
    example = zeros((1, *data.input_shape))
    layers = layer_summary(model, example)
    rows = [[layer["name"], layer["layer"], str(layer["shape"]), f"{layer['parameters']:,}"]
            for layer in layers]
    total = sum(layer["parameters"] for layer in layers)
    title = f"{path}: {config['model']} for {config['dataset']}, {total:,} parameters"
    table = text_table(["layer", "type", "output (1 example)", "parameters"], rows)
    return model_graph(model, example), f"{title}\n\n{table}"

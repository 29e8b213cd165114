"""``rg.explain.graph``: the computational graph drawn as in the lectures, with Graphviz.

One box per variable (its name, its value and, in red, its gradient box), one round node per
operation, arrows in the direction of the forward pass; after the backward pass each arrow into
an operation is labelled with the gradient that flows back along it, so that gradients arriving
along several paths can be seen adding up. ``model_graph`` draws a network layer by layer.

The DOT text needs nothing; pictures need Graphviz's ``dot`` program.
"""
from __future__ import annotations

import html
import os
import shutil
import subprocess
from typing import Mapping

from ..autograd.grad_mode import no_grad
from ..nn.module import Module
from ..nn.modules.container import Sequential
from ..nn.recording import recording_outputs
from ..tensor import Tensor
from .text import short
from .walk import Walk

FORMATS = ("svg", "png", "pdf")
INSTALL_HINT = ("install Graphviz, which provides it: `apt-get install graphviz` (Debian, "
                "Ubuntu), `brew install graphviz` (macOS), or see https://graphviz.org/download/")

_LEAF_COLOR, _RESULT_COLOR, _GRADIENT_COLOR = "#d5e8d4", "#dae8fc", "#f8cecc"
_GRADIENT_TEXT = "#b85450"


class GraphvizNotFoundError(RuntimeError):
    """Raised when a picture is asked for and Graphviz's ``dot`` program is not installed."""


class Graph:
    """A graph as Graphviz DOT text (``source``), drawn by ``render`` and, in Jupyter, inline.

    >>> g = rg.explain.graph(f)
    >>> print(g.source)                   # the DOT text
    >>> g.render("graph.png")             # needs Graphviz's dot program
    """

    def __init__(self, source: str) -> None:
        self.source = source

    def to_dot(self) -> str:
        """The DOT text."""
        return self.source

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        return (f"<retrograd.explain.Graph: {self.source.count(' -> ')} edges; .source holds "
                f"the DOT text, .render(path) draws it>")

    def save(self, path: str | os.PathLike) -> str:
        """Writes the DOT text to ``path``; returns the path."""
        with open(path, "w", encoding="utf-8") as file:
            file.write(self.source)
        return os.fspath(path)

    def pipe(self, format: str = "svg") -> bytes:
        """The picture in ``format`` ('svg', 'png' or 'pdf'), as bytes, drawn by ``dot``."""
        if format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
        dot = shutil.which("dot")
        if dot is None:
            raise GraphvizNotFoundError(
                f"drawing a graph needs the `dot` program, which is not installed: "
                f"{INSTALL_HINT}. The DOT text is in .source (write it with .save('graph.dot')).")
        done = subprocess.run([dot, f"-T{format}"], input=self.source.encode("utf-8"),
                              capture_output=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"dot failed: {done.stderr.decode(errors='replace').strip()}")
        return done.stdout

    def render(self, path: str | os.PathLike, format: str | None = None) -> str:
        """Draws the graph into the file ``path`` and returns its path.

        ``format`` ('svg', 'png' or 'pdf') defaults to the path's extension, else 'svg'; a path
        without extension gets one. Raises ``GraphvizNotFoundError`` without Graphviz.
        """
        path = os.fspath(path)
        extension = os.path.splitext(path)[1].lstrip(".").lower()
        if format is None:
            format = extension if extension in FORMATS else "svg"
        if not extension:
            path = f"{path}.{format}"
        picture = self.pipe(format)
        with open(path, "wb") as file:
            file.write(picture)
        return path

    def _repr_svg_(self) -> str | None:
        # Jupyter shows the SVG inline; None (no SVG) when Graphviz is missing
        return self.pipe("svg").decode("utf-8") if shutil.which("dot") else None

    def _repr_html_(self) -> str:
        if shutil.which("dot"):
            return self.pipe("svg").decode("utf-8")
        return (f"<p>To see this graph drawn, {html.escape(INSTALL_HINT)}. Its DOT text:</p>"
                f"<pre>{html.escape(self.source)}</pre>")


def graph(output: Tensor, names: Mapping | None = None, show_grad: bool = True) -> Graph:
    """The computational graph that computed ``output``, as in the lectures.

    Variables are boxes with their name, value and (``show_grad``) gradient box; operations are
    round nodes. With ``show_grad``, the gradients of a scalar ``output`` are computed by a
    backward pass that leaves every ``.grad`` untouched; when that is not possible (an output
    of several elements, or a graph freed by ``backward()``) the leaves show their ``.grad``.
    ``names`` works as in ``trace``; compute ``output`` inside ``rg.explain.record()`` to see
    every intermediate value.

    >>> g = rg.explain.graph(f, names={u: "u", v: "v", w: "w"})
    >>> g.render("graph.svg")
    """
    walk = Walk(output, names)
    if show_grad:
        if output.array.size == 1 and not walk.freed():
            walk.backpropagate()
        else:
            walk.gradients_from_backward()
    f = walk.root.name
    ids = {id(variable): f"v{number}" for number, variable in enumerate(walk.variables.values())}
    lines = []
    for variable in walk.variables.values():
        gradient = None
        if show_grad:
            gradient = "" if variable.gradient is None else \
                f"∂{f}/∂{variable.name} = {short(variable.gradient)}"
        label = _box(variable.name, _LEAF_COLOR if variable.node is None else _RESULT_COLOR,
                     [short(variable.value, variable.shape)], gradient,
                     border=2 if variable is walk.root else 0)
        lines.append(f"  {ids[id(variable)]} [label=<{label}>];")
    for number, step in enumerate(walk.operations):
        operation = f"op{number}"
        lines.append(f'  {operation} [shape=circle, label="{_quoted(step.rule.symbol)}"];')
        lines.append(f"  {operation} -> {ids[id(step.variable)]};")
        for position, item in enumerate(step.inputs):
            if item.variable is None:  # a constant: a grey name, no gradient
                constant = f"c{number}_{position}"
                lines.append(f'  {constant} [fontcolor="#777777", label="{_quoted(item.name)}"];')
                lines.append(f'  {constant} -> {operation} [style=dashed, color="#999999"];')
                continue
            label = ""
            if show_grad and item.gradient is not None:  # what flows back along this edge
                label = (f' [label=<<font color="{_GRADIENT_TEXT}">'
                         f"{html.escape(short(item.gradient))}</font>>]")
            lines.append(f"  {ids[id(item.variable)]} -> {operation}{label};")
    return Graph(_digraph(lines, "LR"))


def _box(title: str, color: str, cells: list[str], gradient: str | None = None,
         border: int = 0) -> str:
    """A Graphviz HTML-like label: a coloured title, one row per cell, then the gradient box
    (left empty for ''; none for None)."""
    rows = [f'<td bgcolor="{color}"><b>{html.escape(title)}</b></td>']
    rows += [f"<td>{html.escape(cell)}</td>" for cell in cells]
    if gradient is not None:
        rows.append(f'<td bgcolor="{_GRADIENT_COLOR}">{html.escape(gradient) or " "}</td>')
    body = "".join(f"<tr>{row}</tr>" for row in rows)
    return (f'<table border="{border}" cellborder="1" cellspacing="0" cellpadding="4">'
            f"{body}</table>")


def _quoted(text: str) -> str:
    """``text`` for a DOT double-quoted string."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _digraph(lines: list[str], direction: str) -> str:
    header = ["digraph retrograd {", f'  rankdir={direction}; fontname="Helvetica";',
              '  node [shape=none, margin=0, fontname="Helvetica", fontsize=11];',
              '  edge [color="#555555", fontname="Helvetica", fontsize=10];']
    return "\n".join(header + lines + ["}"]) + "\n"


# -- a network, layer by layer ----------------------------------------------------------------

def layer_summary(model: Module, input: Tensor) -> list[dict]:
    """One dict per layer of ``model`` run on ``input``: ``name``, ``layer`` (its type and
    settings), ``shape`` (its output's), ``parameters`` (the count) and ``parameter_shapes``.

    A ``Sequential`` (nested or not) is followed layer by layer; any other module is one layer.
    The model runs in eval mode, and is left in the mode it was in.
    """
    was_training = model.training
    model.eval()  # a batch norm in training mode would update its running statistics
    try:
        with no_grad(), recording_outputs(_layers(model, "")) as calls:
            model(input)
    finally:
        model.train(was_training)
    return [{"name": name, "layer": f"{layer._get_name()}({layer.extra_repr()})",
             "shape": tuple(output.shape),
             "parameters": sum(p.numel() for p in layer.parameters()),
             "parameter_shapes": {key: tuple(p.shape) for key, p in layer.named_parameters()}}
            for name, layer, output in calls]


def _layers(model: Module, prefix: str):
    if not isinstance(model, Sequential):
        yield prefix or model._get_name(), model
        return
    for name, child in model.named_children():
        yield from _layers(child, f"{prefix}.{name}" if prefix else name)


def model_graph(model: Module, input: Tensor) -> Graph:
    """The layer-level graph of ``model`` run on ``input`` (a batch such as ``rg.zeros(1, 2)``):
    one box per layer with its output shape (N for the batch) and its parameters.

    >>> rg.explain.model_graph(net, rg.zeros(1, 2)).render("model.svg")
    """
    layers = layer_summary(model, input)
    lines = [f"  input [label=<{_box('input', _LEAF_COLOR, [batch_shape(input.shape)])}>];"]
    previous = "input"
    for number, layer in enumerate(layers):
        shapes = ", ".join(f"{key} {shape}" for key, shape in layer["parameter_shapes"].items())
        parameters = f"{layer['parameters']:,} parameters: {shapes}" if shapes else \
            "no parameters"
        label = _box(f"{layer['name']}: {layer['layer']}", _RESULT_COLOR,
                     [f"output {batch_shape(layer['shape'])}", parameters])
        lines.append(f"  layer{number} [label=<{label}>];")
        lines.append(f"  {previous} -> layer{number};")
        previous = f"layer{number}"
    total = sum(layer["parameters"] for layer in layers)
    lines.append(f'  label="{_quoted(model._get_name())}: {total:,} parameters";')
    return Graph(_digraph(lines, "TB"))


def batch_shape(shape: tuple) -> str:
    """A shape with its first (batch) dimension written N: (N, 32)."""
    sizes = ["N", *map(str, tuple(shape)[1:])]
    return f"({sizes[0]},)" if len(sizes) == 1 else f"({', '.join(sizes)})"

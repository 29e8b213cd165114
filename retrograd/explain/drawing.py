"""``rg.explain.graph``: the computational graph drawn as in the lectures.

One box per variable (its name, its value and, in red, its gradient box), one round node per
operation, arrows in the direction of the forward pass; after the backward pass each arrow into
an operation is labelled with the gradient that flows back along it, so that gradients arriving
along several paths can be seen adding up. ``model_graph`` draws a network layer by layer.

A ``Graph`` is its nodes and edges. It is written as Graphviz DOT text (``source``), and drawn
as SVG by Graphviz's ``dot`` program when it is installed, else by the pure-Python layered
layout of ``layout.py``, so that a picture never needs a system program. PNG and PDF need
``dot``.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import warnings
from dataclasses import dataclass, field
from html import escape
from typing import Mapping

from ..autograd.grad_mode import no_grad
from ..nn.module import Module
from ..nn.modules.container import Sequential
from ..nn.recording import recording_outputs
from ..tensor import Tensor
from . import svg
from .layout import layered_layout
from .text import short
from .walk import Walk

FORMATS = ("svg", "png", "pdf")
ENGINES = ("auto", "dot", "python")
INSTALL_HINT = ("install Graphviz, which provides it: `apt-get install graphviz` (Debian, "
                "Ubuntu), `brew install graphviz` (macOS), or see https://graphviz.org/download/")

_LEAF_COLOR, _RESULT_COLOR, _GRADIENT_COLOR = "#d5e8d4", "#dae8fc", "#f8cecc"
_GRADIENT_TEXT, _CONSTANT_COLOR, _EDGE_COLOR = "#b85450", "#777777", "#555555"
_ROW_HEIGHT, _PADDING = 20.0, 8.0  # of a box's rows, in pixels


class GraphvizNotFoundError(RuntimeError):
    """Raised when Graphviz's ``dot`` program is needed (``engine='dot'``, PNG or PDF bytes)
    and is not installed."""


@dataclass
class Node:
    """A node of a drawing. ``kind``: 'box' (a table: ``title`` on ``color``, one row per cell,
    then the gradient row unless ``gradient`` is None), 'operation' (a circle around the
    ``title``) or 'constant' (the ``title`` in grey)."""

    name: str
    kind: str
    title: str
    cells: list[str] = field(default_factory=list)
    gradient: str | None = None
    color: str = _RESULT_COLOR
    border: int = 0


@dataclass
class Edge:
    """An arrow from the node named ``tail`` to ``head``, with an optional gradient label."""

    tail: str
    head: str
    label: str = ""
    dashed: bool = False


class Graph:
    """A graph to draw: ``render`` writes a picture, notebooks show it inline (SVG), ``source``
    is its Graphviz DOT text.

    ``engine`` chooses who draws: 'dot' (Graphviz, which must be installed), 'python' (the
    built-in layered layout, SVG only) or 'auto' (the default: dot when installed, else python).

    >>> g = rg.explain.graph(f)
    >>> g.render("graph.svg")             # always works
    >>> g.render("graph.png")             # needs Graphviz's dot (else graph.svg, with a warning)
    >>> print(g.source)                   # the DOT text
    """

    def __init__(self, nodes: list[Node], edges: list[Edge], direction: str = "LR",
                 caption: str = "") -> None:
        self.nodes, self.edges, self.direction, self.caption = nodes, edges, direction, caption

    @property
    def source(self) -> str:
        """The Graphviz DOT text."""
        return _dot(self)

    def to_dot(self) -> str:
        """The DOT text."""
        return self.source

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        return (f"<retrograd.explain.Graph: {len(self.edges)} edges; .render(path) draws it, "
                f".source holds the DOT text>")

    def save(self, path: str | os.PathLike) -> str:
        """Writes the DOT text to ``path``; returns the path."""
        with open(path, "w", encoding="utf-8") as file:
            file.write(self.source)
        return os.fspath(path)

    def svg(self, engine: str = "auto") -> str:
        """The picture as SVG text."""
        return self.pipe("svg", engine).decode("utf-8")

    def pipe(self, format: str = "svg", engine: str = "auto") -> bytes:
        """The picture in ``format`` ('svg', 'png' or 'pdf') as bytes. PNG and PDF need
        Graphviz's ``dot``: ``GraphvizNotFoundError`` without it."""
        if format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
        engine = _engine(engine, format)
        if engine == "python":
            return _svg(self).encode("utf-8")
        dot = shutil.which("dot")
        if dot is None:
            what = "engine='dot'" if format == "svg" else f"a {format.upper()} picture"
            raise GraphvizNotFoundError(
                f"{what} needs Graphviz's `dot` program, which is not installed: "
                f"{INSTALL_HINT}. SVG needs no Graphviz: engine='python' (--engine python).")
        done = subprocess.run([dot, f"-T{format}"], input=self.source.encode("utf-8"),
                              capture_output=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"dot failed: {done.stderr.decode(errors='replace').strip()}")
        return done.stdout

    def render(self, path: str | os.PathLike, format: str | None = None,
               engine: str = "auto") -> str:
        """Draws the graph into the file ``path`` and returns the path written.

        ``format`` ('svg', 'png' or 'pdf') defaults to the path's extension, else 'svg'; a path
        without extension gets one. A PNG or PDF with ``engine='auto'`` and no Graphviz is
        written as SVG instead (``graph.png`` becomes ``graph.svg``), with a warning.
        """
        path = os.fspath(path)
        stem, extension = os.path.splitext(path)
        extension = extension.lstrip(".").lower()
        if format is None:
            format = extension if extension in FORMATS else "svg"
        if not extension:
            path = f"{path}.{format}"
        if format != "svg" and engine == "auto" and shutil.which("dot") is None:
            warnings.warn(f"a {format.upper()} picture needs Graphviz's `dot` program, which is "
                          f"not installed: the graph is written as SVG instead; for "
                          f"{format.upper()}, {INSTALL_HINT}", stacklevel=2)
            format, path = "svg", f"{stem if extension else path}.svg"
        picture = self.pipe(format, engine)
        with open(path, "wb") as file:
            file.write(picture)
        return path

    def _repr_svg_(self) -> str:
        return self.svg()


def _engine(engine: str, format: str) -> str:
    """'dot' or 'python': who draws ``format`` for ``engine``."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if engine == "python" and format != "svg":
        raise ValueError(f"engine='python' draws SVG only; {format.upper()} needs engine='dot' "
                         f"(Graphviz)")
    if engine == "auto":
        return "dot" if format != "svg" or shutil.which("dot") else "python"
    return engine


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
    nodes, edges = [], []
    for variable in walk.variables.values():
        gradient = None
        if show_grad:
            gradient = "" if variable.gradient is None else \
                f"∂{f}/∂{variable.name} = {short(variable.gradient)}"
        nodes.append(Node(ids[id(variable)], "box", variable.name,
                          [short(variable.value, variable.shape)], gradient,
                          _LEAF_COLOR if variable.node is None else _RESULT_COLOR,
                          border=2 if variable is walk.root else 0))
    for number, step in enumerate(walk.operations):
        operation = f"op{number}"
        nodes.append(Node(operation, "operation", step.rule.symbol))
        edges.append(Edge(operation, ids[id(step.variable)]))
        for position, item in enumerate(step.inputs):
            if item.variable is None:  # a constant: a grey name, no gradient
                nodes.append(Node(f"c{number}_{position}", "constant", item.name))
                edges.append(Edge(f"c{number}_{position}", operation, dashed=True))
                continue
            gradient = short(item.gradient) if show_grad and item.gradient is not None else ""
            edges.append(Edge(ids[id(item.variable)], operation, gradient))  # flowing back
    return Graph(nodes, edges, "LR")


# -- DOT text ---------------------------------------------------------------------------------

def _dot(drawing: Graph) -> str:
    lines = ["digraph retrograd {", f'  rankdir={drawing.direction}; fontname="Helvetica";',
             '  node [shape=none, margin=0, fontname="Helvetica", fontsize=11];',
             f'  edge [color="{_EDGE_COLOR}", fontname="Helvetica", fontsize=10];']
    for node in drawing.nodes:
        if node.kind == "box":
            lines.append(f"  {node.name} [label=<{_html_label(node)}>];")
        elif node.kind == "operation":
            lines.append(f'  {node.name} [shape=circle, label="{_quoted(node.title)}"];')
        else:
            lines.append(f'  {node.name} [fontcolor="{_CONSTANT_COLOR}", '
                         f'label="{_quoted(node.title)}"];')
    for edge in drawing.edges:
        if edge.dashed:
            attributes = ' [style=dashed, color="#999999"]'
        elif edge.label:
            attributes = f' [label=<<font color="{_GRADIENT_TEXT}">{escape(edge.label)}</font>>]'
        else:
            attributes = ""
        lines.append(f"  {edge.tail} -> {edge.head}{attributes};")
    if drawing.caption:
        lines.append(f'  label="{_quoted(drawing.caption)}";')
    return "\n".join(lines + ["}"]) + "\n"


def _html_label(node: Node) -> str:
    """A Graphviz HTML-like label: a coloured title, one row per cell, then the gradient box
    (left empty for ''; none for None)."""
    rows = [f'<td bgcolor="{node.color}"><b>{escape(node.title)}</b></td>']
    rows += [f"<td>{escape(cell)}</td>" for cell in node.cells]
    if node.gradient is not None:
        rows.append(f'<td bgcolor="{_GRADIENT_COLOR}">{escape(node.gradient) or " "}</td>')
    body = "".join(f"<tr>{row}</tr>" for row in rows)
    return (f'<table border="{node.border}" cellborder="1" cellspacing="0" cellpadding="4">'
            f"{body}</table>")


def _quoted(text: str) -> str:
    """``text`` for a DOT double-quoted string."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


# -- SVG without Graphviz ---------------------------------------------------------------------

def _rows(node: Node) -> list[tuple[str, str]]:
    """A box's rows: (text, background colour)."""
    rows = [(node.title, node.color), *((cell, "white") for cell in node.cells)]
    if node.gradient is not None:
        rows.append((node.gradient, _GRADIENT_COLOR))
    return rows


def _size(node: Node) -> tuple[float, float]:
    if node.kind == "box":
        rows = _rows(node)
        return (max(svg.text_width(row) for row, _ in rows) + 2 * _PADDING,
                _ROW_HEIGHT * len(rows))
    if node.kind == "operation":
        diameter = max(28.0, svg.text_width(node.title) + 14)
        return diameter, diameter
    return svg.text_width(node.title) + _PADDING, _ROW_HEIGHT


def _svg(drawing: Graph) -> str:
    """The drawing as SVG, laid out by ``layered_layout``: each node a ``<g class="node">``,
    each edge a ``<g class="edge">`` with one path, its arrowhead and its label."""
    index = {node.name: number for number, node in enumerate(drawing.nodes)}
    label_room = max((svg.text_width(edge.label, 10) for edge in drawing.edges), default=0)
    layout = layered_layout([_size(node) for node in drawing.nodes],
                            [(index[edge.tail], index[edge.head]) for edge in drawing.edges],
                            drawing.direction, layer_gap=max(40.0, label_room + 24))
    canvas = svg.Canvas()
    for edge, route in zip(drawing.edges, layout.routes):
        color = "#999999" if edge.dashed else _EDGE_COLOR
        parts = [svg.polyline(route, color, edge.dashed, css_class="edge-line"),
                 svg.arrowhead(route[-2], route[-1], color)]
        if edge.label:  # above the middle of the last segment, where it enters the operation
            (x0, y0), (x1, y1) = route[-2], route[-1]
            parts.append(svg.text((x0 + x1) / 2, (y0 + y1) / 2 - 8, edge.label,
                                  color=_GRADIENT_TEXT, size=10))
        canvas.add(f'<g class="edge" data-tail="{edge.tail}" data-head="{edge.head}">'
                   + "".join(parts) + "</g>")
    for node, (x, y, width, height) in zip(drawing.nodes, layout.boxes):
        canvas.add(f'<g class="node" data-name="{node.name}">' + _node_svg(node, x, y, width,
                                                                          height) + "</g>")
    width, height = layout.width, layout.height
    if drawing.caption:
        width = max(width, svg.text_width(drawing.caption) + 16)
        canvas.add(svg.text(width / 2, height + 6, drawing.caption))
        height += 20
    return canvas.svg(width, height)


def _node_svg(node: Node, x: float, y: float, width: float, height: float) -> str:
    """A node's elements: a circle, or rects (a box's outline drawn last, over its rows)."""
    if node.kind == "operation":
        return (svg.circle(x + width / 2, y + height / 2, width / 2)
                + svg.text(x + width / 2, y + height / 2, node.title))
    if node.kind == "constant":
        return (svg.rect(x, y, width, height, stroke="none")
                + svg.text(x + width / 2, y + height / 2, node.title, color=_CONSTANT_COLOR))
    parts = []
    for number, (row, color) in enumerate(_rows(node)):
        top = y + number * _ROW_HEIGHT
        parts.append(svg.rect(x, top, width, _ROW_HEIGHT, fill=color))
        parts.append(svg.text(x + width / 2, top + _ROW_HEIGHT / 2, row,
                              bold=number == 0))
    outline = svg.rect(x, y, width, height, stroke_width=1 + node.border)
    return "".join(parts) + outline


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
    nodes = [Node("input", "box", "input", [batch_shape(input.shape)], color=_LEAF_COLOR)]
    edges = []
    for number, layer in enumerate(layers):
        shapes = ", ".join(f"{key} {shape}" for key, shape in layer["parameter_shapes"].items())
        parameters = f"{layer['parameters']:,} parameters: {shapes}" if shapes else \
            "no parameters"
        nodes.append(Node(f"layer{number}", "box", f"{layer['name']}: {layer['layer']}",
                          [f"output {batch_shape(layer['shape'])}", parameters]))
        edges.append(Edge(nodes[-2].name, nodes[-1].name))
    total = sum(layer["parameters"] for layer in layers)
    return Graph(nodes, edges, "TB", caption=f"{model._get_name()}: {total:,} parameters")


def batch_shape(shape: tuple) -> str:
    """A shape with its first (batch) dimension written N: (N, 32)."""
    sizes = ["N", *map(str, tuple(shape)[1:])]
    return f"({sizes[0]},)" if len(sizes) == 1 else f"({', '.join(sizes)})"

"""``rg.explain``: see backpropagation at work, on any graph retrograd records.

- ``trace(f)``: the backward pass of a scalar ``f``, one row per variable in the order backprop
  visits it: value, upstream gradient (summed where paths meet), the local derivative rule in
  words and the chain rule for each input. ``print`` it, or let a notebook show it as HTML.
- ``graph(f)``: the computational graph as in the lectures, variables as boxes with their
  value and gradient, as SVG (or PNG with Graphviz, ``.render``) or DOT text, inline in Jupyter.
- ``record()``: a context in which every intermediate value is kept, for ``trace``/``graph``.
- ``evaluate("(u + v) * w", {"u": 2, "v": 3, "w": 4})``: a safe expression, parsed without
  ``eval``, ready to explain (``retrograd explain`` on the command line).
- ``model_graph(model, input)``: a network drawn layer by layer.
- ``LiveCurves()``: a ``fit`` callback that redraws the loss and accuracy curves in a notebook
  after each epoch.

Pictures need no system program: SVG is drawn in Python when Graphviz's ``dot`` is missing.

    >>> u, v, w = (rg.tensor(x, requires_grad=True) for x in (2.0, 3.0, 4.0))
    >>> with rg.explain.record():
    ...     f = (u + v) * w
    >>> print(rg.explain.trace(f, names={u: "u", v: "v", w: "w"}))
"""
from .drawing import Graph, GraphvizNotFoundError, graph, layer_summary, model_graph
from .expression import FUNCTIONS, ExpressionError, evaluate, parse_values
from .live import LiveCurves, curves
from .rules import RULES, Rule
from .tracing import Trace, trace
from .walk import record

__all__ = ["trace", "Trace", "graph", "Graph", "GraphvizNotFoundError", "record", "evaluate",
           "parse_values", "ExpressionError", "FUNCTIONS", "model_graph", "layer_summary",
           "RULES", "Rule", "LiveCurves", "curves"]

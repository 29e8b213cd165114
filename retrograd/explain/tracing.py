"""``rg.explain.trace``: the chain rule, step by step, as backprop applies it."""
from __future__ import annotations

import html
from typing import Mapping

import numpy as np

from ..tensor import Tensor
from .text import SMALL, html_table, short, text_table
from .walk import Walk


def trace(output: Tensor, names: Mapping | None = None) -> "Trace":
    """Runs the backward pass of the scalar ``output`` and explains it, one row per variable
    in the order backprop visits them: operations from the output back, then the leaves.

    Each row holds the operation, its value, ``∂f/∂variable`` (the upstream gradient: where
    several paths meet, the sum of what arrived along each), the local derivative rule in words,
    and for each input the chain rule and the gradient it sends. ``f`` is the output.

    Variables are named by ``names`` (``{w: 'w'}``, or ``{'w': w}``; leaves, intermediate
    results or constants) or automatically: leaves ``x1, x2...``, results ``t1, t2...`` in the
    order of the forward pass, the output ``f``. The user's ``.grad`` are left untouched (the
    gradients come from ``rg.autograd.grad``) and the graph is kept, so ``backward()`` still
    works afterwards. Intermediate values the graph did not keep show as ``?``: compute the
    output inside ``with rg.explain.record():`` to see them all.

    Returns a ``Trace``: ``print(trace)`` shows a table, ``trace.rows`` gives the same as
    dicts, and notebooks show it as HTML.

    >>> u, v, w = (rg.tensor(x, requires_grad=True) for x in (2.0, 3.0, 4.0))
    >>> with rg.explain.record():
    ...     f = (u + v) * w
    >>> t = rg.explain.trace(f, names={u: "u", v: "v", w: "w"})
    >>> [float(row["gradient"]) for row in t.rows]     # f, t1 = u + v, then u, v, w
    [1.0, 4.0, 4.0, 4.0, 5.0]
    """
    walk = Walk(output, names)
    walk.backpropagate()
    return Trace(walk)


class Trace:
    """The rows of a backward pass (see ``trace``).

    ``rows`` is a list of dicts, one per variable, in the order backprop visits them:

    - ``step`` (from 1), ``variable`` (its name), ``operation`` (the class of the operation
      that computed it, or ``'leaf'``), ``expression`` (the operation with its inputs' names),
      ``value`` (a NumPy array, or None when not kept) and ``shape``;
    - ``gradient``: ``∂f/∂variable``, the sum of ``paths``, a list of
      ``{'from': name, 'gradient': array}``, one per path that reached the variable;
    - ``rule``: the local derivative rule in words, and ``inputs``: one
      ``{'variable', 'formula', 'gradient'}`` per input that receives a gradient.
    """

    def __init__(self, walk: Walk) -> None:
        self.output_name = walk.root.name
        self.rows: list[dict] = []
        self._rules: dict[str, str] = {}  # the rules used, for the legend
        for step in walk.steps:
            self._add_row(step.variable, type(step.variable.node).__name__, step.expression,
                          step.rule.words, [
                              {"variable": item.name, "formula": item.formula,
                               "gradient": item.gradient}
                              for item in step.inputs if item.variable is not None])
            self._rules[f"{step.rule.symbol} ({type(step.variable.node).__name__})"] = \
                step.rule.words
        for leaf in walk.leaves:
            self._add_row(walk.variable_of(leaf), "leaf", "", "", [])

    def _add_row(self, variable, operation: str, expression: str, rule: str,
                 inputs: list) -> None:
        self.rows.append({
            "step": len(self.rows) + 1, "variable": variable.name, "operation": operation,
            "expression": expression, "value": variable.value, "shape": tuple(variable.shape),
            "gradient": variable.gradient,
            "paths": [{"from": name, "gradient": gradient} for name, gradient in variable.paths],
            "rule": rule, "inputs": inputs})

    # -- display ----------------------------------------------------------------------------

    def _cells(self) -> tuple[list[str], list[list[str]]]:
        f = self.output_name
        header = ["step", "variable", "value", f"∂{f}/∂variable",
                  "chain rule: gradient to each input"]
        rows = []
        for row in self.rows:
            variable = row["variable"] + (f" = {row['expression']}" if row["expression"]
                                          else " (leaf)")
            sent = "\n".join(f"{item['formula']} = {short(item['gradient'])}"
                             for item in row["inputs"])
            rows.append([str(row["step"]), variable, short(row["value"], row["shape"]),
                         _gradient_sum(row), sent])
        return header, rows

    def _notes(self) -> list[str]:
        f = self.output_name
        notes = [f"Backprop starts with ∂{f}/∂{f} = 1 and visits each variable after every "
                 f"variable that uses it; gradients arriving along several paths add up."]
        if any(row["value"] is None for row in self.rows):
            notes.append("? : a value the graph did not keep; compute the output inside "
                         "`with rg.explain.record():` to see every value.")
        return notes

    def __str__(self) -> str:
        header, rows = self._cells()
        legend = "\n".join(f"  {symbol}: {words}" for symbol, words in self._rules.items())
        parts = [f"Backward pass of {self.output_name}", text_table(header, rows)]
        if legend:
            parts.append("Local derivative rules:\n" + legend)
        return "\n\n".join(parts + ["\n".join(self._notes())])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        header, rows = self._cells()
        for cells, row in zip(rows, self.rows):
            cells.append(row["rule"])
        table = html_table(header + ["local derivative rule"], rows,
                           caption=f"Backward pass of {self.output_name}")
        return table + "".join(f"<p>{html.escape(note)}</p>" for note in self._notes())


def _gradient_sum(row: dict) -> str:
    """``∂f/∂variable``, written as the sum of its paths where there are several."""
    total = short(row["gradient"])
    paths = row["paths"]
    if len(paths) < 2:
        return total
    if all(np.size(path["gradient"]) <= SMALL for path in paths):
        return " + ".join(short(path["gradient"]) for path in paths) + f" = {total}"
    return f"{len(paths)} paths added:\n{total}"

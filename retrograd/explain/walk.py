"""What ``rg.explain`` shows, gathered from a recorded graph: its variables with readable names
and values, and the backward pass of the engine, observed node by node.

The engine itself computes every gradient: a hook on each node records the gradient it receives
and the order in which the engine visits the nodes, and ``autograd.grad`` (with
``retain_graph=True``) gives the leaves' gradients without touching any ``.grad``. To show how a
node's gradient splits among its inputs, the node's own backward formula is then evaluated once
more on that same upstream gradient.

The engine runs on the graph's device; the values and gradients a walk keeps for showing are
host (NumPy) copies.
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator, Mapping

import numpy as np

from ..autograd.engine import grad as autograd_grad
from ..autograd.engine import sum_to_shape
from ..autograd.function import _OUTPUT, Function
from ..autograd.grad_mode import state
from ..backend import backend_of
from ..tensor import Tensor
from .rules import Named, Rule, fill, rule_for
from .text import SMALL, short


@contextlib.contextmanager
def record() -> Iterator[None]:
    """Inside this context every operation keeps its inputs and result, so that ``trace`` and
    ``graph`` can show every value of the graph (by default only the values that backward needs
    are kept). Use it for small, explanatory computations: it keeps every intermediate array.

    >>> with rg.explain.record():
    ...     f = (u + v) * w
    >>> print(rg.explain.trace(f, names={u: "u", v: "v", w: "w"}))
    """
    previous, state.keep_forward = state.keep_forward, True
    try:
        yield
    finally:
        state.keep_forward = previous


class Variable:
    """A variable of the graph: a leaf tensor, or the result of an operation (its ``node``)."""

    def __init__(self, name: str, node: Function | None, shape: tuple,
                 value: np.ndarray | None) -> None:
        self.name, self.node, self.shape, self.value = name, node, shape, value
        self.gradient: np.ndarray | None = None  # ∂f/∂variable, as the engine computed it
        # what arrived along each path: (the name of the variable it came through, gradient)
        self.paths: list[tuple[str, np.ndarray]] = []


class Input:
    """One input of an operation: a variable (with the gradient sent to it), or a constant."""

    def __init__(self, name: str, variable: Variable | None, formula: str = "",
                 gradient: np.ndarray | None = None) -> None:
        self.name, self.variable, self.formula, self.gradient = name, variable, formula, gradient


class Step:
    """One operation of the graph: the variable it computes, its rule, and its inputs."""

    def __init__(self, variable: Variable, rule: Rule, expression: str, inputs: list) -> None:
        self.variable, self.rule, self.expression, self.inputs = variable, rule, expression, inputs


class Walk:
    """The graph that computed ``output``: its variables (``variables``, by the id of their node
    or leaf) and its operations (``operations``, in creation order).

    ``backpropagate()`` runs the backward pass of the scalar ``output``: it fills every
    variable's gradient and paths, every input's gradient, and ``steps``, the operations in the
    order the engine visits them.
    """

    def __init__(self, output: Tensor, names: Mapping | None = None) -> None:
        if not isinstance(output, Tensor):
            raise TypeError(f"rg.explain expects a Tensor, got {type(output).__name__}")
        if not output.requires_grad:
            raise RuntimeError("the output does not require grad, so it has no graph to explain: "
                               "create its inputs with requires_grad=True")
        self.output = output
        self.nodes, self.leaves, shapes = _collect(output)
        named = _named_tensors(names)
        # a name stands for a leaf (or a constant) itself, or for the node that computed it
        self.user_names = {id(tensor.grad_fn or tensor): name for tensor, name in named}
        values = _known_values(self.nodes, [output] + [tensor for tensor, _ in named])
        self.variables: dict[int, Variable] = {}
        for leaf in self.leaves:
            self.variables[id(leaf)] = Variable("", None, leaf.array.shape, _host(leaf))
        for node in self.nodes:
            self.variables[id(node)] = Variable("", node, shapes[id(node)],
                                                _host(values.get(id(node))))
        self._name_variables(output)
        self.root = self.variable_of(output.grad_fn or output)
        self.operations = [self._describe(node) for node in self.nodes]
        self.steps: list[Step] = []

    def _name_variables(self, output: Tensor) -> None:
        """The user's names, else x1, x2... for leaves and t1, t2... for results in the order of
        the forward pass, and f for the output."""
        taken = set(self.user_names.values())
        counts = {"x": 0, "t": 0}

        def new_name(prefix: str) -> str:
            while True:
                counts[prefix] += 1
                if f"{prefix}{counts[prefix]}" not in taken:
                    return f"{prefix}{counts[prefix]}"

        for key, variable in self.variables.items():
            name = self.user_names.get(key)
            if name is None and variable.node is None:
                name = new_name("x")
            elif name is None:
                name = "f" if variable.node is output.grad_fn and "f" not in taken else \
                    new_name("t")
            variable.name = name

    def variable_of(self, target: Function | Tensor) -> Variable:
        """The variable a node computes, or that a leaf is."""
        return self.variables[id(target)]

    def _describe(self, node: Function) -> Step:
        """The operation with its inputs' names, and the chain rule for each input."""
        variable, rule = self.variable_of(node), rule_for(node)
        inputs = [Input(self._constant_name(node, position), None) if parent is None else
                  Input(self.variable_of(parent).name, self.variable_of(parent))
                  for position, parent in enumerate(node.next_functions)]
        f = self.root.name
        named = Named([item.name for item in inputs], variable.name, f"∂{f}/∂{variable.name}")
        for position, item in enumerate(inputs):
            if item.variable is not None:
                item.formula = f"∂{f}/∂{item.name} = {fill(rule.gradient(position), named)}"
        return Step(variable, rule, fill(rule.expression, named), inputs)

    def backpropagate(self) -> None:
        """Runs the engine's backward pass of ``output`` and records what it does."""
        if self.output.array.size != 1:
            raise RuntimeError(
                f"rg.explain follows the gradient of a single number, and the output has shape "
                f"{tuple(self.output.shape)}: reduce it first, e.g. with .sum() or .mean()")
        if self.freed():
            raise RuntimeError(
                "the graph of this output was freed by a backward pass: explain it before "
                "calling .backward(), or call .backward(retain_graph=True)")
        visits: list[tuple[Function, np.ndarray]] = []
        hooks = []
        for node in self.nodes:
            def hook(grad: Tensor, node: Function = node) -> None:
                visits.append((node, grad.array))
            node.register_hook(hook)
            hooks.append((node, hook))
        try:
            leaf_gradients = autograd_grad(self.output, self.leaves, retain_graph=True)
        finally:
            for node, hook in hooks:
                node._hooks.remove(hook)  # type: ignore[union-attr]  # register_hook made it
        for leaf, gradient in zip(self.leaves, leaf_gradients):
            self.variable_of(leaf).gradient = _host(gradient)
        steps = {id(step.variable.node): step for step in self.operations}
        for node, upstream in visits:
            self.steps.append(steps[id(node)])
            self._send(steps[id(node)], upstream)

    def _send(self, step: Step, upstream: np.ndarray) -> None:
        """What the node's backward sends along each edge, given the upstream gradient the
        engine gave it: summed back to each input's shape, as the engine does."""
        node = step.variable.node
        assert node is not None  # an operation's variable has its node
        step.variable.gradient = _host(upstream)
        sent = node.run_backward(upstream)
        for position, (meta, item) in enumerate(zip(node._input_meta, step.inputs)):
            gradient = sent[position] if position < len(sent) else None
            if meta is None or gradient is None:
                continue
            shape, dtype, _ = meta
            if gradient.shape != shape:  # the input was broadcast: the adjoint is a sum
                gradient = sum_to_shape(gradient, shape)
                item.formula += ", summed over the broadcast axes"
            item.gradient = _host(gradient.astype(dtype, copy=False))
            item.variable.paths.append((step.variable.name, item.gradient))

    def freed(self) -> bool:
        """True when a backward pass already freed what the graph saved."""
        return any(node._saved is None for node in self.nodes)

    def _constant_name(self, node: Function, position: int) -> str:
        """How to write an input that is no variable: its value when the forward's arguments
        were kept (``record()``) and it is small, else 'c'."""
        arguments = getattr(node, "forward_args", None)
        if arguments is None or position >= len(arguments):
            return "c"
        argument = arguments[position]
        if argument is None:
            return "0"  # an absent optional input, such as a layer without bias
        if id(argument) in self.user_names:
            return self.user_names[id(argument)]
        value = np.asarray(_host(argument))
        return short(value) if value.size <= SMALL else "c"

    def gradients_from_backward(self) -> None:
        """Takes the leaves' gradients from their ``.grad`` (what a backward left there)."""
        for leaf in self.leaves:
            if leaf.grad is not None:
                self.variable_of(leaf).gradient = _host(leaf.grad)


def _host(value: Any) -> Any:
    """A value to show, as NumPy: a tensor's or a device array's host copy (None stays)."""
    array = value.array if isinstance(value, Tensor) else value
    return None if array is None else backend_of(array).to_host(array)


def _collect(output: Tensor) -> tuple[list[Function], list[Tensor], dict[int, tuple]]:
    """The nodes of the graph (in creation order), its leaves (in the order the forward first
    used them) and the shape of every node's result, by an iterative walk from ``output``."""
    shapes = {id(output.grad_fn or output): output.array.shape}
    if output.grad_fn is None:
        return [], [output], shapes
    nodes, seen, stack = [], {id(output.grad_fn)}, [output.grad_fn]
    while stack:
        node = stack.pop()
        nodes.append(node)
        for parent, meta in zip(node.next_functions, node._input_meta):
            if parent is not None and id(parent) not in seen:
                seen.add(id(parent))
                shapes[id(parent)] = meta[0]
                if isinstance(parent, Function):
                    stack.append(parent)
    nodes.sort(key=lambda node: node.sequence_number)
    leaves, seen_leaves = [], set()
    for node in nodes:
        for parent in node.next_functions:
            if parent is not None and not isinstance(parent, Function) \
                    and id(parent) not in seen_leaves:
                seen_leaves.add(id(parent))
                leaves.append(parent)
    return nodes, leaves, shapes


def _named_tensors(names: Mapping | None) -> list[tuple[Tensor, str]]:
    """The pairs (tensor, name) of ``{tensor: 'w'}`` (or ``{'w': tensor}``), checked."""
    pairs = []
    for key, value in (names or {}).items():
        tensor, name = (value, key) if isinstance(key, str) else (key, value)
        if not isinstance(tensor, Tensor) or not isinstance(name, str):
            raise TypeError(f"names maps tensors to their names, such as {{w: 'w'}}; got "
                            f"{type(key).__name__} -> {type(value).__name__}")
        pairs.append((tensor, name))
    return pairs


def _known_values(nodes: list[Function], tensors: list[Tensor]) -> dict[int, np.ndarray]:
    """The value of every node's result that can be found: kept by ``record()``, that of a
    tensor at hand (the output, a named tensor), or saved for backward by the node itself or by
    one of the nodes that use it."""
    values: dict[int, Any] = {}
    for tensor in tensors:
        if tensor.grad_fn is not None:
            values[id(tensor.grad_fn)] = tensor.array
    for node in nodes:
        kept = getattr(node, "forward_output", None)
        if kept is not None:
            values.setdefault(id(node), kept)
    for node in nodes:
        for position, source in enumerate(node._saved_sources):
            if source is _OUTPUT and node._saved is not None:
                values.setdefault(id(node), node._saved[position])
            elif isinstance(source, Tensor) and source.grad_fn is not None:
                values.setdefault(id(source.grad_fn), source.array)
    return values

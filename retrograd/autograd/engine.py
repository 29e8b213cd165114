"""The backward walk: reverse-mode automatic differentiation over the recorded graph.

The walk is iterative (no recursion, so graphs of any depth work) and deterministic: nodes run
in decreasing order of creation, a reverse topological order that needs no sorting pass. Each
node's gradient box sums what arrives along every path, as the chain rule requires; the node's
backward runs once that sum is complete. Operations return gradients of their output's shape;
this engine, not each operation, sums them back to the shape of each input (the adjoint of
broadcasting is a sum).
"""
from __future__ import annotations

import functools
import heapq
import threading
from typing import Any, Iterator, Sequence

from ..backend import array_module, backend_of, is_device_array
from ..recording import current
from ..tensor import Tensor
from .anomaly import check_backward
from .function import Function
from .grad_mode import state


def sum_to_shape(grad: Any, shape: tuple, node: Any = None, index: int = 0) -> Any:
    """Sums ``grad`` (array or Tensor) over the axes that broadcasting added or stretched.

    Raises when broadcasting ``shape`` cannot give ``grad``'s shape: ``node``'s backward (which
    returned it for its input ``index``) is then wrong, and reshaping would hide it.
    """
    leading = grad.ndim - len(shape)
    if leading < 0 or any(size != 1 and size != grad.shape[leading + i]
                          for i, size in enumerate(shape)):
        raise RuntimeError(f"Function {type(node).__name__} returned an invalid gradient at "
                           f"index {index} - got {list(grad.shape)} but expected shape "
                           f"compatible with {list(shape)}")
    axes = tuple(range(leading)) + tuple(
        leading + i for i, size in enumerate(shape) if size == 1 and grad.shape[leading + i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if leading or grad.shape != shape:
        grad = grad.reshape(shape)
    return grad


_accumulation_lock = threading.Lock()  # PyTorch's AccumulateGrad holds one too


def store_gradient(leaf: Tensor, copy: bool, grad: Any) -> Any:
    """Accumulates the array ``grad`` into ``leaf.grad`` (a copy of it on the first write when
    ``copy``), then runs the leaf's post-accumulate hooks; returns the stored array.

    ``grad`` comes last so that a replay's ``partial(store_gradient, leaf, copy)`` passes it
    positionally (a keyword costs more).
    """
    with _accumulation_lock:  # backward may run in several threads into one leaf
        total = leaf.grad
        if total is None:
            stored = grad.copy() if copy else grad
            leaf.grad = Tensor(stored)
        else:
            stored = total.array = total.array + grad
    post_accumulate_hooks = getattr(leaf, "_post_accumulate_grad_hooks", None)
    if post_accumulate_hooks:
        for hook in post_accumulate_hooks:
            hook(leaf)
    return stored


def _call_hooks(hooks: list, grad: Any) -> Any:
    for hook in hooks:
        if state.create_graph:
            result = hook(grad)
            grad = grad if result is None else result
        else:
            result = hook(Tensor(grad))
            grad = grad if result is None else result.array
    return grad


def _call_output_hooks(node: Function, grads: list) -> list:
    """The gradients of a node with several outputs, each through its output's hooks."""
    return [grad if grad is None or not (hooks := node.output_hooks(index, create=False))
            else _call_hooks(hooks, grad) for index, grad in enumerate(grads)]


def _as_dtype(grad: Any, dtype: Any) -> Any:
    return grad.astype(dtype)


def _add(total: Any, grad: Any) -> Any:
    # Never in place: the same array may also be stored in a leaf's .grad or pending elsewhere.
    return grad if total is None else total + grad


def run_backward(outputs: Sequence[Tensor], grad_outputs: Sequence[Any], retain_graph: bool,
                 create_graph: bool, inputs: Sequence[Tensor] | None = None) -> list | None:
    """Backpropagates ``grad_outputs`` from ``outputs``.

    With ``inputs=None`` gradients accumulate into the ``.grad`` of every leaf that requires one
    (``Tensor.backward``); otherwise they are returned, one per input, and no ``.grad`` changes
    (``autograd.grad``). ``grad_outputs`` are arrays, or Tensors when ``create_graph``.
    """
    previous_grad_mode, previous_create_graph = state.grad_enabled, state.create_graph
    state.grad_enabled = state.create_graph = create_graph
    try:
        return _walk(outputs, grad_outputs, retain_graph, inputs)
    finally:
        state.grad_enabled, state.create_graph = previous_grad_mode, previous_create_graph


def _walk(outputs, grad_outputs, retain_graph, inputs):
    create_graph = state.create_graph
    tape = current.tape  # rg.compile recording the step, or None: it is told every array made
    if tape is not None and (create_graph or inputs is not None):
        tape.unsupported("autograd.grad() or backward(create_graph=True)")
        tape = None
    pending: dict[Function, Any] = {}   # node -> the gradient of its output, summed so far
    ready: list = []                    # heap of (-sequence number, node): newest node first
    owned_ids: set[int] = set()         # arrays already stored in some leaf's .grad
    captured: dict[int, Any] | None = None if inputs is None else {}
    target_nodes: dict[Function, list] = {}  # node -> the inputs among its outputs
    needed = None
    if inputs is not None:
        for tensor in inputs:
            if tensor.grad_fn is not None:
                target_nodes.setdefault(tensor.grad_fn, []).append(tensor)
        needed = _nodes_leading_to([o.grad_fn for o in outputs if o.grad_fn is not None], inputs)

    hooked_leaves: dict[int, list] = {}  # id(leaf) -> [leaf, gradient summed so far]
    # id(hooked leaf) -> edges of the graph into it not yet run: at 0, its gradient is complete
    # and its hooks run, in the middle of the walk (as PyTorch's AccumulateGrad node does, so
    # that a gradient all-reduce can start while backward goes on)
    edges_left = _edges_into_hooked_leaves(outputs) if _leaf_hooks_in_use and inputs is None \
        else None

    def deliver_to_leaf(leaf: Tensor, grad: Any) -> None:
        if _has_hooks(leaf):
            # its hooks run once, on the gradient summed over every path (after the walk)
            entry = hooked_leaves.setdefault(id(leaf), [leaf, None])
            entry[1] = _add(entry[1], grad) if tape is None or entry[1] is None else \
                tape.apply("add", _add, (entry[1], grad))
        else:
            store_in_leaf(leaf, grad)

    def finish_leaf(leaf: Tensor) -> None:
        entry = hooked_leaves.pop(id(leaf), None)
        if entry is None:  # no gradient reached it
            return
        grad = entry[1]
        if tape is not None and leaf._hooks:
            grad = tape.apply("hooks", functools.partial(_call_hooks, leaf._hooks), (grad,),
                              whole=True)
        elif leaf._hooks:
            grad = _call_hooks(leaf._hooks, grad)
        store_in_leaf(leaf, grad)

    def store_in_leaf(leaf: Tensor, grad: Any) -> None:
        if captured is not None:
            captured[id(leaf)] = _add(captured.get(id(leaf)), grad)
            return
        if create_graph:
            with _accumulation_lock:
                leaf.grad = grad if leaf.grad is None else leaf.grad + grad
            for hook in getattr(leaf, "_post_accumulate_grad_hooks", None) or ():
                hook(leaf)
            return
        # copy on first write so that .grad never aliases a view or another leaf's .grad
        # (decided even when .grad exists: a replay of rg.compile may find it None)
        copy = grad.base is not None or not backend_of(grad).writeable(grad) or \
            id(grad) in owned_ids
        if tape is None:
            owned_ids.add(id(store_gradient(leaf, copy, grad)))
        else:  # replayed as one call (its hooks run again on every replay)
            owned_ids.add(id(tape.apply("AccumulateGrad", functools.partial(
                store_gradient, leaf, copy), (grad,), whole=True, leaf=leaf)))

    def deliver_to_node(node: Function, grad: Any, output_nr: int = 0) -> None:
        if node.output_count > 1:  # a list: one gradient per output of the node
            grads = pending.get(node)
            if grads is None:
                grads = pending[node] = [None] * node.output_count
                heapq.heappush(ready, (-node.sequence_number, node))
            grads[output_nr] = _add(grads[output_nr], grad)
        elif node in pending:
            # several paths meet here: their gradients add up (out of place: the same array
            # may also be stored in a leaf's .grad)
            pending[node] = pending[node] + grad if tape is None else \
                tape.apply("add", _add, (pending[node], grad))
        else:
            pending[node] = grad
            heapq.heappush(ready, (-node.sequence_number, node))

    for output, grad in zip(outputs, grad_outputs):
        if not create_graph:
            owned_ids.add(id(grad))  # the caller's gradient array must not become a .grad
        if output.grad_fn is None:
            deliver_to_leaf(output, grad)
        else:
            deliver_to_node(output.grad_fn, grad, output.output_nr)

    # A node's gradient is complete once every node created after it has run: all the nodes
    # that use its output were created later. So the newest pending node is always ready.
    while ready:
        node = heapq.heappop(ready)[1]
        grad = pending.pop(node)
        if node.output_count > 1:
            if tape is not None:
                tape.unsupported(f"the node {node.name()}, with several outputs")
            grad = _call_output_hooks(node, grad)
        elif node._hooks:
            grad = _call_hooks(node._hooks, grad) if tape is None else \
                tape.apply("hooks", functools.partial(_call_hooks, node._hooks), (grad,),
                           whole=True)
        if node in target_nodes:
            for tensor in target_nodes[node]:
                captured[id(tensor)] = grad[tensor.output_nr] if node.output_count > 1 else grad
        if needed is not None and node not in needed:
            continue
        if tape is not None:
            if not node._forward_on_arrays:
                tape.unsupported(f"the custom autograd Function {type(node).__name__}")
            input_grads = tape.apply(node.name(), functools.partial(node.backward, node),
                                     (grad,))
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
        elif node._forward_on_arrays:  # run_backward's first case, inlined
            input_grads = node.backward(node, grad)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
        else:
            input_grads = node.run_backward(grad)
        if not retain_graph:
            node._saved = None  # free what the forward kept, as soon as it has been used
        if state.anomaly_mode:
            check_backward(node, input_grads)
        for index, (target, meta, input_grad) in enumerate(
                zip(node._next_nodes, node._input_meta, input_grads)):
            if target is None or input_grad is None:
                continue
            shape, dtype, output_nr = meta
            if input_grad.shape != shape:
                input_grad = sum_to_shape(input_grad, shape, node, index) if tape is None else \
                    tape.apply(f"sum to {shape}", functools.partial(
                        sum_to_shape, shape=shape, node=node, index=index), (input_grad,))
            if create_graph:
                input_grad = input_grad.to(dtype)
            elif input_grad.dtype != dtype:
                input_grad = input_grad.astype(dtype) if tape is None else \
                    tape.apply(f"as {dtype}", functools.partial(_as_dtype, dtype=dtype),
                               (input_grad,))
            if isinstance(target, Function):
                deliver_to_node(target, input_grad, output_nr)
            else:
                deliver_to_leaf(target, input_grad)
        if edges_left:
            for target in node._next_nodes:
                if id(target) in edges_left:
                    edges_left[id(target)] -= 1
                    if not edges_left[id(target)]:  # its gradient is complete: hooks run now
                        del edges_left[id(target)]
                        finish_leaf(target)
    for leaf, _ in list(hooked_leaves.values()):  # leaves some path of the graph did not reach
        finish_leaf(leaf)
    if tape is not None:
        tape.finish_backward()

    if captured is None:
        return None
    return [captured.get(id(tensor)) for tensor in inputs]


_leaf_hooks_in_use = False  # set once a leaf gets a hook: then backward counts edges


def expect_leaf_hooks() -> None:
    """Called when a leaf gets a hook: from then on, backward finds when each hooked leaf's
    gradient is complete (a walk over the graph first), instead of running leaf hooks at the
    end."""
    global _leaf_hooks_in_use
    _leaf_hooks_in_use = True


def leaf_edges(outputs: Sequence[Tensor]) -> Iterator[Tensor]:
    """The leaf at the end of every edge of the graph behind ``outputs``, once per edge (a
    leaf used twice comes twice); an iterative walk over the nodes, each visited once."""
    stack: list[Function] = [o.grad_fn for o in outputs if o.grad_fn is not None]
    seen = {id(node) for node in stack}
    while stack:
        for target in stack.pop()._next_nodes:
            if isinstance(target, Function):
                if id(target) not in seen:
                    seen.add(id(target))
                    stack.append(target)
            elif target is not None:
                yield target


def _has_hooks(leaf: Tensor) -> bool:
    """A leaf with gradient hooks or post-accumulate hooks: they run once its gradient is
    complete."""
    return bool(leaf._hooks or getattr(leaf, "_post_accumulate_grad_hooks", None))


def _edges_into_hooked_leaves(outputs: Sequence[Tensor]) -> dict[int, int]:
    """id(leaf) -> how many edges of the graph behind ``outputs`` lead to it, for the leaves
    with hooks."""
    counts: dict[int, int] = {}
    for leaf in leaf_edges(outputs):
        if _has_hooks(leaf):
            counts[id(leaf)] = counts.get(id(leaf), 0) + 1
    return counts


def _nodes_leading_to(roots: list[Function], inputs: Sequence[Tensor]) -> set[Function]:
    """The nodes whose backward can reach one of ``inputs``: autograd.grad runs only those."""
    input_ids = {id(t) for t in inputs} | {id(t.grad_fn) for t in inputs if t.grad_fn is not None}
    needed: set[Function] = set()
    visited: set[int] = set()
    for root in roots:  # an iterative depth-first walk, deciding each node after its inputs
        if id(root) in visited:
            continue
        visited.add(id(root))
        stack = [(root, iter(root._next_nodes))]
        while stack:
            node, parents = stack[-1]
            for parent in parents:
                if isinstance(parent, Function) and id(parent) not in visited:
                    visited.add(id(parent))
                    stack.append((parent, iter(parent._next_nodes)))
                    break
            else:
                stack.pop()
                if any(parent is not None and (id(parent) in input_ids or parent in needed)
                       for parent in node._next_nodes):
                    needed.add(node)
    return needed


def _as_grad(value: Any, like: Tensor, create_graph: bool, what: str) -> Any:
    """A gradient given by the user, checked against ``like``, as an array or a Tensor."""
    if value is None:
        if like.array.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs: {what} has shape "
                f"{tuple(like.shape)}; pass gradient= (a tensor of that shape) to backward")
        # on the output's device; quicker than ones()
        value = array_module(like.array).array(1, like.array.dtype).reshape(like.array.shape)
    elif isinstance(value, Tensor):
        if type(value.array) is not type(like.array):
            raise RuntimeError(f"invalid gradient - expected device {like.device} but got "
                               f"{value.device}")
        value = value if create_graph else value.array
    else:  # host data or an array: made on the output's device
        value = array_module(like.array).asarray(value, dtype=like.array.dtype)
    if tuple(value.shape) != like.array.shape:
        raise RuntimeError(f"gradient has shape {tuple(value.shape)} but {what} has shape "
                           f"{tuple(like.shape)}; they must match")
    if create_graph and not isinstance(value, Tensor):
        value = Tensor(value)
    return value


def _seed_gradients(outputs: list[Tensor], grad_outputs: Any, create_graph: bool) -> list:
    """The gradients the walk starts from, one per output: ``grad_outputs`` (one, or a sequence)
    checked against the outputs, ones for a one-element output given None."""
    if grad_outputs is None or isinstance(grad_outputs, Tensor) or is_device_array(grad_outputs):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    for i, output in enumerate(outputs):
        if not isinstance(output, Tensor):
            raise TypeError(f"expected Tensors to differentiate, got {type(output).__name__}")
        if not output.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn: "
                f"nothing it depends on has requires_grad=True (or it was computed under "
                f"no_grad)")
    return [_as_grad(g, t, create_graph, "the output") for t, g in zip(outputs, grad_outputs)]


def backward(tensors: Tensor | Sequence[Tensor], grad_tensors: Any = None,
             retain_graph: bool | None = None, create_graph: bool = False) -> None:
    """Accumulates into leaves' ``.grad`` the gradient of ``tensors`` (``Tensor.backward``)."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    grads = _seed_gradients(tensors, grad_tensors, create_graph)
    run_backward(tensors, grads, create_graph if retain_graph is None else retain_graph,
                 create_graph)


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple:
    """The gradients of ``outputs`` with respect to ``inputs``, without touching any ``.grad``.

    Returns a tuple with one Tensor (shape of its input) per input. ``create_graph=True`` records
    the computation of the gradients themselves, for gradients of gradients.

    >>> x = rg.tensor(3.0, requires_grad=True)
    >>> (dy,) = rg.autograd.grad(x ** 3, x, create_graph=True)   # 3x^2 = 27
    >>> rg.autograd.grad(dy, x)                                 # 6x = 18
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    grads = _seed_gradients(outputs, grad_outputs, create_graph)
    for i, tensor in enumerate(inputs):
        if not isinstance(tensor, Tensor) or not tensor.requires_grad:
            raise RuntimeError(f"input {i} of autograd.grad does not require grad: "
                               f"differentiate only with respect to tensors with "
                               f"requires_grad=True")
    results = run_backward(outputs, grads, create_graph if retain_graph is None else retain_graph,
                           create_graph, inputs)
    assert results is not None  # one per input, as inputs were given
    wrapped: list[Tensor | None] = []
    for i, (tensor, result) in enumerate(zip(inputs, results)):
        if result is None:
            if not allow_unused:
                raise RuntimeError(
                    f"input {i} of autograd.grad was not used to compute the outputs; pass "
                    f"allow_unused=True to get None for it")
            wrapped.append(None)
        else:
            wrapped.append(result if isinstance(result, Tensor) else Tensor(result))
    return tuple(wrapped)

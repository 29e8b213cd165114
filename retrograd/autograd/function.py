"""``Function``: one node of the computational graph, and the way operations are recorded.

An operation is a subclass with two static methods, the forward and, right below it, the
backward::

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = np.exp(x)
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            y, = ctx.saved_tensors
            return grad * y          # d exp(x)/dx = exp(x)

``Exp.apply(tensor)`` runs the forward and, when an input requires grad and grad mode is on,
records a node: the ``ctx`` object itself, which keeps what backward needs and the edges to
the inputs' nodes. The same object is then the output tensor's ``grad_fn``.

Two kinds of forward exist. Users subclass ``Function`` as in PyTorch: forward and backward take
and return Tensors. retrograd's own operations subclass ``Op``: forward works on raw arrays, and
backward formulas receive raw arrays too (the fast default) or Tensors when the engine runs with
``create_graph=True``, so one formula serves first and higher order gradients alike.
"""
from __future__ import annotations

import itertools
from typing import Any

from ..backend import array_module, is_device_array, memory_owner, xp
from ..device import on_one_device
from ..recording import current
from ..tensor import Tensor, make_view, with_history_of
from .grad_mode import no_grad, state

_OUTPUT = object()  # marks a saved array that is the node's own output
_ONE_DEVICE = object()  # marks inputs of more than one array type
_sequence_numbers = itertools.count()
_FLOAT64, _FLOAT32 = xp.dtype(xp.float64), xp.dtype(xp.float32)
_CONSTANT_TYPES = (int, float, xp.ndarray, xp.generic)  # non-tensor arguments an operation accepts
# needs_input_grad tuples of up to four inputs, shared by the nodes: one new object fewer per
# node for the cyclic garbage collector (issue 11)
_NEEDS_INPUT_GRAD = {needs: needs for n in range(1, 5)
                     for needs in itertools.product((False, True), repeat=n)}

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or to read saved tensors after they "
    "were freed). Saved values are freed by .backward() and autograd.grad(); pass "
    "retain_graph=True to the first call if you need to backward through the graph again.")


class Function:
    """Base class of user-defined differentiable operations (PyTorch's ``torch.autograd.Function``).

    Subclass it with ``forward(ctx, *inputs)`` and ``backward(ctx, *grad_outputs)`` static
    methods, then call ``YourFunction.apply(*inputs)``. ``backward`` returns one gradient per
    input of ``forward`` (``None`` for inputs that are not tensors or need no gradient).
    """

    _forward_on_arrays = False
    needs_input_grad: tuple[bool, ...]  # set by apply, before forward
    _saved: tuple | list | None = ()  # None once freed; a list once unshare_saved changed it
    _saved_sources: tuple | list = ()
    _saved_versions: tuple = ()
    _hooks: list | None = None
    # a user Function may return several tensors: the engine then keeps one gradient per output
    output_count = 1
    materialize_grads = True
    _output_meta: tuple = ()     # (shape, dtype) of each output, to materialize missing grads
    _output_hook_lists: list | None = None  # hooks of each output (several outputs only)
    _dirty: tuple = ()
    _non_differentiable: tuple = ()
    _float32_from_integers = False
    # Ops whose output may be a view of their first input's memory (then a View, see tensor.py)
    _view_of_input = False
    # PyTorch's name of the node, where it differs from the class name (Linear's is Addmm)
    torch_name: str | None = None

    # -- recording --------------------------------------------------------------------------

    @classmethod
    def apply(cls, *args: Any, **options: Any) -> Tensor:
        """Runs ``forward`` on ``args`` and records the node when a gradient will be needed."""
        ctx = cls.__new__(cls)
        if cls._forward_on_arrays:
            raw_args, needs = [], []
            array_type: Any = None  # the arrays' one type, or _ONE_DEVICE for several
            for arg in args:
                if isinstance(arg, Tensor):
                    raw = arg.array
                    if type(raw) is not array_type:
                        if array_type is None:
                            array_type = type(raw)
                        else:
                            array_type = _ONE_DEVICE  # two array types: sorted out below
                    raw_args.append(raw)
                    needs.append(arg.requires_grad)
                else:
                    if not isinstance(arg, _CONSTANT_TYPES) and arg is not None and \
                            not is_device_array(arg):
                        raise TypeError(f"{cls.__name__}: expected Tensors or numbers, got a "
                                        f"{type(arg).__name__}; wrap it with rg.tensor(...)")
                    raw_args.append(arg)
                    needs.append(False)
            if array_type is _ONE_DEVICE:
                raw_args = _on_one_device(args, raw_args)
            requires_grad = True in needs and state.grad_enabled
            # known before forward, so that forward saves only what the needed gradients use
            needed = tuple(needs) if requires_grad else (False,) * len(needs)
            ctx.needs_input_grad = _NEEDS_INPUT_GRAD.get(needed, needed)
            try:
                out = cls.forward(ctx, *raw_args, **options)
            except ValueError as error:  # NumPy's broadcasting and shape errors
                shapes = " and ".join(str(tuple(getattr(a, "shape", ()))) for a in raw_args)
                raise RuntimeError(f"{cls.__name__}: inputs of shapes {shapes} do not fit "
                                   f"together ({error})") from None
            cast = out.dtype is _FLOAT64 and cls._float32_from_integers and not any(
                getattr(a, "dtype", None) is _FLOAT64 for a in raw_args)
            if cast:
                out = out.astype(_FLOAT32)  # integers and scalars promote to float32 (PyTorch)
        else:
            if current.tape is not None:
                current.tape.unsupported(f"the custom autograd Function {cls.__name__}")
            return _apply_user_function(cls, ctx, args, options)
        if cls._view_of_input and memory_owner(out) is memory_owner(args[0].array):
            rest = args[1:]
            result: Tensor = make_view(args[0], out,
                                       lambda base: cls.apply(base, *rest, **options))
        else:
            result = Tensor(out)
        if requires_grad:
            ctx._record(args, out, result)
        if current.tape is not None:
            current.tape.forward(cls, ctx, options, args, raw_args, cast, out, result)
        if state.anomaly_mode:
            from .anomaly import check_forward, record_creation
            check_forward(cls, args, out)
            record_creation(ctx, result)
        return result

    def _record(self, args: tuple, out: Any, result: Tensor) -> None:
        # The edges to the inputs' nodes (a leaf tensor stands for itself; None: no gradient),
        # and apart from them the shape and dtype each input's gradient must have and which
        # output of its node the input is. Apart, because the cyclic garbage collector tracks
        # a tuple only while it holds tracked objects (nodes, tensors): the metadata tuples
        # drop out of its walks, leaving it about two objects per node (issue 11).
        nodes: list = []
        meta: list = []
        for arg, needed in zip(args, self.needs_input_grad):
            if needed:
                array = arg.array
                nodes.append(arg.grad_fn or arg)
                meta.append((array.shape, array.dtype, arg.output_nr))
            else:
                nodes.append(None)
                meta.append(None)
        self._next_nodes, self._input_meta = tuple(nodes), tuple(meta)
        # inputs are always created before the operations that use them, so processing nodes
        # by decreasing sequence number is a valid order for the backward walk
        self.sequence_number = next(_sequence_numbers)
        if self._saved:
            self._resolve_saved(args, out, result)
        result.grad_fn = self
        result.requires_grad = True
        if state.keep_forward:  # rg.explain shows every value of the graph
            self.forward_args, self.forward_output = args, out

    def save_for_backward(self, *values: Any) -> None:
        """Keeps inputs, the output, or other arrays/tensors for ``backward``."""
        self._saved = values

    def mark_dirty(self, *tensors: Tensor) -> None:
        """Says that ``forward`` changed these inputs in place (and returns them): their history
        then continues from this node, as after any in-place operation."""
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        """Says that these outputs have no gradient (indices, masks): they do not require grad,
        and ``backward`` receives zeros for them."""
        self._non_differentiable = tensors

    def set_materialize_grads(self, value: bool) -> None:
        """With False, ``backward`` receives None, not zeros, for outputs that got no gradient
        (unused outputs of a Function with several)."""
        self.materialize_grads = value

    def unshare_saved(self, array: Any) -> None:
        """Copies the saved values that may share memory with ``array``, which an in-place
        operation is about to overwrite with this node's output (PyTorch saves a clone of
        ``self`` for in-place operations whose backward needs the old values)."""
        saved = self._saved
        if not saved:
            return
        if type(saved) is tuple:  # tuples for the collector (see _resolve_saved): lists to change
            saved = self._saved = list(saved)
            self._saved_sources = list(self._saved_sources)
        for i, raw in enumerate(saved):
            if type(raw) is type(array) and array_module(array).may_share_memory(raw, array):
                saved[i] = copy = raw.copy()  # type: ignore[index]  # a list by now
                source = self._saved_sources[i]
                if isinstance(source, Tensor):  # under create_graph, the same history
                    self._saved_sources[i] = with_history_of(  # type: ignore[index]  # a list
                        source, copy)

    def _resolve_saved(self, args: tuple, out: Any, result: Tensor) -> None:
        # Remember which saved values are the inputs or the output, so that under
        # create_graph=True backward gets the graph's own tensors and gradients flow through
        # them, and the versions of those tensors, to detect in-place changes before backward.
        raws: list = []
        sources: list = []
        versions: list = []
        assert self._saved is not None  # called only when something was saved
        for value in self._saved:
            raw = value.array if isinstance(value, Tensor) else value
            raws.append(raw)
            if raw is out:
                sources.append(_OUTPUT)
                versions += result._version_counter, 0
                continue
            for arg in args:
                if isinstance(arg, Tensor) and arg.array is raw:
                    sources.append(arg)
                    versions += arg._version_counter, arg._version_counter[0]
                    break
            else:
                sources.append(None)
        # Tuples: once the cyclic garbage collector sees one that holds only arrays and numbers
        # it stops tracking it (a list it tracks for ever). The versions are one flat tuple,
        # (counter, version, counter, version...), not one tuple per tensor it would track.
        self._saved = tuple(raws)
        self._saved_sources = tuple(sources)
        self._saved_versions = tuple(versions) if versions else ()

    def forget_saved_versions(self) -> None:
        """Stops checking that saved tensors kept their versions: ``rg.compile`` reuses this
        node on every replay of its step, which saves fresh arrays each time."""
        self._saved_versions = ()

    # -- reading back -----------------------------------------------------------------------

    @property
    def saved_tensors(self) -> tuple | list:
        """What ``save_for_backward`` kept: arrays in a fast backward, Tensors under create_graph.

        Raises RuntimeError when the graph was already freed or a saved tensor changed in place.
        """
        saved = self._saved
        if saved is None:
            raise RuntimeError(FREED_MESSAGE)
        if self._saved_versions:  # counter, version, counter, version...
            pairs = iter(self._saved_versions)
            for counter, version in zip(pairs, pairs):
                if counter[0] != version:
                    raise RuntimeError(
                        f"one of the tensors needed to compute the gradient of "
                        f"{type(self).__name__} was modified by an in-place operation: it is "
                        f"at version {counter[0]}, expected version {version}. Do that change "
                        f"out of place, or on a .clone() of the tensor.")
        if not state.create_graph:
            return saved if self._forward_on_arrays else tuple(Tensor(raw) for raw in saved)
        tensors = []
        for raw, source in zip(saved, self._saved_sources):
            if source is _OUTPUT:
                tensor = Tensor(raw)
                tensor.grad_fn, tensor.requires_grad = self, True
            elif source is None:  # a constant: Ops take it raw, user Functions as a Tensor
                tensor = raw if self._forward_on_arrays else Tensor(raw)
            else:
                tensor = source
            tensors.append(tensor)
        return tuple(tensors)

    @property
    def next_functions(self) -> tuple:
        """The inputs' nodes (a leaf tensor for a leaf input, None for no gradient)."""
        return self._next_nodes

    def register_hook(self, hook) -> None:
        """Calls ``hook(grad)`` with the gradient of this node's output before it is used."""
        hooks = self.output_hooks(0)
        assert hooks is not None  # created on demand
        hooks.append(hook)

    def output_hooks(self, output_nr: int, create: bool = True) -> list | None:
        """The hooks on the gradient of output ``output_nr`` (made empty when ``create``)."""
        if self.output_count == 1:
            if self._hooks is None and create:
                self._hooks = []
            return self._hooks
        lists = self._output_hook_lists
        if lists is None:
            if not create:
                return None
            lists = self._output_hook_lists = [None] * self.output_count
        if lists[output_nr] is None and create:
            lists[output_nr] = []
        return lists[output_nr]

    def name(self) -> str:
        """The node's name as PyTorch prints it: ``'MulBackward0'`` for a built-in operation,
        ``'MyFunctionBackward'`` for a user Function."""
        suffix = "Backward0" if self._forward_on_arrays else "Backward"
        return f"{self.torch_name or type(self).__name__}{suffix}"

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"

    # -- called by the engine ---------------------------------------------------------------

    def run_backward(self, grad: Any) -> tuple:
        """Gradients for each input, as arrays (fast) or Tensors (create_graph), from the
        gradient of the output (a list of one per output for a node with several)."""
        grads = grad if self.output_count > 1 else [grad]
        if self._forward_on_arrays:
            input_grads = self.backward(self, *grads)
            return input_grads if isinstance(input_grads, tuple) else (input_grads,)
        if state.create_graph:
            input_grads = self.backward(self, *self._materialized(grads))
        else:  # a user Function in a fast backward: it speaks Tensors, the engine arrays
            with no_grad():
                input_grads = self.backward(self, *[None if g is None else Tensor(g)
                                                   for g in self._materialized(grads)])
        input_grads = input_grads if isinstance(input_grads, tuple) else (input_grads,)
        expected = len(self._next_nodes)
        if len(input_grads) > expected and all(g is None for g in input_grads[expected:]):
            input_grads = input_grads[:expected]  # PyTorch allows trailing Nones
        if len(input_grads) != expected:
            raise RuntimeError(f"function {type(self).__name__}Backward returned an incorrect "
                               f"number of gradients (expected {expected}, got "
                               f"{len(input_grads)})")
        if state.create_graph:
            return input_grads
        return tuple(g.array if isinstance(g, Tensor) else g for g in input_grads)

    def _materialized(self, grads: list) -> list:
        """Zeros in place of the missing gradients of tensor outputs (set_materialize_grads)."""
        if not self.materialize_grads or all(g is not None for g in grads):
            return grads
        present = next(g for g in grads if g is not None)
        as_tensors = isinstance(present, Tensor)
        module = array_module(present.array if as_tensors else present)
        filled = []
        for grad, meta in zip(grads, self._output_meta):
            if grad is None and meta is not None:
                grad = module.zeros(*meta)
                grad = Tensor(grad) if as_tensors else grad
            filled.append(grad)
        return filled

    @staticmethod
    def forward(ctx: "Function", *args: Any, **options: Any) -> Any:
        raise NotImplementedError("subclasses of Function define forward(ctx, *inputs)")

    @staticmethod
    def backward(ctx: "Function", *grad_outputs: Any) -> Any:
        raise NotImplementedError("subclasses of Function define backward(ctx, *grad_outputs)")


def named_as(tensor: Tensor, torch_name: str) -> Tensor:
    """Names the node that made ``tensor`` as PyTorch names the one fused operation a
    composition of Ops stands for: ``F.mse_loss`` ends in a mean here, and prints
    ``grad_fn=<MseLossBackward0>`` as in PyTorch. Returns ``tensor``."""
    if isinstance(tensor.grad_fn, Function):
        tensor.grad_fn.torch_name = torch_name
    return tensor


def _on_one_device(args: tuple, raw_args: list) -> list:
    """The tensors' arrays on one device (a 0-d CPU tensor goes along), or PyTorch's error."""
    positions = [i for i, arg in enumerate(args) if isinstance(arg, Tensor)]
    moved = on_one_device([raw_args[i] for i in positions])
    for i, array in zip(positions, moved):
        raw_args[i] = array
    return raw_args


def _apply_user_function(cls, ctx: Function, args: tuple, options: dict) -> Any:
    """Runs a user Function's forward (Tensors in; a Tensor, or a tuple of outputs, out) and
    records the node when a gradient will be needed: each tensor output is an output of it."""
    ctx.needs_input_grad = tuple([isinstance(a, Tensor) and a.requires_grad for a in args])
    requires_grad = state.grad_enabled and True in ctx.needs_input_grad
    with no_grad():
        returned = cls.forward(ctx, *args, **options)
    several = isinstance(returned, tuple)
    outputs = returned if several else (returned,)
    if not several and not isinstance(returned, Tensor):
        raise TypeError(f"{cls.__name__}.forward must return a Tensor or a tuple, got "
                        f"{type(returned).__name__}")
    dirty = {id(t) for t in ctx._dirty}
    non_differentiable = {id(t) for t in ctx._non_differentiable}
    inputs = {id(a) for a in args if isinstance(a, Tensor)}
    if several:
        ctx.output_count = len(outputs)
    results = []
    for output in outputs:
        if not isinstance(output, Tensor):
            results.append(output)
        elif id(output) in dirty:
            results.append(_dirtied(cls, output, requires_grad))
        elif id(output) in inputs or output.grad_fn is not None or output.requires_grad:
            results.append(Tensor(output.array))  # a new tensor for the graph (same memory)
        else:
            results.append(output)
    if requires_grad:
        ctx._output_meta = tuple((r.array.shape, r.array.dtype) if isinstance(r, Tensor)
                                 else None for r in results)
        first = next((r for r in results if isinstance(r, Tensor)), None)
        if first is not None:
            ctx._record(args, first.array, first)
        for index, result in enumerate(results):
            if isinstance(result, Tensor):
                is_output = id(outputs[index]) not in non_differentiable
                result.grad_fn = ctx if is_output else None
                result.requires_grad, result.output_nr = is_output, index if is_output else 0
    if state.anomaly_mode:
        from .anomaly import record_creation
        for result in results:
            if isinstance(result, Tensor):
                record_creation(ctx, result)
    return tuple(results) if several else results[0]


def _dirtied(cls, tensor: Tensor, requires_grad: bool) -> Tensor:
    """An input ``forward`` changed in place (``mark_dirty``): the same tensor, whose history
    will continue from the node."""
    if tensor.grad_fn is None and tensor.requires_grad and requires_grad:
        raise RuntimeError("a leaf Variable that requires grad has been used in an in-place "
                           "operation; mark_dirty it only on a non-leaf (e.g. a .clone())")
    if tensor._base is not None and requires_grad:
        raise RuntimeError(f"{cls.__name__}: mark_dirty on a view is not supported in "
                           f"retrograd; pass a .clone() of it instead")
    return tensor


class Op(Function):
    """Base of retrograd's own operations: forward on raw arrays, backward on arrays or Tensors."""

    _forward_on_arrays = True
    # NumPy computes integer inputs (and float32 with int64) in float64; PyTorch in float32
    _float32_from_integers = True

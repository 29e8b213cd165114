"""The recorder: watches one eager call of a step and writes down every array operation it runs.

While it records, ``current.tape`` is this object: each ``Op`` reports its forward (a call of its
``forward`` on arrays), the engine each backward formula, sum over broadcast axes, cast and
accumulation, ``modify_in_place`` each copy into a tensor's memory, and methods decorated
``replayed_whole`` (``optimizer.step()``) one call each. An array is known by its identity: an
array an instruction made is that instruction's output; the array of a tensor that existed
before (a parameter) is read from that tensor when a replay first needs it; anything else is a
constant of the program.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Callable

from ..autograd.function import Function
from ..backend import is_device_array
from ..backend import xp as host  # NumPy
from ..recording import current
from ..tensor import Tensor


@dataclass(frozen=True)
class Constant:
    """A value the program uses as it was at recording (a Python number, an array of ones)."""
    value: Any


@dataclass
class Instruction:
    """One step of the program: ``outputs = function(*inputs)``.

    ``inputs`` are slot numbers or Constants; ``outputs`` a slot, a tuple of slots (None where
    the function returns None), or None. A read (``function`` None) takes ``tensor.array``.
    """
    phase: str                   # "forward", "backward", "after backward", or "SGD.step()"...
    name: str                    # what the printout shows: "Addmm", "TanhBackward0", "add"...
    function: Callable | None
    inputs: tuple = ()
    outputs: Any = None
    tensor: Tensor | None = None  # what a read reads, or the leaf AccumulateGrad writes
    key: tuple = field(default=(), repr=False)  # what two recordings must agree on


def _is_array(value: Any) -> bool:
    return is_device_array(value) and not isinstance(value, Tensor)


def fingerprint(value: Any) -> Any:
    """A comparable summary of ``value``: equal for two recordings that did the same thing.

    Nodes compare by type (each recording makes its own), tensors by identity, arrays by
    contents.
    """
    if isinstance(value, Function):
        return ("node", type(value))
    if isinstance(value, Tensor):
        return ("tensor", id(value))
    if _is_array(value):
        if value.size > 1_000_000:
            return ("array", id(value))
        return ("array", value.shape, value.dtype.str, value.tobytes())
    if isinstance(value, slice):  # hashable only from Python 3.12
        return ("slice", value.start, value.stop, value.step)
    if isinstance(value, (tuple, list)):
        return (type(value), tuple(fingerprint(item) for item in value))
    if isinstance(value, dict):
        return (dict, tuple((key, fingerprint(item)) for key, item in value.items()))
    if isinstance(value, functools.partial):
        return ("partial", fingerprint(value.func), fingerprint(value.args),
                fingerprint(value.keywords))
    try:
        hash(value)
    except TypeError:
        return ("object", id(value))
    return value


class Recorder:
    """What one call of a step did, as instructions over numbered slots (see the module)."""

    def __init__(self) -> None:
        self.instructions: list[Instruction] = []
        self.slot_of: dict[int, int] = {}  # id(array) -> its slot
        self.arrays: list[Any] = []        # slot -> the array recorded (keeps ids unique)
        self.written: set[int] = set()     # slots that a copy writes into
        self.modules: dict[int, Any] = {}  # the modules called, by identity
        self.owners: dict[int, Tensor] = {}  # id(array) -> the parameter or buffer holding it
        self.nodes: list[Function] = []    # the Ops' nodes, which replays reuse
        self.problem: str | None = None    # why this step cannot be replayed
        self.backward_done = False

    # -- slots --------------------------------------------------------------------------------

    def new_slot(self, array: Any) -> int:
        slot = len(self.arrays)
        self.arrays.append(array)
        self.slot_of[id(array)] = slot
        return slot

    def tensor_ref(self, tensor: Tensor) -> int:
        """The slot of ``tensor``'s array, read from the tensor if no instruction made it."""
        array = tensor.array
        slot = self.slot_of.get(id(array))
        if slot is None:
            # a parameter seen through an alias (``p.detach()``, ``p.data``) is read from itself
            tensor = self.owners.get(id(array), tensor)
            slot = self.new_slot(array)
            self.instructions.append(Instruction(
                self._phase(), "read", None, (), slot, tensor, ("read", id(tensor))))
        return slot

    def value_ref(self, value: Any) -> int | Constant:
        if _is_array(value):
            slot = self.slot_of.get(id(value))
            if slot is not None:
                return slot
        return Constant(value)

    def _outputs(self, result: Any) -> Any:
        if type(result) is tuple:
            return tuple(None if item is None else self.new_slot(item) for item in result)
        return None if result is None else self.new_slot(result)

    def _phase(self) -> str:
        return "after backward" if self.backward_done else "forward"

    def _emit(self, phase: str, name: str, function: Callable, inputs: list, result: Any,
              key: tuple) -> None:
        inputs_key = tuple(item if isinstance(item, int) else ("k", fingerprint(item.value))
                           for item in inputs)
        self.instructions.append(Instruction(phase, name, function, tuple(inputs),
                                             self._outputs(result), None,
                                             key + (inputs_key,)))

    # -- what the framework reports -------------------------------------------------------------

    def forward(self, cls: type[Function], ctx: Function, options: dict, args: tuple,
                raw_args: list, cast: bool, out: Any, result: Tensor) -> None:
        """An Op ran ``cls.forward(ctx, *raw_args, **options)`` (then, with ``cast``, float32)
        and gave ``out``, the array of ``result`` (made an array when it was a NumPy scalar)."""
        inputs: list = []
        for arg, raw in zip(args, raw_args):
            if isinstance(arg, Tensor):
                if raw is not arg.array:
                    self.unsupported(f"{cls.__name__} on tensors of two devices")
                inputs.append(self.tensor_ref(arg))
            else:
                inputs.append(self.value_ref(raw))
        # arrays among the options (an embedding's indices, an index's key) are inputs too:
        # they may change at each call
        arrays: list = []
        template = _hollowed(options, arrays)
        if arrays:
            inputs += [self.value_ref(array) for array in arrays]
            function = functools.partial(_forward_with_array_options, cls.forward, ctx,
                                         template, len(arrays))
            options = template
        else:
            function = functools.partial(cls.forward, ctx, **options)
        if cast:
            function = functools.partial(_as_float32, function)
        if result.array is not out:
            function = functools.partial(_as_tensor_array, function)
        self.nodes.append(ctx)
        self._emit(self._phase(), cls.torch_name or cls.__name__, function, inputs,
                   result.array, (cls, fingerprint(options), cast))

    def apply(self, name: str, function: Callable, inputs: tuple, whole: bool = False,
              leaf: Tensor | None = None) -> Any:
        """Runs ``function(*inputs)`` for the backward engine and records it; ``whole``: with
        the recording paused, since a replay calls it again (hooks inside it run again).
        ``leaf``: the tensor whose ``.grad`` it accumulates into (for the printout)."""
        refs = [self.value_ref(item) for item in inputs]
        if whole:
            current.tape = None
            try:
                result = function(*inputs)
            finally:
                current.tape = self
        else:
            result = function(*inputs)
        self._emit("backward", name, function, refs, result, (fingerprint(function),))
        self.instructions[-1].tensor = leaf
        return result

    def raw(self, function: Callable, args: tuple, kwargs: dict) -> Any:
        """A ``recorded`` function on arrays: ``args`` may be arrays (slots), the rest and
        ``kwargs`` are constants of the instruction."""
        bound = functools.partial(function, **kwargs) if kwargs else function
        current.tape = None  # what it calls is part of it
        try:
            result = function(*args, **kwargs)
        finally:
            current.tape = self
        if isinstance(result, host.generic):  # a NumPy scalar: a 0-d array, as Tensor makes it
            bound, result = functools.partial(_as_tensor_array, bound), host.asarray(result)
        name = next((arg for arg in args if isinstance(arg, str)), function.__name__)
        self._emit(self._phase(), name.strip("_"), bound,
                   [self.value_ref(arg) for arg in args], result,
                   ("raw", function, fingerprint(kwargs)))
        return result

    def finish_backward(self) -> None:
        self.backward_done = True

    def write(self, tensor: Tensor, result: Tensor) -> None:
        """``modify_in_place`` copied ``result`` into ``tensor``'s memory."""
        target = self.tensor_ref(tensor)
        self.written.add(target)
        node = result.grad_fn if isinstance(result.grad_fn, Function) else None
        self._emit(self._phase(), "copy into", functools.partial(_copy_into, node),
                   [target, self.value_ref(result.array)], None, ("copy", node is not None))

    def call(self, method: Callable, owner: Any, args: tuple, kwargs: dict) -> Any:
        """A ``replayed_whole`` method: run now with the recording paused, called again on
        every replay."""
        if any(isinstance(value, Tensor) or callable(value)
               for value in (*args, *kwargs.values())):
            self.unsupported(f"{type(owner).__name__}.{method.__name__}() given tensors or a "
                             f"closure")
        current.tape = None
        try:
            result = method(owner, *args, **kwargs)
        finally:
            current.tape = self
        name = f"{type(owner).__name__}.{method.__name__}()"
        self.instructions.append(Instruction(
            name, name, functools.partial(method, owner, *args, **kwargs), (), None, None,
            ("call", method, id(owner), fingerprint(args), fingerprint(kwargs))))
        return result

    def grad_assigned(self, tensor: Tensor, value: Tensor | None) -> None:
        """``tensor.grad = value``: replayed when it is None (the gradient reset)."""
        if value is not None:
            self.unsupported("an assignment of a tensor to .grad")
            return
        self.instructions.append(Instruction(
            self._phase(), ".grad = None", functools.partial(_forget_grad, tensor), (), None,
            tensor, ("grad = None", id(tensor))))

    def module_called(self, module: Any, hooked: bool) -> None:
        self.modules[id(module)] = module
        for tensor in (*module.parameters(recurse=False), *module.buffers(recurse=False)):
            self.owners.setdefault(id(tensor.array), tensor)
        if hooked:
            self.unsupported(f"hooks on the module {type(module).__name__} (a replay runs no "
                             f"Python, so hooks would not run)")

    def value_read(self, what: str) -> None:
        self.unsupported(f"the step reads a tensor's value ({what}): a replay runs no Python, "
                         f"so it cannot redo what Python decides from it. Return the tensor "
                         f"and read it after the call")

    def unsupported(self, reason: str) -> None:
        if self.problem is None:
            self.problem = reason


def _as_float32(forward: Callable, *arrays: Any) -> Any:
    out = forward(*arrays)
    return out.astype("float32")


@dataclass(frozen=True)
class _Hole:
    """Where an array was in the options of an operation (its position among them)."""
    index: int


def _hollowed(value: Any, arrays: list) -> Any:
    """``value`` (options) with each array, also inside tuples and lists, replaced by a Hole."""
    if _is_array(value):
        arrays.append(value)
        return _Hole(len(arrays) - 1)
    if type(value) is dict:
        return {key: _hollowed(item, arrays) for key, item in value.items()}
    if type(value) in (tuple, list):  # named tuples (a convolution's geometry) hold no arrays
        return type(value)(_hollowed(item, arrays) for item in value)
    return value


def _filled(value: Any, arrays: tuple) -> Any:
    if isinstance(value, _Hole):
        return arrays[value.index]
    if type(value) is dict:
        return {key: _filled(item, arrays) for key, item in value.items()}
    if type(value) in (tuple, list):
        return type(value)(_filled(item, arrays) for item in value)
    return value


def _forward_with_array_options(forward: Callable, ctx: Function, template: dict, count: int,
                                *arrays: Any) -> Any:
    inputs, options = arrays[:len(arrays) - count], arrays[len(arrays) - count:]
    return forward(ctx, *inputs, **_filled(template, options))


def _as_tensor_array(forward: Callable, *arrays: Any) -> Any:
    out = forward(*arrays)  # a NumPy scalar becomes a 0-d array, as Tensor(out) makes it
    return host.asarray(out) if isinstance(out, host.generic) else out


def _forget_grad(tensor: Tensor) -> None:
    tensor.grad = None


def _copy_into(node: Function | None, target: Any, values: Any) -> None:
    if node is not None:  # what the node saved of the old values must survive the write
        node.unshare_saved(target)
    target[...] = values

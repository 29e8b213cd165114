"""``rg.compile``: record a step once, replay it at the speed of its array operations.

Like tinygrad's TinyJit: the first two calls run eagerly and are recorded; when they did the
same thing, later calls with inputs of the same shapes, dtypes and devices run the recorded
tape (``retrograd/compiler/tape.py``) instead of the Python of the step. A call that differs
(another shape, grad mode, a module switched to eval, an attribute of a module set) records
again; a step that cannot be replayed (it reads a value, calls a custom Function, has module
hooks) runs eagerly, with one warning that says why. Never does a replay compute something
other than the eager step would.
"""
from __future__ import annotations

import functools
import warnings
from typing import Any, Callable

from ..autograd.grad_mode import state
from ..nn.module import configuration_version
from ..recording import current
from ..tensor import Tensor
from .recorder import Instruction, Recorder, fingerprint
from .tape import Tape

MAX_SIGNATURES = 8   # tapes kept per compiled function (one per input shapes...)
MAX_RECORDINGS = 3   # recordings of one signature before giving up on it
MAX_TAPES = 4        # tapes kept per signature, one per set of modules' training modes...


class _Entry:
    """What is known of one signature: the last recording, and the tape once two agree."""

    def __init__(self) -> None:
        self.tapes: list[Tape] = []  # one per combination of training modes...
        self.previous: tuple[Recorder, list] | None = None
        self.recordings = 0
        self.eager = False


class CompiledFunction:
    """The callable ``rg.compile(fn)`` returns; ``.tape`` is the latest tape (or None)."""

    def __init__(self, function: Callable) -> None:
        functools.update_wrapper(self, function)
        self.function = function
        self.tape: Tape | None = None
        self.eager_reason: str | None = None  # why the latest call ran eagerly
        self.replays = 0  # calls that ran a tape
        self._entries: dict[Any, _Entry] = {}
        self._warned = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if current.tape is not None or state.anomaly_mode or state.keep_forward:
            return self.function(*args, **kwargs)  # inside another recording, or debugging
        tensors: list[Tensor] = list(args)  # the common case: tensors as arguments
        structure: Any = len(args)
        if kwargs or any(type(arg) is not Tensor for arg in args):
            tensors = []
            structure = _flatten((args, kwargs), tensors)
        arrays = [t.array for t in tensors]
        ids = [id(a) for a in arrays] if len(arrays) > 1 else ()
        aliases = None if len(set(ids)) == len(ids) else tuple(ids.index(i) for i in ids)
        # dtypes by identity: NumPy's are singletons, and another object only records again
        key = (state.grad_enabled, configuration_version(), structure, aliases,
               tuple([(a.shape, id(a.dtype), type(a), t.requires_grad)
                      for a, t in zip(arrays, tensors)]))
        entry = self._entries.get(key)
        if entry is None:
            if len(self._entries) >= MAX_SIGNATURES:
                del self._entries[next(iter(self._entries))]
            entry = self._entries[key] = _Entry()
        for tape in entry.tapes:
            if tape.guards():
                self.replays += 1
                return tape.replay(*arrays)
        if entry.eager:
            return self.function(*args, **kwargs)
        return self._record(entry, tensors, args, kwargs)

    def _record(self, entry: _Entry, tensors: list[Tensor], args: tuple, kwargs: dict) -> Any:
        recorder = Recorder()
        known = [recorder.slot_of.get(id(t.array)) for t in tensors]
        slots = [recorder.new_slot(t.array) if s is None else s for t, s in zip(tensors, known)]
        current.tape = recorder
        try:
            result = self.function(*args, **kwargs)
        finally:
            current.tape = None
        outputs = _template(result, recorder)
        if recorder.problem is None and not recorder.backward_done and \
                _requires_grad(result):
            recorder.unsupported("the step returns a tensor that requires grad but runs no "
                                 "backward: a replay cannot give it a graph. Compile the whole "
                                 "training step (backward and optimizer.step() inside), or "
                                 "run inference under rg.no_grad()")
        if recorder.problem is not None:
            self._give_up(entry, recorder.problem)
            return result
        signature = [i.key for i in recorder.instructions] + [
            fingerprint(outputs), tuple(m.training for m in recorder.modules.values())]
        if entry.previous is not None:
            difference = _agree(entry.previous, recorder, signature)
            if difference is None:
                self.tape = Tape(recorder, slots, outputs)
                entry.tapes = [self.tape, *entry.tapes[:MAX_TAPES - 1]]
                entry.previous = None
                return result
            entry.recordings += 1
            if entry.recordings >= MAX_RECORDINGS:
                self._give_up(entry, f"the step does something different at each call "
                                     f"({difference})")
                return result
        entry.previous = (recorder, signature)
        return result

    def _give_up(self, entry: _Entry, reason: str) -> None:
        entry.eager, entry.previous = True, None
        self.eager_reason = reason
        if not self._warned:
            self._warned = True
            name = self.__name__  # type: ignore[attr-defined]  # set by update_wrapper
            warnings.warn(f"rg.compile: {name} runs eagerly: {reason}",
                          RuntimeWarning, stacklevel=3)


def compile(function: Callable | None = None, **options: Any) -> Any:
    """Records ``function`` (a training step, or inference) and replays it without Python.

    Returns a callable with ``function``'s signature. The first two calls run eagerly while
    recording every array operation of forward, backward and the optimizer's step; later calls
    with tensors of the same shapes, dtypes, devices and ``requires_grad`` (in the same grad
    mode, with the modules in the same training modes) replay that tape: the same arithmetic
    in the same order, so the same results, at the cost of the array operations alone. Random
    operations (dropout) draw fresh numbers on every replay. Returned tensors are new tensors,
    without a graph. ``compiled.tape`` prints the recorded program.

    What a replay does not redo: Python that does not touch tensors (prints, counters, lists
    filled with tensors, branches on Python values that change). A step that reads tensor
    values (``item()``, ``if loss > 0``), calls a custom autograd Function, or calls modules
    that have hooks runs eagerly, with a warning saying why.

    Usable as ``rg.compile(step)`` and as the decorator ``@rg.compile``; PyTorch's keyword
    arguments (``mode``, ``fullgraph``, ``dynamic``, ``backend``...) are accepted and ignored.

    >>> @rg.compile
    ... def step(x, y):
    ...     optimizer.zero_grad()
    ...     loss = F.cross_entropy(model(x), y)
    ...     loss.backward()
    ...     optimizer.step()
    ...     return loss
    """
    if function is None:  # @rg.compile(mode=...)
        return CompiledFunction
    if not callable(function):
        raise TypeError(f"rg.compile expects a function or a module, got "
                        f"{type(function).__name__}")
    return CompiledFunction(function)


# -- the step's arguments and result -----------------------------------------------------------

def _flatten(value: Any, tensors: list[Tensor]) -> Any:
    """The structure of ``value`` with each Tensor replaced by its position in ``tensors``."""
    if isinstance(value, Tensor):
        tensors.append(value)
        return ("tensor",)
    if isinstance(value, (tuple, list)):
        return (type(value), tuple(_flatten(item, tensors) for item in value))
    if isinstance(value, dict):
        return (dict, tuple((key, _flatten(item, tensors)) for key, item in value.items()))
    return fingerprint(value)


def _template(result: Any, recorder: Recorder) -> Any:
    if isinstance(result, Tensor):
        slot = recorder.slot_of.get(id(result.array))
        return ("slot", slot) if slot is not None else ("object", result)
    if isinstance(result, (tuple, list)):
        return (type(result).__name__, tuple(_template(item, recorder) for item in result))
    if isinstance(result, dict):
        return ("dict", {key: _template(item, recorder) for key, item in result.items()})
    return ("object", result)


def _requires_grad(result: Any) -> bool:
    if isinstance(result, Tensor):
        return result.requires_grad
    if isinstance(result, (tuple, list)):
        return any(_requires_grad(item) for item in result)
    if isinstance(result, dict):
        return any(_requires_grad(item) for item in result.values())
    return False


# -- guards ------------------------------------------------------------------------------------

def _agree(previous: tuple[Recorder, list], recorder: Recorder, signature: list) -> str | None:
    """None when two recordings did the same thing, else what differs. A tensor made inside the
    step (each call its own) with the same values both times becomes a constant."""
    earlier, earlier_signature = previous
    if len(earlier_signature) != len(signature):
        return (f"{len(earlier.instructions)} then {len(recorder.instructions)} array "
                f"operations")
    for index, (first, second) in enumerate(zip(earlier_signature, signature)):
        if first == second:
            continue
        if index < len(recorder.instructions) and \
                _same_constant(earlier.instructions[index], recorder.instructions[index],
                               recorder):
            continue
        if index >= len(recorder.instructions):
            return "the result differs"
        instruction = recorder.instructions[index]
        if instruction.function is None:
            tensor = instruction.tensor
            assert tensor is not None  # a read has its tensor
            return (f"operation {index} reads a tensor {tuple(tensor.shape)} "
                    f"{tensor.array.dtype} made at each call from other values (pass it as an "
                    f"argument)")
        return f"operation {index} ({instruction.name}) has other arguments or constants"
    return None


def _same_constant(first: Instruction, second: Instruction, recorder: Recorder) -> bool:
    """Two reads that agree though their tensors differ: views of the same memory (``x.data``
    made at each call), or tensors made inside the step with equal values, which become a
    constant (never written, never differentiated)."""
    if first.function is not None or second.function is not None:
        return False
    a, b = first.tensor, second.tensor
    assert a is not None and b is not None  # reads have their tensors
    if a.array is b.array:
        return True
    if a.requires_grad or b.requires_grad or second.outputs in recorder.written or \
            fingerprint(a.array) != fingerprint(b.array):
        return False
    second.function, second.tensor = functools.partial(_constant, b.array), None
    second.name = "constant"
    return True


def _constant(value: Any) -> Any:
    return value

"""The tape: a recorded step as a straight-line Python program over arrays, and its printout.

``Tape`` turns a recorder's instructions into the source of one function, ``replay(s0, s1,
...)``, whose arguments are the arrays of the step's input tensors and whose body calls, in
order, every forward formula, backward formula and engine operation the eager step ran, then
the whole calls (``SGD.step()``). Compiled once with ``exec``, it runs with no Tensor, no graph
and no engine: the cost of a step is that of its array operations plus one Python call each.

On the CUDA device, the same program is what CuPy's CUDA graphs need (a fixed sequence of
kernels on fixed shapes): capturing one call of ``replay`` between ``Stream.begin_capture()`` and
``end_capture()`` and then launching the graph would also remove the per-kernel launch cost.
That is not done yet: the arrays a replay allocates are new at each call (a graph replays into
the memory of its capture), and the whole calls (``SGD.step()``) run Python; ``replay`` is the
one place where capture would go.
"""
from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .recorder import Constant, Instruction, Recorder


class Tape:
    """The program of one recorded step, ready to replay; ``str(tape)`` prints it."""

    def __init__(self, recorder: Recorder, input_slots: list[int], outputs: Any) -> None:
        self.instructions = recorder.instructions
        self.input_slots = input_slots
        self.outputs = outputs  # the step's result, tensors replaced by ("slot", n)
        self.meta = [(tuple(a.shape), a.dtype) for a in recorder.arrays]
        self.modules = list(recorder.modules.values())
        # the reads: the instructions with no function, each with its tensor
        self.reads = [(i.tensor, i.tensor.requires_grad)  # type: ignore[union-attr]
                      for i in self.instructions if i.function is None]
        self.names = _tensor_names(self.modules)
        for node in recorder.nodes:  # a replay's writes are its own: no version checks
            node.forget_saved_versions()
        self.source, namespace = self._generate()
        exec(compile(self.source, "<rg.compile tape>", "exec"), namespace)
        self.replay = namespace["replay"]  # the input tensors' arrays -> the step's result
        self.guards = namespace["guards"]  # True when the modules and tensors are as recorded

    def output_slots(self) -> list[int]:
        slots: list[int] = []
        _collect_slots(self.outputs, slots)
        return slots

    def _generate(self) -> tuple[str, dict]:
        namespace: dict[str, Any] = {"Tensor": Tensor}

        def name_of(ref: Any) -> str:
            if isinstance(ref, int):
                return f"s{ref}"
            if ref.value is None:
                return "None"
            name = f"k{len(namespace)}"
            namespace[name] = ref.value
            return name

        def result(template: Any) -> str:
            kind, content = template
            if kind == "slot":
                return f"Tensor(s{content})"
            if kind in ("tuple", "list"):
                items = "".join(f"{result(item)}, " for item in content)
                return f"({items})" if kind == "tuple" else f"[{items}]"
            if kind == "dict":
                return "{" + "".join(f"{name_of(Constant(key))}: {result(item)}, "
                                     for key, item in content.items()) + "}"
            return name_of(Constant(content))

        conditions = []
        for index, module in enumerate(self.modules):
            namespace[f"m{index}"] = module
            conditions.append(f"m{index}.training is {module.training}")
        for index, (tensor, requires_grad) in enumerate(self.reads):
            namespace[f"r{index}"] = tensor
            conditions.append(f"r{index}.requires_grad is {requires_grad}")
        lines = ["def guards():", f"    return {' and '.join(conditions) or 'True'}",
                 f"def replay({', '.join(f's{slot}' for slot in self.input_slots)}):"]
        for index, instruction in enumerate(self.instructions):
            if instruction.function is None:
                name = f"t{index}"
                namespace[name] = instruction.tensor
                lines.append(f"    s{instruction.outputs} = {name}.array")
                continue
            name = f"f{index}"
            namespace[name] = instruction.function
            call = f"{name}({', '.join(name_of(ref) for ref in instruction.inputs)})"
            lines.append(f"    {_targets(instruction.outputs)}{call}")
        lines.append(f"    return {result(self.outputs)}")
        return "\n".join(lines) + "\n", namespace

    # -- the printout ----------------------------------------------------------------------

    def __str__(self) -> str:
        counts: dict[str, int] = {}
        for instruction in self.instructions:
            if instruction.function is not None and instruction.name != "constant":
                counts[instruction.phase] = counts.get(instruction.phase, 0) + 1
        rows: list[tuple[str, str, str]] = []
        phase = None
        for instruction in self.instructions:
            if instruction.phase.endswith(")"):  # a whole call: SGD.step()
                rows.append(("", instruction.name, ""))
                phase = None
                continue
            if instruction.phase != phase:
                phase = instruction.phase
                rows.append((f"{phase}:", "", ""))
            rows.append(self._row(instruction))
        width = max(len(target) for target, _, _ in rows if _)
        call_width = max(len(call) for target, call, shapes in rows if shapes)
        lines = [f"rg.compile tape: {', '.join(f'{n} {p}' for p, n in counts.items())}",
                 f"inputs: {', '.join(self._describe(s) for s in self.input_slots)}"]
        for target, call, shapes in rows:
            if not call:
                lines.append(target)
            elif not target and not shapes:
                lines.append(call)
            else:
                lines.append(f"  {target:>{width}} = {call:<{call_width}}  {shapes}".rstrip())
        lines.append(f"returns {', '.join(f's{slot}' for slot in self.output_slots()) or '()'}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<rg.compile tape of {len(self.instructions)} instructions>"

    def _describe(self, slot: int) -> str:
        shape, dtype = self.meta[slot]
        return f"s{slot} {shape} {dtype}"

    def _row(self, instruction: Instruction) -> tuple[str, str, str]:
        outputs = instruction.outputs
        slots = [s for s in (outputs if isinstance(outputs, tuple) else (outputs,))
                 if s is not None]
        target = ", ".join(f"s{s}" for s in slots)
        shapes = " ".join(str(self.meta[s][0]) for s in slots)
        if instruction.function is None:
            return target, self.names.get(id(instruction.tensor), "a tensor"), shapes
        arguments = [f"s{ref}" if isinstance(ref, int) else _constant_text(ref)
                     for ref in instruction.inputs]
        if instruction.name == ".grad = None":
            return "", self.names.get(id(instruction.tensor), "a leaf") + instruction.name, ""
        if instruction.tensor is not None:  # the leaf AccumulateGrad writes
            arguments.insert(0, self.names.get(id(instruction.tensor), "a leaf"))
        return target, f"{instruction.name}({', '.join(arguments)})", shapes


def _constant_text(ref: Constant) -> str:
    value = ref.value
    if hasattr(value, "shape"):  # an array: its value when it has one element
        return repr(value.item()) if value.size == 1 else f"constant{tuple(value.shape)}"
    text = repr(value)
    return text if len(text) <= 12 else text[:9] + "..."


def _targets(outputs: Any) -> str:
    if outputs is None:
        return ""
    if isinstance(outputs, tuple):
        names = ", ".join("_" if slot is None else f"s{slot}" for slot in outputs)
        return f"{names}{',' if len(outputs) == 1 else ''} = "
    return f"s{outputs} = "


def _collect_slots(template: Any, slots: list[int]) -> None:
    kind = template[0]
    if kind == "slot":
        slots.append(template[1])
    elif kind in ("tuple", "list"):
        for item in template[1]:
            _collect_slots(item, slots)
    elif kind == "dict":
        for item in template[1].values():
            _collect_slots(item, slots)


def _tensor_names(modules: list) -> dict[int, str]:
    """Parameter and buffer names (``0.weight``) of the modules called, outermost first."""
    names: dict[int, str] = {}
    for module in modules:
        for name, tensor in (*module.named_parameters(), *module.named_buffers()):
            names.setdefault(id(tensor), name)
    return names

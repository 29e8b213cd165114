"""``recording_outputs``: what each layer of a model output, read through forward hooks.

The one way the tools observe a network (``nn.summary``, ``rg.diagnose``, ``explain``'s layer
table): a forward hook on each module of interest appends ``(name, module, output)`` to a
list, in the order the layers run, and the hooks are removed on exit.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterable, Iterator

from .module import Module


@contextmanager
def recording_outputs(named_modules: Iterable[tuple[str, Module]]) -> Iterator[list]:
    """Inside, every call of one of ``named_modules`` appends ``(name, module, output)`` to the
    list it yields (a module listed twice under its first name); the hooks are removed on
    exit, even after an error.

    >>> with recording_outputs(model.named_modules()) as calls:
    ...     model(x)
    >>> [(name, tuple(out.shape)) for name, _, out in calls]
    """
    calls: list[tuple[str, Module, Any]] = []

    def hook_for(name: str):
        def record(module: Module, args: tuple, output: Any) -> None:
            calls.append((name, module, output))
        return record

    handles, hooked = [], set()
    for name, module in named_modules:
        if id(module) not in hooked:  # a module used twice records each call once
            hooked.add(id(module))
            handles.append(module.register_forward_hook(hook_for(name)))
    try:
        yield calls
    finally:
        for handle in handles:
            handle.remove()


def layers_of(model: Module) -> list[tuple[str, Module]]:
    """The modules of ``model`` that compute something themselves: those without children and
    those with parameters of their own, with their dotted names (the model's class name for
    itself)."""
    return [(name or type(module).__name__, module) for name, module in model.named_modules()
            if next(module.children(), None) is None or
            next(module.parameters(recurse=False), None) is not None]

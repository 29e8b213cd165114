"""Containers: ``Sequential`` (a chain of layers), ``ModuleList`` and ``ModuleDict``.

Their children are registered like any attribute, so ``parameters()`` and ``state_dict()`` see
through them: ``Sequential(Linear(2, 3), ReLU())`` has the keys ``0.weight`` and ``0.bias``.
"""
from __future__ import annotations

import operator
from collections import OrderedDict
from typing import Any, Iterable, Iterator, Mapping

from ..module import Module, _indent


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: children in order, found by position."""

    def _slice(self, items: list) -> "_ModuleSequence":
        raise NotImplementedError

    def _key(self, index: int) -> str:
        index = operator.index(index)
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} is out of range for a {self._get_name()} of "
                             f"{len(self)} modules")
        return list(self._modules)[index]

    def _renumber(self, modules: list) -> None:
        # children are named by position (0, 1, 2...), so a deletion or insertion renames them
        self._modules = OrderedDict((str(i), module) for i, module in enumerate(modules))

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index: int | slice) -> Module:
        if isinstance(index, slice):
            return self._slice(list(self._modules.items())[index])
        return self._modules[self._key(index)]

    def __setitem__(self, index: int, module: Module) -> None:
        setattr(self, self._key(index), module)

    def __delitem__(self, index: int | slice) -> None:
        keys = list(self._modules)[index] if isinstance(index, slice) else [self._key(index)]
        for key in keys:
            del self._modules[key]
        self._renumber(list(self._modules.values()))

    def append(self, module: Module) -> "_ModuleSequence":
        """Adds ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> "_ModuleSequence":
        """Appends every module of ``modules``; returns self."""
        if not isinstance(modules, Iterable):
            raise TypeError(f"{self._get_name()}.extend should be called with an iterable of "
                            f"modules, but got {type(modules).__name__}")
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Inserts ``module`` before position ``index``."""
        if not isinstance(module, Module):
            raise TypeError(f"{self._get_name()}.insert expects a Module, got "
                            f"{type(module).__name__}")
        count = len(self)
        if not -count <= index <= count:
            raise IndexError(f"insert: index {index} is out of range for a {self._get_name()} "
                             f"of {count} modules")
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._renumber(modules)


class Sequential(_ModuleSequence):
    """Layers applied one after the other: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    Children are named ``'0'``, ``'1'``... (or by the keys of an OrderedDict passed alone).
    ``net[0]`` is the first layer, ``net[1:]`` a Sequential of the others.

    >>> net = rg.nn.Sequential(rg.nn.Linear(2, 8), rg.nn.Tanh(), rg.nn.Linear(8, 3))
    >>> net(rg.randn(5, 2)).shape          # (N, 2) -> (N, 3)
    (5, 3)
    """

    def __init__(self, *args: Module) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(args):
                self.add_module(str(index), module)

    def _slice(self, items: list) -> "Sequential":
        return type(self)(OrderedDict(items))  # keeps the names, as PyTorch does

    def forward(self, input: Any) -> Any:
        for module in self._modules.values():
            input = module(input)
        return input


class ModuleList(_ModuleSequence):
    """A list of modules whose parameters the owner sees (a plain Python list would hide them).

    >>> layers = rg.nn.ModuleList([rg.nn.Linear(4, 4) for _ in range(3)])
    >>> len(list(layers.parameters()))
    6
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _slice(self, items: list) -> "ModuleList":
        return type(self)(module for _, module in items)

    def __iadd__(self, modules: Iterable[Module]) -> "ModuleList":
        return self.extend(modules)

    def __repr__(self) -> str:
        # PyTorch compresses runs of identical children: "(0-2): 3 x Linear(...)"
        reprs = [repr(module) for module in self]
        if not reprs:
            return self._get_name() + "()"
        lines, start = [], 0
        for end in range(1, len(reprs) + 1):
            if end < len(reprs) and reprs[end] == reprs[start]:
                continue
            count = end - start
            label = f"({start})" if count == 1 else f"({start}-{end - 1}): {count} x"
            line = f"{label}: {reprs[start]}" if count == 1 else f"{label} {reprs[start]}"
            lines.append(_indent(line, 2))
            start = end
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """A dict of modules whose parameters the owner sees, in insertion order.

    >>> heads = rg.nn.ModuleDict({"class": rg.nn.Linear(8, 3), "box": rg.nn.Linear(8, 4)})
    >>> heads["box"](rg.randn(2, 8)).shape
    (2, 4)
    """

    def __init__(self, modules: Mapping[str, Module] | Iterable | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def keys(self) -> Iterable[str]:
        return self._modules.keys()

    def items(self) -> Iterable[tuple[str, Module]]:
        return self._modules.items()

    def values(self) -> Iterable[Module]:
        return self._modules.values()

    def clear(self) -> None:
        self._modules.clear()

    def pop(self, key: str) -> Module:
        """Removes the module named ``key`` and returns it."""
        return self._modules.pop(key)

    def update(self, modules: Mapping[str, Module] | Iterable) -> None:
        """Adds the modules of a mapping, or of an iterable of (name, module) pairs."""
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for pair in pairs:
            if len(pair) != 2:
                raise ValueError(f"ModuleDict.update expects (name, module) pairs, got an "
                                 f"element of length {len(pair)}")
            self[pair[0]] = pair[1]

"""``RemovableHandle``: what registering a hook returns (PyTorch's
``torch.utils.hooks.RemovableHandle``); ``handle.remove()`` unregisters the hook, and a ``with``
block removes it at its end."""
from __future__ import annotations

import itertools
from typing import Any, Callable

_next_id = itertools.count()


class RemovableHandle:
    """Removes one hook from the registry it was added to: a dict (by id) or a list."""

    def __init__(self, hooks: dict | list, hook: Callable | None = None) -> None:
        self.hooks, self.hook = hooks, hook
        self.id = next(_next_id)

    def remove(self) -> None:
        """Unregisters the hook; removing it twice does nothing."""
        if isinstance(self.hooks, dict):
            self.hooks.pop(self.id, None)
        elif any(hook is self.hook for hook in self.hooks):
            self.hooks.remove(self.hook)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.remove()


def add_hook(hooks: dict, hook: Callable, prepend: bool = False) -> RemovableHandle:
    """Adds ``hook`` to ``hooks`` (last, or first with ``prepend``) and returns its handle."""
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        for key in [key for key in hooks if key != handle.id]:
            hooks[key] = hooks.pop(key)  # move the others after the new one
    return handle

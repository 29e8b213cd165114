"""The seam through which ``rg.compile`` watches a step (see ``retrograd/compiler``).

While a step is recorded, ``current.tape`` holds the recorder: ``Function.apply``, the
backward engine, in-place writes, value reads and module calls report what they do to it.
Everywhere else it is None, and costs one attribute read.

A method decorated with ``replayed_whole`` (an optimizer's ``step``, ``zero_grad``) is
recorded as one call, made again on every replay, instead of as the array operations inside it:
its Python runs each time, so it reads the learning rate and its state afresh.
"""
from __future__ import annotations

import functools
import threading
from typing import Any, Callable

from .backend import array_module, is_device_array


class _Current(threading.local):
    tape: Any = None  # the recorder of rg.compile while it watches a step, else None


current = _Current()


def replayed_whole(method: Callable) -> Callable:
    """Marks ``method`` as replayed by calling it again (see the module's docstring)."""
    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        tape = current.tape
        if tape is None:
            return method(self, *args, **kwargs)
        return tape.call(method, self, args, kwargs)
    return wrapper



def recorded(function: Callable) -> Callable:
    """Marks a computation on raw arrays made outside any Op (a comparison, a dropout mask, a
    random draw, a cast of integers): while ``rg.compile`` records, each call is one
    instruction of the tape, so every replay computes it again (and draws new numbers)."""
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        tape = current.tape
        if tape is None:
            return function(*args, **kwargs)
        return tape.raw(function, args, kwargs)
    return wrapper


@recorded
def array_function(name: str, *args: Any, **kwargs: Any) -> Any:
    """``xp.<name>(*args, **kwargs)`` with the array module of the first array among ``args``
    (a comparison, ``isnan``...), recorded by ``rg.compile``."""
    first = next(arg for arg in args if is_device_array(arg))
    return getattr(array_module(first), name)(*args, **kwargs)


@recorded
def array_method(array: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    """``array.<name>(*args, **kwargs)`` (``argmax``, ``astype``...), recorded by
    ``rg.compile``."""
    return getattr(array, name)(*args, **kwargs)

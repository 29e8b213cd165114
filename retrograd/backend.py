"""The device layer: which array library holds a tensor's array, and how arrays move between them.

Every Tensor holds one array, and the array's type says everything about its device: a
``numpy.ndarray`` lives on the host ("cpu"), a ``cupy.ndarray`` on a CUDA GPU. An operation
takes its array module from its inputs, ``array_module(x)``: one dict lookup on the array type
(tens of nanoseconds), where a CuPy-style ``get_array_module`` costs half a microsecond per call.

An ``ArrayBackend`` is what one kind of device needs: its array module and array type, and the
few things NumPy's interface does not say the same way everywhere (moving to and from the host,
scatter-add, strided views, random numbers, synchronisation, memory statistics). The CPU backend
is NumPy and always present; others are installed by ``register_backend``, or on first use by a
loader (``register_loader``): ``retrograd.cuda`` registers the CuPy one, so ``import retrograd``
never imports CuPy.

Memory policy (host). Training allocates the same large arrays at every step (activations,
gradients, temporaries). glibc's malloc hands blocks over 128 KiB back to the operating system
when they are freed, so every step pays page faults to map them again: measured here, that
doubled the time of an MLP step at batch 32. Like PyTorch's caching allocators, retrograd keeps
freed memory for reuse instead, by raising glibc's mmap and trim thresholds once at import. Set
the environment variable ``RETROGRAD_KEEP_FREED_MEMORY=0`` to leave malloc as it is.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from typing import Any, Callable

import numpy

xp = numpy  # the host's array module (dtypes, host-side helpers); operations use array_module
ndarray = numpy.ndarray


class ArrayBackend:
    """One kind of device (``device_type``): an array module with NumPy's interface.

    The base class is the host's, NumPy; a GPU backend overrides what differs.
    """

    def __init__(self, device_type: str, module: Any, array_type: type) -> None:
        self.device_type = device_type
        self.module = module
        self.array_type = array_type

    def device_index(self, array: Any) -> int | None:
        """The index of the device holding ``array`` (None for the host)."""
        return None

    def from_host(self, array: ndarray, index: int | None) -> Any:
        """``array`` (a NumPy array) copied to device ``index``."""
        return array

    def to_host(self, array: Any) -> ndarray:
        """``array`` copied to a NumPy array (the same array on the host)."""
        return array

    def on_device(self, index: int | None) -> contextlib.AbstractContextManager:
        """A context in which the module creates arrays on device ``index``."""
        return contextlib.nullcontext()

    def data_ptr(self, array: Any) -> int:
        """The address of ``array``'s first element (in device memory for a GPU array)."""
        return array.__array_interface__["data"][0]

    def writeable(self, array: Any) -> bool:
        """Whether ``array`` may be written (NumPy marks broadcast views read-only)."""
        return array.flags.writeable

    def writeable_like(self, view: Any, source: Any) -> Any:
        """``view``, writeable when ``source`` is (NumPy's diagonal views are read-only)."""
        if source.flags.writeable:
            view.flags.writeable = True
        return view

    def as_strided(self, array: Any, shape: tuple, strides: tuple, writeable: bool = True) -> Any:
        """A view of ``array``'s memory with the given shape and strides (in bytes)."""
        return numpy.lib.stride_tricks.as_strided(array, shape, strides, writeable=writeable)

    def scatter_add(self, target: Any, key: Any, values: Any) -> None:
        """``target[key] += values`` where repeated indices in ``key`` add up."""
        numpy.add.at(target, key, values)

    def random_source(self, index: int | None, seed: int) -> Any:
        """A seeded source of random arrays on device ``index``, with NumPy ``Generator``'s
        methods ``random``, ``standard_normal``, ``integers`` and ``permutation``."""
        return numpy.random.default_rng(seed)

    def device_count(self) -> int:
        return 1

    def synchronize(self, index: int | None = None) -> None:
        """Waits until the device has finished its queued work (the host never queues)."""

    def memory_allocated(self, index: int | None = None) -> int:
        return 0

    def max_memory_allocated(self, index: int | None = None) -> int:
        return 0

    def reset_peak_memory_stats(self, index: int | None = None) -> None:
        """Starts measuring the peak of ``max_memory_allocated`` again."""

    def device_name(self, index: int) -> str:
        return self.device_type

    def empty_cache(self) -> None:
        """Hands memory kept for reuse back to the device's driver."""


CPU_BACKEND = ArrayBackend("cpu", numpy, numpy.ndarray)

_BACKEND_OF_TYPE: dict[type, ArrayBackend] = {numpy.ndarray: CPU_BACKEND}
_MODULE_OF_TYPE: dict[type, Any] = {numpy.ndarray: numpy}
_BACKEND_OF_DEVICE: dict[str, ArrayBackend] = {"cpu": CPU_BACKEND}
_LOADERS: dict[str, Callable[[], ArrayBackend]] = {}


def array_module(array: Any) -> Any:
    """The array module of ``array`` (NumPy for NumPy arrays, scalars and Python numbers)."""
    return _MODULE_OF_TYPE.get(type(array), numpy)


def backend_of(array: Any) -> ArrayBackend:
    """The backend holding ``array`` (the host's for NumPy arrays, scalars, numbers)."""
    return _BACKEND_OF_TYPE.get(type(array), CPU_BACKEND)


def is_device_array(value: Any) -> bool:
    """True for an array of a registered backend (NumPy's, CuPy's once it is in use)."""
    return type(value) in _BACKEND_OF_TYPE


def register_backend(backend: ArrayBackend) -> None:
    """Makes ``backend`` the implementation of its device type (replacing an earlier one)."""
    previous = _BACKEND_OF_DEVICE.get(backend.device_type)
    if previous is not None and previous is not CPU_BACKEND:
        del _BACKEND_OF_TYPE[previous.array_type], _MODULE_OF_TYPE[previous.array_type]
    _BACKEND_OF_DEVICE[backend.device_type] = backend
    _BACKEND_OF_TYPE[backend.array_type] = backend
    _MODULE_OF_TYPE[backend.array_type] = backend.module


def unregister_backend(device_type: str) -> None:
    """Removes the backend of ``device_type`` (the host's stays)."""
    backend = _BACKEND_OF_DEVICE.pop(device_type, None)
    if backend is not None and backend is not CPU_BACKEND:
        del _BACKEND_OF_TYPE[backend.array_type], _MODULE_OF_TYPE[backend.array_type]
    _BACKEND_OF_DEVICE.setdefault("cpu", CPU_BACKEND)


def register_loader(device_type: str, loader: Callable[[], ArrayBackend]) -> None:
    """``loader()`` builds and returns the backend of ``device_type`` when it is first used
    (raising RuntimeError with what to install when it cannot)."""
    _LOADERS[device_type] = loader


def loaded_backend(device_type: str) -> ArrayBackend | None:
    """The backend of ``device_type`` if it is already in use, without loading it."""
    return _BACKEND_OF_DEVICE.get(device_type)


def backend_for(device_type: str) -> ArrayBackend:
    """The backend of ``device_type``, loaded on first use; RuntimeError when unavailable."""
    backend = _BACKEND_OF_DEVICE.get(device_type)
    if backend is None:
        loader = _LOADERS.get(device_type)
        if loader is None:
            raise RuntimeError(f"retrograd has no {device_type!r} device: it runs on 'cpu' "
                               f"and, with CuPy installed, on 'cuda'")
        backend = loader()
        register_backend(backend)
    return backend


def memory_owner(array: Any) -> object:
    """The object that owns ``array``'s memory: NumPy points a view at it, or at a wrapper of it
    (``as_strided``), so the walk is one or two steps."""
    base = getattr(array, "base", None)
    while base is not None:
        array, base = base, getattr(base, "base", None)
    return array


def overlaps_itself(array: Any) -> bool:
    """True when two elements of ``array`` lie at the same address (a stride of 0)."""
    return 0 in array.strides and array.size > 1 and any(
        stride == 0 and size > 1 for stride, size in zip(array.strides, array.shape))


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters, from glibc's malloc.h


def keep_freed_memory() -> bool:
    """Makes glibc's malloc keep freed blocks for reuse; returns whether it could."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)  # the C library the interpreter itself runs on
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, 1 << 30) and
                    libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30))
    except (OSError, AttributeError):  # not glibc (musl, ...): nothing to tune
        return False


if os.environ.get("RETROGRAD_KEEP_FREED_MEMORY", "1") != "0":
    keep_freed_memory()

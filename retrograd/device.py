"""``rg.device``: where a tensor's array lives, PyTorch's way ("cpu", "cuda", "cuda:0").

A tensor stores no device: ``Tensor.device`` is read from its array (see ``backend``), so the two
can never disagree. This module parses device specifications (one parser for ``Tensor.to``,
``Module.to`` and every ``device=``), moves arrays between devices and keeps the default device
of the factories (``rg.set_default_device``).
"""
from __future__ import annotations

from typing import Any, Union

from .backend import CPU_BACKEND, backend_for, backend_of

# The device types PyTorch parses; retrograd runs "cpu" and, through CuPy, "cuda"
_KNOWN_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
                "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                "privateuseone")


class device:
    """A device: a type ("cpu", "cuda") and, for "cuda", an optional index.

    >>> rg.device("cuda:0"), rg.device("cuda", 1), rg.device("cpu"), rg.device(0)
    (device(type='cuda', index=0), device(type='cuda', index=1), device(type='cpu'), ...)

    As in PyTorch, ``device("cuda")`` (the current CUDA device) is not equal to
    ``device("cuda:0")``, and a device is a context manager setting the default device.
    """

    __slots__ = ("type", "index", "_previous")
    type: str
    index: int | None

    def __init__(self, type: Union[str, "device", int], index: int | None = None) -> None:
        kind: str
        if isinstance(type, device):
            kind, index = type.type, type.index if index is None else index
        elif isinstance(type, int) and not isinstance(type, bool):
            kind, index = "cuda", type  # torch.device(0) is cuda:0
        elif not isinstance(type, str):
            raise TypeError(f"device() expects a string such as 'cpu' or 'cuda:0', a device or "
                            f"an int, got {builtin_type(type).__name__}")
        else:
            kind, index = _parse(type, index)
        if index is not None and (not isinstance(index, int) or index < 0):
            raise RuntimeError(f"Device index must not be negative, got {index}")
        if kind == "cpu" and index not in (None, 0):
            raise RuntimeError(f"the cpu device has no index {index}; use 'cpu'")
        self.type, self.index = kind, None if kind == "cpu" else index

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type={self.type!r}{index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except RuntimeError:
                return False
        if not isinstance(other, device):
            return NotImplemented
        return (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return device, (self.type, self.index)

    def __enter__(self) -> "device":
        self._previous = get_default_device()
        set_default_device(self)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        set_default_device(self._previous)


builtin_type = type
DeviceLike = Union[device, str, int, None]


def _parse(text: str, index: int | None) -> tuple:
    name, colon, number = text.partition(":")
    if name not in _KNOWN_TYPES:
        raise RuntimeError(f"Expected one of {', '.join(_KNOWN_TYPES)} device type at start of "
                           f"device string: {text}")
    if colon:
        if index is not None:
            raise ValueError(f"device({text!r}, {index}): give the index once, in the string "
                             f"or as the second argument")
        if not number.isdigit():
            raise RuntimeError(f"Invalid device string: '{text}' (expected 'type:index', such "
                               f"as 'cuda:0')")
        index = int(number)
    return name, index


CPU = device("cpu")
_default_device = CPU
_by_index: dict = {}  # (type, index) -> device, so Tensor.device builds no object per call


def as_device(spec: DeviceLike) -> device:
    """The device ``spec`` names (the default device for None)."""
    if spec is None:
        return _default_device
    return spec if isinstance(spec, device) else device(spec)


def device_of(array: Any) -> device:
    """The device holding ``array``."""
    backend = backend_of(array)
    if backend is CPU_BACKEND:
        return CPU
    key = (backend.device_type, backend.device_index(array))
    found = _by_index.get(key)
    if found is None:
        found = _by_index[key] = device(*key)
    return found


def to_device(array: Any, target: device) -> Any:
    """``array`` on ``target``: itself when it is already there, else a copy."""
    source = backend_of(array)
    if target.type == "cpu":
        return array if source is CPU_BACKEND else source.to_host(array)
    backend = backend_for(target.type)
    index = checked_index(backend, target)
    if source is backend and source.device_index(array) == index:
        return array
    return backend.from_host(source.to_host(array), index)


def checked_index(backend: Any, target: device) -> int:
    """The index of ``target`` on ``backend`` (0 for "cuda"); RuntimeError if out of range."""
    index = 0 if target.index is None else target.index
    count = backend.device_count()
    if index >= count:
        raise RuntimeError(f"{target.type} device {index} does not exist: this machine has "
                           f"{count} (valid indices 0 to {count - 1})")
    return index


def set_default_device(spec: DeviceLike) -> None:
    """Makes the factories (``rg.zeros``, ``rg.randn``...) and layers create tensors on
    ``spec`` when no ``device=`` is given (PyTorch's ``torch.set_default_device``)."""
    global _default_device
    target = CPU if spec is None else as_device(spec)
    if target.type != "cpu":
        checked_index(backend_for(target.type), target)  # fail now, not at the first factory
    _default_device = target


def get_default_device() -> device:
    """The device factories create tensors on when no ``device=`` is given."""
    return _default_device


def on_one_device(arrays: list) -> list:
    """``arrays`` (tensors' arrays, of more than one array type) on one device, or PyTorch's
    error. As in PyTorch, a 0-d host array goes along with the others as a number would."""
    devices = [device_of(a) for a in arrays]
    targets = [d for d, a in zip(devices, arrays) if d.type != "cpu" or a.ndim != 0]
    target = targets[0] if targets else CPU
    for other in targets:
        if other != target:
            raise RuntimeError(f"Expected all tensors to be on the same device, but found at "
                               f"least two devices, {target} and {other}!")
    return [a if d == target else to_device(a, target) for a, d in zip(arrays, devices)]

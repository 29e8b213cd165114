"""``rg.cuda``: CUDA GPUs through CuPy, with PyTorch's ``torch.cuda`` functions.

CuPy is an optional extra (``pip install 'retrograd[cuda12]'`` or ``'retrograd[cuda13]'``) and
is imported only when a CUDA device is first used: ``rg.cuda.is_available()``, a tensor moved
to "cuda", a factory given ``device="cuda"``. On a machine without it every function answers
as PyTorch's do on a CPU-only machine, so scripts that probe for a GPU run everywhere::

    device = "cuda" if rg.cuda.is_available() else "cpu"
"""
from __future__ import annotations

from .. import random
from ..backend import ArrayBackend, backend_for, loaded_backend, register_loader
from ..device import DeviceLike, as_device

_unavailable_reason: str | None = None  # why loading failed, so it is tried once


def _load() -> ArrayBackend:
    global _unavailable_reason
    if _unavailable_reason is not None:
        raise RuntimeError(_unavailable_reason)
    from .cupy_backend import load_cupy  # imports CuPy: only here
    try:
        return load_cupy()
    except RuntimeError as error:
        _unavailable_reason = str(error)
        raise


register_loader("cuda", _load)


def _backend() -> ArrayBackend:
    return backend_for("cuda")


def is_available() -> bool:
    """True when CuPy is installed and sees at least one NVIDIA GPU."""
    try:
        return _backend().device_count() > 0
    except RuntimeError:
        return False


def is_initialized() -> bool:
    """True once the CUDA backend has been loaded."""
    return loaded_backend("cuda") is not None


def device_count() -> int:
    """The number of CUDA GPUs (0 without CuPy or GPU)."""
    return _backend().device_count() if is_available() else 0


def current_device() -> int:
    """The index of the current CUDA device (retrograd always computes on device 0 unless a
    tensor is placed on another)."""
    _backend()
    return 0


def get_device_name(device: DeviceLike = None) -> str:
    """The GPU's name, as the driver reports it."""
    return _backend().device_name(_index(device))


def synchronize(device: DeviceLike = None) -> None:
    """Waits for every queued kernel on ``device`` to finish (needed before timing GPU work:
    CUDA kernels run asynchronously)."""
    _backend().synchronize(_index(device))


def manual_seed(seed: int) -> None:
    """Seeds the CUDA generators (``rg.manual_seed`` seeds them and the CPU's)."""
    random.manual_seed_device("cuda", seed)


manual_seed_all = manual_seed


def memory_allocated(device: DeviceLike = None) -> int:
    """Bytes of GPU memory tensors use now (0 before CUDA is used)."""
    backend = loaded_backend("cuda")
    return 0 if backend is None else backend.memory_allocated(_index(device))


def max_memory_allocated(device: DeviceLike = None) -> int:
    """The most bytes of GPU memory tensors have used (see the CUDA backend for how CuPy's pool
    reports it); 0 before CUDA is used."""
    backend = loaded_backend("cuda")
    return 0 if backend is None else backend.max_memory_allocated(_index(device))


def reset_peak_memory_stats(device: DeviceLike = None) -> None:
    backend = loaded_backend("cuda")
    if backend is not None:
        backend.reset_peak_memory_stats(_index(device))


def empty_cache() -> None:
    """Hands the memory CuPy's pool keeps for reuse back to the driver."""
    backend = loaded_backend("cuda")
    if backend is not None:
        backend.empty_cache()


def _index(device: DeviceLike) -> int:
    if device is None:
        return 0
    if isinstance(device, int):
        return device
    target = as_device(device)
    if target.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {target}")
    return target.index or 0

"""``rg.accelerator``: PyTorch's device-agnostic probe of the machine's accelerator (CUDA here).

    device = rg.accelerator.current_accelerator() or rg.device("cpu")
"""
from __future__ import annotations

from . import cuda
from .device import device


def is_available() -> bool:
    """True when an accelerator (a CUDA GPU, through CuPy) is usable."""
    return cuda.is_available()


def current_accelerator(check_available: bool = False) -> device | None:
    """``device(type='cuda')`` when a GPU is usable, else None (as PyTorch without one)."""
    return device("cuda") if cuda.is_available() else None


def device_count() -> int:
    return cuda.device_count()


def current_device_index() -> int:
    return cuda.current_device() if cuda.is_available() else -1


def synchronize(device: device | str | int | None = None) -> None:
    """Waits for the accelerator's queued work (nothing to wait for without one)."""
    if cuda.is_available():
        cuda.synchronize(device)

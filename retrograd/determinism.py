"""PyTorch's switch for deterministic algorithms, accepted so that scripts which set it run.

Every retrograd operation on the CPU gives the same bits on every run, so the switch changes
nothing there. On CUDA, CuPy's additions at repeated indices (``index_add``, the backward of
indexing and ``embedding``) may sum in a different order between runs; unlike PyTorch,
retrograd does not refuse them when the switch is on.
"""
from __future__ import annotations

_state = {"enabled": False, "warn_only": False}


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Records PyTorch's deterministic-algorithms setting (see the module's note)."""
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms expects a bool, got "
                        f"{type(mode).__name__}")
    _state.update(enabled=mode, warn_only=warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    return _state["enabled"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _state["warn_only"]

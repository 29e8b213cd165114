"""How many threads NumPy's matrix products use: ``rg.set_num_threads`` / ``rg.get_num_threads``.

retrograd computes with NumPy, whose only multi-threaded part is its BLAS library (OpenBLAS,
MKL...): matrix products, hence ``Linear`` and convolutions. The default is **one thread**, set
when retrograd is imported, because threads pay only for large products on an idle machine,
and cost several times their gain anywhere else: a BLAS call waits for all of its threads, and
idle OpenBLAS threads spin, so on a busy machine a product waits for a core to come free
(measured by ``bench/bench_threads.py``: with two busy processes on two cores, a step of the
MLP 784-256-256-10 takes 3-5x longer with two threads than with one, at every batch size,
while on the idle machine two threads gain 1.5x at batch 1024 and nothing at batch 32).

The default gives way to the user's choice:

- ``RETROGRAD_NUM_THREADS=N`` in the environment: N threads from the start;
- ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` or ``MKL_NUM_THREADS`` set: the BLAS library
  has read it when NumPy loaded it, and retrograd leaves it as it is;
- ``rg.set_num_threads(n)`` (or ``retrograd train --threads N``) at any time.

The setting is the process's: NumPy code outside retrograd uses the same BLAS threads.
"""
from __future__ import annotations

import os
import warnings

from threadpoolctl import ThreadpoolController

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
DEFAULT_THREADS = 1

_blas: ThreadpoolController | None = None  # the BLAS libraries NumPy has loaded, found once


def _blas_libraries() -> ThreadpoolController:
    global _blas
    if _blas is None:  # threadpoolctl scans the process's loaded libraries: a few milliseconds
        _blas = ThreadpoolController().select(user_api="blas")
    return _blas


def set_num_threads(n: int) -> None:
    """Sets the number of threads of NumPy's matrix products (PyTorch's name): ``n >= 1``."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {n!r}")
    _blas_libraries().limit(limits=n)


def get_num_threads() -> int:
    """The number of threads NumPy's matrix products use (1 when no BLAS library reports)."""
    counts = [library["num_threads"] for library in _blas_libraries().info()]
    return max(counts, default=1)


def apply_default() -> None:
    """The policy above, applied once when retrograd is imported."""
    requested = os.environ.get("RETROGRAD_NUM_THREADS")
    if requested is not None:
        try:
            threads = int(requested)
            if threads < 1:
                raise ValueError
        except ValueError:
            warnings.warn(f"RETROGRAD_NUM_THREADS={requested!r} is not a positive integer; "
                          f"using {DEFAULT_THREADS} thread (set it to 1, 2, ...)",
                          RuntimeWarning, stacklevel=2)
            threads = DEFAULT_THREADS
    elif any(name in os.environ for name in THREAD_VARIABLES):
        return
    else:
        threads = DEFAULT_THREADS
    set_num_threads(threads)

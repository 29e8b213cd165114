"""The array module behind every Tensor: one small seam between retrograd and NumPy.

Everything in retrograd that touches array math imports ``xp`` from here, so that a GPU array
library with NumPy's interface (CuPy) can later be plugged in at this one place.

Memory policy. Training allocates the same large arrays at every step (activations, gradients,
temporaries). glibc's malloc hands blocks over 128 KiB back to the operating system when they
are freed, so every step pays page faults to map them again: measured here, that doubled the
time of an MLP step at batch 32. Like PyTorch's caching allocators, retrograd keeps freed memory
for reuse instead, by raising glibc's mmap and trim thresholds once at import. Set the
environment variable ``RETROGRAD_KEEP_FREED_MEMORY=0`` to leave malloc as it is.
"""
import ctypes
import os
import sys

import numpy

xp = numpy
ndarray = numpy.ndarray
as_strided = numpy.lib.stride_tricks.as_strided


def memory_owner(array) -> object:
    """The object that owns ``array``'s memory: NumPy points a view at it, or at a wrapper of it
    (``as_strided``), so the walk is one or two steps."""
    base = getattr(array, "base", None)
    while base is not None:
        array, base = base, getattr(base, "base", None)
    return array


def overlaps_itself(array: ndarray) -> bool:
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

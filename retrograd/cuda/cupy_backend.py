"""The CUDA backend: CuPy arrays behind retrograd's "cuda" device.

Imported only when CUDA is first used. What differs from NumPy lives here: copies to and from
the host, ``cupy.add.at`` for repeated-index gradients, CuPy's strided views (its arrays have no
read-only flag), random numbers drawn on the GPU, synchronisation and the memory pool.
"""
from __future__ import annotations

from typing import Any

from ..backend import ArrayBackend

INSTALL_HINT = ("install CuPy for your CUDA version: pip install 'retrograd[cuda12]' (CUDA 12) "
                "or 'retrograd[cuda13]' (CUDA 13), on a machine with an NVIDIA GPU")


def load_cupy() -> "CupyBackend":
    """The CuPy backend; RuntimeError saying what is missing when CuPy or a GPU is absent."""
    try:
        import cupy
    except ImportError as error:
        raise RuntimeError(f"CUDA is not available: retrograd runs CUDA through CuPy, which "
                           f"could not be imported ({error}); {INSTALL_HINT}") from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # CUDARuntimeError: no driver, no device
        raise RuntimeError(f"CUDA is not available: CuPy found no usable NVIDIA GPU "
                           f"({error})") from None
    if count == 0:
        raise RuntimeError("CUDA is not available: CuPy found no NVIDIA GPU")
    return CupyBackend(cupy)


# The dtypes cupy.add.at takes with an index array (CUDA's atomicAdd; CuPy 14.2 adds int64)
_ATOMIC_ADD_TYPES = frozenset(("float16", "float32", "float64", "int32", "uint32", "uint64"))


class CupyBackend(ArrayBackend):
    def __init__(self, cupy: Any) -> None:
        super().__init__("cuda", cupy, cupy.ndarray)
        # CuPy's pool keeps freed blocks for reuse, as PyTorch's caching allocator does; it
        # reports bytes in use, not their peak, so the peak is sampled at each query
        self._pool = cupy.get_default_memory_pool()
        self._peak = 0

    def device_index(self, array: Any) -> int:
        return array.device.id

    def from_host(self, array: Any, index: int | None) -> Any:
        with self.module.cuda.Device(index or 0):
            return self.module.asarray(array)

    def to_host(self, array: Any) -> Any:
        return array.get()

    def on_device(self, index: int | None) -> Any:
        return self.module.cuda.Device(index or 0)

    def data_ptr(self, array: Any) -> int:
        return array.data.ptr

    def writeable(self, array: Any) -> bool:
        return True  # CuPy has no read-only arrays

    def writeable_like(self, view: Any, source: Any) -> Any:
        return view

    def as_strided(self, array: Any, shape: tuple, strides: tuple, writeable: bool = True) -> Any:
        return self.module.lib.stride_tricks.as_strided(array, shape, strides)

    def scatter_add(self, target: Any, key: Any, values: Any) -> None:
        xp = self.module
        if target.dtype.name in _ATOMIC_ADD_TYPES:
            xp.add.at(target, key, values)
        elif target.dtype == xp.int64:  # as uint64: two's-complement sums have the same bits
            xp.add.at(target.view(xp.uint64), key,
                      xp.asarray(values, dtype=xp.int64).view(xp.uint64))
        else:  # int8, int16, uint8, bool: summed in int32, then cast back (wrapping; bool: any)
            wide = target.astype(xp.int32)
            xp.add.at(wide, key, xp.asarray(values, dtype=xp.int32))
            target[...] = wide

    def random_source(self, index: int | None, seed: int) -> "_CupyRandom":
        return _CupyRandom(self.module, index or 0, seed)

    def device_count(self) -> int:
        return self.module.cuda.runtime.getDeviceCount()

    def device_name(self, index: int) -> str:
        name = self.module.cuda.runtime.getDeviceProperties(index)["name"]
        return name.decode() if isinstance(name, bytes) else str(name)

    def synchronize(self, index: int | None = None) -> None:
        self.module.cuda.Device(index or 0).synchronize()

    def memory_allocated(self, index: int | None = None) -> int:
        used = self._pool.used_bytes()
        self._peak = max(self._peak, used)
        return used

    def max_memory_allocated(self, index: int | None = None) -> int:
        return max(self._peak, self.memory_allocated(index))

    def reset_peak_memory_stats(self, index: int | None = None) -> None:
        self._peak = self._pool.used_bytes()

    def empty_cache(self) -> None:
        self._pool.free_all_blocks()


class _CupyRandom:
    """CuPy's RandomState behind the methods of NumPy's Generator that retrograd draws with."""

    def __init__(self, cupy: Any, index: int, seed: int) -> None:
        with cupy.cuda.Device(index):
            self._state = cupy.random.RandomState(seed)
        self._int64 = cupy.int64

    def random(self, size: Any = None, dtype: Any = float) -> Any:
        return self._state.random_sample(size, dtype)

    def standard_normal(self, size: Any = None, dtype: Any = float) -> Any:
        return self._state.standard_normal(size, dtype)

    def integers(self, low: int, high: int | None = None, size: Any = None) -> Any:
        if high is None:  # CuPy's randint takes a missing high for an array bound
            low, high = 0, low
        return self._state.randint(int(low), int(high), size, dtype=self._int64)

    def permutation(self, n: int) -> Any:
        return self._state.permutation(int(n))  # CuPy permutes a range only for a Python int

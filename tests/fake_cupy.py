"""A stand-in for CuPy, so that CI without a GPU proves the device code.

``FakeArray`` holds a NumPy array (so results are bit-identical to the CPU's) but behaves as a
``cupy.ndarray`` does in every way a library can get wrong:

- it is not a ``numpy.ndarray`` (``isinstance`` and ``type(x) is np.ndarray`` fast paths miss);
- implicit conversion to NumPy raises (``np.asarray(x)``, ``float`` of a big array...): as in
  CuPy, only ``.get()`` and ``fake_cupy.asnumpy`` copy to the host;
- NumPy's functions and ufuncs refuse it (``np.exp(x)``, ``np.add.at(x, ...)``,
  ``np.lib.stride_tricks.as_strided(x, ...)``): code must use the array's own module;
- mixing with NumPy arrays raises, in operators, indexing keys and module functions alike
  (NumPy scalars and Python numbers mix, as in CuPy);
- reductions return 0-d arrays, not NumPy scalars; ``flags`` has no ``writeable``.

``module`` mirrors ``cupy``: ``module.exp``, ``module.add.at``, ``module.lib.stride_tricks``,
``module.random``..., each running NumPy on the underlying arrays. ``FakeCudaBackend`` registers
it as retrograd's "cuda" device (see ``install``), so tests exercise the very code path CuPy takes.
"""
from __future__ import annotations

import types
import weakref
from typing import Any

import numpy as np

from retrograd.backend import ArrayBackend

MIXING_MESSAGE = "Unsupported type <class 'numpy.ndarray'>"  # CuPy's own words
IMPLICIT_MESSAGE = ("Implicit conversion to a NumPy array is not allowed. Please use `.get()` to "
                    "construct a NumPy array explicitly.")

_wrappers: "weakref.WeakValueDictionary[int, FakeArray]" = weakref.WeakValueDictionary()


def wrap(value: Any) -> Any:
    """NumPy results as device values: arrays and scalars become FakeArrays (CuPy returns 0-d
    arrays where NumPy returns scalars); one wrapper per NumPy array, so ``.base`` chains keep
    their identity as CuPy's do."""
    if isinstance(value, np.ndarray):
        found = _wrappers.get(id(value))
        if found is not None and found._a is value:
            return found
        wrapper = FakeArray(value)
        _wrappers[id(value)] = wrapper
        return wrapper
    if isinstance(value, np.generic):
        return wrap(np.asarray(value))
    if isinstance(value, tuple):
        return tuple(wrap(v) for v in value)
    if isinstance(value, list):
        return [wrap(v) for v in value]
    return value


def unwrap(value: Any) -> Any:
    """Device values as NumPy arrays; a NumPy array here is a host array mixed in: refused."""
    if isinstance(value, FakeArray):
        return value._a
    if isinstance(value, np.ndarray):
        raise TypeError(MIXING_MESSAGE)
    if isinstance(value, tuple):
        return tuple(unwrap(v) for v in value)
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    return value


def _device_call(function: Any) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        return wrap(function(*unwrap(args), **unwrap(kwargs)))
    call.__name__ = getattr(function, "__name__", "call")
    return call


class _Flags:
    """CuPy's flags: contiguity and ownership, no ``writeable``."""

    __slots__ = ("c_contiguous", "f_contiguous", "owndata")

    def __init__(self, flags: Any) -> None:
        self.c_contiguous, self.f_contiguous = flags.c_contiguous, flags.f_contiguous
        self.owndata = flags.owndata


class _Device:
    id = 0

    def synchronize(self) -> None:
        pass

    def __repr__(self) -> str:
        return "<CUDA Device 0>"


class FakeArray:
    """A device array over a NumPy array (see the module's docstring)."""

    __slots__ = ("_a", "__weakref__")
    __hash__ = None  # type: ignore[assignment]  (as cupy.ndarray)

    def __init__(self, array: np.ndarray) -> None:
        self._a = array

    # -- what CuPy refuses ----------------------------------------------------------------

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(IMPLICIT_MESSAGE)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        raise TypeError(f"numpy.{ufunc.__name__}{'.' + method if method != '__call__' else ''} "
                        f"was called on a device array: use the array's own module")

    def __array_function__(self, function: Any, types: Any, args: Any, kwargs: Any) -> Any:
        raise TypeError(f"numpy.{function.__name__} was called on a device array: use the "
                        f"array's own module")

    # -- description ----------------------------------------------------------------------

    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    strides = property(lambda self: self._a.strides)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    T = property(lambda self: wrap(self._a.T))
    mT = property(lambda self: wrap(self._a.mT))
    flags = property(lambda self: _Flags(self._a.flags))
    device = property(lambda self: _Device())

    @property
    def base(self) -> Any:
        base = self._a.base
        return None if base is None else wrap(base)

    @property
    def data(self) -> Any:
        return _Pointer(self._a.__array_interface__["data"][0])

    def get(self) -> np.ndarray:
        """A host copy (CuPy's way to reach NumPy)."""
        return self._a.copy()

    def __getattr__(self, name: str) -> Any:  # the methods: reshape, sum, astype, fill...
        attribute = getattr(self._a, name)
        return _device_call(attribute) if callable(attribute) else wrap(attribute)

    def __repr__(self) -> str:
        return repr(self._a).replace("array(", "fake_cuda_array(")

    def __len__(self) -> int:
        return len(self._a)

    def __iter__(self):
        return (wrap(row) for row in self._a)

    def __bool__(self) -> bool:
        return bool(self._a)

    def __float__(self) -> float:
        return float(self._a)

    def __int__(self) -> int:
        return int(self._a)

    def __index__(self) -> int:
        return self._a.__index__()

    def __complex__(self) -> complex:
        return complex(self._a)

    def __format__(self, spec: str) -> str:
        return format(self._a, spec) if self._a.ndim == 0 else repr(self)

    def __getitem__(self, key: Any) -> Any:
        return wrap(self._a[unwrap(key)])

    def __setitem__(self, key: Any, value: Any) -> None:
        self._a[unwrap(key)] = unwrap(value)

    def __copy__(self) -> "FakeArray":
        return FakeArray(self._a.copy())

    def __deepcopy__(self, memo: dict) -> "FakeArray":
        return FakeArray(self._a.copy())


class _Pointer:
    """``x.data.ptr``, as CuPy's MemoryPointer gives it."""

    def __init__(self, ptr: int) -> None:
        self.ptr = ptr


def _binary(name: str) -> Any:
    def method(self: FakeArray, other: Any) -> Any:
        result = getattr(self._a, name)(unwrap(other))
        if result is NotImplemented:
            return NotImplemented
        if name.startswith("__i"):  # in place: the same device array
            return self
        return wrap(result)
    method.__name__ = name
    return method


def _unary(name: str) -> Any:
    def method(self: FakeArray) -> Any:
        return wrap(getattr(self._a, name)())
    method.__name__ = name
    return method


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or",
              "xor", "lshift", "rshift"):
    for _form in (f"__{_name}__", f"__r{_name}__", f"__i{_name}__"):
        setattr(FakeArray, _form, _binary(_form))
for _name in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__divmod__"):
    setattr(FakeArray, _name, _binary(_name))
for _name in ("__neg__", "__pos__", "__abs__", "__invert__"):
    setattr(FakeArray, _name, _unary(_name))


class _Ufunc:
    """A ufunc of the module: called, or through ``.at``, ``.reduce``... on device arrays."""

    def __init__(self, ufunc: np.ufunc) -> None:
        self._ufunc = ufunc
        self.__name__ = ufunc.__name__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return wrap(self._ufunc(*unwrap(args), **unwrap(kwargs)))

    def __getattr__(self, name: str) -> Any:
        if name == "reduce" and self.__name__ not in ("add", "multiply"):
            raise NotImplementedError(f"`{self.__name__}.reduce` is not supported yet")  # CuPy
        attribute = getattr(self._ufunc, name)
        return _device_call(attribute) if callable(attribute) else attribute


def _host_copy(function: Any) -> Any:
    """``asarray``, ``array``...: NumPy's ``function`` on device arrays (``array`` copies,
    ``ascontiguousarray`` makes contiguous); host data is copied to the device, as in CuPy."""
    def call(value: Any, *args: Any, **kwargs: Any) -> FakeArray:
        if isinstance(value, FakeArray):
            return wrap(function(value._a, *args, **kwargs))
        if isinstance(value, (list, tuple)):
            value = unwrap(value)
        return wrap(np.array(value, *args, **kwargs))
    return call


def asnumpy(value: Any) -> np.ndarray:
    return value.get() if isinstance(value, FakeArray) else np.asarray(value)


class _Module(types.ModuleType):
    """``numpy``'s namespace, seen from the device: functions run on the underlying arrays."""

    _SPECIAL = {"ndarray": FakeArray, "asarray": _host_copy(np.asarray),
                "array": _host_copy(np.array), "asanyarray": _host_copy(np.asarray),
                "ascontiguousarray": _host_copy(np.ascontiguousarray), "asnumpy": asnumpy}

    def __init__(self, numpy_module: types.ModuleType) -> None:
        super().__init__(f"fake_cupy({numpy_module.__name__})")
        self._numpy = numpy_module

    def __getattr__(self, name: str) -> Any:
        if self._numpy is np and name == "errstate":  # the GPU never warns: CuPy has none
            raise AttributeError("module 'cupy' has no attribute 'errstate'")
        if self._numpy is np and name in self._SPECIAL:
            value = self._SPECIAL[name]
        else:
            value = getattr(self._numpy, name)
            if isinstance(value, types.ModuleType):
                value = _Module(value)
            elif isinstance(value, np.ufunc):
                value = _Ufunc(value)
            elif callable(value) and not isinstance(value, type):
                value = _device_call(value)
        setattr(self, name, value)  # looked up once
        return value


module = _Module(np)


class _RandomSource:
    """A seeded source of device random arrays, drawing exactly what NumPy's PCG64 draws."""

    def __init__(self, seed: int) -> None:
        self._rng = np.random.default_rng(seed)

    def random(self, size: Any = None, dtype: Any = np.float64) -> FakeArray:
        return wrap(np.asarray(self._rng.random(size, dtype=dtype)))

    def standard_normal(self, size: Any = None, dtype: Any = np.float64) -> FakeArray:
        return wrap(np.asarray(self._rng.standard_normal(size, dtype=dtype)))

    def integers(self, low: int, high: int | None = None, size: Any = None) -> FakeArray:
        return wrap(np.asarray(self._rng.integers(low, high, size)))

    def permutation(self, n: int) -> FakeArray:
        return wrap(self._rng.permutation(n))


class FakeCudaBackend(ArrayBackend):
    """retrograd's "cuda" device on FakeArrays: one device, bytes in use counted."""

    def __init__(self) -> None:
        super().__init__("cuda", module, FakeArray)

    def device_index(self, array: Any) -> int:
        return 0

    def from_host(self, array: np.ndarray, index: int | None) -> FakeArray:
        if not isinstance(array, np.ndarray):
            raise TypeError(f"from_host expects a NumPy array, got {type(array).__name__}")
        return wrap(array.copy())

    def to_host(self, array: FakeArray) -> np.ndarray:
        return array.get()

    def data_ptr(self, array: FakeArray) -> int:
        return array.data.ptr

    def writeable(self, array: FakeArray) -> bool:
        return True

    def writeable_like(self, view: Any, source: Any) -> Any:
        view._a.flags.writeable = True  # device arrays are always writeable
        return view

    def as_strided(self, array: Any, shape: tuple, strides: tuple, writeable: bool = True) -> Any:
        return module.lib.stride_tricks.as_strided(array, shape, strides)

    def scatter_add(self, target: Any, key: Any, values: Any) -> None:
        module.add.at(target, key, values)

    def random_source(self, index: int | None, seed: int) -> _RandomSource:
        return _RandomSource(seed)


def install() -> FakeCudaBackend:
    """Registers the fake as retrograd's "cuda" device; returns it."""
    from retrograd.backend import register_backend
    backend = FakeCudaBackend()
    register_backend(backend)
    return backend

"""Data types: ``rg.float32`` (the default), ``rg.float64``, ``rg.int64``, ``rg.bool`` and a
few more.

A ``DType`` names an array dtype the PyTorch way (``retrograd.float32``) and compares equal to it.
"""
from __future__ import annotations

from .backend import xp


class DType:
    """A tensor element type; ``np_dtype`` is the array dtype it stands for."""

    __slots__ = ("name", "np_dtype", "is_floating_point")

    def __init__(self, name: str, np_dtype) -> None:
        self.name = name
        self.np_dtype = xp.dtype(np_dtype)
        self.is_floating_point = self.np_dtype.kind == "f"

    def __repr__(self) -> str:
        return f"retrograd.{self.name}"

    def __eq__(self, other) -> bool:
        if isinstance(other, DType):
            return self.np_dtype == other.np_dtype
        try:
            return self.np_dtype == xp.dtype(other)
        except TypeError:
            return NotImplemented

    def __hash__(self) -> int:
        return hash(self.np_dtype)


float16 = DType("float16", "float16")
float32 = DType("float32", "float32")
float64 = DType("float64", "float64")
int8 = DType("int8", "int8")
uint8 = DType("uint8", "uint8")
int16 = DType("int16", "int16")
int32 = DType("int32", "int32")
int64 = DType("int64", "int64")
bool_ = DType("bool", "bool")

_BY_NUMPY = {d.np_dtype: d for d in (float16, float32, float64, int8, uint8, int16, int32, int64,
                                     bool_)}
_ALIASES = {"float": float32, "double": float64, "half": float16, "long": int64, "int": int32,
            "bool": bool_}

default_float = float32  # the dtype of Python floats and of the factories; set_default_dtype


def set_default_dtype(dtype: DType) -> None:
    """Makes ``dtype`` (float16, float32 or float64) the dtype of tensors made from Python floats
    and of ``rg.ones``, ``rg.randn``, layers' parameters...: ``rg.set_default_dtype(rg.float64)``
    for gradient checks by hand. As in PyTorch."""
    global default_float
    if not isinstance(dtype, DType) or not dtype.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got "
                        f"{dtype!r}")
    default_float = dtype


def get_default_dtype() -> DType:
    """The default floating-point dtype (``rg.float32`` unless ``set_default_dtype`` changed
    it)."""
    return default_float


def finfo(dtype: DType | None = None) -> "xp.finfo":
    """Limits of a floating-point dtype (``eps``, ``max``, ``min``, ``tiny``, ``bits``,
    ``resolution``), of the default dtype when none is given: NumPy's ``finfo``."""
    np_dtype = to_numpy_dtype(default_float if dtype is None else dtype)
    if np_dtype.kind != "f":
        raise TypeError(f"finfo expects a floating-point dtype, got {dtype!r}; use iinfo")
    return xp.finfo(np_dtype)


def iinfo(dtype: DType) -> "xp.iinfo":
    """Limits of an integer dtype (``max``, ``min``, ``bits``): NumPy's ``iinfo``."""
    np_dtype = to_numpy_dtype(dtype)
    if np_dtype.kind not in "iu":
        raise TypeError(f"iinfo expects an integer dtype, got {dtype!r}; use finfo")
    return xp.iinfo(np_dtype)


def from_numpy_dtype(np_dtype) -> DType:
    """The DType of an array dtype; raises TypeError for a dtype retrograd does not support."""
    try:
        return _BY_NUMPY[np_dtype]
    except KeyError:
        raise TypeError(f"unsupported dtype {np_dtype}: retrograd supports "
                        f"{', '.join(d.name for d in _BY_NUMPY.values())}") from None


def to_numpy_dtype(dtype) -> "xp.dtype":
    """Accepts a DType, an array dtype, a Python type (float, int, bool) or a name."""
    if isinstance(dtype, DType):
        return dtype.np_dtype
    if dtype is float:
        return default_float.np_dtype
    if dtype is int:
        return int64.np_dtype
    if dtype is bool:
        return bool_.np_dtype
    if isinstance(dtype, str) and dtype in _ALIASES:
        return _ALIASES[dtype].np_dtype
    try:
        np_dtype = xp.dtype(dtype)
    except TypeError:
        raise TypeError(f"expected a dtype such as rg.float32, got {dtype!r}") from None
    from_numpy_dtype(np_dtype)
    return np_dtype


# PyTorch's legacy tensor types (``torch.FloatTensor``...): the name of each dtype's type
LEGACY_TYPE_NAMES = {float16: "HalfTensor", float32: "FloatTensor", float64: "DoubleTensor",
                     int8: "CharTensor", uint8: "ByteTensor", int16: "ShortTensor",
                     int32: "IntTensor", int64: "LongTensor", bool_: "BoolTensor"}


def legacy_type_name(dtype: DType, device_type: str = "cpu") -> str:
    """``'retrograd.FloatTensor'``, or ``'retrograd.cuda.FloatTensor'`` on CUDA."""
    place = "" if device_type == "cpu" else f"{device_type}."
    return f"retrograd.{place}{LEGACY_TYPE_NAMES[dtype]}"


def from_legacy_type_name(name: str) -> tuple:
    """The dtype of a legacy type name (``'torch.LongTensor'``, ``'retrograd.cuda.FloatTensor'``)
    and whether it names a CUDA type."""
    parts = name.split(".")
    by_name = {type_name: dtype for dtype, type_name in LEGACY_TYPE_NAMES.items()}
    if parts[0] not in ("torch", "retrograd") or parts[-1] not in by_name or \
            parts[1:-1] not in ([], ["cuda"]):
        raise ValueError(f"invalid type: {name!r}; expected a name such as "
                         f"'retrograd.FloatTensor' or 'torch.cuda.LongTensor'")
    return by_name[parts[-1]], parts[1:-1] == ["cuda"]

"""PyTorch's legacy tensor types: ``rg.FloatTensor([1, 2])``, ``rg.LongTensor(3)``,
``isinstance(x, rg.FloatTensor)``.

Each type makes a CPU tensor of its dtype, from data or from sizes as the ``rg.Tensor``
constructor does, and is a type only for ``isinstance`` (a float32 CPU tensor is a FloatTensor).
"""
from __future__ import annotations

from typing import Any

from . import dtype as dtypes
from .tensor import Tensor


class _LegacyType(type):
    dtype: dtypes.DType

    def __call__(cls, *args: Any) -> Tensor:  # type: ignore[override]
        return Tensor(*args).to(cls.dtype)

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, Tensor) and instance.dtype == cls.dtype and \
            instance.device.type == "cpu"

    def __repr__(cls) -> str:
        return f"<class '{dtypes.legacy_type_name(cls.dtype)}'>"


def _legacy_type(dtype: dtypes.DType) -> type:
    return _LegacyType(dtypes.LEGACY_TYPE_NAMES[dtype], (), {"dtype": dtype,
                                                             "__module__": __name__})


HalfTensor = _legacy_type(dtypes.float16)
FloatTensor = _legacy_type(dtypes.float32)
DoubleTensor = _legacy_type(dtypes.float64)
CharTensor = _legacy_type(dtypes.int8)
ByteTensor = _legacy_type(dtypes.uint8)
ShortTensor = _legacy_type(dtypes.int16)
IntTensor = _legacy_type(dtypes.int32)
LongTensor = _legacy_type(dtypes.int64)
BoolTensor = _legacy_type(dtypes.bool_)

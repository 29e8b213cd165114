"""PyTorch's type promotion for operations of several operands: + - * / **, maximum, minimum,
where.

NumPy and PyTorch agree on most mixes, but not on all. Among operands of the same category
(bool < integer < floating point), PyTorch ranks dimensioned tensors above zero-dimensional
ones, and those above Python numbers: a float32 matrix times a float64 0-d tensor stays float32,
an int32 tensor plus an int64 0-d tensor stays int32, and a NumPy scalar counts as a Python
number. An operand of a higher category always counts (int64 tensor * 2.5 is float32, the
default float dtype for a Python float; int64 tensor * float64 0-d tensor is float64). NumPy 2
ranks a 0-d array like any other array, and promotes float16 or float32 with int64 to float64.

``result_type`` is PyTorch's ``torch.result_type``. ``BinaryOp`` is the base of the binary
operations: its ``apply`` brings both operands to that dtype before the forward runs, through the
differentiable cast (so gradients flow back to each operand in its own dtype, as PyTorch's
autograd casts them), then records the operation as usual. Operands of one dtype, and a float
tensor with a Python number, take a fast path of a few attribute reads.
"""
from __future__ import annotations

from typing import Any

from .. import dtype as dtypes
from ..autograd.function import Op
from ..backend import is_device_array, xp
from ..tensor import Tensor

_BOOL, _INT64 = xp.dtype(xp.bool_), xp.dtype(xp.int64)
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}  # bool < integer < floating point
_PYTHON_NUMBERS = frozenset((bool, int, float))
# Function.apply: the forward and the node, once dtypes agree
_record = Op.apply.__func__  # type: ignore[attr-defined]  # the classmethod's function


def promote_types(type1: Any, type2: Any) -> dtypes.DType:
    """The smallest dtype that holds both (``torch.promote_types``): the higher category wins
    (int64 with float16 is float16), else the wider type (uint8 with int8 is int16)."""
    return dtypes.from_numpy_dtype(_promote_types(dtypes.to_numpy_dtype(type1),
                                                  dtypes.to_numpy_dtype(type2)))


def _promote_types(a: xp.dtype, b: xp.dtype) -> xp.dtype:
    """``promote_types`` on array dtypes."""
    if a is b:
        return a
    category_a, category_b = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if category_a != category_b:
        return a if category_a > category_b else b
    return xp.promote_types(a, b)  # within a category NumPy's table is PyTorch's


def _promote(a: xp.dtype | None, b: xp.dtype) -> xp.dtype:
    return b if a is None else _promote_types(a, b)


def _combine_categories(higher: xp.dtype | None, lower: xp.dtype | None) -> xp.dtype | None:
    """PyTorch's ``combine_categories``: the dtype of ``higher`` (the operands of higher rank)
    unless ``lower`` is of a higher category."""
    if higher is None:
        return lower
    if lower is None or higher.kind == "f":
        return higher
    if higher.kind == "b" or lower.kind == "f":
        return _promote_types(higher, lower)
    return higher  # both integral: the higher rank keeps its dtype


def _number_dtype(value: Any) -> xp.dtype | None:
    """The dtype PyTorch gives a Python or NumPy number: bool, int64 or the default float;
    None for anything else."""
    kind = value.dtype.kind if isinstance(value, xp.generic) else None
    if isinstance(value, bool) or kind == "b":
        return _BOOL
    if isinstance(value, int) or kind in ("i", "u"):
        return _INT64
    if isinstance(value, float) or kind == "f":
        return dtypes.default_float.np_dtype
    return None


def result_dtype(*operands: Any) -> xp.dtype | None:
    """The array dtype of ``torch.result_type(*operands)`` for Tensors (or arrays), Python and
    NumPy numbers; None when an operand is none of those."""
    dimensioned = zero_dim = number = None
    for operand in operands:
        array = operand.array if isinstance(operand, Tensor) else operand
        if is_device_array(array):
            if array.dtype.kind not in _CATEGORY:  # complex, strings...: not retrograd's
                return None
            if array.ndim:
                dimensioned = _promote(dimensioned, array.dtype)
            else:
                zero_dim = _promote(zero_dim, array.dtype)
        else:
            dtype = _number_dtype(operand)
            if dtype is None or dtype.kind not in _CATEGORY:
                return None
            number = _promote(number, dtype)
    return _combine_categories(dimensioned, _combine_categories(zero_dim, number))


def result_type(tensor: Any, other: Any) -> dtypes.DType:
    """The dtype an arithmetic operation on ``tensor`` and ``other`` gives
    (``torch.result_type``): a DType such as ``rg.float32``."""
    dtype = result_dtype(tensor, other)
    if dtype is None:
        raise TypeError(f"result_type expects Tensors or numbers, got {type(tensor).__name__} "
                        f"and {type(other).__name__}")
    return dtypes.from_numpy_dtype(dtype)


def _converted(operand: Any, target: xp.dtype) -> Any:
    """``operand`` in the dtype ``target``: a Tensor through the differentiable cast, an array
    by ``astype``, a number as NumPy will then compute it in ``target``."""
    if isinstance(operand, Tensor):
        return operand if operand.array.dtype == target else operand.to(target)
    if is_device_array(operand):
        return operand.astype(target, copy=False)
    if isinstance(operand, xp.generic):
        operand = operand.item()  # NumPy scalars count as Python numbers (weak), as in PyTorch
    if target.kind in "iu" and isinstance(operand, int):
        limits = xp.iinfo(target)
        if not limits.min <= operand <= limits.max:
            # wrapped around as PyTorch does (a uint8 tensor + 300 adds 44), where NumPy raises;
            # a NumPy scalar, which mixes with arrays of every device as a number does
            return xp.asarray(operand).astype(target)[()]
    return operand


def promote_operands(a: Any, b: Any) -> tuple:
    """``a`` and ``b`` in their result dtype (``torch.result_type``). Operands that are neither
    Tensors nor numbers come back unchanged, for the operation to refuse."""
    target = result_dtype(a, b)
    if target is None:
        return a, b
    return _converted(a, target), _converted(b, target)


def _apply_promoted(cls, a: Any, b: Any) -> Tensor:
    target = result_dtype(a, b)
    if target is None:
        return _record(cls, a, b)
    if cls._true_division and target.kind != "f":
        target = dtypes.default_float.np_dtype  # PyTorch's / divides integers as floats
    result = _record(cls, _converted(a, target), _converted(b, target))
    if target == _BOOL and result.array.dtype != _BOOL:  # NumPy's bool ** bool is int8
        result = Tensor(result.array.astype(_BOOL))
    return result


class BinaryOp(Op):
    """An operation of two operands that PyTorch promotes to ``torch.result_type``."""

    _true_division = False

    @classmethod
    def apply(cls, a: Any, b: Any) -> Tensor:
        # the fast path: one dtype, or a float tensor with a Python number (NumPy then keeps
        # the tensor's dtype, as PyTorch does)
        if isinstance(a, Tensor):
            if isinstance(b, Tensor):
                if a.array.dtype is b.array.dtype and not (
                        cls._true_division and a.array.dtype.kind != "f"):
                    return _record(cls, a, b)
            elif b.__class__ in _PYTHON_NUMBERS and a.array.dtype.kind == "f":
                return _record(cls, a, b)
        elif (a.__class__ in _PYTHON_NUMBERS and isinstance(b, Tensor)
              and b.array.dtype.kind == "f"):
            return _record(cls, a, b)
        return _apply_promoted(cls, a, b)

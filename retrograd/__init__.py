"""retrograd: a deep-learning library on NumPy, with reverse-mode automatic differentiation.

    import retrograd as rg
    x = rg.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    x.grad                     # tensor([2., 4.])
"""
import builtins  # rg.bool and rg.float shadow the builtins in this module's annotations
import importlib
from math import e, inf, nan, pi

from .tensor import Tensor  # first: everything else builds on it
from . import autograd
from .autograd import (enable_grad, inference_mode, is_anomaly_enabled, is_grad_enabled,
                       no_grad, set_grad_enabled)
from .creation import (arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like,
                       linspace, ones, ones_like, rand, rand_like, randint, randn, randn_like,
                       randperm, tensor, zeros, zeros_like)
from .determinism import (are_deterministic_algorithms_enabled,
                          is_deterministic_algorithms_warn_only_enabled,
                          use_deterministic_algorithms)
from .device import device, get_default_device, set_default_device
from .printing import set_printoptions
from .dtype import (DType, bool_ as bool, finfo, float16, float32, float64, get_default_dtype,
                    iinfo, int8, int16, int32, int64, set_default_dtype, uint8)
from .ops.activation import log_softmax, relu, sigmoid, softmax
from .ops.arithmetic import abs, add, div, mul, neg, pow, sub
from .ops.elementwise import (clamp, cos, erf, exp, log, log1p, maximum, minimum, sign, sin, sqrt,
                              tanh, where)
from .ops.indexing import cat, chunk, gather, index_add, split, stack
from .ops.linalg import matmul
from .ops.promotion import promote_types, result_type
from .ops.reduction import (amax, amin, argmax, argmin, logsumexp, max, mean, min, norm, prod,
                            std, sum, var)
from .ops.shape import (diagonal, expand, flatten, narrow, permute, repeat, reshape, squeeze,
                        transpose, unbind, unsqueeze)
from .legacy import (BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor, HalfTensor,
                     IntTensor, LongTensor, ShortTensor)
from .random import Generator, initial_seed, manual_seed, seed
from .size import Size
from .threads import get_num_threads, set_num_threads
# sorting, scanning and selection
from .ops.indexing import (argwhere, index_select, masked_fill, nonzero, scatter,
                           scatter_add)
from .ops.scan import cumprod, cumsum
from .ops.shape import flip, roll, tril, triu
from .ops.sorting import argsort, sort, topk, unique
# rounding, integer division and products
from .ops.linalg import addmm, bmm, dot, einsum, mm, outer
from .ops.predicates import all, any, isclose, isfinite, isinf, isnan, isneginf, isposinf
from .ops.rounding import ceil, fix, floor, floor_divide, fmod, frac, remainder, round, trunc
from .ops.sampling import normal
# nn functions PyTorch also has at the top level
from .ops.conv import conv_transpose1d, conv_transpose2d
from .ops.distance import cosine_similarity, pairwise_distance
from .ops.normalization import group_norm
# more elementwise, reductions and helpers
from .ops.composite import (aminmax, atleast_1d, atleast_2d, atleast_3d,
                            bernoulli, bincount, cartesian_prod, cdist, column_stack,
                            count_nonzero, diag, diag_embed, dstack, histc, hstack, meshgrid,
                            multinomial, std_mean, trace, var_mean, vstack)
from .ops.pointwise import (acos, addcdiv, addcmul, asin, atan, atan2, cosh, exp2, expm1,
                            hypot, lerp, log2, log10, logaddexp, reciprocal, rsqrt, sinh,
                            square, xlogy)
from .ops.pointwise import acos as arccos, asin as arcsin, atan as arctan, atan2 as arctan2
from . import nn
from . import utils
from . import cuda
from . import backends
from . import accelerator
from . import threads

threads.apply_default()  # one BLAS thread unless the user chose (retrograd/threads.py says why)

clip = clamp
concatenate = cat
float = float32
double = float64
long = int64
half = float16

__version__ = "0.1.0"

# The public names, for `from retrograd import *` and for linters (a re-export is no unused
# import); the names imported on first use are left out so that `import *` stays quick.
__all__ = [
    # tensors, creation, dtypes, devices and the basic ops
    "e", "inf", "nan", "pi", "Tensor", "enable_grad", "inference_mode", "is_anomaly_enabled",
    "is_grad_enabled", "no_grad", "set_grad_enabled", "arange", "as_tensor", "empty", "empty_like",
    "eye", "from_numpy", "full", "full_like", "linspace", "ones", "ones_like", "rand", "rand_like",
    "randint", "randn", "randn_like", "randperm", "tensor", "zeros", "zeros_like",
    "are_deterministic_algorithms_enabled", "is_deterministic_algorithms_warn_only_enabled",
    "use_deterministic_algorithms", "device", "get_default_device", "set_default_device",
    "set_printoptions", "DType", "bool", "finfo", "float16", "float32", "float64",
    "get_default_dtype", "iinfo", "int8", "int16", "int32", "int64", "set_default_dtype", "uint8",
    "log_softmax", "relu", "sigmoid", "softmax", "abs", "add", "div", "mul", "neg", "pow", "sub",
    "clamp", "cos", "erf", "exp", "log", "log1p", "maximum", "minimum", "sign", "sin", "sqrt",
    "tanh", "where", "cat", "chunk", "gather", "index_add", "split", "stack", "matmul",
    "promote_types", "result_type", "amax", "amin", "argmax", "argmin", "logsumexp", "max", "mean",
    "min", "norm", "prod", "std", "sum", "var", "diagonal", "expand", "flatten", "narrow",
    "permute", "repeat", "reshape", "squeeze", "transpose", "unbind", "unsqueeze", "BoolTensor",
    "ByteTensor", "CharTensor", "DoubleTensor", "FloatTensor", "HalfTensor", "IntTensor",
    "LongTensor", "ShortTensor", "Generator", "initial_seed", "manual_seed", "seed", "Size",
    "get_num_threads", "set_num_threads",
    # sorting, scanning and selection
    "argwhere", "index_select", "masked_fill", "nonzero", "scatter", "scatter_add", "cumprod",
    "cumsum", "flip", "roll", "tril", "triu", "argsort", "sort", "topk", "unique",
    # rounding, integer division and products
    "addmm", "bmm", "dot", "einsum", "mm", "outer", "all", "any", "isclose", "isfinite", "isinf",
    "isnan", "isneginf", "isposinf", "ceil", "fix", "floor", "floor_divide", "fmod", "frac",
    "remainder", "round", "trunc", "normal",
    # nn functions PyTorch also has at the top level
    "conv_transpose1d", "conv_transpose2d", "cosine_similarity", "pairwise_distance", "group_norm",
    # more elementwise, reductions and helpers
    "aminmax", "atleast_1d", "atleast_2d", "atleast_3d", "bernoulli", "bincount", "cartesian_prod",
    "cdist", "column_stack", "count_nonzero", "diag", "diag_embed", "dstack", "histc", "hstack",
    "meshgrid", "multinomial", "std_mean", "trace", "var_mean", "vstack", "acos", "addcdiv",
    "addcmul", "asin", "atan", "atan2", "cosh", "exp2", "expm1", "hypot", "lerp", "log2", "log10",
    "logaddexp", "reciprocal", "rsqrt", "sinh", "square", "xlogy", "arccos", "arcsin", "arctan",
    "arctan2",
    # submodules
    "autograd", "nn", "utils", "cuda", "backends", "accelerator", "threads",
    # aliases and the functions below
    "clip", "concatenate", "float", "double", "long", "half", "is_tensor", "numel", "clone",
    "detach", "eq", "ne", "lt", "le", "gt", "ge", "allclose", "equal",
]

# Imported on first use (rg.optim, rg.save, rg.explain...), which keeps `import retrograd` quick:
# name -> the submodule that holds it
_ON_FIRST_USE = {"check": "check", "compile": "compiler", "datasets": "datasets",
                 "explain": "explain", "onnx": "onnx",
                 "optim": "optim", "playground": "live", "scratch": "scratch",
                 "train": "train",
                 "diagnose": "check", "load": "serialization", "save": "serialization"}


def __getattr__(name: str):
    if name not in _ON_FIRST_USE:
        raise AttributeError(f"module 'retrograd' has no attribute {name!r}")
    module = importlib.import_module(f".{_ON_FIRST_USE[name]}", __name__)
    value = module if _ON_FIRST_USE[name] == name else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list:
    return sorted(set(globals()) | set(_ON_FIRST_USE))


def is_tensor(obj: object) -> builtins.bool:
    """True when ``obj`` is a retrograd Tensor."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    """The number of elements of ``input``."""
    return input.numel()


def clone(input: Tensor) -> Tensor:
    """A copy of ``input`` that stays in the graph (see ``Tensor.clone``)."""
    return input.clone()


def detach(input: Tensor) -> Tensor:
    """``input``'s data cut from the graph (see ``Tensor.detach``)."""
    return input.detach()


# Comparisons, elementwise and broadcasting, give bool tensors without gradient.

def eq(input: Tensor, other) -> Tensor:
    """``input == other``."""
    return input == other


def ne(input: Tensor, other) -> Tensor:
    """``input != other``."""
    return input != other


def lt(input: Tensor, other) -> Tensor:
    """``input < other``."""
    return input < other


def le(input: Tensor, other) -> Tensor:
    """``input <= other``."""
    return input <= other


def gt(input: Tensor, other) -> Tensor:
    """``input > other``."""
    return input > other


def ge(input: Tensor, other) -> Tensor:
    """``input >= other``."""
    return input >= other


def allclose(input: Tensor, other: Tensor, rtol: builtins.float = 1e-5,
             atol: builtins.float = 1e-8) -> builtins.bool:
    """True when ``|input - other| <= atol + rtol * |other|`` everywhere."""
    return input.allclose(other, rtol, atol)


def equal(input: Tensor, other: Tensor) -> builtins.bool:
    """True when both have the same shape and elements."""
    return input.equal(other)

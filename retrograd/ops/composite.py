"""Reductions and helpers composed of other operations: std_mean, var_mean, aminmax,
count_nonzero, diag, trace, diag_embed, meshgrid, the stacks (hstack, vstack, dstack,
column_stack), cartesian_prod, cdist; the counts bincount and histc (no gradient); and the
random draws multinomial and bernoulli (no gradient).

The differentiable ones are built of recorded operations, so their gradients (of every order)
come from those.
"""
from __future__ import annotations

import warnings
from collections import namedtuple

from ..backend import array_module, xp
from ..random import Generator, random_source
from ..recording import recorded
from ..tensor import Tensor
from .indexing import cat, stack
from .out import supports_out
from .reduction import amax, amin, mean, normalize_dims, std, var
from .shape import DiagonalIntoZeros, _dim
from .shape import diagonal as _diagonal

MinMax = namedtuple("aminmax", ["min", "max"])  # type: ignore[name-match]  # PyTorch's name
MinMax.__doc__ = "What aminmax returns: the smallest and the largest values."


def _spread(input: Tensor, dim, unbiased, keepdim, correction, spread) -> tuple:
    if isinstance(dim, bool):  # std_mean(input, unbiased): PyTorch's overload
        dim, unbiased = None, dim
    return (spread(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


def std_mean(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
             correction: int | None = None) -> tuple:
    """``(std, mean)`` over ``dim`` (all dimensions by default), with ``std``'s arguments:
    ``correction`` (1 by default) or ``unbiased``; ``std_mean(input, False)`` too."""
    return _spread(input, dim, unbiased, keepdim, correction, std)


def var_mean(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
             correction: int | None = None) -> tuple:
    """``(var, mean)`` over ``dim`` (all dimensions by default), with ``var``'s arguments."""
    return _spread(input, dim, unbiased, keepdim, correction, var)


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> MinMax:
    """``(min, max)``, a namedtuple, over ``dim`` (every element by default); ties share the
    gradient evenly."""
    if input.numel() == 0:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity")
    if dim is not None and not isinstance(dim, int):
        raise TypeError(f"aminmax(): argument 'dim' must be int, not {type(dim).__name__}")
    # no dim with keepdim: every dimension kept, of size 1
    dims = tuple(range(input.ndim)) if dim is None and keepdim else dim
    return MinMax(amin(input, dims, keepdim), amax(input, dims, keepdim))


def count_nonzero(input: Tensor, dim=None) -> Tensor:
    """The number of nonzero elements over ``dim`` (an int, a tuple, or every one); int64."""
    axes = normalize_dims(dim, input.ndim, "count_nonzero")
    counts = (input.array != 0).sum(axis=axes, dtype=xp.int64)
    return Tensor(array_module(input.array).asarray(counts))


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices whose ``offset`` diagonal in dimensions ``dim1`` and ``dim2`` holds the last
    dimension of ``input`` (..., n), zeros elsewhere: one dimension more than ``input``."""
    rank = input.ndim + 1
    dim1, dim2 = _dim(dim1, rank, "diag_embed"), _dim(dim2, rank, "diag_embed")
    if dim1 == dim2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    size = input.shape[-1] + abs(offset) if input.ndim else 1 + abs(offset)
    batch = list(input.shape[:-1])
    for position in sorted((dim1, dim2)):
        batch.insert(position, size)
    if not input.ndim:
        input = input.reshape(1)
    return DiagonalIntoZeros.apply(input, axes=(offset, dim1, dim2), shape=tuple(batch))


@supports_out
def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A 1-D ``input`` as the ``diagonal``-th diagonal of a square matrix; of a 2-D ``input``,
    that diagonal as a 1-D tensor."""
    if input.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input.ndim == 2:
        return _diagonal(input, diagonal).clone()  # a copy, not a view, as in PyTorch
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


def trace(input: Tensor) -> Tensor:
    """The sum of the main diagonal of a matrix (int64 for integer matrices)."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return _diagonal(input).sum()


def _tensors(name: str, tensors: tuple) -> tuple:
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError(f"{name}(): expected Tensors, got "
                        f"{[type(t).__name__ for t in tensors]}")
    return tuple(tensors)


def meshgrid(*tensors: Tensor, indexing: str | None = None) -> tuple:
    """Coordinate grids of 0-d or 1-D tensors: the i-th output holds ``tensors[i]`` along
    dimension i (``indexing='ij'``), or with the first two dimensions swapped (``'xy'``, as
    NumPy). Outputs are expanded views. Omitting ``indexing`` means 'ij' and warns, as PyTorch
    does."""
    tensors = _tensors("meshgrid", tensors)
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                           f"received: {indexing}")
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list "
                               f"but got: {t.ndim}D")
        if t.dtype != tensors[0].dtype:
            raise RuntimeError("torch.meshgrid: Expected all tensors in the tensor list to "
                               "have the same dtype.")
    vectors = [t.reshape(-1) for t in tensors]
    swap = indexing == "xy" and len(vectors) >= 2
    if swap:
        vectors[0], vectors[1] = vectors[1], vectors[0]
    shape = tuple(v.shape[0] for v in vectors)
    grids = [v.reshape([-1 if j == i else 1 for j in range(len(shape))]).expand(shape)
             for i, v in enumerate(vectors)]
    if swap:  # the grids of the swapped inputs, back in the order of the inputs
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """Every combination of the elements of 1-D tensors, one per row (as itertools.product);
    a single tensor comes back as it is."""
    tensors = _tensors("cartesian_prod", tensors)
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    return stack([g.reshape(-1) for g in meshgrid(*tensors, indexing="ij")], 1)


def atleast_1d(*tensors: Tensor):
    """Each tensor with at least one dimension (a 0-d tensor becomes of shape (1,))."""
    return _atleast(tensors, lambda t: t.reshape(1) if t.ndim == 0 else t)


def atleast_2d(*tensors: Tensor):
    """Each tensor with at least two dimensions: (n,) becomes (1, n)."""
    return _atleast(tensors, lambda t: t.reshape((1,) * (2 - t.ndim) + tuple(t.shape))
                    if t.ndim < 2 else t)


def atleast_3d(*tensors: Tensor):
    """Each tensor with at least three dimensions: (n,) becomes (1, n, 1), (m, n) (m, n, 1)."""
    def lift(t: Tensor) -> Tensor:
        if t.ndim == 0:
            return t.reshape(1, 1, 1)
        if t.ndim == 1:
            return t.reshape(1, -1, 1)
        return t.unsqueeze(-1) if t.ndim == 2 else t
    return _atleast(tensors, lift)


def _atleast(tensors: tuple, lift):
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return lift(tensors[0])
    return tuple(lift(t) for t in _tensors("atleast", tensors))


@supports_out
def hstack(tensors) -> Tensor:
    """Concatenation along the columns: dimension 0 for 1-D tensors, 1 otherwise."""
    tensors = atleast_1d(*_tensors("hstack", (tensors,)))
    return cat(list(tensors), 0 if tensors[0].ndim == 1 else 1)


@supports_out
def vstack(tensors) -> Tensor:
    """Concatenation along the rows (dimension 0), 1-D tensors as rows."""
    return cat(list(atleast_2d(*_tensors("vstack", (tensors,)))), 0)


@supports_out
def dstack(tensors) -> Tensor:
    """Concatenation along the depth (dimension 2), after ``atleast_3d``."""
    return cat(list(atleast_3d(*_tensors("dstack", (tensors,)))), 2)


@supports_out
def column_stack(tensors) -> Tensor:
    """The tensors as columns side by side: 0-d and 1-D tensors as columns (n, 1), then
    ``hstack``."""
    tensors = _tensors("column_stack", (tensors,))
    columns = [t.reshape(-1, 1) if t.ndim <= 1 else t for t in tensors]
    return cat(columns, 1)


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0,
          compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """The p-norm distances between the rows of ``x1`` (..., P, M) and ``x2`` (..., R, M):
    (..., P, R), batch dimensions broadcast. The gradient at a zero distance is 0."""
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D, "
                           f"X2 got: {x2.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if not (x1.is_floating_point() and x2.is_floating_point()):
        raise RuntimeError(f"cdist only supports floating-point dtypes, X1 got: {x1.dtype}")
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got {p}")
    difference = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    if p == 0:  # the number of differing coordinates: no gradient, as in PyTorch
        return Tensor((difference.array != 0).sum(axis=-1).astype(difference.array.dtype))
    return difference.norm(p, dim=-1)


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """How often each value 0, 1, ... occurs in a 1-D tensor of non-negative integers (int64),
    or the sum of ``weights`` (its dtype) at each value; at least ``minlength`` bins."""
    if input.ndim != 1 or input.dtype.is_floating_point or input.array.dtype.kind == "b":
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    array = input.array
    if array.size and int(array.min()) < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is not None and tuple(weights.shape) != tuple(input.shape):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    module = array_module(array)
    if weights is None:
        return Tensor(module.bincount(array, minlength=minlength).astype(xp.int64))
    counts = module.bincount(array, weights=weights.array, minlength=minlength)
    dtype = weights.array.dtype if weights.array.dtype.kind == "f" else xp.float64
    return Tensor(counts.astype(dtype))


@supports_out
def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
    """A histogram of ``bins`` equal bins over [min, max] (the data's range when both are 0);
    values outside are ignored. Same dtype as ``input`` (floating point)."""
    if not input.is_floating_point():
        raise RuntimeError(f"\"histogram_cpu\" not implemented for '{input.dtype}'")
    if bins <= 0:
        raise RuntimeError("torch.histc(): bins must be > 0")
    array = input.array
    module = array_module(array)
    low, high = float(min), float(max)
    if low == high and array.size:
        low, high = float(array.min()), float(array.max())
    if low == high:
        low, high = low - 1, high + 1
    if low > high:
        raise RuntimeError("torch.histc(): max must be larger than min")
    counts, _ = module.histogram(array, bins=bins, range=(low, high))
    return Tensor(counts.astype(array.dtype))


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Generator | None = None) -> Tensor:
    """``num_samples`` indices drawn for each row of ``input`` (1-D or 2-D, non-negative
    weights, not necessarily normalized), with or without replacement; int64."""
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input.is_floating_point():
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{input.dtype}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    rows = input.array.reshape(-1, input.shape[-1]).astype(xp.float64)
    if bool((rows < 0).any()) or not bool(array_module(rows).isfinite(rows).all()):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    positive = (rows > 0).sum(axis=1)
    if bool((positive == 0).any()):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    if not replacement and (num_samples > input.shape[-1] or
                            bool((positive < num_samples).any())):
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    source = random_source(generator, input.device)
    uniform = source.random((rows.shape[0], num_samples if replacement else rows.shape[1]))
    if replacement:  # inverse transform sampling of each row's distribution
        cumulative = rows.cumsum(axis=1)
        cumulative /= cumulative[:, -1:]
        picks = (uniform[:, :, None] >= cumulative[:, None, :-1]).sum(axis=2)
    else:  # the Gumbel-top-k trick: keys u^(1/w), the largest num_samples of them
        module = array_module(rows)
        weights = module.where(rows > 0, rows, 1.0)
        keys = module.where(rows > 0, module.log(uniform) / weights, -module.inf)
        picks = module.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    picks = picks.astype(xp.int64)
    return Tensor(picks.reshape(num_samples) if input.ndim == 1 else picks)


@recorded
def bernoulli_array(shape: tuple, p, np_dtype, generator: Generator | None, device):
    """0/1 values of ``shape`` in ``np_dtype``, each 1 with probability ``p`` (a number or an
    array that broadcasts to ``shape``)."""
    if isinstance(p, (int, float)):
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    elif not bool(((p >= 0) & (p <= 1)).all()):  # NaN fails too
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    uniform = random_source(generator, device).random(shape)
    return (uniform < p).astype(np_dtype)


def bernoulli(input: Tensor, p: float | None = None, *,
              generator: Generator | None = None) -> Tensor:
    """0/1 draws of ``input``'s shape and dtype: 1 with probability ``input`` (elementwise, in
    [0, 1]), or ``p`` when given. No gradient."""
    if not input.is_floating_point():
        raise NotImplementedError(f"\"bernoulli_tensor_cpu_p_\" not implemented for "
                                  f"'{input.dtype}'")
    probability = input.array if p is None else p
    return Tensor(bernoulli_array(tuple(input.shape), probability, input.array.dtype,
                                  generator, input.device))


def diagonal_mask(input: Tensor, wrap: bool = False):
    """A bool array of ``input``'s shape, true on the main diagonal that ``fill_diagonal_``
    writes (every ``1 + sum of strides`` elements of the flattened tensor, as NumPy's
    ``fill_diagonal``; a tall matrix's diagonal restarts below a gap row when ``wrap``)."""
    shape = tuple(input.shape)
    if len(shape) < 2:
        raise RuntimeError("dimensions must larger than 1")
    if len(shape) > 2 and len(set(shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    module = array_module(input.array)
    flat = module.zeros(input.numel(), dtype=bool)
    step = 1 + sum(int(xp.prod(shape[i + 1:])) for i in range(len(shape) - 1))
    end = None if wrap or len(shape) > 2 else min(shape[0], shape[1]) * shape[1]
    flat[:end:step] = True
    return flat.reshape(shape)

"""Resampling: ``interpolate`` (``nn.Upsample``'s function) in the modes ``'nearest'``,
``'nearest-exact'``, ``'linear'`` (3-D input), ``'bilinear'`` (4-D) and ``'trilinear'`` (5-D).

Every mode is separable: one spatial axis after the other, each output position reads one
(nearest) or two (linear) input positions along that axis, with weights that depend only on
the position. Indices and weights follow PyTorch's CPU kernels exactly, in the same precision
(``float`` for float32 inputs):

- nearest: ``src = min(floor(dst * scale), in - 1)``, with ``scale = 1 / scale_factor`` when a
  scale factor is given and ``in / out`` otherwise (an output of the input's size, or twice it,
  takes ``dst`` or ``dst // 2`` directly); nearest-exact: ``floor((dst + 0.5) * scale)``.
- linear, ``align_corners=False``: ``src = max(scale * (dst + 0.5) - 0.5, 0)``, the pixel
  centres aligned; ``align_corners=True``: ``src = dst * (in - 1) / (out - 1)``, the corner
  pixels aligned. Then ``i0 = floor(src)``, ``i1 = i0 + 1`` (``i0`` at the last position) and
  the weights ``1 - (src - i0)`` and ``src - i0``.

Each axis is an indexing (``x[..., index, ...]``) times constant weights, so the backward (a
scatter-add of the gradient onto the input positions read) and the gradients of every order come
from those operations.
"""
from __future__ import annotations

import math
from typing import Any

from ..backend import array_module, xp
from ..tensor import Tensor
from .indexing import GetItem

_LINEAR_MODES = {"linear": 3, "bilinear": 4, "trilinear": 5}  # mode -> the input's ndim
_NEAREST_MODES = ("nearest", "nearest-exact")
_ALL_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"


def _scale(in_size: int, out_size: int, scale_factor: float | None, dtype: Any) -> Any:
    """PyTorch's ``compute_scales_value``: 1 / scale_factor when given, else in / out."""
    if scale_factor is not None and scale_factor > 0:
        return dtype.type(1.0 / scale_factor)
    return dtype.type(in_size) / dtype.type(out_size)


def _nearest_indices(in_size: int, out_size: int, scale_factor: float | None,
                     exact: bool) -> Any:
    """Which input position each output position copies, on the host (int64)."""
    positions = xp.arange(out_size)
    if not exact and out_size == in_size:
        return positions
    if not exact and out_size == 2 * in_size:
        return positions >> 1
    float32 = xp.dtype(xp.float32)
    scale = _scale(in_size, out_size, scale_factor, float32)  # float, as PyTorch's kernel
    offset = float32.type(0.5) if exact else float32.type(0.0)
    source = xp.floor((positions.astype(xp.float32) + offset) * scale).astype(xp.int64)
    return xp.minimum(source, in_size - 1)


def _linear_indices(in_size: int, out_size: int, scale_factor: float | None,
                    align_corners: bool | None, dtype: Any) -> tuple[Any, Any, Any, Any]:
    """(i0, i1, w0, w1) on the host: output position j is ``w0[j] x[i0[j]] + w1[j] x[i1[j]]``."""
    positions = xp.arange(out_size).astype(dtype)
    if align_corners:
        scale = dtype.type(in_size - 1) / dtype.type(out_size - 1) if out_size > 1 else \
            dtype.type(0)
        source = positions * scale
    else:
        scale = _scale(in_size, out_size, scale_factor, dtype)
        source = xp.maximum(scale * (positions + dtype.type(0.5)) - dtype.type(0.5), 0)
    first = xp.minimum(xp.floor(source).astype(xp.int64), in_size - 1)
    weight = xp.clip(source - first, 0, 1).astype(dtype)
    second = first + (first < in_size - 1)
    return first, second, 1 - weight, weight


def _take(x: Tensor, axis: int, host_index: Any) -> Tensor:
    """``x`` indexed along ``axis`` by the host index array (in range by construction)."""
    index = array_module(x.array).asarray(host_index)
    return GetItem.apply(x, key=(slice(None),) * axis + (index,))


def _along(weights: Any, x: Tensor, axis: int) -> Tensor:
    """The host weights (out,) as a constant tensor that broadcasts along ``axis`` of x."""
    shape = (-1,) + (1,) * (x.ndim - axis - 1)
    return Tensor(array_module(x.array).asarray(weights.reshape(shape)))


def _output_sizes(input: Tensor, size: Any, scale_factor: Any, dims: int) -> tuple[list, list]:
    """(output size, scale factor or None) per spatial axis, checked as PyTorch checks them."""
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dims:
                raise ValueError(
                    f"Input and output must have the same number of spatial dimensions, but "
                    f"got input with spatial dimensions of {spatial} and output size of {size}. "
                    f"Please provide input tensor in (N, C, d1, d2, ...,dK) format and output "
                    f"size in (o1, o2, ...,oK) format.")
            if not all(isinstance(s, int) and not isinstance(s, bool) for s in size):
                raise TypeError(f"expected size to be one of int or Tuple[int] or Tuple[int, "
                                f"int] or Tuple[int, int, int], but got size with types "
                                f"{[type(s) for s in size]}")
            return list(size), [None] * dims
        return [size] * dims, [None] * dims
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if isinstance(scale_factor, (list, tuple)):
        if len(scale_factor) != dims:
            raise ValueError(
                f"Input and scale_factor must have the same number of spatial dimensions, but "
                f"got input with spatial dimensions of {spatial} and scale_factor of shape "
                f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                f"and scale_factor in (s1, s2, ...,sK) format.")
        factors = list(scale_factor)
    else:
        factors = [scale_factor] * dims
    return [math.floor(s * f) for s, f in zip(spatial, factors)], factors


def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None,
                mode: str = "nearest", align_corners: bool | None = None,
                recompute_scale_factor: bool | None = None, antialias: bool = False) -> Tensor:
    """Resamples the spatial dimensions of input (N, C, L), (N, C, H, W) or (N, C, D, H, W) to
    ``size`` (an int or one per spatial dimension) or by ``scale_factor`` (output size
    ``floor(size * scale_factor)``; the kernel then uses ``1 / scale_factor`` as the step unless
    ``recompute_scale_factor=True``).

    ``mode``: ``'nearest'`` (PyTorch's legacy nearest), ``'nearest-exact'``, ``'linear'``
    (3-D), ``'bilinear'`` (4-D) or ``'trilinear'`` (5-D). ``align_corners`` (linear modes
    only; False by default) aligns the corner pixels instead of the pixel centres.

    >>> F.interpolate(rg.randn(1, 3, 8, 8), scale_factor=2, mode="bilinear").shape
    (1, 3, 16, 16)
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate: input must be a Tensor, got {type(input).__name__}")
    if mode in _NEAREST_MODES or mode == "area":
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dims = input.ndim - 2
    sizes, factors = _output_sizes(input, size, scale_factor, dims)
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if recompute_scale_factor:
        factors = [None] * dims
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported in retrograd")
    wanted = _LINEAR_MODES.get(mode)
    if input.ndim not in (3, 4, 5) or not (mode in _NEAREST_MODES or wanted):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported "
                                  f"(got {input.ndim}D) for the modes: {_ALL_MODES} (got "
                                  f"{mode})")
    if wanted is not None and wanted != input.ndim:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {wanted}D "
                                  f"input")
    if wanted is not None and input.dtype.np_dtype.kind != "f":
        raise RuntimeError(f"interpolate: mode {mode!r} needs a floating-point input, got "
                           f"{input.dtype}")
    if any(s <= 0 for s in sizes):
        raise RuntimeError(f"interpolate: the output sizes {sizes} must be positive (input of "
                           f"shape {tuple(input.shape)})")
    out = input
    for axis, (in_size, out_size, factor) in enumerate(zip(input.shape[2:], sizes, factors),
                                                      start=2):
        if mode in _NEAREST_MODES:
            out = _take(out, axis, _nearest_indices(in_size, out_size, factor,
                                                    mode == "nearest-exact"))
            continue
        first, second, w0, w1 = _linear_indices(in_size, out_size, factor, align_corners,
                                                input.dtype.np_dtype)
        out = _take(out, axis, first) * _along(w0, out, axis) + \
            _take(out, axis, second) * _along(w1, out, axis)
    return out

"""Pooling: ``max_pool1d/2d``, ``avg_pool1d/2d``, ``adaptive_avg_pool1d/2d``,
``adaptive_max_pool1d/2d``.

Max pooling takes the largest value of each window, looping over the kh*kw offsets of the
window (each pass handles every window at once); its gradient goes to the element that was the
maximum, the first one on ties, as in PyTorch ("max routes the gradient").

Average pooling is separable: the average over a kh x kw window is the average over kh rows of
averages over kw columns. So it is two products with constant band matrices,
``A_h @ x @ A_w^T`` with ``A[o, i] = 1 / divisor`` for the inputs i of window o, and its
gradient (and the gradient of that) come from the matrix product's. Adaptive average pooling is
the same with windows of varying sizes chosen to give a requested output size.
"""
from __future__ import annotations

from typing import Any

from ..autograd.function import Op
from ..backend import array_module
from ..backend import xp as host  # NumPy: the averaging matrices are built on the host
from ..creation import tensor
from ..recording import recorded
from ..tensor import Tensor
from .conv import Geometry, Pair, apply_any, ntuple, pad_batch_last, window_slice

# -- geometry ---------------------------------------------------------------------------------

def _pool_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int,
                      ceil_mode: bool) -> int:
    """PyTorch's pooling output size; ``ceil_mode`` counts a last partial window, as long as
    it starts inside the input or its left padding."""
    extent = dilation * (kernel - 1) + 1
    span = size + 2 * padding - extent
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def _pool_geometry(name: str, input: Tensor, kernel_size: Any, stride: Any, padding: Any,
                   dilation: Any, ceil_mode: bool, spatial: int) -> tuple[tuple, Geometry, tuple]:
    """Checks a pooling's arguments: (kernel, geometry, output spatial shape).

    The geometry's padding after each axis also covers the last window of ``ceil_mode``.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim not in (spatial + 1, spatial + 2):
        dims = "(N, C, L)" if spatial == 1 else "(N, C, H, W)"
        raise RuntimeError(f"{name}: expected {spatial + 1}D (unbatched) or {spatial + 2}D "
                           f"(batched) input {dims}, but got input of shape "
                           f"{tuple(input.shape)}")
    kernel = ntuple(kernel_size, spatial, f"{name}: kernel_size", 1)
    stride = kernel if stride is None or stride == () or stride == [] else \
        ntuple(stride, spatial, f"{name}: stride", 1)  # PyTorch: the stride is the kernel size
    padding = ntuple(padding, spatial, f"{name}: padding")
    dilation = ntuple(dilation, spatial, f"{name}: dilation", 1)
    for k, p in zip(kernel, padding):
        if p > k // 2:  # (PyTorch's rule, whatever the dilation)
            raise ValueError(f"{name}: pad should be at most half of kernel size, but got "
                             f"pad={p} and kernel_size={k}")
    sizes = tuple(input.shape[-spatial:])
    out = tuple(_pool_output_size(*args, ceil_mode)
                for args in zip(sizes, kernel, stride, padding, dilation))
    if any(o < 1 for o in out):
        raise RuntimeError(
            f"{name}: the kernel {kernel} (dilation {dilation}) is larger than the padded input "
            f"(input of shape {tuple(input.shape)}, padding {padding}): the output would have "
            f"size {out}; use a smaller kernel or more padding")
    pads = tuple((p, (o - 1) * s + d * (k - 1) + 1 - size - p)
                 for size, k, s, p, d, o in zip(sizes, kernel, stride, padding, dilation, out))
    pads = tuple((before, max(after, 0)) for before, after in pads)
    return kernel, Geometry(stride, pads, dilation), out


def _as_2d(input: Tensor, spatial: int, function, *args):
    """Runs a 2-D pooling ``function`` on (N, C, H, W): a signal (N, C, L) is a 1-pixel-high
    image and an unbatched (C, ...) input one example."""
    unbatched = input.ndim == spatial + 1
    x = input.unsqueeze(0) if unbatched else input
    x = x.unsqueeze(2) if spatial == 1 else x
    results = function(x, *args)
    single = not isinstance(results, tuple)
    results = (results,) if single else results
    results = tuple(r.squeeze(2) if spatial == 1 else r for r in results)
    results = tuple(r.squeeze(0) if unbatched else r for r in results)
    return results[0] if single else results


# -- max pooling ------------------------------------------------------------------------------

def _offsets(kernel: Pair, geometry: Geometry, out: Pair):
    """(k, index of the window's rows and columns that kernel element k visits), k = i kw + j."""
    (sh, sw), (dh, dw) = geometry.stride, geometry.dilation
    for i in range(kernel[0]):
        rows = window_slice(i * dh, sh, out[0])
        for j in range(kernel[1]):
            yield i * kernel[1] + j, (Ellipsis, rows, window_slice(j * dw, sw, out[1]))


def _padded(x: Any, geometry: Geometry, value: float) -> Any:
    return pad_batch_last(x, geometry.padding, value) if geometry.has_padding else x


def _windows_overlap(kernel: Pair, geometry: Geometry) -> bool:
    return any(s < d * (k - 1) + 1 for k, s, d in zip(kernel, geometry.stride, geometry.dilation))


def _max_and_argmax(x: Any, kernel: Pair, geometry: Geometry, out_shape: Pair) -> tuple:
    """The maximum of each window, and which kernel element k = i kw + j it was at."""
    xp = array_module(x)
    padded = _padded(x, geometry, -host.inf)
    out: Any = None
    index: Any = None  # both set by the first window
    for k, window in _offsets(kernel, geometry, out_shape):
        if out is None:
            out = xp.array(padded[window], order="K")  # keeps the input's memory order
            index = xp.zeros_like(out, dtype=host.min_scalar_type(kernel[0] * kernel[1]))
            continue
        # strictly greater: on ties the first maximum keeps the gradient (PyTorch). k grows,
        # so max(index, k * greater) sets k exactly where this element beats the ones before.
        greater = xp.multiply(padded[window] > out, k, dtype=index.dtype)
        xp.maximum(index, greater, out=index)
        xp.maximum(out, padded[window], out=out)
    return out, index


def _scatter_to_argmax(grad: Any, index: Any, input_shape: tuple, kernel: Pair,
                       geometry: Geometry) -> Any:
    """(N, C, OH, OW) values sent to the input element each window took its maximum from."""
    n, c, h, w = input_shape
    (top, bottom), (left, right) = geometry.padding
    padded = array_module(grad).zeros((c, h + top + bottom, w + left + right, n),
                                      dtype=grad.dtype)
    padded = padded.transpose(3, 0, 1, 2)  # batch-last in memory, as convolutions make it
    overlap = _windows_overlap(kernel, geometry)
    for k, window in _offsets(kernel, geometry, grad.shape[2:]):
        if overlap:
            padded[window] += grad * (index == k)
        else:  # each input element is in at most one window: assign, no read
            padded[window] = grad * (index == k)
    return padded[..., top:top + h, left:left + w]


def _gather_at_argmax(values: Any, index: Any, kernel: Pair, geometry: Geometry) -> Any:
    """(N, C, H, W) values read at each window's maximum: the adjoint of the scatter."""
    values = _padded(values, geometry, 0.0)
    out = array_module(values).zeros(index.shape, dtype=values.dtype)
    for k, window in _offsets(kernel, geometry, index.shape[2:]):
        out += values[window] * (index == k)
    return out


def _scatter_any(grad: Any, index: Any, input_shape: tuple, kernel: Pair,
                 geometry: Geometry) -> Any:
    return apply_any(_MaxPoolScatter, _scatter_to_argmax, grad, index=index,
                     input_shape=input_shape, kernel=kernel, geometry=geometry)


class MaxPool2d(Op):
    @staticmethod
    def forward(ctx, x, kernel, geometry, out_shape):
        out, ctx.index = _max_and_argmax(x, kernel, geometry, out_shape)
        ctx.kernel, ctx.geometry, ctx.input_shape = kernel, geometry, x.shape
        # row-major, as PyTorch's outputs are, so x.view(N, -1) works after pooling
        return array_module(out).ascontiguousarray(out)

    @staticmethod
    def backward(ctx, grad):
        return _scatter_any(grad, ctx.index, ctx.input_shape, ctx.kernel, ctx.geometry)


class _MaxPoolScatter(Op):
    """The gradient of max pooling: linear in ``grad``; its adjoint is the gather."""

    @staticmethod
    def forward(ctx, grad, index, input_shape, kernel, geometry):
        ctx.index, ctx.kernel, ctx.geometry = index, kernel, geometry
        return _scatter_to_argmax(grad, index, input_shape, kernel, geometry)

    @staticmethod
    def backward(ctx, grad):
        return apply_any(_MaxPoolGather, _gather_at_argmax, grad, index=ctx.index,
                         kernel=ctx.kernel, geometry=ctx.geometry)


class _MaxPoolGather(Op):
    @staticmethod
    def forward(ctx, values, index, kernel, geometry):
        ctx.index, ctx.kernel, ctx.geometry = index, kernel, geometry
        ctx.input_shape = values.shape
        return _gather_at_argmax(values, index, kernel, geometry)

    @staticmethod
    def backward(ctx, grad):
        return _scatter_any(grad, ctx.index, ctx.input_shape, ctx.kernel, ctx.geometry)


def _flat_indices(index: Any, input_shape: tuple, kernel: Pair, geometry: Geometry) -> Any:
    """Each window's argmax as PyTorch's ``return_indices`` gives it: h * W + w in the input."""
    (sh, sw), (dh, dw) = geometry.stride, geometry.dilation
    (top, _), (left, _) = geometry.padding
    out_h, out_w = index.shape[2:]
    xp = array_module(index)
    index = index.astype(host.int64)
    rows = xp.arange(out_h)[:, None] * sh - top + (index // kernel[1]) * dh
    cols = xp.arange(out_w) * sw - left + (index % kernel[1]) * dw
    return rows * input_shape[3] + cols


def _max_pool(x: Tensor, kernel: Pair, geometry: Geometry, out: Pair, return_indices: bool):
    result = MaxPool2d.apply(x, kernel=kernel, geometry=geometry, out_shape=out)
    if not return_indices:
        return result
    index = _max_and_argmax(x.array, kernel, geometry, out)[1]
    return result, Tensor(_flat_indices(index, x.shape, kernel, geometry))


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False):
    """The maximum of each kh x kw window of every channel.

    input (N, C, H, W) or (C, H, W) -> (N, C, OH, OW), with ``OH = floor((H + 2 padding -
    dilation (kh - 1) - 1) / stride) + 1`` (rounded up with ``ceil_mode``). ``stride`` defaults
    to ``kernel_size`` (windows side by side); the padding is -inf, at most half the kernel.
    ``return_indices=True`` also returns where each maximum was, as ``h * W + w``.
    """
    kernel, geometry, out = _pool_geometry("max_pool2d", input, kernel_size, stride, padding,
                                           dilation, ceil_mode, 2)
    return _as_2d(input, 2, _max_pool, kernel, geometry, out, return_indices)


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False):
    """The maximum of each window of k values of every channel: (N, C, L) or (C, L) ->
    (N, C, OL), ``OL = floor((L + 2 padding - dilation (k - 1) - 1) / stride) + 1``; ``stride``
    defaults to ``kernel_size``. See ``max_pool2d``."""
    kernel, geometry, out = _pool_geometry("max_pool1d", input, kernel_size, stride, padding,
                                           dilation, ceil_mode, 1)
    return _as_2d(input, 1, _max_pool, (1,) + kernel,
                  Geometry((1,) + geometry.stride, ((0, 0),) + geometry.padding,
                           (1,) + geometry.dilation), (1,) + out, return_indices)


# -- average pooling --------------------------------------------------------------------------

def _averaging_matrix(starts: Any, ends: Any, size: int, divisors: Any, like: Tensor) -> Tensor:
    """(outputs, size) matrix whose row o averages inputs ``starts[o]:ends[o]`` (clipped to
    the input) with weight ``1 / divisors[o]``, of the dtype and on the device of ``like``."""
    positions = host.arange(size)
    inside = (positions >= host.maximum(starts, 0)[:, None]) & \
        (positions < host.minimum(ends, size)[:, None])
    matrix = inside / host.asarray(divisors, dtype=host.float64)[:, None]
    return tensor(matrix.astype(like.array.dtype), device=like.device)


def _average_rows(x: Tensor, matrices: tuple) -> Tensor:
    """``A_h @ x @ A_w^T`` over the last two axes (the last one alone for one matrix)."""
    *row_matrix, column_matrix = matrices
    out = x @ column_matrix.T
    # row-major, as PyTorch's outputs are, so x.view(N, -1) works after pooling
    return (row_matrix[0] @ out if row_matrix else out).contiguous()


def _avg_matrices(name: str, input: Tensor, kernel_size: Any, stride: Any, padding: Any,
                  ceil_mode: bool, count_include_pad: bool, divisor_override: int | None,
                  spatial: int) -> tuple:
    """The band matrix of each spatial axis, with PyTorch's divisors."""
    kernel, geometry, out = _pool_geometry(name, input, kernel_size, stride, padding, 1,
                                           ceil_mode, spatial)
    if divisor_override is not None and (not isinstance(divisor_override, int)
                                         or divisor_override == 0):
        raise ValueError(f"{name}: divisor_override must be a non-zero int, got "
                         f"{divisor_override!r}")
    matrices = []
    for axis, (size, k, s, (pad, _), o) in enumerate(
            zip(input.shape[-spatial:], kernel, geometry.stride, geometry.padding, out)):
        starts = host.arange(o) * s - pad
        ends = host.minimum(starts + k, size + pad)  # a window may not count beyond the padding
        if divisor_override is not None:
            # the whole override divides the first axis' weights, the other axes' are 1
            divisors = host.full(o, divisor_override if axis == 0 else 1)
        elif count_include_pad:
            divisors = ends - starts
        else:
            divisors = host.minimum(ends, size) - host.maximum(starts, 0)
        matrices.append(_averaging_matrix(starts, ends, size, host.maximum(divisors, 1), input))
    return tuple(matrices)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """The average of each kh x kw window of every channel.

    input (N, C, H, W) or (C, H, W) -> (N, C, OH, OW), ``OH = floor((H + 2 padding - kh) /
    stride) + 1`` (rounded up with ``ceil_mode``); ``stride`` defaults to ``kernel_size``. The
    zero padding counts in the average unless ``count_include_pad=False``;
    ``divisor_override`` replaces the window size as the divisor.
    """
    matrices = _avg_matrices("avg_pool2d", input, kernel_size, stride, padding, ceil_mode,
                             count_include_pad, divisor_override, 2)
    return _average_rows(input, matrices)


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """The average of each window of k values of every channel: (N, C, L) or (C, L) ->
    (N, C, OL), ``OL = floor((L + 2 padding - k) / stride) + 1``. See ``avg_pool2d``."""
    matrices = _avg_matrices("avg_pool1d", input, kernel_size, stride, padding, ceil_mode,
                             count_include_pad, None, 1)
    return _average_rows(input, matrices)


def _adaptive_output_size(name: str, input: Tensor, output_size: Any, spatial: int) -> tuple:
    """The checked output spatial shape of an adaptive pooling (None keeps the input's size)."""
    if not isinstance(input, Tensor) or input.ndim not in (spatial + 1, spatial + 2):
        raise RuntimeError(f"{name}: expected a {spatial + 1}D or {spatial + 2}D input tensor, "
                           f"got {getattr(input, 'shape', type(input).__name__)}")
    sizes = tuple(input.shape[-spatial:])
    requested = tuple(output_size) if isinstance(output_size, (tuple, list)) else \
        (output_size,) * spatial
    if len(requested) != spatial:
        raise ValueError(f"{name}: output_size must be an int or a tuple of {spatial}, got "
                         f"{output_size!r}")
    out = tuple(size if o is None else o for size, o in zip(sizes, requested))  # None: keep
    if any(not isinstance(o, int) or o < 1 for o in out) or any(s < 1 for s in sizes):
        raise ValueError(f"{name}: output_size must be positive ints (or None), got "
                         f"{output_size!r} for input of shape {tuple(input.shape)}")
    return out


def _adaptive_windows(size: int, out: int) -> tuple:
    """PyTorch's adaptive windows: output o covers inputs floor(o L / O) to ceil((o+1) L / O)."""
    starts = host.arange(out) * size // out
    return starts, -(-(host.arange(1, out + 1) * size) // out)  # ceil


def _adaptive_matrices(name: str, input: Tensor, output_size: Any, spatial: int) -> tuple:
    """One averaging matrix per spatial axis over the adaptive windows."""
    out = _adaptive_output_size(name, input, output_size, spatial)
    matrices = []
    for size, o in zip(input.shape[-spatial:], out):
        starts, ends = _adaptive_windows(size, o)
        matrices.append(_averaging_matrix(starts, ends, size, ends - starts, input))
    return tuple(matrices)


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average pooling to a given output size (OH, OW) whatever the input's (H, W): windows of
    about H / OH x W / OW. (N, C, H, W) or (C, H, W) -> (N, C, OH, OW); ``output_size`` is an
    int, a pair, or None in a pair to keep that size. ``output_size=1`` is global average
    pooling."""
    return _average_rows(input, _adaptive_matrices("adaptive_avg_pool2d", input, output_size, 2))


def adaptive_avg_pool1d(input: Tensor, output_size: int) -> Tensor:
    """Average pooling of (N, C, L) or (C, L) to (N, C, output_size)."""
    return _average_rows(input, _adaptive_matrices("adaptive_avg_pool1d", input, output_size, 1))



# -- adaptive max pooling ---------------------------------------------------------------------

@recorded
def _adaptive_argmax(x: Any, out: Pair) -> Any:
    """Where each adaptive window of x (N, C, H, W) has its maximum (the first one on ties),
    as ``h * W + w``: (N, C, OH, OW) int64. One pass per output position."""
    n, c, _, width = x.shape
    xp = array_module(x)
    index = xp.empty((n, c) + tuple(out), dtype=host.int64)
    (row_starts, row_ends), (col_starts, col_ends) = (_adaptive_windows(size, o) for size, o in
                                                      zip(x.shape[2:], out))
    for i, (top, bottom) in enumerate(zip(row_starts.tolist(), row_ends.tolist())):
        for j, (left, right) in enumerate(zip(col_starts.tolist(), col_ends.tolist())):
            local = x[:, :, top:bottom, left:right].reshape(n, c, -1).argmax(-1)
            index[:, :, i, j] = (top + local // (right - left)) * width + left + \
                local % (right - left)
    return index


def _adaptive_max(x: Tensor, out: Pair, return_indices: bool):
    """The maxima picked by a gather: its gradient (of any order) goes to each maximum."""
    n, c = x.shape[:2]
    index = Tensor(_adaptive_argmax(x.array, out))
    result = x.reshape(n, c, -1).gather(2, index.reshape(n, c, -1)).reshape(index.shape)
    return (result, index) if return_indices else result


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False):
    """Max pooling to a given output size (OH, OW) whatever the input's (H, W), over PyTorch's
    adaptive windows (rows floor(o H / OH) to ceil((o + 1) H / OH)). (N, C, H, W) or
    (C, H, W) -> (N, C, OH, OW); ``output_size`` is an int, a pair, or None in a pair to keep
    that size. ``return_indices=True`` also returns where each maximum was, ``h * W + w``."""
    out = _adaptive_output_size("adaptive_max_pool2d", input, output_size, 2)
    return _as_2d(input, 2, _adaptive_max, out, return_indices)


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False):
    """Max pooling of (N, C, L) or (C, L) to (N, C, output_size) over adaptive windows; see
    ``adaptive_max_pool2d``."""
    out = _adaptive_output_size("adaptive_max_pool1d", input, output_size, 1)
    return _as_2d(input, 1, _adaptive_max, (1,) + out, return_indices)

"""Convolution as a few large matrix products: ``conv1d`` and ``conv2d``.

A 2-D convolution slides a (C, kh, kw) kernel over a (C, H, W) image. ``im2col`` lays every
window the kernel visits out as one column of a matrix, through a strided view of the (padded)
input and one copy; then all the output channels of all the images come from one matrix product:

    cols   (C*kh*kw, OH*OW*N)    column p = the window under output pixel p
    weight (O, C*kh*kw)          row o = kernel o, flattened
    output (O, OH*OW*N) = weight @ cols        (one product per group of channels)

with ``OH = floor((H + 2 p - d (kh - 1) - 1) / s) + 1`` (the lectures' ``(i + 2p - k)/s + 1``
when the dilation d is 1), and the same for OW. The backward is matrix products too:
``grad_weight = grad_out @ cols^T``, and ``grad_cols = weight^T @ grad_out`` added back onto the
input window by window (``col2im``, a loop over the kh*kw kernel offsets, never over pixels).

Memory layout: these arrays are built "batch-last", (C, H, W, N) in memory, while tensors keep
PyTorch's (N, C, H, W) shape as transposed views. In that order a window's row of OW pixels of
all N images is one contiguous run, so the im2col copy and the col2im additions move long
contiguous blocks instead of rows of a few pixels, and the products' (O, OH*OW*N) output is
already the next layer's layout. Elementwise operations keep the layout of their input, so a
network of conv, ReLU and pooling layers runs with no transposing copy; a (N, C, H, W) input
is converted once, where it gets padded.

Like PyTorch (and every deep-learning library), ``conv`` computes a cross-correlation: the
kernel is not flipped. Flip it to get the convolution of signal processing.

Gradients of gradients: the input gradient of a convolution is a *transposed* convolution of
the output gradient, and its weight gradient is a correlation of the input with the output
gradient. Each is an operation below whose own backward is made of the three, so gradients of
any order flow through a convolution (``create_graph=True``).
"""
from __future__ import annotations

import math
import threading
from typing import Any, NamedTuple

from ..autograd.function import Op
from ..backend import CPU_BACKEND, array_module, backend_of, xp
from ..tensor import Tensor
from .indexing import GetItem

Pair = tuple[int, int]


# -- geometry ---------------------------------------------------------------------------------

def ntuple(value: Any, n: int, name: str, minimum: int = 0) -> tuple[int, ...]:
    """``value`` (an int, or a tuple of n ints) as a tuple of n ints, each at least
    ``minimum``; a clear error otherwise."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * n
    if len(values) != n or not all(isinstance(v, int) and not isinstance(v, bool)
                                   for v in values):
        raise TypeError(f"{name} must be an int or a tuple of {n} ints, got {value!r}")
    if any(v < minimum for v in values):
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}")
    return values


def output_size(size: int, kernel: int, stride: int = 1, padding: Pair = (0, 0),
                dilation: int = 1) -> int:
    """Positions of a kernel along one axis: ``floor((size + 2p - d (k - 1) - 1) / s) + 1``.

    ``padding`` is the (before, after) padding of the axis.
    """
    return (size + padding[0] + padding[1] - dilation * (kernel - 1) - 1) // stride + 1


class Geometry(NamedTuple):
    """How a kernel slides over (H, W): stride, dilation, and the (before, after) padding of
    each axis (asymmetric only for ``padding='same'`` with an even kernel)."""
    stride: tuple[int, ...]  # one per axis (three where pooling adds a depth axis)
    padding: tuple[Pair, ...]
    dilation: tuple[int, ...]
    groups: int = 1

    @property
    def has_padding(self) -> bool:
        return any(side for axis in self.padding for side in axis)

    def output_shape(self, spatial: tuple[int, ...],
                     kernel: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(output_size(size, k, s, p, d) for size, k, s, p, d in
                     zip(spatial, kernel, self.stride, self.padding, self.dilation))


# -- array functions: im2col, col2im, and the three products ------------------------------------

class _Lease:
    """One hand-out of a workspace buffer: the object NumPy arrays made from it keep as their
    ``base``, so it lives exactly as long as some array or view of the buffer does, and gives
    the buffer back to its workspace when it goes."""
    __slots__ = ("__array_interface__", "buffer", "workspace")

    def __init__(self, workspace: Workspace, buffer: tuple, shape: tuple, dtype: Any) -> None:
        self.workspace = workspace
        self.buffer = buffer  # (array, its address): keeps the memory valid while views live
        self.__array_interface__ = {"data": (buffer[1], False), "shape": shape,
                                    "typestr": dtype.str, "version": 3}

    def __del__(self) -> None:
        self.workspace.release(self.buffer)


class Workspace:
    """Large scratch buffers of host memory kept from one call to the next, each handed out to
    one owner at a time. (A device allocates with its own module: CuPy's memory pool already
    reuses freed blocks, and a second cache would hold memory the pool cannot hand out.)

    Memory fresh from the operating system costs a page fault per page on first write, and a
    training loop asks for the same im2col matrices (megabytes) at every step, then frees them.
    retrograd/backend.py already makes glibc's malloc keep freed memory, which removes those
    faults by itself; this workspace keeps the step free of them also where that is switched
    off (``RETROGRAD_KEEP_FREED_MEMORY=0``) or where malloc is not glibc's.

    Ownership is explicit, with no reading of reference counts: ``empty`` hands a buffer out as
    an array whose base is a fresh ``_Lease`` object (every view of it keeps the lease alive),
    and the lease, when it is deleted, puts the buffer back among the free ones: once no array
    or view of it is left (the graph that saved it was freed). A buffer is never handed out twice
    at once, so the buffers of one size are at most as many as were ever in use together: what
    the workspace holds stays flat over any number of steps. At most ``max_bytes`` of free
    buffers are kept, the least recently released let go first.
    """

    def __init__(self, max_bytes: int = 64 * 2 ** 20) -> None:
        self.max_bytes = max_bytes
        # (uint8 array, its address) that no one uses, least recently released first
        self.free: list = []
        self.free_bytes = 0  # what they hold
        self.in_use = 0  # buffers handed out and not yet released
        self.allocations = 0  # buffers allocated since the start (reuses do not count)
        # reentrant: a lease freed by the garbage collector may release while this thread holds it
        self.lock = threading.RLock()

    def empty(self, shape: tuple, dtype: Any) -> Any:
        """An uninitialised array of ``shape`` and ``dtype``, in a free buffer when one of its
        size is kept; the buffer comes back here when the array and its views are gone."""
        dtype = xp.dtype(dtype)
        nbytes = dtype.itemsize * math.prod(shape)
        if nbytes == 0 or dtype.hasobject or dtype.fields is not None:
            return xp.empty(shape, dtype=dtype)
        with self.lock:
            for position in range(len(self.free) - 1, -1, -1):  # most recently released first
                if self.free[position][0].nbytes == nbytes:
                    buffer = self.free.pop(position)
                    self.free_bytes -= nbytes
                    break
            else:
                buffer = None
                self.allocations += 1
            self.in_use += 1
        if buffer is None:  # NumPy's allocator aligns it to 16 bytes at least
            array = xp.empty(nbytes, dtype=xp.uint8)
            buffer = array, array.ctypes.data
        return xp.asarray(_Lease(self, buffer, tuple(shape), dtype))

    def release(self, buffer: tuple) -> None:
        """``buffer`` is free again: called by its lease when the last view of it is gone."""
        with self.lock:
            self.in_use -= 1
            if buffer[0].nbytes > self.max_bytes:
                return
            self.free.append(buffer)
            self.free_bytes += buffer[0].nbytes
            while self.free_bytes > self.max_bytes:
                self.free_bytes -= self.free.pop(0)[0].nbytes

    def held_bytes(self) -> tuple[int, int]:
        """(buffers kept free, bytes they hold); buffers in use belong to their owners."""
        with self.lock:
            return len(self.free), self.free_bytes

    def clear(self) -> None:
        """Lets every free buffer go (buffers in use come back as their owners free them)."""
        with self.lock:
            self.free.clear()
            self.free_bytes = 0


workspace = Workspace()


def is_batch_last(x: Any) -> bool:
    """True when the images of x (N, ...) are interleaved, N the fastest axis in memory."""
    return x.strides[0] == x.itemsize and x.strides[1] >= x.itemsize * x.shape[0]


def pad_batch_last(x: Any, padding: tuple[Pair, ...], value: float = 0.0) -> Any:
    """x (N, C, H, W) padded to (N, C, H + top + bottom, W + left + right) with ``value``,
    stored batch-last: (C, H', W', N) in memory, returned as its (N, C, H', W') view."""
    n, c, h, w = x.shape
    (top, bottom), (left, right) = padding
    padded = array_module(x).full((c, h + top + bottom, w + left + right, n), value,
                                  dtype=x.dtype)
    padded[:, top:top + h, left:left + w] = x.transpose(1, 2, 3, 0)
    return padded.transpose(3, 0, 1, 2)


def window_slice(offset: int, stride: int, count: int) -> slice:
    """The ``count`` positions, ``stride`` apart, that kernel element ``offset`` (dilation
    included) visits along one padded axis."""
    return slice(offset, offset + stride * (count - 1) + 1, stride)


def im2col(x: Any, kernel: Pair, geometry: Geometry) -> Any:
    """Every window of x (N, C, H, W) as a column: (G, C/G * kh * kw, OH * OW * N).

    One strided view of the padded batch-last input (no copy) with axes (C, kh, kw, OH, OW, N),
    then one copy in that order: rows are the kernel's (c, i, j), columns the output pixels
    (oh, ow, n), the layout ``weight @ cols`` wants.
    """
    n, c = x.shape[:2]
    oh, ow = geometry.output_shape(x.shape[2:], kernel)
    if geometry.has_padding or not is_batch_last(x):
        x = pad_batch_last(x, geometry.padding)
    (sh, sw), (dh, dw) = geometry.stride, geometry.dilation
    stride_n, stride_c, stride_h, stride_w = x.strides
    backend = backend_of(x)
    windows = backend.as_strided(x, (c, kernel[0], kernel[1], oh, ow, n),
                                 (stride_c, stride_h * dh, stride_w * dw, stride_h * sh,
                                  stride_w * sw, stride_n), writeable=False)
    if backend is CPU_BACKEND:
        cols = workspace.empty(windows.shape, x.dtype)
    else:
        cols = backend.module.empty(windows.shape, x.dtype)
    cols[...] = windows
    return cols.reshape(geometry.groups, -1, oh * ow * n)


def col2im(cols: Any, input_shape: tuple, kernel: Pair, geometry: Geometry) -> Any:
    """The adjoint of ``im2col``: adds every column back onto the window it came from.

    cols (G, C/G * kh * kw, OH * OW * N) -> (N, C, H, W), batch-last in memory. One addition
    per kernel offset (i, j) handles that offset for all pixels at once.
    """
    n, c, h, w = input_shape
    (top, bottom), (left, right) = geometry.padding
    (sh, sw), (dh, dw) = geometry.stride, geometry.dilation
    oh, ow = geometry.output_shape((h, w), kernel)
    cols = cols.reshape(c, kernel[0], kernel[1], oh, ow, n)
    padded = array_module(cols).zeros((c, h + top + bottom, w + left + right, n),
                                      dtype=cols.dtype)
    for i in range(kernel[0]):
        rows = window_slice(i * dh, sh, oh)
        for j in range(kernel[1]):
            padded[:, rows, window_slice(j * dw, sw, ow)] += cols[:, i, j]
    return padded.transpose(3, 0, 1, 2)[:, :, top:top + h, left:left + w]


def _grouped(channels_first: Any, groups: int) -> Any:
    """(C, ...) -> (G, C/G, rest) without a copy when possible."""
    return channels_first.reshape(groups, channels_first.shape[0] // groups, -1)


def _grad_matrix(grad: Any, groups: int) -> Any:
    """An output gradient (N, O, OH, OW) as the (G, O/G, OH * OW * N) matrix of the products
    (free when it is batch-last in memory, as our own outputs and their gradients are)."""
    return _grouped(grad.transpose(1, 2, 3, 0), groups)


def conv_arrays(x: Any, weight: Any, bias: Any, geometry: Geometry) -> tuple[Any, Any]:
    """The convolution on arrays: (output (N, O, OH, OW), the cols it was computed from)."""
    n = x.shape[0]
    out_channels, _, kh, kw = weight.shape
    cols = im2col(x, (kh, kw), geometry)
    out = array_module(cols).matmul(_grouped(weight, geometry.groups), cols)  # (G, O/G, OH*OW*N)
    out = out.reshape(out_channels, -1)
    if bias is not None:
        out += bias[:, None]
    oh, ow = geometry.output_shape(x.shape[2:], (kh, kw))
    return out.reshape(out_channels, oh, ow, n).transpose(3, 0, 1, 2), cols


def conv_transpose_arrays(grad: Any, weight: Any, geometry: Geometry,
                          input_shape: tuple) -> Any:
    """The input gradient of a convolution (a transposed convolution of ``grad``)."""
    weight_matrix = _grouped(weight, geometry.groups)        # (G, O/G, C/G*kh*kw)
    cols = array_module(grad).matmul(weight_matrix.transpose(0, 2, 1),
                                     _grad_matrix(grad, geometry.groups))
    return col2im(cols, input_shape, weight.shape[2:], geometry)


def weight_grad_arrays(cols: Any, grad: Any, weight_shape: tuple, groups: int) -> Any:
    """The weight gradient of a convolution from its input's cols: ``grad @ cols^T``."""
    product = array_module(cols).matmul(_grad_matrix(grad, groups), cols.transpose(0, 2, 1))
    return product.reshape(weight_shape)


# -- the operations, and how backward formulas call them ----------------------------------------

def apply_any(op: type[Op], array_function: Any, *inputs: Any, **options: Any) -> Any:
    """``array_function(*inputs, **options)`` on arrays (a fast backward), or ``op.apply`` when
    an input is a Tensor (``create_graph=True``: this gradient gets a graph of its own)."""
    if any(isinstance(value, Tensor) for value in inputs):
        return op.apply(*(value if value is None or isinstance(value, Tensor) else Tensor(value)
                          for value in inputs), **options)
    return array_function(*inputs, **options)


def _conv_output(x: Any, weight: Any, bias: Any, geometry: Geometry) -> Any:
    return conv_arrays(x, weight, bias, geometry)[0]


def _weight_grad_of_input(x: Any, grad: Any, geometry: Geometry, weight_shape: tuple) -> Any:
    cols = im2col(x, weight_shape[2:], geometry)
    return weight_grad_arrays(cols, grad, weight_shape, geometry.groups)


def conv_any(x: Any, weight: Any, geometry: Geometry) -> Any:
    """Convolution without bias, of arrays or Tensors."""
    return apply_any(Conv2d, _conv_output, x, weight, None, geometry=geometry)


def conv_transpose_any(grad: Any, weight: Any, geometry: Geometry, input_shape: tuple) -> Any:
    """The input gradient of a convolution, of arrays or Tensors."""
    return apply_any(ConvTranspose2d, conv_transpose_arrays, grad, weight, geometry=geometry,
                     input_shape=input_shape)


def weight_grad_any(x: Any, grad: Any, geometry: Geometry, weight_shape: tuple) -> Any:
    """The weight gradient of a convolution, of arrays or Tensors."""
    return apply_any(ConvWeightGrad, _weight_grad_of_input, x, grad, geometry=geometry,
                     weight_shape=weight_shape)


class Conv2d(Op):
    """out = conv(x, weight) + bias, on (N, C, H, W) arrays; ``conv1d`` runs it too."""

    @staticmethod
    def forward(ctx, x, weight, bias, geometry):
        out, cols = conv_arrays(x, weight, bias, geometry)
        ctx.save_for_backward(x, weight, cols)  # cols again give the weight gradient
        ctx.geometry = geometry
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight, cols = ctx.saved_tensors
        need_x, need_weight, need_bias = ctx.needs_input_grad
        geometry = ctx.geometry
        grad_x = grad_weight = grad_bias = None
        if need_x:
            grad_x = conv_transpose_any(grad, weight, geometry, x.shape)
        if need_weight:
            if isinstance(grad, Tensor):  # higher order: a recorded operation
                grad_weight = weight_grad_any(x, grad, geometry, weight.shape)
            else:
                grad_weight = weight_grad_arrays(cols, grad, weight.shape, geometry.groups)
        if need_bias:
            grad_bias = grad.sum(axis=(0, 2, 3))
        return grad_x, grad_weight, grad_bias


class ConvTranspose2d(Op):
    """grad_x = T(grad, weight), the input gradient of a convolution: linear in both."""

    @staticmethod
    def forward(ctx, grad, weight, geometry, input_shape):
        ctx.save_for_backward(grad, weight)
        ctx.geometry = geometry
        return conv_transpose_arrays(grad, weight, geometry, input_shape)

    @staticmethod
    def backward(ctx, grad_grad_x):
        grad, weight = ctx.saved_tensors
        need_grad, need_weight = ctx.needs_input_grad
        # <T(grad, w), v> = <grad, conv(v, w)> = <w, weight_grad(v, grad)>
        return (conv_any(grad_grad_x, weight, ctx.geometry) if need_grad else None,
                weight_grad_any(grad_grad_x, grad, ctx.geometry, weight.shape)
                if need_weight else None)


class ConvWeightGrad(Op):
    """grad_weight = W(x, grad), the weight gradient of a convolution: linear in both."""

    @staticmethod
    def forward(ctx, x, grad, geometry, weight_shape):
        ctx.save_for_backward(x, grad)
        ctx.geometry = geometry
        return _weight_grad_of_input(x, grad, geometry, weight_shape)

    @staticmethod
    def backward(ctx, grad_grad_weight):
        x, grad = ctx.saved_tensors
        need_x, need_grad = ctx.needs_input_grad
        # <W(x, grad), v> = <conv(x, v), grad> = <x, T(grad, v)>
        return (conv_transpose_any(grad, grad_grad_weight, ctx.geometry, x.shape)
                if need_x else None,
                conv_any(x, grad_grad_weight, ctx.geometry) if need_grad else None)


# -- the public functions ---------------------------------------------------------------------

def _padding(padding: Any, kernel: tuple, dilation: tuple, stride: tuple,
             name: str) -> tuple[Pair, ...]:
    """(before, after) per spatial axis, from an int, a tuple, 'valid' or 'same'."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * len(kernel)
        if padding != "same":
            raise ValueError(f"{name}: invalid padding string {padding!r}, expected 'valid' or "
                             f"'same' (or an int, or a tuple of ints)")
        if any(s != 1 for s in stride):
            raise ValueError(f"{name}: padding='same' is not supported for strided "
                             f"convolutions (stride={stride}); use padding=int instead")
        # the output keeps the input's size; an odd total puts the extra zero after (PyTorch)
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((total // 2, total - total // 2) for total in totals)
    return tuple((p, p) for p in ntuple(padding, len(kernel), f"{name}: padding"))


def _check_conv(input: Tensor, weight: Tensor, bias: Tensor | None, groups: int,
                spatial: int, name: str) -> None:
    """Shapes and dtypes that fit together, or an error that says what was expected."""
    for label, value in (("input", input), ("weight", weight), ("bias", bias)):
        if value is not None and not isinstance(value, Tensor):
            raise TypeError(f"{name}: {label} must be a Tensor, got {type(value).__name__}")
    dims = "(N, C, L)" if spatial == 1 else "(N, C, H, W)"
    if weight.ndim != spatial + 2:
        raise RuntimeError(f"{name}: weight must have {spatial + 2} dimensions (out_channels, "
                           f"in_channels/groups, *kernel), got shape {tuple(weight.shape)}")
    if input.ndim != spatial + 2:
        raise RuntimeError(f"Expected {spatial + 1}D (unbatched) or {spatial + 2}D (batched) "
                           f"input to {name} {dims}, but got input of size: "
                           f"{tuple(input.shape)}")
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"{name}: groups must be a positive integer, got {groups!r}")
    out_channels, channels_per_group = weight.shape[:2]
    if out_channels % groups:
        raise RuntimeError(f"{name}: out_channels ({out_channels}, weight of shape "
                           f"{tuple(weight.shape)}) must be divisible by groups={groups}")
    if input.shape[1] != channels_per_group * groups:
        raise RuntimeError(
            f"{name}: expected input with {channels_per_group * groups} channels (weight of "
            f"shape {tuple(weight.shape)}, groups={groups}), but got input of shape "
            f"{tuple(input.shape)} with {input.shape[1]} channels")
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise RuntimeError(f"{name}: bias must have shape ({out_channels},), one value per "
                           f"output channel, got {tuple(bias.shape)}")
    for label, value in (("weight", weight), ("bias", bias)):
        if value is not None and value.dtype != input.dtype:
            raise RuntimeError(f"{name}: input ({input.dtype}) and {label} ({value.dtype}) "
                               f"should have the same dtype; convert one with .to(...)")


def check_kernel_fits(name: str, input_shape: tuple, kernel: tuple, padding: tuple,
                      dilation: tuple) -> None:
    """Raises when the (dilated) kernel is larger than the padded input along some axis."""
    spatial = input_shape[-len(kernel):]
    padded = tuple(size + before + after for size, (before, after) in zip(spatial, padding))
    padding = tuple(before if before == after else (before, after) for before, after in padding)
    extent = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(e > p for e, p in zip(extent, padded)):
        raise RuntimeError(
            f"{name}: the kernel ({' x '.join(map(str, extent))}, dilation included) is larger "
            f"than the padded input ({' x '.join(map(str, padded))}; input of shape "
            f"{tuple(input_shape)}, padding {tuple(padding)}); use a smaller kernel or more "
            f"padding")


def _unbatched(input: Tensor, spatial: int) -> bool:
    return isinstance(input, Tensor) and input.ndim == spatial + 1


def _conv(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any,
          dilation: Any, groups: int, spatial: int, name: str) -> Tensor:
    """conv1d and conv2d: checks, then the 2-D operation (a 1-D signal is a 1-pixel-high
    image)."""
    if _unbatched(input, spatial):  # (C, ...) is one example: add and remove the batch axis
        return _conv(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups,
                     spatial, name).squeeze(0)
    _check_conv(input, weight, bias, groups, spatial, name)
    kernel = tuple(weight.shape[2:])
    stride = ntuple(stride, spatial, f"{name}: stride", 1)
    dilation = ntuple(dilation, spatial, f"{name}: dilation", 1)
    pads = _padding(padding, kernel, dilation, stride, name)
    check_kernel_fits(name, tuple(input.shape), kernel, pads, dilation)
    if spatial == 1:
        geometry = Geometry((1,) + stride, ((0, 0),) + pads, (1,) + dilation, groups)
        return Conv2d.apply(input.unsqueeze(2), weight.unsqueeze(2), bias,
                            geometry=geometry).squeeze(2)
    return Conv2d.apply(input, weight, bias, geometry=Geometry(stride, pads, dilation, groups))


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D convolution (a cross-correlation, as in PyTorch) of a batch of images.

    input (N, C, H, W) or (C, H, W); weight (O, C/groups, kh, kw); bias (O,) or None ->
    output (N, O, OH, OW) with ``OH = floor((H + 2 pad - dilation (kh - 1) - 1) / stride) + 1``.

    ``stride``, ``dilation``: an int or (sh, sw). ``padding``: an int or (ph, pw) zeros on each
    side, ``'valid'`` (none) or ``'same'`` (the output keeps the input's size; stride 1).
    ``groups`` splits the channels into groups convolved separately (``groups=C`` is a
    depthwise convolution).

    >>> x = rg.randn(8, 3, 32, 32)
    >>> F.conv2d(x, rg.randn(16, 3, 5, 5), stride=2, padding=2).shape
    (8, 16, 16, 16)
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D convolution (a cross-correlation, as in PyTorch) of a batch of signals.

    input (N, C, L) or (C, L); weight (O, C/groups, k); bias (O,) or None -> output
    (N, O, OL) with ``OL = floor((L + 2 pad - dilation (k - 1) - 1) / stride) + 1``.

    The three modes of signal processing, for a kernel of size k:

    - ``padding='valid'`` (or 0): only where the kernel fits inside, OL = L - k + 1;
    - ``padding='same'``: OL = L, the signal's size;
    - ``padding=k - 1``: the *full* convolution, every overlap, OL = L + k - 1.

    PyTorch's convolution does not flip the kernel; flip it for the textbook one. A moving
    average smooths a signal:

    >>> signal = rg.tensor([[[0., 0., 3., 0., 0., 3., 3., 3.]]])
    >>> F.conv1d(signal, rg.full((1, 1, 3), 1 / 3), padding="same")
    tensor([[[0., 1., 1., 1., 1., 2., 3., 2.]]])
    >>> F.conv1d(signal, rg.full((1, 1, 3), 1 / 3), padding=2).shape   # full: 8 + 3 - 1
    (1, 1, 10)
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


# -- transposed convolution --------------------------------------------------------------------

def _check_conv_transpose(input: Tensor, weight: Tensor, bias: Tensor | None, groups: int,
                          spatial: int, name: str) -> None:
    """Shapes that fit a transposed convolution (weight (C_in, C_out/groups, *kernel))."""
    for label, value in (("input", input), ("weight", weight), ("bias", bias)):
        if value is not None and not isinstance(value, Tensor):
            raise TypeError(f"{name}: {label} must be a Tensor, got {type(value).__name__}")
    if weight.ndim != spatial + 2 or input.ndim != spatial + 2:
        raise RuntimeError(f"{name}: expected a {spatial + 1}D (unbatched) or {spatial + 2}D "
                           f"(batched) input and a {spatial + 2}D weight (in_channels, "
                           f"out_channels/groups, *kernel), got input of shape "
                           f"{tuple(input.shape)} and weight of shape {tuple(weight.shape)}")
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"{name}: groups must be a positive integer, got {groups!r}")
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size {list(weight.shape)} instead")
    if input.shape[1] != weight.shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"input{list(input.shape)} to have {weight.shape[0]} channels, but "
                           f"got {input.shape[1]} channels instead")
    out_channels = weight.shape[1] * groups
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"bias to be 1-dimensional with {out_channels} elements, but got "
                           f"bias of size {list(bias.shape)} instead")


def _conv_transpose(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any,
                    padding: Any, output_padding: Any, groups: int, dilation: Any, spatial: int,
                    name: str) -> Tensor:
    """conv_transpose1d and conv_transpose2d: the input gradient of the convolution whose input
    has the transposed convolution's output size (ConvTranspose2d above), then bias."""
    if _unbatched(input, spatial):
        return _conv_transpose(input.unsqueeze(0), weight, bias, stride, padding,
                               output_padding, groups, dilation, spatial, name).squeeze(0)
    _check_conv_transpose(input, weight, bias, groups, spatial, name)
    kernel = tuple(weight.shape[2:])
    stride = ntuple(stride, spatial, f"{name}: stride", 1)
    padding = ntuple(padding, spatial, f"{name}: padding")
    output_padding = ntuple(output_padding, spatial, f"{name}: output_padding")
    dilation = ntuple(dilation, spatial, f"{name}: dilation", 1)
    if any(o >= s and o >= d for o, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(f"{name}: output padding must be smaller than either stride or "
                           f"dilation, but got output_padding={output_padding}, "
                           f"stride={stride}, dilation={dilation}")
    sizes = tuple((size - 1) * s - 2 * p + d * (k - 1) + o + 1 for size, s, p, d, k, o in
                  zip(input.shape[2:], stride, padding, dilation, kernel, output_padding))
    if any(size <= 0 for size in sizes):
        raise RuntimeError(f"Given input size per channel: {tuple(input.shape[2:])}. "
                           f"Calculated output size per channel: {sizes}. Output size is too "
                           f"small")
    # The convolution whose input gradient this is pads (p, p - output_padding): its windows
    # then end where the input's do; past p, output_padding adds zeros (before the bias).
    pads = tuple((p, max(p - o, 0)) for p, o in zip(padding, output_padding))
    zeros = tuple(max(o - p, 0) for p, o in zip(padding, output_padding))
    inner = (input.shape[0], weight.shape[1] * groups) + tuple(
        size - z for size, z in zip(sizes, zeros))
    if spatial == 1:
        geometry = Geometry((1,) + stride, ((0, 0),) + pads, (1,) + dilation, groups)
        out = ConvTranspose2d.apply(input.unsqueeze(2), weight.unsqueeze(2), geometry=geometry,
                                    input_shape=inner[:2] + (1,) + inner[2:]).squeeze(2)
    else:
        out = ConvTranspose2d.apply(input, weight, geometry=Geometry(stride, pads, dilation,
                                                                     groups), input_shape=inner)
    if any(zeros):
        out = pad(out, tuple(side for z in reversed(zeros) for side in (0, z)))
    if bias is not None:
        out = out + bias.reshape((-1,) + (1,) * spatial)
    return out


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """2-D transposed convolution (the gradient of conv2d with respect to its input), which
    upsamples: input (N, C_in, H, W) or (C_in, H, W); weight (C_in, C_out/groups, kh, kw);
    bias (C_out,) -> output (N, C_out, OH, OW) with
    ``OH = (H - 1) stride - 2 padding + dilation (kh - 1) + output_padding + 1``.

    ``output_padding`` (smaller than stride or dilation) adds rows and columns at the bottom
    and right, to reach sizes a strided conv2d maps to the same input size.

    >>> F.conv_transpose2d(rg.randn(1, 8, 7, 7), rg.randn(8, 4, 3, 3), stride=2, padding=1,
    ...                    output_padding=1).shape
    (1, 4, 14, 14)
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 2, "conv_transpose2d")


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """1-D transposed convolution (the gradient of conv1d with respect to its input):
    input (N, C_in, L) or (C_in, L); weight (C_in, C_out/groups, k); bias (C_out,) -> output
    (N, C_out, OL), ``OL = (L - 1) stride - 2 padding + dilation (k - 1) + output_padding + 1``.
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 1, "conv_transpose1d")


# -- padding ----------------------------------------------------------------------------------

class ConstantPad(Op):
    @staticmethod
    def forward(ctx, x, pads, value):
        ctx.inside = tuple(slice(before, before + size) for size, (before, _) in
                           zip(x.shape, pads))
        out = array_module(x).full(tuple(size + before + after for size, (before, after) in
                                         zip(x.shape, pads)), value, dtype=x.dtype)
        out[ctx.inside] = x
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad[ctx.inside]  # the padding's gradient is dropped


def _edge_indices(size: int, before: int, after: int, mode: str) -> Any:
    """Which input position each output position of a padded axis copies (on the host)."""
    positions = xp.arange(-before, size + after)
    if mode == "replicate":
        return xp.clip(positions, 0, size - 1)
    if mode == "circular":
        return positions % size
    reflected = xp.abs(positions)  # reflect: mirror at the first and last element
    return xp.where(reflected >= size, 2 * (size - 1) - reflected, reflected)


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pads the last dimensions of ``input``, as ``torch.nn.functional.pad``.

    ``pad`` lists (before, after) amounts starting from the last dimension:
    ``(left, right)`` pads the last one, ``(left, right, top, bottom)`` the last two...
    A negative amount crops. ``mode``: ``'constant'`` (fills with ``value``, 0 by default),
    ``'reflect'`` (mirror, the edge not repeated), ``'replicate'`` (repeat the edge) or
    ``'circular'`` (wrap around). Output: each padded dimension grows by before + after.

    >>> F.pad(rg.ones(1, 2, 3), (1, 2)).shape
    (1, 2, 6)
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"pad: input must be a Tensor, got {type(input).__name__}")
    amounts = tuple(pad)
    if len(amounts) % 2 or len(amounts) // 2 > input.ndim or \
            not all(isinstance(a, int) and not isinstance(a, bool) for a in amounts):
        raise ValueError(f"pad: expected an even number of ints, at most 2 per dimension of the "
                         f"input ({input.ndim}), got {pad!r}")
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"pad: unknown padding mode {mode!r}; expected one of "
                                  f"{', '.join(_PAD_MODES)}")
    padded_dims = len(amounts) // 2
    # (before, after) per dimension, first to last
    pairs = [(0, 0)] * (input.ndim - padded_dims) + [
        (amounts[2 * i], amounts[2 * i + 1]) for i in reversed(range(padded_dims))]
    if mode == "constant":
        if any(before < 0 or after < 0 for before, after in pairs):  # crop first
            input = input[tuple(slice(max(-before, 0), size - max(-after, 0))
                                for size, (before, after) in zip(input.shape, pairs))]
            pairs = [(max(before, 0), max(after, 0)) for before, after in pairs]
        return ConstantPad.apply(input, pads=tuple(pairs), value=0.0 if value is None else value)
    if value is not None:
        raise ValueError(f"pad: padding mode {mode!r} doesn't take in value argument")
    if padded_dims >= input.ndim:
        raise NotImplementedError(f"pad: mode {mode!r} pads at most the last {input.ndim - 1} "
                                  f"dimensions of a {input.ndim}D input (the first is the "
                                  f"batch or channels), got pad={amounts}")
    out = input
    for dim, (size, (before, after)) in enumerate(zip(input.shape, pairs)):
        if before == after == 0:
            continue
        limit = size - 1 if mode == "reflect" else size
        if mode != "replicate" and (before > limit or after > limit or before < 0 or after < 0):
            raise ValueError(f"pad: with mode {mode!r} the padding ({before}, {after}) of "
                             f"dimension {dim} must be between 0 and {limit} (the input has "
                             f"size {size} there, shape {tuple(input.shape)})")
        # in range by construction: indexed without the check of user indices
        index = array_module(input.array).asarray(_edge_indices(size, before, after, mode))
        out = GetItem.apply(out, key=(slice(None),) * dim + (index,))
    return out


# -- unfold and fold: im2col and col2im as operations ----------------------------------------

def _unfold_array(x: Any, kernel: Pair, geometry: Geometry) -> Any:
    """x (N, C, H, W) -> (N, C*kh*kw, L): row (c, i, j) of the kernel, column (oh, ow)."""
    n = x.shape[0]
    cols = im2col(x, kernel, geometry)  # (1, C*kh*kw, OH*OW*N)
    cols = cols.reshape(cols.shape[1], -1, n).transpose(2, 0, 1)
    return array_module(cols).ascontiguousarray(cols)  # row-major, as PyTorch's output


def _fold_array(cols: Any, input_shape: tuple, kernel: Pair, geometry: Geometry) -> Any:
    """The adjoint of ``_unfold_array``: (N, C*kh*kw, L) summed back onto (N, C, H, W)."""
    cols = cols.transpose(1, 2, 0).reshape(1, cols.shape[1], -1)  # (1, C*kh*kw, L*N)
    out = col2im(cols, input_shape, kernel, geometry)
    return array_module(out).ascontiguousarray(out)


class Unfold(Op):
    """Every sliding window of x (N, C, H, W) as a column (im2col); linear, its adjoint Fold."""

    torch_name = "Im2Col"

    @staticmethod
    def forward(ctx, x, kernel, geometry):
        ctx.input_shape, ctx.kernel, ctx.geometry = x.shape, kernel, geometry
        return _unfold_array(x, kernel, geometry)

    @staticmethod
    def backward(ctx, grad):
        return apply_any(Fold, _fold_array, grad, input_shape=ctx.input_shape,
                         kernel=ctx.kernel, geometry=ctx.geometry)


class Fold(Op):
    """Columns (N, C*kh*kw, L) summed onto the windows they came from (col2im)."""

    torch_name = "Col2Im"

    @staticmethod
    def forward(ctx, cols, input_shape, kernel, geometry):
        ctx.kernel, ctx.geometry = kernel, geometry
        return _fold_array(cols, input_shape, kernel, geometry)

    @staticmethod
    def backward(ctx, grad):
        return apply_any(Unfold, _unfold_array, grad, kernel=ctx.kernel, geometry=ctx.geometry)


def _window_geometry(name: str, kernel_size: Any, dilation: Any, padding: Any,
                     stride: Any) -> tuple:
    """(kernel, Geometry) of unfold and fold, each setting an int or a pair."""
    kernel = ntuple(kernel_size, 2, f"{name}: kernel_size", 1)
    dilation = ntuple(dilation, 2, f"{name}: dilation", 1)
    padding = ntuple(padding, 2, f"{name}: padding")
    stride = ntuple(stride, 2, f"{name}: stride", 1)
    return kernel, Geometry(stride, tuple((p, p) for p in padding), dilation)


def _blocks(name: str, spatial: tuple, kernel: Pair, geometry: Geometry) -> tuple[int, ...]:
    blocks = geometry.output_shape(spatial, kernel)
    if any(b < 1 for b in blocks):
        raise RuntimeError(f"{name}: given input with spatial size {tuple(spatial)}, "
                           f"kernel_size={kernel}, dilation={geometry.dilation}, padding="
                           f"{tuple(p for p, _ in geometry.padding)}, calculated shape of the "
                           f"array of sliding blocks as {blocks}, but its components must be "
                           f"at least one.")
    return blocks


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
           stride: Any = 1) -> Tensor:
    """Extracts every sliding window (im2col): input (N, C, H, W) or (C, H, W) -> (N, C * kh *
    kw, L), one column per window position, ``L = OH * OW`` with ``OH = floor((H + 2 padding -
    dilation (kh - 1) - 1) / stride) + 1``; rows run over (c, i, j). A convolution is
    ``weight.view(O, -1) @ unfold(x, k)``.

    >>> F.unfold(rg.randn(2, 3, 4, 5), kernel_size=2).shape
    (2, 12, 12)
    """
    name = "unfold"
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim not in (3, 4):
        raise RuntimeError(f"{name}: Input Error: Only 3D or 4D input Tensors are supported "
                           f"(got {input.ndim}D)")
    if input.ndim == 3:
        return unfold(input.unsqueeze(0), kernel_size, dilation, padding, stride).squeeze(0)
    kernel, geometry = _window_geometry(name, kernel_size, dilation, padding, stride)
    _blocks(name, tuple(input.shape[2:]), kernel, geometry)
    return Unfold.apply(input, kernel=kernel, geometry=geometry)


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> Tensor:
    """Sums columns back onto an image (col2im), the adjoint of ``unfold``: input (N, C * kh
    * kw, L) or (C * kh * kw, L) -> (N, C, *output_size); overlapping windows add up, so
    ``fold(unfold(x))`` is x times the number of windows covering each pixel.

    >>> F.fold(rg.ones(1, 4, 12), output_size=(4, 5), kernel_size=2).shape
    (1, 1, 4, 5)
    """
    name = "fold"
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim not in (2, 3) or 0 in input.shape[1:]:
        raise RuntimeError(f"{name}: Expected 2D or 3D (batch mode) tensor for input with "
                           f"possibly 0 batch size and non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")
    if input.ndim == 2:
        return fold(input.unsqueeze(0), output_size, kernel_size, dilation, padding,
                    stride).squeeze(0)
    size = ntuple(output_size, 2, f"{name}: output_size", 1)
    kernel, geometry = _window_geometry(name, kernel_size, dilation, padding, stride)
    if input.shape[1] % (kernel[0] * kernel[1]):
        raise RuntimeError(f"{name}: Expected size of input's dimension 1 to be divisible by the "
                           f"product of kernel_size, but got input.size(1)={input.shape[1]} "
                           f"and kernel_size={kernel}.")
    blocks = _blocks(name, size, kernel, geometry)
    if input.shape[2] != blocks[0] * blocks[1]:
        raise RuntimeError(
            f"{name}: Given output_size={size}, kernel_size={kernel}, dilation="
            f"{geometry.dilation}, padding={tuple(p for p, _ in geometry.padding)}, stride="
            f"{geometry.stride}, expected size of input's dimension 2 to match the calculated "
            f"number of sliding blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but "
            f"got input.size(2)={input.shape[2]}.")
    shape = (input.shape[0], input.shape[1] // (kernel[0] * kernel[1])) + size
    return Fold.apply(input, input_shape=shape, kernel=kernel, geometry=geometry)

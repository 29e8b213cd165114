"""``Tensor``: an n-dimensional array that records the operations applied to it.

A tensor with ``requires_grad=True`` is a leaf of the computational graph. Every operation on it
returns a tensor whose ``grad_fn`` is the graph node that produced it (define-by-run: the graph
is built while the forward runs, and may differ at every step). ``loss.backward()`` walks that
graph in reverse and accumulates the gradient of ``loss`` into each leaf's ``.grad``.

Memory works as in PyTorch. A view (basic indexing, ``view``, ``reshape`` when no copy is
needed, ``transpose``, ``expand``, ``squeeze``, ``narrow``, ``diagonal``...) shares its base's
array and version counter; an in-place operation (``add_``, ``x[i] = v``...) writes into that
memory, so the base and every view see it, and autograd gives PyTorch's gradients (the base's
history is rebased on the change, as PyTorch's CopySlices does). ``.data`` is a Tensor sharing
the memory, cut from the graph; ``.array`` is the backing NumPy array itself, for raw speed.
"""
from __future__ import annotations

import builtins  # Tensor's methods bool, float, int shadow the builtins in its annotations
import warnings
import weakref
from typing import TYPE_CHECKING, Any, Callable, Literal

from . import dtype as dtypes
from . import printing, random
from .backend import array_module, backend_of, is_device_array, ndarray, overlaps_itself, xp
from .device import CPU, DeviceLike, as_device, device, device_of, on_one_device, to_device
from .hooks import RemovableHandle
from .recording import array_function, current, recorded
from .size import Size

if TYPE_CHECKING:
    from .autograd.function import Function

NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
    "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
    "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead.")


def _legacy_constructor_array(data: Any, sizes: tuple) -> ndarray:
    """The array of ``rg.Tensor(...)`` called as PyTorch's legacy constructor: sizes
    (``Tensor(2, 3)``, ``Tensor(rg.Size([2, 3]))``) give a zero-filled float32 tensor, a sequence
    gives float32 values, no argument an empty tensor. Arrays and tensors keep their dtype."""
    if isinstance(data, xp.generic):  # a NumPy scalar (np.float64 is also a Python float)
        return xp.asarray(data)
    if sizes or isinstance(data, (Size, int)) and not isinstance(data, bool):
        shape = tuple(data) + sizes if isinstance(data, Size) else (data,) + sizes
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
            raise TypeError(f"Tensor(*sizes) expects non-negative ints, got {shape}; to make a "
                            f"tensor from values, pass one sequence: Tensor([1.0, 2.0])")
        return xp.zeros(shape, dtypes.default_float.np_dtype)
    if isinstance(data, (list, tuple)):
        return as_array(data, dtypes.default_float)
    if isinstance(data, (float, bool, complex)):
        raise TypeError(f"Tensor(data) expects a sequence, got a {type(data).__name__}; use "
                        f"rg.tensor({data!r}) for a 0-d tensor")
    return as_array(data)


def as_array(data: Any, dtype=None) -> ndarray:
    """Converts tensor-like data to an array with PyTorch's default dtypes.

    Python floats become float32, ints int64 and bools bool; a NumPy array keeps its dtype
    unless ``dtype`` is given.
    """
    np_dtype = None if dtype is None else dtypes.to_numpy_dtype(dtype)
    if isinstance(data, Tensor):
        array = data.array
    elif is_device_array(data):
        array = data
    elif isinstance(data, (ndarray, xp.generic)):
        array = xp.asarray(data)
    else:
        if isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in data):
            data = [d.array if isinstance(d, Tensor) else d for d in data]
        try:
            array = xp.asarray(data)
        except (ValueError, TypeError) as error:
            raise TypeError(f"cannot make a tensor from {type(data).__name__}: {error}") from None
        if np_dtype is None and array.dtype == xp.float64:
            np_dtype = dtypes.default_float.np_dtype  # Python floats are float32 by default
    if np_dtype is not None and array.dtype != np_dtype:
        array = array.astype(np_dtype)
    if array.dtype not in dtypes._BY_NUMPY:
        raise TypeError(f"cannot make a tensor of dtype {array.dtype}: expected numbers or "
                        f"bools (float32, float64, int64, bool, ...)")
    return array


class Tensor:
    """An n-d array with reverse-mode automatic differentiation.

    >>> x = rg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad                   # dy/dx = 2x
    tensor([2., 4., 6.])
    """

    __slots__ = ("array", "_grad", "grad_fn", "output_nr", "requires_grad", "_version_counter",
                 "_hooks", "_post_accumulate_grad_hooks", "__weakref__")
    __array_ufunc__ = None  # make NumPy defer to Tensor's reflected operators (array * tensor)
    _base: "Tensor | None" = None  # the tensor whose memory a view shares (see View)

    def __init__(self, data: Any = (), *sizes: int, requires_grad: bool = False) -> None:
        if type(data) is not ndarray:
            data = _legacy_constructor_array(data, sizes)
        self.array = data
        self._grad: Tensor | None = None
        self.grad_fn: Function | None = None
        self.output_nr = 0  # which output of grad_fn this is (a Function may return several)
        self.requires_grad = False
        self._version_counter = [0]  # shared by views; bumped by in-place changes
        self._hooks: list | None = None
        # set, though empty: reading a slot never set raises inside getattr, which is slow
        self._post_accumulate_grad_hooks: list | None = None
        if requires_grad:
            self.requires_grad_(True)

    # -- description ------------------------------------------------------------------------

    @property
    def shape(self) -> Size:
        """The size of each dimension, an ``rg.Size`` (a tuple)."""
        return Size(self.array.shape)

    @property
    def ndim(self) -> int:
        return self.array.ndim

    @property
    def dtype(self) -> dtypes.DType:
        return dtypes.from_numpy_dtype(self.array.dtype)

    @property
    def device(self) -> device:
        """Where the array lives (an ``rg.device``), read from the array itself."""
        return CPU if type(self.array) is ndarray else device_of(self.array)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def get_device(self) -> int:
        """The CUDA device index, or -1 on the CPU (as in PyTorch)."""
        index = self.device.index
        return -1 if index is None else index

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded operation (inputs, parameters)."""
        return self.grad_fn is None

    @property
    def grad(self) -> "Tensor | None":
        """The gradient backward accumulated into this leaf (None before the first backward).

        Reading it on a non-leaf tensor warns, as in PyTorch: backward fills only leaves'
        ``.grad``, unless ``retain_grad()`` was called on the tensor.
        """
        grad = self._grad
        if grad is None and self.grad_fn is not None and not self.retains_grad:
            warnings.warn(NON_LEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return grad

    @grad.setter
    def grad(self, value: "Tensor | None") -> None:
        if current.tape is not None:  # rg.compile replays `p.grad = None`
            current.tape.grad_assigned(self, value)
        self._grad = value

    @property
    def _version(self) -> int:
        return self._version_counter[0]

    @property
    def data(self) -> "Tensor":
        """The same memory as a tensor cut from the graph (PyTorch's ``.data``).

        Unlike ``detach()``, changes made through it are not seen by autograd's version checks:
        ``p.data -= lr * p.grad.data`` updates ``p`` in place, untracked. Assigning
        ``x.data = other`` makes ``x`` use ``other``'s memory.
        """
        return Tensor(self.array)

    @data.setter
    def data(self, value: "Tensor") -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"x.data = value expects a Tensor, got {type(value).__name__}; "
                            f"wrap it with rg.tensor(...)")
        if current.tape is not None:
            current.tape.unsupported("x.data = ... (a tensor given other memory)")
        self.array = value.array

    def stride(self, dim: int | None = None):
        """Elements to step in memory to move by one along each dimension (or ``dim``)."""
        strides = tuple(s // self.array.itemsize for s in self.array.strides)
        return strides if dim is None else strides[dim]

    def storage_offset(self) -> int:
        """Where this tensor's first element lies in its base's memory, in elements."""
        base = self if self._base is None else self._base
        return (self.data_ptr() - base.data_ptr()) // self.array.itemsize

    def data_ptr(self) -> int:
        """The address of the first element."""
        return backend_of(self.array).data_ptr(self.array)

    def is_contiguous(self) -> bool:
        """True when the elements lie in memory in row-major order, without gaps."""
        return self.array.flags.c_contiguous

    @property
    def T(self) -> "Tensor":
        """The dimensions reversed (the transpose, for a matrix)."""
        return shape_ops.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self) -> "Tensor":
        """The last two dimensions swapped (a batch of transposed matrices)."""
        return shape_ops.transpose(self, -2, -1)

    def size(self, dim: int | None = None):
        """The shape, or the size of dimension ``dim``."""
        if dim is None:
            return Size(self.array.shape)
        if not -self.array.ndim <= dim < self.array.ndim:
            raise IndexError(f"dimension {dim} is out of range for a tensor with "
                             f"{self.array.ndim} dimensions: expected -{self.array.ndim} to "
                             f"{self.array.ndim - 1}")
        return self.array.shape[dim]

    def dim(self) -> int:
        return self.array.ndim

    def numel(self) -> int:
        """The number of elements."""
        return self.array.size

    def is_floating_point(self) -> bool:
        return self.array.dtype.kind == "f"

    def element_size(self) -> int:
        """Bytes per element."""
        return self.array.itemsize

    @property
    def itemsize(self) -> int:
        return self.array.itemsize

    @property
    def nbytes(self) -> int:
        """Bytes of all the elements."""
        return self.array.nbytes

    # -- new tensors like this one: its dtype and device unless given ----------------------

    def new_tensor(self, data: Any, *, dtype=None, device: DeviceLike = None,
                   requires_grad: bool = False) -> "Tensor":
        """A new tensor (a copy) of ``data``, of this tensor's dtype and device unless given."""
        array = as_array(data.array if isinstance(data, Tensor) else data,
                         self.dtype if dtype is None else dtype)
        return self._new(xp.array(array), device, requires_grad)

    def new_full(self, size: Any, fill_value: Any, *, dtype=None, device: DeviceLike = None,
                 requires_grad: bool = False) -> "Tensor":
        """A tensor of shape ``size`` filled with ``fill_value``, of this tensor's dtype and
        device unless given."""
        np_dtype = self.array.dtype if dtype is None else dtypes.to_numpy_dtype(dtype)
        array = array_module(self.array).full(tuple(size), fill_value, dtype=np_dtype)
        return self._new(array, device, requires_grad)

    def new_zeros(self, *size: Any, **options: Any) -> "Tensor":
        """Zeros of shape ``size`` (``new_zeros(2, 3)`` or ``new_zeros((2, 3))``)."""
        return self.new_full(shape_ops.shape_arg(size), 0, **options)

    def new_ones(self, *size: Any, **options: Any) -> "Tensor":
        """Ones of shape ``size``."""
        return self.new_full(shape_ops.shape_arg(size), 1, **options)

    def new_empty(self, *size: Any, **options: Any) -> "Tensor":
        """A tensor of shape ``size`` (zero-filled here: retrograd never exposes stale memory)."""
        return self.new_zeros(*size, **options)

    def _new(self, array: Any, device: DeviceLike, requires_grad: bool) -> "Tensor":
        made = Tensor(array) if device is None else Tensor(array).to(device)
        return made.requires_grad_() if requires_grad else made

    def __format__(self, spec: str) -> str:
        """``f"{loss:.4f}"``: a one-element tensor formats as its number, as in PyTorch."""
        if self.array.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def __len__(self) -> int:
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    def __repr__(self) -> str:
        prefix = "tensor("
        host = backend_of(self.array).to_host(self.array)
        scientific = printing.options.sci_mode
        sign = " " if host.dtype.kind == "f" and (host < 0).any() else ""  # aligns columns
        formatter = None if not scientific or host.dtype.kind != "f" else \
            {"float_kind": lambda v: f"{v:{sign}.{printing.options.precision}e}"}
        body = xp.array2string(host, separator=", ", prefix=prefix,
                               precision=printing.options.precision,
                               floatmode=_float_mode(host, scientific is False),
                               # math.inf for the "full" profile: NumPy takes it, its stubs
                               # say int
                               threshold=printing.options.threshold,  # type: ignore[arg-type]
                               edgeitems=printing.options.edgeitems,
                               max_line_width=printing.options.linewidth,
                               formatter=formatter,  # type: ignore[arg-type]  # a _FormatDict
                               suppress_small=scientific is False)
        body = body.replace(", ...,", ",  ...,")  # PyTorch's summary mark is as wide as a sign
        extras = []
        if self.array.size == 0 and self.array.ndim != 1:
            extras.append(f"size={self.array.shape}")
        if type(self.array) is not ndarray:
            extras.append(f"device='{self.device}'")
        # as in PyTorch: float32, int64 and bool go unnamed, except that an empty tensor has
        # no values to tell int64 or bool from float32
        unnamed = (dtypes.default_float.np_dtype, dtypes.int64.np_dtype, dtypes.bool_.np_dtype)
        if self.array.dtype not in (unnamed if self.array.size else unnamed[:1]):
            extras.append(f"dtype={self.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name()}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return prefix + body + "".join(", " + e for e in extras) + ")"

    # -- conversion -------------------------------------------------------------------------

    def numpy(self, *, force: bool = False) -> ndarray:
        """The underlying array (shared, not copied); raises if the tensor requires grad or is
        not on the CPU. ``force=True`` detaches and copies to the CPU first, as in PyTorch."""
        if force:
            return self.detach().cpu()._host_array()
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on a Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        return self._host_array()

    def __array__(self, dtype=None, copy=None) -> ndarray:
        array = self._host_array()
        return array if dtype is None else array.astype(dtype)

    def _host_array(self) -> ndarray:
        if current.tape is not None:  # rg.compile is recording: Python now sees the values
            current.tape.value_read("numpy()")
        if type(self.array) is not ndarray:
            raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use "
                            f"Tensor.cpu() to copy the tensor to host memory first.")
        return self.array

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number."""
        if self.array.size != 1:
            raise RuntimeError(f"a Tensor with {self.array.size} elements cannot be converted "
                               f"to a Python number; item() needs exactly one element")
        if current.tape is not None:
            current.tape.value_read("item()")
        return self.array.item()

    def tolist(self) -> list | float | int | bool:
        """The values as (nested) Python lists."""
        if current.tape is not None:
            current.tape.value_read("tolist()")
        return self.array.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.array.dtype.kind not in "iu" or self.array.size != 1:
            raise TypeError("only one-element integer tensors can be used as an index")
        if current.tape is not None:
            current.tape.value_read("a tensor used as an index")
        return int(self.array.item())

    def __bool__(self) -> bool:
        if self.array.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self.array.size} elements is "
                               f"ambiguous; use .any() or .all()")
        if current.tape is not None:
            current.tape.value_read("a tensor's truth value (if, while, and, or)")
        return bool(self.array.item())

    def __iter__(self):
        if self.array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.array.shape[0]))

    def __hash__(self) -> int:
        return id(self)

    def to(self, *args: Any, **kwargs: Any) -> "Tensor":
        """This tensor on another device and/or of another dtype, in every form PyTorch has:
        ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)`` (other's device and
        dtype), with keywords ``device=``, ``dtype=``, ``non_blocking=``, ``copy=``.

        Returns self when nothing changes (unless ``copy=True``); differentiable otherwise.
        ``non_blocking`` is accepted; copies here always complete before they return.
        """
        target, dtype, copy = parse_to_arguments(args, kwargs)
        result = self
        if dtype is not None:
            np_dtype = dtypes.to_numpy_dtype(dtype)
            if np_dtype != self.array.dtype:
                result = elementwise.cast(result, np_dtype)
        if target is not None and not _already_on(result.array, target):
            result = elementwise.to_device(result, target)
        if copy and result is self:
            result = self.clone()
        return result

    def cpu(self) -> "Tensor":
        """This tensor on the CPU (self when it already is there)."""
        return self if type(self.array) is ndarray else self.to(CPU)

    def cuda(self, device: DeviceLike = None, non_blocking: bool = False) -> "Tensor":
        """This tensor on a CUDA device (``device`` an index or "cuda:N"; the current one by
        default)."""
        target = as_device("cuda" if device is None else device)
        if target.type != "cuda":
            raise RuntimeError(f"Invalid device, must be cuda device, got {target}")
        return self.to(target)

    def type(self, dtype=None, non_blocking: bool = False):
        """The legacy type name, such as ``'retrograd.FloatTensor'`` (no argument), or the
        tensor converted to ``dtype``: a dtype, a legacy type (``rg.LongTensor``) or its name
        (``'torch.DoubleTensor'``, ``'retrograd.cuda.FloatTensor'``)."""
        if dtype is None:
            return dtypes.legacy_type_name(self.dtype, self.device.type)
        if isinstance(dtype, str) and dtype.endswith("Tensor"):
            dtype, on_cuda = dtypes.from_legacy_type_name(dtype)
            target = as_device("cuda") if on_cuda else CPU
            return self.to(self.device if self.device.type == target.type else target, dtype)
        return self.to(getattr(dtype, "dtype", dtype), non_blocking=non_blocking)

    def float(self) -> "Tensor":
        return self.to(dtypes.float32)

    def double(self) -> "Tensor":
        return self.to(dtypes.float64)

    def half(self) -> "Tensor":
        return self.to(dtypes.float16)

    def long(self) -> "Tensor":
        return self.to(dtypes.int64)

    def int(self) -> "Tensor":
        return self.to(dtypes.int32)

    def bool(self) -> "Tensor":
        return self.to(dtypes.bool_)

    def type_as(self, other: "Tensor") -> "Tensor":
        return self.to(other.dtype)

    def contiguous(self) -> "Tensor":
        """Self when its elements lie in row-major order, else a row-major copy (in the graph)."""
        return self if self.array.flags.c_contiguous else self.clone()

    # -- autograd ---------------------------------------------------------------------------

    def requires_grad_(self, requires_grad: builtins.bool = True) -> "Tensor":
        """Marks this leaf as needing a gradient (in place) and returns it."""
        if requires_grad and self.array.dtype.kind != "f":
            raise RuntimeError(f"only tensors of floating point dtype can require gradients, "
                               f"this one is {self.dtype}; convert it with .float() first")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("requires_grad can only be turned off on leaf tensors; use "
                               ".detach() for a non-leaf")
        self.requires_grad = requires_grad
        return self

    def detach(self) -> "Tensor":
        """The same data (shared), cut from the graph: no gradient flows through it."""
        out = Tensor(self.array)
        out._version_counter = self._version_counter
        return out

    def detach_(self) -> "Tensor":
        """Cuts this tensor from the graph in place, making it a leaf."""
        self.grad_fn, self.requires_grad = None, False
        return self

    def clone(self) -> "Tensor":
        """A copy of the data that stays in the graph (its gradient is the identity)."""
        return elementwise.Clone.apply(self) if self.requires_grad and state.grad_enabled else \
            Tensor(self.array.copy())

    def backward(self, gradient: Any = None, retain_graph: builtins.bool | None = None,
                 create_graph: builtins.bool = False) -> None:
        """Backpropagates from this tensor: adds d self / d leaf into every leaf's ``.grad``.

        ``gradient`` (same shape as self) is required unless self has one element.
        ``retain_graph=True`` keeps the graph for another backward; ``create_graph=True`` also
        records the backward itself, for higher-order gradients.
        """
        engine.backward(self, gradient, retain_graph, create_graph)

    def register_hook(self, hook: Callable[["Tensor"], "Tensor | None"]):
        """Calls ``hook(grad)`` when this tensor's gradient is computed; a returned tensor
        replaces the gradient. Returns a handle whose ``remove()`` unregisters the hook."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require grad")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks: list | None = self._hooks
            engine.expect_leaf_hooks()
        else:
            hooks = self.grad_fn.output_hooks(self.output_nr)
        assert hooks is not None  # created on demand
        # retain_grad's hook stays last, so that .grad is the gradient after every other hook
        hooks.insert(len(hooks) - 1 if self.retains_grad else len(hooks), hook)
        return RemovableHandle(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook: Callable[["Tensor"], None]):
        """Calls ``hook(tensor)`` after backward has accumulated this leaf's ``.grad`` (an
        optimizer step, or a gradient all-reduce, can start there). Returns a removable handle.
        """
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require grad")
        hooks = getattr(self, "_post_accumulate_grad_hooks", None)
        if hooks is None:
            hooks = self._post_accumulate_grad_hooks = []
        hooks.append(hook)
        engine.expect_leaf_hooks()
        return RemovableHandle(hooks, hook)

    def retain_grad(self) -> None:
        """Makes backward fill ``.grad`` of this non-leaf tensor too."""
        if self.grad_fn is None or self.retains_grad:
            return
        reference = weakref.ref(self)

        def store(grad: "Tensor") -> None:
            tensor = reference()
            if tensor is not None:
                # a copy: the same gradient flows on and may become a leaf's .grad
                tensor.grad = grad.clone() if tensor.grad is None else tensor.grad + grad

        store.retains_grad = True  # type: ignore[attr-defined]  # the mark the hooks keep last
        self.register_hook(store)

    @property
    def retains_grad(self) -> builtins.bool:
        """True for a non-leaf tensor whose ``.grad`` backward fills (see ``retain_grad``)."""
        hooks = None if self.grad_fn is None else self.grad_fn.output_hooks(self.output_nr, False)
        return hooks is not None and bool(hooks) and getattr(hooks[-1], "retains_grad", False)

    # -- arithmetic -------------------------------------------------------------------------

    def __add__(self, other) -> "Tensor":
        return arithmetic.Add.apply(self, other)

    def __radd__(self, other) -> "Tensor":
        return arithmetic.Add.apply(other, self)

    def __sub__(self, other) -> "Tensor":
        return arithmetic.Sub.apply(self, other)

    def __rsub__(self, other) -> "Tensor":
        return arithmetic.Sub.apply(other, self)

    def __mul__(self, other) -> "Tensor":
        return arithmetic.Mul.apply(self, other)

    def __rmul__(self, other) -> "Tensor":
        return arithmetic.Mul.apply(other, self)

    def __truediv__(self, other) -> "Tensor":
        return arithmetic.Div.apply(self, other)

    def __rtruediv__(self, other) -> "Tensor":
        return arithmetic.Div.apply(other, self)

    def __pow__(self, exponent) -> "Tensor":
        return arithmetic.Pow.apply(self, exponent)

    def __rpow__(self, base) -> "Tensor":
        return arithmetic.Pow.apply(base, self)

    def __matmul__(self, other) -> "Tensor":
        return linalg.matmul(self, _as_tensor_operand(other))

    def __rmatmul__(self, other) -> "Tensor":
        return linalg.matmul(_as_tensor_operand(other), self)

    def __neg__(self) -> "Tensor":
        return arithmetic.Neg.apply(self)

    def __pos__(self) -> "Tensor":
        return self

    def __abs__(self) -> "Tensor":
        return arithmetic.Abs.apply(self)

    def add(self, other, alpha: builtins.float = 1) -> "Tensor":
        return arithmetic.add(self, other, alpha)

    def sub(self, other, alpha: builtins.float = 1) -> "Tensor":
        return arithmetic.sub(self, other, alpha)

    def mul(self, other) -> "Tensor":
        return arithmetic.Mul.apply(self, other)

    def div(self, other) -> "Tensor":
        return arithmetic.Div.apply(self, other)

    def pow(self, exponent) -> "Tensor":
        return arithmetic.Pow.apply(self, exponent)

    def neg(self) -> "Tensor":
        return arithmetic.Neg.apply(self)

    def abs(self) -> "Tensor":
        return arithmetic.Abs.apply(self)

    def matmul(self, other: "Tensor") -> "Tensor":
        return linalg.matmul(self, other)

    def mm(self, other: "Tensor") -> "Tensor":
        return linalg.mm(self, other)

    # -- comparisons and logic (no gradient) --------------------------------------------------

    def __eq__(self, other) -> "Tensor":  # type: ignore[override]
        return _compare("equal", self, other)

    def __ne__(self, other) -> "Tensor":  # type: ignore[override]
        return _compare("not_equal", self, other)

    def __lt__(self, other) -> "Tensor":
        return _compare("less", self, other)

    def __le__(self, other) -> "Tensor":
        return _compare("less_equal", self, other)

    def __gt__(self, other) -> "Tensor":
        return _compare("greater", self, other)

    def __ge__(self, other) -> "Tensor":
        return _compare("greater_equal", self, other)

    def __and__(self, other) -> "Tensor":
        return Tensor(array_function("bitwise_and", self.array, _raw(other)))

    def __or__(self, other) -> "Tensor":
        return Tensor(array_function("bitwise_or", self.array, _raw(other)))

    def __xor__(self, other) -> "Tensor":
        return Tensor(array_function("bitwise_xor", self.array, _raw(other)))

    def __invert__(self) -> "Tensor":
        return Tensor(array_function("invert", self.array))

    def eq(self, other) -> "Tensor":
        return self == other

    def ne(self, other) -> "Tensor":
        return self != other

    def lt(self, other) -> "Tensor":
        return self < other

    def le(self, other) -> "Tensor":
        return self <= other

    def gt(self, other) -> "Tensor":
        return self > other

    def ge(self, other) -> "Tensor":
        return self >= other

    def equal(self, other: "Tensor") -> builtins.bool:
        """True when both have the same shape and elements."""
        return self.shape == other.shape and bool((self.array == other.array).all())

    def allclose(self, other: "Tensor", rtol: builtins.float = 1e-5,
                 atol: builtins.float = 1e-8) -> builtins.bool:
        other_raw = _operand_on_device_of(self, other)
        return bool(array_module(self.array).allclose(self.array, other_raw, rtol=rtol,
                                                      atol=atol))

    def all(self, dim: builtins.int | None = None, keepdim: builtins.bool = False) -> "Tensor":
        return predicates.all(self, dim, keepdim)

    def any(self, dim: builtins.int | None = None, keepdim: builtins.bool = False) -> "Tensor":
        return predicates.any(self, dim, keepdim)

    def isnan(self) -> "Tensor":
        return Tensor(array_function("isnan", self.array))

    def isfinite(self) -> "Tensor":
        return Tensor(array_function("isfinite", self.array))

    # -- elementwise functions --------------------------------------------------------------

    def exp(self) -> "Tensor":
        return elementwise.Exp.apply(self)

    def log(self) -> "Tensor":
        return elementwise.Log.apply(self)

    def log1p(self) -> "Tensor":
        return elementwise.Log1p.apply(self)

    def sqrt(self) -> "Tensor":
        return elementwise.Sqrt.apply(self)

    def sin(self) -> "Tensor":
        return elementwise.Sin.apply(self)

    def cos(self) -> "Tensor":
        return elementwise.Cos.apply(self)

    def tanh(self) -> "Tensor":
        return elementwise.Tanh.apply(self)

    def erf(self) -> "Tensor":
        return elementwise.Erf.apply(self)

    def sign(self) -> "Tensor":
        return elementwise.Sign.apply(self)

    def sigmoid(self) -> "Tensor":
        return activation.Sigmoid.apply(self)

    def relu(self) -> "Tensor":
        return activation.ReLU.apply(self)

    def clamp(self, min: builtins.float | None = None,
              max: builtins.float | None = None) -> "Tensor":
        return elementwise.clamp(self, min, max)

    clip = clamp

    def maximum(self, other: "Tensor") -> "Tensor":
        return elementwise.Maximum.apply(self, other)

    def minimum(self, other: "Tensor") -> "Tensor":
        return elementwise.Minimum.apply(self, other)

    def masked_fill(self, mask: "Tensor", value: builtins.float) -> "Tensor":
        """``value`` where ``mask`` is true, else this tensor's elements."""
        return indexing.masked_fill(self, mask, value)

    def softmax(self, dim: builtins.int) -> "Tensor":
        return activation.softmax(self, dim)

    def log_softmax(self, dim: builtins.int) -> "Tensor":
        return activation.log_softmax(self, dim)

    # -- reductions ----------------------------------------------------------------------------

    def sum(self, dim=None, keepdim: builtins.bool = False, *, axis=None,
            keepdims=None) -> "Tensor":
        """Sum over ``dim`` (all by default); ``axis``/``keepdims`` are NumPy-style aliases."""
        return reduction.sum(self, _alias(dim, axis), _alias(keepdim, keepdims))

    def mean(self, dim=None, keepdim: builtins.bool = False, *, axis=None,
             keepdims=None) -> "Tensor":
        return reduction.mean(self, _alias(dim, axis), _alias(keepdim, keepdims))

    def prod(self, dim=None, keepdim: builtins.bool = False) -> "Tensor":
        return reduction.prod(self, dim, keepdim)

    def max(self, dim=None, keepdim: builtins.bool = False):
        return reduction.max(self, dim, keepdim)

    def min(self, dim=None, keepdim: builtins.bool = False):
        return reduction.min(self, dim, keepdim)

    def amax(self, dim=None, keepdim: builtins.bool = False) -> "Tensor":
        return reduction.amax(self, dim, keepdim)

    def amin(self, dim=None, keepdim: builtins.bool = False) -> "Tensor":
        return reduction.amin(self, dim, keepdim)

    def var(self, dim=None, unbiased=None, keepdim: builtins.bool = False, *, correction=None):
        return reduction.var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim=None, unbiased=None, keepdim: builtins.bool = False, *, correction=None):
        return reduction.std(self, dim, unbiased, keepdim, correction=correction)

    def logsumexp(self, dim, keepdim: builtins.bool = False) -> "Tensor":
        return reduction.logsumexp(self, dim, keepdim)

    def norm(self, p=2, dim=None, keepdim: builtins.bool = False) -> "Tensor":
        return reduction.norm(self, p, dim, keepdim)

    def argmax(self, dim: builtins.int | None = None, keepdim: builtins.bool = False) -> "Tensor":
        return reduction.argmax(self, dim, keepdim)

    def argmin(self, dim: builtins.int | None = None, keepdim: builtins.bool = False) -> "Tensor":
        return reduction.argmin(self, dim, keepdim)

    # -- shape ---------------------------------------------------------------------------------

    def reshape(self, *shape) -> "Tensor":
        return shape_ops.reshape(self, *shape)

    def view(self, *shape) -> "Tensor":
        """The same memory in another shape; raises where reshape would have to copy."""
        return shape_ops.view(self, *shape)

    def view_as(self, other: "Tensor") -> "Tensor":
        return shape_ops.view(self, other.shape)

    def reshape_as(self, other: "Tensor") -> "Tensor":
        return shape_ops.reshape(self, other.shape)

    def flatten(self, start_dim: builtins.int = 0, end_dim: builtins.int = -1) -> "Tensor":
        return shape_ops.flatten(self, start_dim, end_dim)

    def squeeze(self, dim=None) -> "Tensor":
        return shape_ops.squeeze(self, dim)

    def unsqueeze(self, dim: builtins.int) -> "Tensor":
        return shape_ops.unsqueeze(self, dim)

    def transpose(self, dim0: builtins.int, dim1: builtins.int) -> "Tensor":
        return shape_ops.transpose(self, dim0, dim1)

    swapaxes = transpose

    def t(self) -> "Tensor":
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with at most 2 dimensions, got "
                               f"{self.ndim}; use transpose(dim0, dim1)")
        return self.T

    def permute(self, *dims) -> "Tensor":
        return shape_ops.permute(self, *dims)

    def expand(self, *sizes) -> "Tensor":
        return shape_ops.expand(self, *sizes)

    def expand_as(self, other: "Tensor") -> "Tensor":
        return shape_ops.expand(self, other.shape)

    def repeat(self, *repeats) -> "Tensor":
        return shape_ops.repeat(self, *repeats)

    def diagonal(self, offset: builtins.int = 0, dim1: builtins.int = 0,
                 dim2: builtins.int = 1) -> "Tensor":
        return shape_ops.diagonal(self, offset, dim1, dim2)

    def narrow(self, dim: builtins.int, start: builtins.int, length: builtins.int) -> "Tensor":
        return shape_ops.narrow(self, dim, start, length)

    def unbind(self, dim: builtins.int = 0) -> tuple:
        return shape_ops.unbind(self, dim)

    # -- indexing ------------------------------------------------------------------------------

    def __getitem__(self, key) -> "Tensor":
        return indexing.getitem(self, key)

    def gather(self, dim: builtins.int, index: "Tensor") -> "Tensor":
        return indexing.gather(self, dim, index)

    def split(self, split_size_or_sections, dim: builtins.int = 0) -> tuple:
        return indexing.split(self, split_size_or_sections, dim)

    def chunk(self, chunks: builtins.int, dim: builtins.int = 0) -> tuple:
        return indexing.chunk(self, chunks, dim)

    # -- sorting, scanning and selection ---------------------------------------------------------

    def sort(self, dim: builtins.int = -1, descending: builtins.bool = False, *,
             stable: builtins.bool = False):
        return sorting.sort(self, dim, descending, stable=stable)

    def argsort(self, dim: builtins.int = -1, descending: builtins.bool = False, *,
                stable: builtins.bool = False) -> "Tensor":
        return sorting.argsort(self, dim, descending, stable=stable)

    def topk(self, k: builtins.int, dim: builtins.int = -1, largest: builtins.bool = True,
             sorted: builtins.bool = True):
        return sorting.topk(self, k, dim, largest, sorted)

    def unique(self, sorted: builtins.bool = True, return_inverse: builtins.bool = False,
               return_counts: builtins.bool = False, dim: builtins.int | None = None):
        return sorting.unique(self, sorted, return_inverse, return_counts, dim)

    def cumsum(self, dim: builtins.int, *, dtype=None) -> "Tensor":
        return scan.cumsum(self, dim, dtype=dtype)

    def cumprod(self, dim: builtins.int, *, dtype=None) -> "Tensor":
        return scan.cumprod(self, dim, dtype=dtype)

    def flip(self, *dims) -> "Tensor":
        """Reversed along ``dims``: ``x.flip(0, 1)`` or ``x.flip([0, 1])``."""
        return shape_ops.flip(self, shape_ops.shape_arg(dims))

    def roll(self, shifts, dims=None) -> "Tensor":
        return shape_ops.roll(self, shifts, dims)

    def tril(self, diagonal: builtins.int = 0) -> "Tensor":
        return shape_ops.tril(self, diagonal)

    def triu(self, diagonal: builtins.int = 0) -> "Tensor":
        return shape_ops.triu(self, diagonal)

    def index_select(self, dim: builtins.int, index: "Tensor") -> "Tensor":
        return indexing.index_select(self, dim, index)

    def scatter(self, dim: builtins.int, index: "Tensor", src=None, *, value=None,
                reduce: str | None = None) -> "Tensor":
        return indexing.scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_add(self, dim: builtins.int, index: "Tensor", src: "Tensor") -> "Tensor":
        return indexing.scatter_add(self, dim, index, src)

    def scatter_(self, dim: builtins.int, index: "Tensor", src=None, *, value=None,
                 reduce: str | None = None) -> "Tensor":
        """``scatter`` in place: ``src`` or ``value`` written into this tensor at ``index``."""
        return self._scatter_in_place(dim, index, src, value, reduce, add=False)

    def scatter_add_(self, dim: builtins.int, index: "Tensor", src: "Tensor") -> "Tensor":
        """``scatter_add`` in place: ``src`` added into this tensor at ``index``."""
        return self._scatter_in_place(dim, index, src, None, None, add=True)

    def _scatter_in_place(self, dim, index, src, value, reduce, add: builtins.bool) -> "Tensor":
        src, dim, index = indexing.scatter_arguments(self, dim, index, src, value, reduce, add)
        src_raw = _operand_on_device_of(self, src)
        return self.modify_in_place(
            lambda before: indexing.Scatter.apply(before, src, dim=dim, index=index, add=add),
            lambda: indexing.write_scatter(self.array, src_raw, dim, index, add), src)

    def nonzero(self, *, as_tuple: builtins.bool = False):
        return indexing.nonzero(self, as_tuple=as_tuple)

    def argwhere(self) -> "Tensor":
        return indexing.argwhere(self)

    # -- rounding, integer division and products -------------------------------------------------

    def round(self, *, decimals: builtins.int = 0) -> "Tensor":
        return rounding.round(self, decimals=decimals)

    def floor(self) -> "Tensor":
        return rounding.floor(self)

    def ceil(self) -> "Tensor":
        return rounding.ceil(self)

    def trunc(self) -> "Tensor":
        return rounding.trunc(self)

    fix = trunc

    def frac(self) -> "Tensor":
        return rounding.frac(self)

    def floor_divide(self, other) -> "Tensor":
        return rounding.floor_divide(self, other)

    def remainder(self, other) -> "Tensor":
        return rounding.remainder(self, other)

    def fmod(self, other) -> "Tensor":
        return rounding.fmod(self, other)

    def __floordiv__(self, other) -> "Tensor":
        return rounding.floor_divide(self, other)

    def __rfloordiv__(self, other) -> "Tensor":
        return rounding.floor_divide(other, self)

    def __mod__(self, other) -> "Tensor":
        return rounding.remainder(self, other)

    def __rmod__(self, other) -> "Tensor":
        return rounding.remainder(other, self)

    def bmm(self, mat2: "Tensor") -> "Tensor":
        return linalg.bmm(self, mat2)

    def addmm(self, mat1: "Tensor", mat2: "Tensor", *, beta: builtins.float = 1,
              alpha: builtins.float = 1) -> "Tensor":
        return linalg.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def outer(self, vec2: "Tensor") -> "Tensor":
        return linalg.outer(self, vec2)

    def dot(self, other: "Tensor") -> "Tensor":
        return linalg.dot(self, other)

    def isinf(self) -> "Tensor":
        return predicates.isinf(self)

    def isposinf(self) -> "Tensor":
        return predicates.isposinf(self)

    def isneginf(self) -> "Tensor":
        return predicates.isneginf(self)

    def isclose(self, other: "Tensor", rtol: builtins.float = 1e-05, atol: builtins.float = 1e-08,
                equal_nan: builtins.bool = False) -> "Tensor":
        return predicates.isclose(self, other, rtol, atol, equal_nan)

    # -- more elementwise, reductions and helpers ---------------------------------------------

    def square(self) -> "Tensor":
        return pointwise.square(self)

    def rsqrt(self) -> "Tensor":
        return pointwise.rsqrt(self)

    def reciprocal(self) -> "Tensor":
        return pointwise.reciprocal(self)

    def expm1(self) -> "Tensor":
        return pointwise.expm1(self)

    def exp2(self) -> "Tensor":
        return pointwise.exp2(self)

    def log2(self) -> "Tensor":
        return pointwise.log2(self)

    def log10(self) -> "Tensor":
        return pointwise.log10(self)

    def sinh(self) -> "Tensor":
        return pointwise.sinh(self)

    def cosh(self) -> "Tensor":
        return pointwise.cosh(self)

    def asin(self) -> "Tensor":
        return pointwise.asin(self)

    def acos(self) -> "Tensor":
        return pointwise.acos(self)

    def atan(self) -> "Tensor":
        return pointwise.atan(self)

    arcsin, arccos, arctan = asin, acos, atan

    def atan2(self, other: "Tensor") -> "Tensor":
        return pointwise.atan2(self, other)

    arctan2 = atan2

    def hypot(self, other: "Tensor") -> "Tensor":
        return pointwise.hypot(self, other)

    def logaddexp(self, other: "Tensor") -> "Tensor":
        return pointwise.logaddexp(self, other)

    def xlogy(self, other) -> "Tensor":
        return pointwise.xlogy(self, other)

    def lerp(self, end: "Tensor", weight) -> "Tensor":
        return pointwise.lerp(self, end, weight)

    def addcmul(self, tensor1: "Tensor", tensor2: "Tensor", *,
                value: builtins.float = 1) -> "Tensor":
        return pointwise.addcmul(self, tensor1, tensor2, value=value)

    def addcdiv(self, tensor1: "Tensor", tensor2: "Tensor", *,
                value: builtins.float = 1) -> "Tensor":
        return pointwise.addcdiv(self, tensor1, tensor2, value=value)

    def aminmax(self, *, dim: builtins.int | None = None, keepdim: builtins.bool = False):
        return composite.aminmax(self, dim=dim, keepdim=keepdim)

    def count_nonzero(self, dim=None) -> "Tensor":
        return composite.count_nonzero(self, dim)

    def diag(self, diagonal: builtins.int = 0) -> "Tensor":
        return composite.diag(self, diagonal)

    def diag_embed(self, offset: builtins.int = 0, dim1: builtins.int = -2,
                   dim2: builtins.int = -1) -> "Tensor":
        return composite.diag_embed(self, offset, dim1, dim2)

    def trace(self) -> "Tensor":
        return composite.trace(self)

    def bincount(self, weights: "Tensor | None" = None, minlength: builtins.int = 0) -> "Tensor":
        return composite.bincount(self, weights, minlength)

    def histc(self, bins: builtins.int = 100, min: builtins.float = 0,
              max: builtins.float = 0) -> "Tensor":
        return composite.histc(self, bins, min, max)

    def multinomial(self, num_samples: builtins.int, replacement: builtins.bool = False, *,
                    generator=None) -> "Tensor":
        return composite.multinomial(self, num_samples, replacement, generator=generator)

    def bernoulli(self, p: builtins.float | None = None, *, generator=None) -> "Tensor":
        return composite.bernoulli(self, p, generator=generator)

    def _modify_by(self, function: Callable, *args: Any, **options: Any) -> "Tensor":
        """Writes ``function(self, *args, **options)`` into this tensor: PyTorch's ``f_``."""
        other = next((a for a in args if isinstance(a, Tensor) and a.requires_grad), None)
        return self.modify_in_place(
            lambda before: function(before, *args, **options),
            lambda: self.array.__setitem__(..., _cast_for(
                self, function(Tensor(self.array), *args, **options).array)), other)

    def exp_(self) -> "Tensor":
        return self._modify_by(elementwise.exp)

    def log_(self) -> "Tensor":
        return self._modify_by(elementwise.log)

    def sqrt_(self) -> "Tensor":
        return self._modify_by(elementwise.sqrt)

    def abs_(self) -> "Tensor":
        return self._modify_by(arithmetic.abs)

    def neg_(self) -> "Tensor":
        return self._modify_by(arithmetic.neg)

    def sigmoid_(self) -> "Tensor":
        return self._modify_by(activation.sigmoid)

    def tanh_(self) -> "Tensor":
        return self._modify_by(elementwise.tanh)

    def sin_(self) -> "Tensor":
        return self._modify_by(elementwise.sin)

    def cos_(self) -> "Tensor":
        return self._modify_by(elementwise.cos)

    def square_(self) -> "Tensor":
        return self._modify_by(pointwise.square)

    def reciprocal_(self) -> "Tensor":
        return self._modify_by(pointwise.reciprocal)

    def rsqrt_(self) -> "Tensor":
        return self._modify_by(pointwise.rsqrt)

    def expm1_(self) -> "Tensor":
        return self._modify_by(pointwise.expm1)

    def pow_(self, exponent) -> "Tensor":
        return self._modify_by(arithmetic.pow, exponent)

    def lerp_(self, end: "Tensor", weight) -> "Tensor":
        return self._modify_by(pointwise.lerp, end, weight)

    def addcmul_(self, tensor1: "Tensor", tensor2: "Tensor", *,
                 value: builtins.float = 1) -> "Tensor":
        return self._modify_by(pointwise.addcmul, tensor1, tensor2, value=value)

    def addcdiv_(self, tensor1: "Tensor", tensor2: "Tensor", *,
                 value: builtins.float = 1) -> "Tensor":
        return self._modify_by(pointwise.addcdiv, tensor1, tensor2, value=value)

    def fill_diagonal_(self, fill_value: builtins.float, wrap: builtins.bool = False) -> "Tensor":
        """Writes ``fill_value`` on the main diagonal (of a matrix, or of a tensor whose
        dimensions are all equal); ``wrap``: of a tall matrix, restarting every ``cols + 1``
        rows, as NumPy's ``fill_diagonal``."""
        mask = composite.diagonal_mask(self, wrap)
        return self.modify_in_place(
            lambda before: indexing.masked_fill(before, Tensor(mask), fill_value),
            lambda: array_module(self.array).copyto(self.array, _raw(fill_value), where=mask,
                                                    casting="unsafe"), fill_value)

    def bernoulli_(self, p=0.5, *, generator=None) -> "Tensor":
        """Fills with 0/1 draws, 1 with probability ``p`` (a number, or a tensor that
        broadcasts to this shape)."""
        values = composite.bernoulli_array(self.shape, _raw(p), self.array.dtype, generator,
                                           self.device)
        return self.copy_(values)

    # -- in place --------------------------------------------------------------------------------

    def modify_in_place(self, compute: Callable[["Tensor"], "Tensor"], write: Callable[[], Any],
                        other: Any = None, overlap_allowed: builtins.bool = False) -> "Tensor":
        """Changes this tensor's values in its own memory and bumps the version it shares with
        its views, so that backward can tell when a value it saved has changed.

        ``write()`` does the change on the arrays. When a gradient must flow (this tensor or
        ``other`` requires grad, in grad mode), ``compute(before)`` gives the new values as a
        recorded tensor instead; they are copied into this memory and the history is rebased
        on them: this tensor's own, or, for a view, its base's (see ``indexing.CopySlices``).
        Only a fill (``overlap_allowed``) may write an ``expand()`` view, whose elements share
        memory.
        """
        if not overlap_allowed and overlaps_itself(self.array):
            raise RuntimeError(
                "unsupported operation: more than one element of the written-to tensor refers "
                "to a single memory location (an expand() view); clone() the tensor before "
                "changing it in place")
        history = state.grad_enabled and (self.requires_grad or
                                          getattr(other, "requires_grad", False))
        # rg.compile, while recording, sees the new values computed by operations and the copy
        if history or current.tape is not None:
            if history:
                self._check_recordable_in_place()
            if current.tape is not None:  # this tensor, not the alias below, is what it reads
                current.tape.tensor_ref(self)
            result = compute(with_history_of(self, self.array))  # its own version counter
            if result.shape != self.shape:
                raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the "
                                   f"broadcast shape {list(result.shape)} of an in-place "
                                   f"operation; do it out of place")
            if result.grad_fn is not None:  # what it saved of the old values must survive
                result.grad_fn.unshare_saved(self.array)
            _write_guarded(lambda: self.array.__setitem__(..., _cast_for(self, result.array)))
            if current.tape is not None:
                current.tape.write(self, result)
            if history:
                self._continue_history_from(result)
        else:
            _write_guarded(write)
        self._version_counter[0] += 1
        return self

    def _continue_history_from(self, result: "Tensor") -> None:
        # after an in-place change: this tensor's history, or its base's for a view
        base = self._base
        if base is None:
            self.grad_fn, self.requires_grad = result.grad_fn, result.requires_grad
            self.output_nr = result.output_nr
        else:
            assert isinstance(self, View)  # only a view has a base
            rebased = indexing.CopySlices.apply(with_history_of(base, base.array), result,
                                                view=self.replay_view)
            base.grad_fn, base.requires_grad = rebased.grad_fn, True

    def _check_recordable_in_place(self) -> None:
        if self.grad_fn is None and self.requires_grad:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation; "
                "wrap the update in `with rg.no_grad():` (as optimizers do)")

    def _modify_with(self, op, other) -> "Tensor":
        other_raw = _operand_on_device_of(self, other)
        ufunc = getattr(array_module(self.array), _UFUNC_NAME_OF[op])
        return self.modify_in_place(
            lambda before: op.apply(before, other),
            lambda: ufunc(self.array, other_raw, out=self.array, casting="same_kind"), other)

    def add_(self, other, alpha: builtins.float = 1) -> "Tensor":
        return self._modify_with(arithmetic.Add, other if alpha == 1 else other * alpha)

    def sub_(self, other, alpha: builtins.float = 1) -> "Tensor":
        return self._modify_with(arithmetic.Sub, other if alpha == 1 else other * alpha)

    def mul_(self, other) -> "Tensor":
        return self._modify_with(arithmetic.Mul, other)

    def div_(self, other) -> "Tensor":
        return self._modify_with(arithmetic.Div, other)

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_

    def clamp_(self, min: builtins.float | None = None,
               max: builtins.float | None = None) -> "Tensor":
        xp = array_module(self.array)
        low, high = (bound.array if isinstance(bound, Tensor) else bound for bound in (min, max))
        bound_with_grad = next((bound for bound in (min, max)
                                if getattr(bound, "requires_grad", False)), None)
        return self.modify_in_place(lambda before: elementwise.clamp(before, min, max),
                                    lambda: xp.clip(self.array, low, high, out=self.array),
                                    other=bound_with_grad)

    clip_ = clamp_

    def copy_(self, source) -> "Tensor":
        """Copies ``source``'s values (broadcast, cast to this dtype) into this tensor."""
        if isinstance(source, Tensor) and type(source.array) is not type(self.array):
            source = source.to(self.device)  # copy_ is how values cross devices
        elif not isinstance(source, Tensor) and is_device_array(source):
            source = to_device(source, self.device)
        source_raw = _raw(source)
        return self.modify_in_place(
            lambda before: _overwritten(before, source),
            lambda: array_module(self.array).copyto(self.array, source_raw, casting="unsafe"),
            source)

    def fill_(self, value: builtins.float) -> "Tensor":
        return self.modify_in_place(lambda before: _overwritten(before, value),
                                    lambda: self.array.fill(_raw(value)), value,
                                    overlap_allowed=True)

    def zero_(self) -> "Tensor":
        return self.fill_(0)

    def masked_fill_(self, mask: "Tensor", value: builtins.float) -> "Tensor":
        """Writes ``value`` where ``mask`` (broadcast to this shape) is true."""
        indexing.check_masked_fill(mask, value)
        mask_raw, value_raw = _operand_on_device_of(self, mask), _operand_on_device_of(self, value)
        return self.modify_in_place(
            lambda before: indexing.masked_fill(before, mask, value),
            lambda: array_module(self.array).copyto(self.array, value_raw, where=mask_raw,
                                                    casting="unsafe"), value)

    def index_add_(self, dim: builtins.int, index: "Tensor", source: "Tensor",
                   alpha: builtins.float = 1) -> "Tensor":
        """Adds ``alpha * source`` at ``index`` along ``dim``, in place (see ``index_add``)."""
        key = indexing.index_add_key(self, dim, index, source)
        added = _raw(source) * alpha if alpha != 1 else _raw(source)
        return self.modify_in_place(
            lambda before: indexing.index_add(before, dim, index, source, alpha),
            lambda: backend_of(self.array).scatter_add(self.array, key, added), source)

    def index_add(self, dim: builtins.int, index: "Tensor", source: "Tensor",
                  alpha: builtins.float = 1) -> "Tensor":
        return indexing.index_add(self, dim, index, source, alpha)

    def normal_(self, mean: builtins.float = 0.0, std: builtins.float = 1.0,
                generator=None) -> "Tensor":
        """Fills with samples of N(mean, std^2) from ``generator`` (the global one by default)."""
        values = random.normal_array(self.shape, mean, std, self.array.dtype, generator,
                                     self.device)
        return self.copy_(values)

    def uniform_(self, a: builtins.float = 0.0, b: builtins.float = 1.0,
                 generator=None) -> "Tensor":
        """Fills with samples of U(a, b) from ``generator`` (the global one by default)."""
        values = random.uniform_array(self.shape, a, b, self.array.dtype, generator,
                                      self.device)
        return self.copy_(values)

    def __setitem__(self, key, value) -> None:
        """``x[key] = value``: writes into x's memory; in a graph, ``value`` gets the gradient
        of the positions it fills and x's history the rest (PyTorch's index_put_)."""
        key = indexing.normalize_key(key, self.array)
        if indexing.is_basic(key):  # as PyTorch: a view of the positions, copied into
            self[key].copy_(value)
            return
        value_raw = _raw(value)

        def assign():
            self.array[key] = value_raw
        self.modify_in_place(lambda before: indexing.IndexPut.apply(before, value, key=key),
                             assign, value)


class View(Tensor):
    """A tensor whose array is a view of another tensor's memory, its ``_base``.

    It shares the base's version counter. Its history is the view operation applied to the
    base; when the base's history changes (an in-place change of the base or of any of its
    views), the view's is rebuilt on first use by replaying the view operations, which is what
    PyTorch does when a view's version falls behind.
    """

    __slots__ = ("_base", "replay_view", "_history_version", "_in_place_refusal")
    _base: Tensor
    replay_view: Callable[[Tensor], Tensor] | None
    _history_version: int
    _in_place_refusal: str | None

    @property  # type: ignore[override]
    def grad_fn(self):
        self._catch_up()
        return _GRAD_FN_SLOT.__get__(self)

    @grad_fn.setter
    def grad_fn(self, node) -> None:
        _GRAD_FN_SLOT.__set__(self, node)

    @property  # type: ignore[override]
    def requires_grad(self) -> bool:
        self._catch_up()
        return _REQUIRES_GRAD_SLOT.__get__(self)

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        _REQUIRES_GRAD_SLOT.__set__(self, value)

    def _catch_up(self) -> None:
        version = self._version_counter[0]
        if version == self._history_version:
            return
        self._history_version = version
        base = self._base
        if self.replay_view is not None and (base.requires_grad or
                                             _REQUIRES_GRAD_SLOT.__get__(self)):
            with enable_grad():
                fresh = self.replay_view(base)
            _GRAD_FN_SLOT.__set__(self, fresh.grad_fn)
            self.output_nr = fresh.output_nr
            _REQUIRES_GRAD_SLOT.__set__(self, fresh.requires_grad)

    def refuse_recorded_in_place(self, message: str) -> None:
        """Makes an in-place change of this view raise ``message`` when it would be recorded
        (PyTorch's rule for the views that unbind, split and chunk return together)."""
        self._in_place_refusal = message

    def _check_recordable_in_place(self) -> None:
        if self._in_place_refusal is not None:
            raise RuntimeError(self._in_place_refusal)
        base = self._base
        if base.grad_fn is None and base.requires_grad:
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place "
                "operation; wrap the update in `with rg.no_grad():`, or change a .clone()")
        if self.replay_view is None:
            raise RuntimeError(
                "a view was created in no_grad mode and is being modified in place with grad "
                "mode enabled; make the view outside no_grad, or change it under no_grad too")


_GRAD_FN_SLOT = Tensor.__dict__["grad_fn"]
_REQUIRES_GRAD_SLOT = Tensor.__dict__["requires_grad"]


def with_history_of(source: Tensor, array: ndarray) -> Tensor:
    """A new tensor over ``array`` that stands for ``source`` in the graph (its ``grad_fn`` and
    ``requires_grad``) but has a version counter of its own."""
    alias = Tensor(array)
    alias.grad_fn, alias.requires_grad = source.grad_fn, source.requires_grad
    alias.output_nr = source.output_nr
    return alias


def make_view(source: Tensor, array: ndarray, replay: Callable[[Tensor], Tensor]) -> View:
    """A View of ``source`` over ``array`` (a NumPy view of source's memory).

    ``replay(t)`` applies the same view operation to ``t``; composed with source's own, it
    rebuilds the view from the root base, on a new history or on a gradient (CopySlices).
    """
    view = View(array)
    view._version_counter = counter = source._version_counter
    view._history_version = counter[0]
    view._in_place_refusal = None
    parent = source._base
    if parent is None:
        view._base = source
        view.replay_view = replay if state.grad_enabled else None
    else:
        view._base = parent
        assert isinstance(source, View)  # it has a base
        replay_parent = source.replay_view
        view.replay_view = None if replay_parent is None or not state.grad_enabled else \
            lambda base: replay(replay_parent(base))
    return view


def _write_guarded(write: Callable[[], Any]) -> None:
    """Runs an in-place write, turning NumPy's refusals into PyTorch's messages."""
    try:
        write()
    except TypeError as error:  # NumPy's casting refusal (UFuncTypeError)
        raise RuntimeError(f"an in-place operation cannot store its result in this tensor's "
                           f"dtype ({error}); convert the tensor first, e.g. with .float()"
                           ) from None
    except ValueError as error:
        raise RuntimeError(f"in-place operation: the shapes do not fit ({error}); the result "
                           f"must keep this tensor's shape") from None


def _cast_for(target: Tensor, values: ndarray) -> ndarray:
    """``values`` as ``target``'s dtype, refusing what PyTorch refuses (float into int...)."""
    if values.dtype != target.array.dtype and not xp.can_cast(values.dtype, target.array.dtype,
                                                              "same_kind"):
        raise TypeError(f"result type {values.dtype} can't be cast to the desired output type "
                        f"{target.array.dtype}")
    return values


def _overwritten(before: Tensor, values: Any) -> Tensor:
    """``values`` broadcast to ``before``'s shape and dtype, recorded: the overwritten history
    gets a zero gradient, and ``values`` the whole gradient."""
    result = elementwise.where(True, values, before)
    if result.shape != before.shape:
        raise RuntimeError(f"cannot copy values of shape {tuple(result.shape)} into a tensor of "
                           f"shape {before.shape}; the values must broadcast to it")
    return result.to(before.dtype)


def _float_mode(array: ndarray, fixed: bool = False) -> Literal["fixed", "maxprec"]:
    """NumPy's float format that prints like PyTorch: whole numbers as ``1.``, other values with
    4 decimals (``1.5000``); both switch to scientific notation past the same thresholds."""
    if array.dtype.kind != "f":
        return "maxprec"
    magnitudes = xp.abs(array[xp.isfinite(array)])
    if fixed or (magnitudes != xp.round(magnitudes)).any():
        return "fixed"
    nonzero = magnitudes[magnitudes != 0]
    scientific = nonzero.size and (nonzero.max() >= 1e8 or nonzero.max() > 1000 * nonzero.min())
    return "fixed" if scientific else "maxprec"


def _compare(ufunc_name: str, tensor: Tensor, other: Any) -> Tensor:
    """A comparison computed in PyTorch's result type: float32 0.1 equals a 0-d float64 0.1."""
    return Tensor(_compared(ufunc_name, tensor.array, _raw(other)))


@recorded
def _compared(ufunc_name: str, a: Any, b: Any) -> Any:
    if is_device_array(b) and type(b) is not type(a):
        a, b = on_one_device([a, b])
    a, b = promotion.promote_operands(a, b)
    return getattr(array_module(a), ufunc_name)(a, b)


def _operand_on_device_of(tensor: Tensor, other: Any) -> Any:
    """``other``'s array, for an in-place change of ``tensor``: on its device (a 0-d CPU tensor
    goes along, as a number), else PyTorch's error."""
    raw = _raw(other)
    if isinstance(other, Tensor) and type(raw) is not type(tensor.array):
        if type(raw) is not ndarray or raw.ndim != 0:
            on_one_device([tensor.array, raw])  # raises: two devices
        return to_device(raw, tensor.device)
    return raw


def parse_to_arguments(args: tuple, kwargs: dict) -> tuple:
    """``Tensor.to``'s arguments as (device or None, dtype or None, copy)."""
    unknown = set(kwargs) - {"device", "dtype", "non_blocking", "copy", "memory_format"}
    if unknown:
        raise TypeError(f"to() got an unexpected keyword argument {sorted(unknown)[0]!r}")
    target, dtype = kwargs.get("device"), kwargs.get("dtype")
    rest = list(args)
    if rest and isinstance(rest[0], Tensor):
        other = rest.pop(0)
        target, dtype = other.device, other.dtype
    elif rest and _is_dtype(rest[0]):
        dtype = rest.pop(0)
    elif rest and (rest[0] is None or isinstance(rest[0], (str, device, int))) and \
            not isinstance(rest[0], bool):
        target = rest.pop(0)
        if rest and (rest[0] is None or _is_dtype(rest[0])):
            dtype = rest.pop(0)
    flags = rest[:2]  # non_blocking, copy, as PyTorch takes them positionally
    if len(rest) > 2 or not all(isinstance(f, bool) for f in flags):
        raise TypeError(f"to() received an invalid combination of arguments: {args!r}; expected "
                        f"to(dtype), to(device, dtype), to(other) and the keywords device=, "
                        f"dtype=, non_blocking=, copy=")
    copy = kwargs.get("copy", flags[1] if len(flags) > 1 else False)
    return (None if target is None else as_device(target)), dtype, copy


def _is_dtype(value: Any) -> bool:
    if isinstance(value, (dtypes.DType, xp.dtype)):
        return True
    return isinstance(value, type) and (value in (float, int, bool) or issubclass(value,
                                                                                xp.generic))


def _already_on(array: Any, target: device) -> bool:
    """True when ``array`` is on ``target`` ("cuda" without index means the current device)."""
    here = CPU if type(array) is ndarray else device_of(array)
    return here.type == target.type and (target.index is None or target.index == here.index or
                                         (here.index is None and target.index == 0))


def _raw(value: Any) -> Any:
    return value.array if isinstance(value, Tensor) else value


def _alias(torch_value, numpy_value):
    return torch_value if numpy_value is None else numpy_value


def _as_tensor_operand(value: Any) -> Tensor:
    if isinstance(value, Tensor):
        return value
    if is_device_array(value):
        return Tensor(value)
    raise TypeError(f"expected a Tensor operand, got {type(value).__name__}")


# The one cycle of the core, inherent to a facade: Tensor's methods call the autograd engine and
# the operations, which build on Tensor (importing retrograd.autograd loads the engine, hence
# grad mode here too). Everything else tensor.py needs is imported at the top.
from .autograd import engine  # noqa: E402
from .autograd.grad_mode import enable_grad, state  # noqa: E402
from .ops import (  # noqa: E402
    activation,
    arithmetic,
    composite,
    elementwise,
    indexing,
    linalg,
    pointwise,
    predicates,
    promotion,
    reduction,
    rounding,
    scan,
    sorting,
)
from .ops import shape as shape_ops  # noqa: E402

_UFUNC_NAME_OF = {arithmetic.Add: "add", arithmetic.Sub: "subtract", arithmetic.Mul: "multiply",
                  arithmetic.Div: "divide"}


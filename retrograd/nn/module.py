"""``Module``: the base class of every layer and network.

A module registers what is assigned to it: a ``Parameter`` becomes one of its learnable weights,
another ``Module`` one of its children, and ``register_buffer`` adds a tensor that is state but
not learned (BatchNorm's running mean). Everything else derives from those three registries:
``parameters()``, ``state_dict()``, ``train()``/``eval()``, ``zero_grad()`` and the ``repr``.

    class TwoLayers(rg.nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = rg.nn.Linear(2, 8)      # a child: its weights become ours
            self.out = rg.nn.Linear(8, 3)

        def forward(self, x):
            return self.out(self.hidden(x).tanh())

    net = TwoLayers()
    [name for name, _ in net.named_parameters()]   # ['hidden.weight', 'hidden.bias', ...]
"""
from __future__ import annotations

from collections import OrderedDict, namedtuple
from typing import Any, Callable, Iterator, Mapping

from .. import dtype as dtypes
from ..autograd.grad_mode import no_grad
from ..backend import ndarray
from ..device import CPU, DeviceLike, as_device, device, to_device
from ..hooks import RemovableHandle, add_hook
from ..recording import current, replayed_whole
from ..tensor import Tensor, parse_to_arguments
from .backward_hooks import BackwardHook
from .parameter import Parameter


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it expected but did not find, and the others."""

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()


# how many times an attribute of a module (other than its training flag) was set, anywhere
_configuration = [0]


def configuration_version() -> int:
    """A number that changes whenever an attribute of any module is set, its training flag
    aside (a layer replaced, a parameter assigned, ``dropout.p`` changed): ``rg.compile``
    records its step again after such a change."""
    return _configuration[0]


def _type_name(value: Any) -> str:
    return type(value).__name__


class Module:
    """Base class of layers and networks: subclass it, assign layers and Parameters as attributes
    in ``__init__`` (after ``super().__init__()``), and write ``forward``.

    Calling the module, ``module(x)``, runs ``forward(x)``.
    """

    training: bool

    def __init__(self) -> None:
        # object.__setattr__: our own __setattr__ needs these registries to exist already
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())
        # hooks, by handle id (see the hooks section below)
        for registry in ("_forward_pre_hooks", "_forward_hooks", "_backward_pre_hooks",
                         "_backward_hooks"):
            object.__setattr__(self, registry, OrderedDict())
        object.__setattr__(self, "_hooks_with_kwargs", set())
        object.__setattr__(self, "_hooks_always_called", set())

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                                  f'"forward" function')

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        hooked = bool(self._forward_pre_hooks or self._forward_hooks or self._backward_hooks or
                      self._backward_pre_hooks)
        if current.tape is not None:  # rg.compile guards a replay on the modules' training modes
            current.tape.module_called(self, hooked)
        if hooked:
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    # -- hooks ------------------------------------------------------------------------------

    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Calls ``hook(module, args)`` before each forward; a returned value (a tuple, or one
        value) replaces the positional arguments. With ``with_kwargs=True``:
        ``hook(module, args, kwargs)``, which may return ``(args, kwargs)``."""
        handle = add_hook(self._forward_pre_hooks, hook, prepend)
        if with_kwargs:
            self._hooks_with_kwargs.add(handle.id)
        return handle

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False,
                              with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """Calls ``hook(module, args, output)`` after each forward; a returned value replaces
        the output. With ``with_kwargs=True``: ``hook(module, args, kwargs, output)``.
        ``always_call=True`` calls it even when forward raises (with output None)."""
        handle = add_hook(self._forward_hooks, hook, prepend)
        if with_kwargs:
            self._hooks_with_kwargs.add(handle.id)
        if always_call:
            self._hooks_always_called.add(handle.id)
        return handle

    def register_full_backward_pre_hook(self, hook: Callable, prepend: bool = False
                                        ) -> RemovableHandle:
        """Calls ``hook(module, grad_output)`` when the gradients with respect to the module's
        outputs are known (a tuple, one per output); a returned tuple replaces them."""
        return add_hook(self._backward_pre_hooks, hook, prepend)

    def register_full_backward_hook(self, hook: Callable, prepend: bool = False
                                    ) -> RemovableHandle:
        """Calls ``hook(module, grad_input, grad_output)`` when the gradients with respect to
        the module's positional inputs are known (tuples, None for a non-tensor or an input
        without gradient); a returned tuple replaces ``grad_input``. Inputs and outputs must be
        tensors or tuples of tensors, as in PyTorch."""
        return add_hook(self._backward_hooks, hook, prepend)

    def _call_with_hooks(self, args: tuple, kwargs: dict) -> Any:
        for key, hook in list(self._forward_pre_hooks.items()):
            if key in self._hooks_with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(f"forward pre-hook must return None or a tuple of "
                                           f"(new_args, new_kwargs), but got {result}.")
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        backward_hook = None
        if self._backward_hooks or self._backward_pre_hooks:
            backward_hook = BackwardHook(self, list(self._backward_hooks.values()),
                                         list(self._backward_pre_hooks.values()))
            if self._backward_hooks:
                args = backward_hook.setup_input_hook(args)
        try:
            output = self.forward(*args, **kwargs)
        except Exception:
            for key, hook in list(self._forward_hooks.items()):
                if key in self._hooks_always_called:
                    self._run_forward_hook(key, hook, args, kwargs, None)
            raise
        for key, hook in list(self._forward_hooks.items()):
            result = self._run_forward_hook(key, hook, args, kwargs, output)
            if result is not None:
                output = result
        if backward_hook is not None:
            output = backward_hook.setup_output_hook(output)
        return output

    def _run_forward_hook(self, key: int, hook: Callable, args: tuple, kwargs: dict,
                          output: Any) -> Any:
        if key in self._hooks_with_kwargs:
            return hook(self, args, kwargs, output)
        return hook(self, args, output)

    # -- registration -------------------------------------------------------------------------

    def _check_new_name(self, name: Any, kind: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {_type_name(name)}")
        if name == "" or "." in name:
            raise KeyError(f'{kind} name must be a non-empty string without ".", got {name!r}')

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Adds a learnable Parameter (or None, a declared but absent one, like ``bias=False``)."""
        self._check_new_name(name, "parameter")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_type_name(param)}' object to parameter '{name}' "
                            f"(rg.nn.Parameter or None required)")
        if param is not None and param.grad_fn is not None:
            raise ValueError(f"cannot assign a non-leaf Tensor to parameter '{name}': wrap a "
                             f"leaf such as .detach() in rg.nn.Parameter")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Adds a tensor that is state but not learned (a running mean); ``persistent=False``
        keeps it out of ``state_dict``."""
        self._check_new_name(name, "buffer")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_type_name(tensor)}' object to buffer '{name}' "
                            f"(rg.Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: "Module | None") -> None:
        """Adds a child module, reachable as ``self.<name>``."""
        self._check_new_name(name, "module")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_type_name(module)} is not a Module subclass")
        self._modules[name] = module

    register_module = add_module

    def _forget(self, name: str, *registries: dict) -> None:
        # a name lives in one place only: assigning it to one registry removes it from the
        # others (the registry it goes to keeps its position, so replacing keeps the order)
        self.__dict__.pop(name, None)
        for registry in registries:
            registry.pop(name, None)
        self._non_persistent_buffers.discard(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name != "training":
            _configuration[0] += 1
        registries = self.__dict__.get("_parameters") is not None
        if isinstance(value, Parameter):
            self._check_new_name(name, "parameters")
            self._forget(name, self._buffers, self._modules)
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            self._check_new_name(name, "module")
            self._forget(name, self._parameters, self._buffers)
            self._modules[name] = value
        elif registries and name in self._parameters:
            if value is not None:
                raise TypeError(f"cannot assign '{_type_name(value)}' as parameter '{name}' "
                                f"(rg.nn.Parameter or None expected)")
            self._parameters[name] = None
        elif registries and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign '{_type_name(value)}' as child module '{name}' "
                                f"(rg.nn.Module or None expected)")
            self._modules[name] = None
        elif registries and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{_type_name(value)}' as buffer '{name}' "
                                f"(rg.Tensor or None expected)")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # Python calls this only when ordinary lookup fails: look in the registries.
        attributes = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in attributes and name in attributes[registry]:
                return attributes[registry][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list:
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))

    # -- iteration ----------------------------------------------------------------------------

    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, "Module"]]:
        """This module and every descendant, depth first, with dotted names (``''`` for self).

        A module reachable twice is listed once unless ``remove_duplicate=False``.
        """
        if memo is None:
            memo = set()
        if remove_duplicate:
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, prefix + ("." if prefix else "") + name,
                                                remove_duplicate)

    def modules(self) -> Iterator["Module"]:
        """This module and every descendant."""
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        """The direct children, with their attribute names."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and module not in seen:
                seen.add(module)
                yield name, module

    def children(self) -> Iterator["Module"]:
        """The direct children."""
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry: str, prefix: str, recurse: bool,
                       remove_duplicate: bool) -> Iterator[tuple[str, Any]]:
        # shared by named_parameters and named_buffers: each module's own entries, depth first
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else [(prefix, self)]
        seen = set()
        for module_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or remove_duplicate and value in seen:
                    continue
                seen.add(value)
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Every Parameter with its dotted name (``'0.weight'``, ``'fc1.bias'``); a parameter
        shared by two layers is listed once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every Parameter, to hand to an optimizer: ``rg.optim.SGD(net.parameters(), lr=0.1)``."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """Every buffer (running statistics...) with its dotted name."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # -- modes and gradients ------------------------------------------------------------------

    def train(self, mode: bool = True) -> "Module":
        """Sets training mode (Dropout drops, BatchNorm uses batch statistics) on this module
        and its descendants; returns self."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be boolean, got {mode!r}")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> "Module":
        """Sets evaluation mode (``train(False)``); returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        """Turns gradient tracking of every parameter on or off (to freeze layers); returns self."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    @replayed_whole
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clears the gradients of every parameter: ``None`` by default, zeros otherwise."""
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                param.grad.detach_()
                param.grad.zero_()

    # -- transformations ----------------------------------------------------------------------

    def apply(self, fn: Callable[["Module"], None]) -> "Module":
        """Calls ``fn`` on every descendant, then on self (to initialise weights); returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def to(self, *args: Any, **kwargs: Any) -> "Module":
        """Moves and/or casts the parameters, buffers and gradients, in place, in PyTorch's
        forms: ``.to(device)``, ``.to(dtype)``, ``.to(device, dtype)``, ``.to(tensor)`` (its
        device and dtype), with keywords ``device=``, ``dtype=``, ``non_blocking=``.

        Only floating-point tensors change dtype (integer buffers, counters, keep theirs).
        Parameters keep their identity, so an optimizer built before still updates them.
        Returns self.
        """
        target, dtype, _ = parse_to_arguments(args, kwargs)
        np_dtype = None
        if dtype is not None:
            np_dtype = dtypes.to_numpy_dtype(dtype)
            if np_dtype.kind != "f":
                raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got "
                                f"desired dtype={dtype}")
        return self._convert(target, np_dtype)

    def cuda(self, device: DeviceLike = None) -> "Module":
        """Moves every parameter and buffer to a CUDA device (the current one by default);
        returns self."""
        target = as_device("cuda" if device is None else device)
        if target.type != "cuda":
            raise RuntimeError(f"Invalid device, must be cuda device, got {target}")
        return self._convert(target, None)

    def cpu(self) -> "Module":
        """Moves every parameter and buffer to the CPU; returns self."""
        return self._convert(CPU, None)

    def float(self) -> "Module":
        """Converts floating-point parameters and buffers to float32; returns self."""
        return self._convert(None, dtypes.float32.np_dtype)

    def double(self) -> "Module":
        """Converts floating-point parameters and buffers to float64; returns self."""
        return self._convert(None, dtypes.float64.np_dtype)

    def half(self) -> "Module":
        """Converts floating-point parameters and buffers to float16; returns self."""
        return self._convert(None, dtypes.float16.np_dtype)

    def _convert(self, target: device | None, np_dtype: Any) -> "Module":
        # Parameters, their gradients and buffers keep their identity (an optimizer holding
        # them still sees them): their arrays are replaced, as PyTorch's ``param.data = ...``.
        def convert(array: Any) -> Any:
            if np_dtype is not None and array.dtype.kind == "f":
                array = array.astype(np_dtype, copy=False)
            return array if target is None else to_device(array, target)

        for module in self.modules():
            for param in module._parameters.values():
                if param is not None:
                    param.array = convert(param.array)
                    if param.grad is not None:
                        param.grad.array = convert(param.grad.array)
            for buffer in module._buffers.values():
                if buffer is not None:
                    buffer.array = convert(buffer.array)
        return self

    # -- saving and loading -------------------------------------------------------------------

    def _local_state(self) -> Iterator[tuple[str, Tensor]]:
        # this module's own entries of state_dict: parameters, then persistent buffers
        for name, param in self._parameters.items():
            if param is not None:
                yield name, param
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers:
                yield name, buffer

    def _all_state(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        # depth first, every module's own entries before its children's, as PyTorch orders them
        for name, value in self._local_state():
            yield prefix + name, value
        for name, module in self._modules.items():
            if module is not None:
                yield from module._all_state(prefix + name + ".")

    def state_dict(self, destination: dict | None = None, prefix: str = "",
                   keep_vars: bool = False) -> "dict[str, Tensor]":
        """Every parameter and persistent buffer by dotted name, PyTorch's keys: ``'0.weight'``,
        ``'bn.running_mean'``, ``'bn.num_batches_tracked'``.

        The values are detached tensors sharing memory with the module (``keep_vars=True`` gives
        the Parameters themselves): copy them to keep a snapshot that later training won't change.
        """
        if destination is None:
            destination = OrderedDict()
        for name, value in self._all_state(prefix):
            destination[name] = value if keep_vars else value.detach()
        return destination

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True,
                        assign: bool = False) -> _IncompatibleKeys:
        """Copies values from ``state_dict`` (Tensors or NumPy arrays) into the parameters and
        buffers of the same names, casting to their dtypes.

        Returns ``(missing_keys, unexpected_keys)``. With ``strict=True`` (the default) either
        kind of key is an error; a shape mismatch always is. The error names every faulty key
        and shape, and, unlike PyTorch, nothing is copied when there is one.
        ``assign=True`` makes the module hold the given tensors instead of copying into its own.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {_type_name(state_dict)}")
        expected = OrderedDict(self._all_state())
        missing = [key for key in expected if key not in state_dict]
        unexpected = [key for key in state_dict if key not in expected]
        errors = []
        if strict and missing:
            errors.append("Missing key(s) in state_dict: "
                          + ", ".join(f'"{key}"' for key in missing) + ". ")
        if strict and unexpected:
            errors.append("Unexpected key(s) in state_dict: "
                          + ", ".join(f'"{key}"' for key in unexpected) + ". ")
        for key, target in expected.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            if not isinstance(value, (Tensor, ndarray)):
                errors.append(f'While copying the parameter named "{key}", expected a Tensor or '
                              f"a NumPy array from checkpoint but received {_type_name(value)}")
            elif tuple(value.shape) != tuple(target.shape):
                errors.append(f"size mismatch for {key}: copying a param with shape "
                              f"{tuple(value.shape)} from checkpoint, the shape in current model "
                              f"is {tuple(target.shape)}.")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        with no_grad():
            for key, target in expected.items():
                if key in state_dict:
                    self._load_one(key, target, state_dict[key], assign)
        return _IncompatibleKeys(missing, unexpected)

    def _load_one(self, key: str, target: Tensor, value: Tensor | ndarray, assign: bool) -> None:
        if not assign:
            target.copy_(value)
            return
        # assign=True: the owning module holds the given values (as Parameters where it had one)
        *path, name = key.split(".")
        owner = self
        for part in path:
            owner = owner._modules[part]
        data = value.array if isinstance(value, Tensor) else value
        if name in owner._parameters:
            owner._parameters[name] = Parameter(data, requires_grad=target.requires_grad)
        else:
            owner._buffers[name] = Tensor(data)

    # -- description --------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The text between the parentheses of this module's repr (its settings); override it."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        # PyTorch's layout: settings on one line, or one indented line per child
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _indent(repr(module), 2)
                       for name, module in self._modules.items()]
        lines = extra_lines + child_lines
        if not lines:
            return self._get_name() + "()"
        if len(extra_lines) == 1 and not child_lines:
            return f"{self._get_name()}({extra_lines[0]})"
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


def _indent(text: str, spaces: int) -> str:
    """Indents every line of ``text`` but the first (which follows a ``(name): `` label)."""
    first, *rest = text.split("\n")
    return "\n".join([first] + [" " * spaces + line if line.strip() else "" for line in rest])

"""``default_collate`` (a list of examples in, one batch out) and ``default_convert`` (one
example in, its arrays as tensors), as PyTorch's."""
from __future__ import annotations

import copy
from collections.abc import Mapping, MutableMapping, MutableSequence, Sequence
from typing import Any

import numpy as np

from ... import dtype as dtypes
from ...creation import as_tensor, from_numpy, tensor
from ...ops.indexing import stack
from ...tensor import Tensor

_ERROR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
          "found {}")


def default_collate(batch: Sequence) -> Any:
    """Merges a list of examples into one batch, with a new first dimension of size
    ``len(batch)``.

    - tensors are stacked: N tensors of shape S give one of shape (N, *S);
    - NumPy arrays become tensors (same dtype), then are stacked; NumPy scalars a 1-d tensor;
    - Python floats a float64 tensor, ints an int64 one, bools a bool one (as PyTorch);
    - strings and bytes stay a list;
    - dicts are collated key by key, tuples and lists position by position (a tuple gives a
      list, a named tuple the same named tuple), recursively.

    >>> default_collate([(rg.zeros(3), 0), (rg.ones(3), 1)])
    [tensor([[0., 0., 0.], [1., 1., 1.]]), tensor([0, 1])]
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        shapes = {tuple(example.shape) for example in batch}
        if len(shapes) > 1:
            raise RuntimeError(f"default_collate: the examples of a batch must have the same "
                               f"shape to be stacked, got shapes {sorted(shapes)}; pad them, or "
                               f"pass a collate_fn that merges them your way")
        return stack(batch)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "SaUO":  # strings and Python objects have no tensor dtype
            raise TypeError(_ERROR.format(elem.dtype))
        return default_collate([from_numpy(example) for example in batch])
    if isinstance(elem, (np.bool_, np.number)):
        return from_numpy(np.asarray(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=dtypes.float64)
    if isinstance(elem, int):
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, Mapping):
        return _same_container(elem, {key: default_collate([example[key] for example in batch])
                                      for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a named tuple
        return type(elem)(*(default_collate(list(samples)) for samples in zip(*batch)))
    if isinstance(elem, Sequence):
        if any(len(example) != len(elem) for example in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        collated = [default_collate(list(samples)) for samples in zip(*batch)]
        return collated if isinstance(elem, tuple) else _same_container(elem, collated)
    raise TypeError(_ERROR.format(type(elem)))


def default_convert(data: Any) -> Any:
    """One example with its NumPy arrays and scalars made tensors (sharing memory where they
    can), recursively inside dicts, tuples and lists; anything else left as it is. What a
    DataLoader with ``batch_size=None`` applies to each example.

    A tuple gives a list, a named tuple the same named tuple (as in PyTorch); arrays of strings
    or objects stay arrays.

    >>> default_convert((np.zeros(2), 3))
    [tensor([0., 0.], dtype=retrograd.float64), 3]
    """
    if isinstance(data, (np.ndarray, np.bool_, np.number)):
        if isinstance(data, np.ndarray) and data.dtype.kind in "SaUO":
            return data
        return as_tensor(data)
    if isinstance(data, Mapping):
        return _same_container(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # a named tuple
        return type(data)(*(default_convert(item) for item in data))
    if isinstance(data, tuple):
        return [default_convert(item) for item in data]
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        return _same_container(data, [default_convert(item) for item in data])
    return data


def _same_container(elem: Mapping | Sequence, collated: dict | list) -> Any:
    """``collated`` in the container type of ``elem`` (an OrderedDict stays one, as in
    PyTorch), or as a plain dict or list when that type cannot be rebuilt from it."""
    try:
        if isinstance(elem, (MutableMapping, MutableSequence)):
            clone = copy.copy(elem)
            if isinstance(elem, MutableMapping):
                clone.update(collated)  # type: ignore[union-attr]  # a mapping (checked)
            else:
                clone[:] = collated
            return clone
        return type(elem)(collated)  # type: ignore[call-arg]  # TypeError caught below
    except TypeError:
        return collated

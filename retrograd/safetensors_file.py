"""The safetensors format: state dicts that PyTorch (and the ``safetensors`` package) read.

``rg.save`` and ``rg.load`` use it when the file name ends in ``.safetensors``. The format is
small and safe by design (https://github.com/huggingface/safetensors): an 8-byte little-endian
header length N, N bytes of JSON naming each tensor's dtype, shape and byte range, then the
raw little-endian bytes, nothing that can run. Reading checks everything the header says
before any tensor is made: its size (at most 100 MB, and within the file), each dtype, that
each shape's size matches its byte range, that the ranges tile the data exactly; the tensors
are then views of the bytes read (or of a memory map), so a load never takes more memory than
the file's size.
"""
from __future__ import annotations

import json
import math
import os
import struct
from typing import Any

import numpy as np

from .tensor import Tensor

MAX_HEADER_BYTES = 100 * 1000 * 1000  # the safetensors library's own limit
_METADATA = "__metadata__"
_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64,
           "I32": np.int32, "I16": np.int16, "I8": np.int8, "U64": np.uint64,
           "U32": np.uint32, "U16": np.uint16, "U8": np.uint8, "BOOL": np.bool_}
_NAMES = {np.dtype(dtype): name for name, dtype in _DTYPES.items()}


class SafetensorsError(RuntimeError):
    """A file that is not a valid safetensors file; the message names the file and the part."""


def encode(state: Any) -> bytes:
    """The bytes of a safetensors file holding ``state``: a dict of names to tensors or arrays
    (a ``state_dict()``)."""
    if not isinstance(state, dict):
        raise TypeError(f"a .safetensors file holds a dict of names to tensors (a "
                        f"state_dict()), not a {type(state).__name__}; save other objects to "
                        f"a .npz file")
    header: dict[str, Any] = {_METADATA: {"format": "pt"}}
    chunks, offset = [], 0
    for name, value in state.items():
        if not isinstance(name, str) or name == _METADATA:
            raise TypeError(f"a .safetensors file names its tensors with strings (not "
                            f"{name!r})")
        array = value.detach().numpy() if isinstance(value, Tensor) else value
        if not isinstance(array, np.ndarray):
            raise TypeError(f"{name!r} is a {type(value).__name__}: a .safetensors file holds "
                            f"only tensors (save other entries to a .npz file)")
        if array.dtype not in _NAMES:
            raise TypeError(f"{name!r} has dtype {array.dtype}, which safetensors cannot hold")
        data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"), copy=False)
        header[name] = {"dtype": _NAMES[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + data.nbytes]}
        chunks.append(data.tobytes())
        offset += data.nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned, as the library writes it
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def decode(path: str | os.PathLike, mmap: bool = False) -> dict[str, Tensor]:
    """The tensors of the safetensors file ``path``, checked as the module docstring says;
    with ``mmap``, views of a private (copy-on-write) memory map of the file instead of its
    bytes in memory: writes stay in memory, the file never changes.
    """
    name = os.fspath(path)
    size = os.path.getsize(name)
    with open(name, "rb") as file:
        prefix = file.read(8)
        if len(prefix) < 8:
            raise SafetensorsError(f"{name}: {size} bytes, too short for a safetensors file")
        length = struct.unpack("<Q", prefix)[0]
        if length > MAX_HEADER_BYTES or length > size - 8:
            limit = "the 100 MB limit" if length > MAX_HEADER_BYTES else "the file holds"
            raise SafetensorsError(f"{name}: its header claims {length} bytes, more than "
                                   f"{limit}")
        header = _header(file.read(length), name)
        start = 8 + length
        if mmap:
            data = np.memmap(name, dtype=np.uint8, mode="c", offset=start) if size > start \
                else np.zeros(0, np.uint8)
        else:  # a bytearray: the tensors are writable, as torch's are
            data = np.frombuffer(bytearray(file.read()), dtype=np.uint8)
    entries = _entries(header, len(data), name)
    # np.asarray: a memory map's views as plain arrays, still over the map (no copy)
    return {key: Tensor(np.asarray(data[begin:end].view(dtype).reshape(shape)))
            for key, (dtype, shape, begin, end) in entries.items()}


def _header(raw: bytes, name: str) -> dict:
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise SafetensorsError(f"{name}: its header is not valid JSON "
                               f"({str(error)[:200]})") from None
    if not isinstance(header, dict):
        raise SafetensorsError(f"{name}: its header is not a JSON object")
    return header


def _entries(header: dict, data_size: int, name: str) -> dict[str, tuple]:
    """name -> (dtype, shape, begin, end), each checked; the ranges must tile the data."""
    entries = {}
    for key, entry in header.items():
        if key == _METADATA:
            continue
        where = f"{name}: tensor {key[:80]!r}"
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise SafetensorsError(f"{where}: expected dtype, shape and data_offsets")
        dtype = _DTYPES.get(entry["dtype"])
        if dtype is None:
            raise SafetensorsError(f"{where}: dtype {str(entry['dtype'])[:20]!r} is not one "
                                   f"retrograd reads ({', '.join(_DTYPES)})")
        shape, offsets = entry["shape"], entry["data_offsets"]
        if not isinstance(shape, list) or not all(
                type(n) is int and n >= 0 for n in shape) or len(shape) > 64:
            raise SafetensorsError(f"{where}: its shape is not a list of sizes")
        if not isinstance(offsets, list) or len(offsets) != 2 or not all(
                type(n) is int for n in offsets) or not 0 <= offsets[0] <= offsets[1]:
            raise SafetensorsError(f"{where}: its data_offsets are not [begin, end]")
        if math.prod(shape) * np.dtype(dtype).itemsize != offsets[1] - offsets[0]:
            raise SafetensorsError(f"{where}: shape {shape} of {entry['dtype']} needs "
                                   f"{math.prod(shape) * np.dtype(dtype).itemsize} bytes, its "
                                   f"range holds {offsets[1] - offsets[0]}")
        entries[key] = (np.dtype(dtype).newbyteorder("<"), tuple(shape), *offsets)
    end = 0
    for _, _, begin, stop in sorted(entries.values(), key=lambda e: (e[2], e[3])):
        if begin != end:
            raise SafetensorsError(f"{name}: its tensors' byte ranges overlap or leave gaps")
        end = stop
    if end != data_size:
        raise SafetensorsError(f"{name}: its tensors cover {end} bytes of data, the file "
                               f"holds {data_size}")
    return entries

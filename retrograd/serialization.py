"""``rg.save`` and ``rg.load``: state dicts and checkpoints in a safe, atomic file format
(and state dicts in the safetensors format PyTorch reads, for names ending in .safetensors).

A file is a NumPy ``.npz`` archive: one entry per array, plus one entry holding the nested
structure (dicts, lists, numbers, strings) as JSON, in which each array is a reference to its
entry. Loading reads it with ``allow_pickle=False``, so a file can hold data only, never code:
loading a file from someone else cannot run anything.

Saving is atomic: the archive is written to a temporary file in the destination's folder,
flushed to disk, then renamed over the destination in one step, so a crash while saving leaves
either the old file or the new one, never half of one.

Tensors on any device are written as host arrays, with the name of the device they were on;
``rg.load`` puts them back there, or where ``map_location`` says (as ``torch.load`` does).

    >>> rg.save(model.state_dict(), "model.npz")
    >>> model.load_state_dict(rg.load("model.npz"))
    >>> state = rg.load("gpu_model.npz", map_location="cpu")  # on a machine without a GPU
"""
from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
import struct
import uuid
import zipfile
from typing import Any, BinaryIO, Callable, Union

from numpy.lib import format as npy_format

from . import processes, safetensors_file
from .backend import backend_of, is_device_array, ndarray, xp
from .device import as_device, device, to_device
from .tensor import Tensor

__all__ = ["save", "load"]

_FORMAT = "retrograd"
_VERSION = 1
_STRUCTURE = "__retrograd__"  # the archive entry that holds the JSON structure
_ZIP_MAGIC = b"PK\x03\x04"
_HOST = re.sub(r"[^A-Za-z0-9-]", "-", processes.HOST)[:64]  # in temporary names

PathOrFile = Union[str, os.PathLike, BinaryIO]
MapLocation = Union[None, str, device, dict, Callable[[Tensor, str], Any]]


def save(obj: Any, f: PathOrFile) -> None:
    """Saves ``obj`` to the file ``f`` (a path, or a binary file object opened for writing).

    ``obj`` may nest dicts (str, int, float, bool or None keys), lists and tuples of tensors,
    NumPy arrays and scalars, Python numbers, strings, bools and None: what
    ``Module.state_dict()`` and ``Optimizer.state_dict()`` return. Anything else (a model, a
    function) raises TypeError: save its ``state_dict()`` instead. Tensors on a GPU are copied
    to the host, and their device is noted; a bare GPU array (CuPy) is saved as a NumPy array.
    """
    if _is_safetensors(f):
        content = safetensors_file.encode(obj)
        # a path (_is_safetensors)
        write_atomically(os.fspath(f), lambda file: file.write(content))  # type: ignore[arg-type]
        return
    arrays: dict[str, ndarray] = {}
    structure = {"format": _FORMAT, "version": _VERSION, "object": _encode(obj, arrays, "obj")}
    text = json.dumps(structure, allow_nan=True).encode("utf-8")
    arrays[_STRUCTURE] = xp.frombuffer(text, dtype=xp.uint8)
    if not isinstance(f, (str, os.PathLike)):
        xp.savez(f, **arrays)  # type: ignore[arg-type]  # NumPy's stubs: **arrays
        return
    # NumPy's stubs: **arrays
    write_atomically(os.fspath(f), lambda file: xp.savez(file, **arrays))  # type: ignore[arg-type]


def _is_safetensors(f: PathOrFile) -> bool:
    return isinstance(f, (str, os.PathLike)) and os.fspath(f).endswith(".safetensors")


def write_atomically(path: str, write: Callable[[BinaryIO], Any]) -> None:
    """``write(file)`` into a temporary file beside ``path``, on disk, then renamed over it:
    ``path`` is then the old file or the whole new one, never a part (for other writers of
    files, too: ``rg.onnx.export``)."""
    folder = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    _remove_stale_temporaries(folder, base)
    # the writer's host and pid in the name: a later save can tell a dead writer's leftover
    temporary = os.path.join(folder, f".{base}.{_HOST}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
    # created like any new file (0o666 less the umask), which mkstemp's 0o600 would not be
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())  # the bytes are on disk before the rename makes them visible
        os.replace(temporary, path)
    except BaseException:
        # never leave a half-written temporary file behind; after the rename (a Ctrl-C just
        # then) there is none, and the interruption itself must come through
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_folder(folder)


def _remove_stale_temporaries(folder: str, base: str) -> None:
    """Deletes the temporary files that saves to ``base`` killed on this host left behind
    (their process is gone); another live process's save in progress is left alone."""
    pattern = re.compile(rf"\.{re.escape(base)}\.{re.escape(_HOST)}\.(\d+)\.[0-9a-f]{{32}}\.tmp")
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        match = pattern.fullmatch(name)
        if match and not processes.alive(int(match.group(1))):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(folder, name))


def load(f: PathOrFile, map_location: MapLocation = None, pickle_module: Any = None, *,
         weights_only: bool | None = None, mmap: bool | None = None) -> Any:
    """Loads what ``save`` wrote to ``f`` (a path, or a binary file object); tensors come back
    as ``Tensor``s, NumPy arrays as arrays.

    retrograd never unpickles: a file holds only tensors, arrays, numbers, strings and their
    containers, so every load is what ``torch.load(..., weights_only=True)`` promises, whatever
    ``weights_only`` says (it is accepted for PyTorch scripts). A ``pickle_module`` cannot be
    used and raises ValueError. With ``mmap=True`` (and a path), the tensors are views of a
    private (copy-on-write) memory map of the file, as with ``torch.load(..., mmap=True)``:
    nothing is read until used, and writes never reach the file.

    A name ending in ``.safetensors`` is read (and ``rg.save`` writes it) in the safetensors
    format, which PyTorch and the ``safetensors`` package read and write: a dict of names to
    tensors, checked before anything is allocated (``retrograd/safetensors_file.py``); with
    ``mmap=True`` its tensors are views of such a memory map of the file too.

    ``map_location`` says where tensors go, as in ``torch.load``:

    - None: to the device each was saved from ("cpu", "cuda:0"...);
    - a device or a string (``"cpu"``, ``rg.device("cuda:1")``): all of them there;
    - a dict of saved device names to devices (``{"cuda:0": "cpu"}``); others stay as saved;
    - a callable ``(tensor, location)``: ``tensor`` is the loaded tensor on the CPU,
      ``location`` its saved device name; it returns the tensor to use (for instance
      ``tensor.cuda(1)``), or None for the saved device.

    Raises FileNotFoundError for a missing file, RuntimeError naming the file for one that
    ``rg.save`` did not write or that is damaged (truncated, edited), and RuntimeError when a
    tensor's device is not available here (then pass ``map_location="cpu"``).
    """
    if pickle_module is not None:
        raise ValueError("rg.load: retrograd files hold no pickles, so pickle_module cannot be "
                         "used; leave it out")
    place = _placement(map_location)
    name = os.fspath(f) if isinstance(f, (str, os.PathLike)) else getattr(f, "name", "<file>")
    if _is_safetensors(f):
        if os.path.isdir(f):  # type: ignore[arg-type]  # a path (_is_safetensors)
            raise IsADirectoryError(f"{name} is a folder, not a .safetensors file")
        # a path (_is_safetensors)
        tensors = safetensors_file.decode(f, mmap=bool(mmap))  # type: ignore[arg-type]
        if map_location is None:
            return tensors
        return _placed(tensors, place, {id(t): "cpu" for t in tensors.values()})
    mapped = bool(mmap) and isinstance(f, (str, os.PathLike))
    if isinstance(f, (str, os.PathLike)):
        if os.path.isdir(f):
            raise IsADirectoryError(f"{name} is a folder, not a file saved by rg.save")
        with open(f, "rb") as file:
            data = file.read(len(_ZIP_MAGIC)) if mapped else file.read()
    else:
        data = f.read()
    if not data.startswith(_ZIP_MAGIC):
        raise RuntimeError(f"{name} is not a retrograd file (not an .npz archive written by "
                           f"rg.save)")
    entries = _check_entries(name if mapped else data, name)
    try:
        with (contextlib.nullcontext(_mapped(name, entries)) if mapped else
              xp.load(io.BytesIO(data), allow_pickle=False)) as archive:
            if _STRUCTURE not in archive:
                raise RuntimeError(f"{name} is an .npz archive but not one written by rg.save "
                                   f"(it has no {_STRUCTURE!r} entry)")
            structure = json.loads(archive[_STRUCTURE].tobytes().decode("utf-8"))
            if not isinstance(structure, dict) or structure.get("format") != _FORMAT:
                raise RuntimeError(f"{name} is not a retrograd file (unknown format)")
            if structure.get("version", 0) > _VERSION:
                raise RuntimeError(f"{name} was written by a newer retrograd (format version "
                                   f"{structure['version']}); upgrade retrograd to read it")
            locations: dict[int, str] = {}
            obj = _decode(structure["object"], archive, locations)
    except (zipfile.BadZipFile, EOFError, ValueError, KeyError, TypeError, OSError,
            MemoryError, NotImplementedError, RecursionError) as error:
        # RecursionError: a structure nested deeper than any state dict (JSON of 100,000 [)
        raise RuntimeError(f"{name} is damaged and cannot be read (truncated or edited?): "
                           f"{str(error)[:200]}") from None
    if map_location is None and all(where == "cpu" for where in locations.values()):
        return obj
    return _placed(obj, place, locations)


def _check_entries(source: bytes | str, name: str) -> dict[str, tuple]:
    """Refuses, before anything is allocated, an archive whose entries ``rg.save`` could not
    have written: compressed (``rg.save`` never compresses, and inflating is how a small file
    asks for gigabytes), or an array header whose shape and dtype do not match the bytes
    stored. So a load takes about the file's size in memory, never more.

    Returns, per array (its entry's name without ``.npy``), where its data starts in the file
    (``source``: the file's bytes or its path), its shape, dtype and order: what a memory map
    of it needs."""
    arrays = {}
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) \
                as archive, (open(source, "rb") if isinstance(source, str)
                             else io.BytesIO(source)) as raw:
            for info in archive.infolist():
                entry_name = info.filename[:80]
                if info.compress_type != zipfile.ZIP_STORED:
                    raise RuntimeError(f"{name} is damaged and cannot be read: its entry "
                                       f"{entry_name!r} is compressed, which rg.save never does")
                with archive.open(info) as entry:
                    version = npy_format.read_magic(entry)
                    read_header = npy_format.read_array_header_1_0 if version == (1, 0) else \
                        npy_format.read_array_header_2_0
                    shape, fortran_order, dtype = read_header(entry)
                    header_size = entry.tell()
                if dtype.hasobject:
                    raise RuntimeError(f"{name} is damaged and cannot be read: its entry "
                                       f"{entry_name!r} holds Python objects (a pickle), "
                                       f"which retrograd never loads")
                needed, stored = math.prod(shape) * dtype.itemsize, info.file_size - header_size
                if needed != stored:
                    raise RuntimeError(f"{name} is damaged and cannot be read: its entry "
                                       f"{entry_name!r} declares {shape} of {dtype} "
                                       f"({needed} bytes) but stores {stored}")
                # the entry's local header: 30 bytes, then its name and extra field
                raw.seek(info.header_offset + 26)
                name_length, extra_length = struct.unpack("<HH", raw.read(4))
                start = info.header_offset + 30 + name_length + extra_length + header_size
                arrays[info.filename.removesuffix(".npy")] = (start, shape, dtype,
                                                              fortran_order)
    except (zipfile.BadZipFile, EOFError, ValueError, KeyError, TypeError, OSError,
            SyntaxError, struct.error) as error:
        raise RuntimeError(f"{name} is damaged and cannot be read (truncated or edited?): "
                           f"{error}") from None
    return arrays


def _mapped(path: str, arrays: dict[str, tuple]) -> dict[str, Any]:
    """The archive's arrays as private (copy-on-write) memory maps of the file ``path``, as
    PyTorch maps them: plain arrays over the map, no copy; a write stays in memory and never
    reaches the file."""
    return {key: xp.asarray(xp.memmap(path, dtype=dtype, mode="c", offset=start, shape=shape,
                                      order="F" if fortran else "C"))
            if math.prod(shape) else xp.zeros(shape, dtype)
            for key, (start, shape, dtype, fortran) in arrays.items()}


def _encode(obj: Any, arrays: dict, where: str) -> Any:
    """The JSON form of ``obj``; arrays go into ``arrays`` under fresh names.

    Every dict becomes a tagged JSON object, so that any JSON object in the structure is a tag:
    ``{"dict": [[key, value], ...]}`` keeps int keys (optimizer states) and key order,
    ``{"tensor": name, "requires_grad": bool, "device": "cuda:0"}`` (files of older versions
    have no device: "cpu"), ``{"ndarray": name}``, ``{"scalar": name}``
    (a NumPy scalar) and ``{"tuple": [...]}``. Lists, numbers, strings, bools, None stay as is.
    """
    if isinstance(obj, Tensor):
        name = f"a{len(arrays)}"
        arrays[name] = backend_of(obj.array).to_host(obj.array)
        return {"tensor": name, "requires_grad": obj.requires_grad, "device": str(obj.device)}
    if isinstance(obj, (ndarray, xp.generic)) or is_device_array(obj):
        array = xp.asarray(backend_of(obj).to_host(obj))
        if array.dtype.hasobject:
            raise TypeError(f"rg.save cannot store {where}: an array of Python objects")
        name = f"a{len(arrays)}"
        arrays[name] = array
        return {"scalar" if isinstance(obj, xp.generic) else "ndarray": name}
    if isinstance(obj, dict):
        for key in obj:
            if not isinstance(key, (str, int, float, bool, type(None))):
                raise TypeError(f"rg.save cannot store {where}: its key {key!r} is a "
                                f"{type(key).__name__}; keys must be strings or numbers")
        return {"dict": [[key, _encode(value, arrays, f"{where}[{key!r}]")]
                         for key, value in obj.items()]}
    if isinstance(obj, (list, tuple)):
        items = [_encode(value, arrays, f"{where}[{i}]") for i, value in enumerate(obj)]
        return items if isinstance(obj, list) else {"tuple": items}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"rg.save cannot store {where} of type {type(obj).__name__}: it stores "
                    f"tensors, arrays, numbers, strings, lists and dicts (for a model or an "
                    f"optimizer, save its state_dict())")


def _decode(node: Any, archive, locations: dict) -> Any:
    """The object of a structure node, its tensors on the CPU (``locations`` gets the saved
    device of each, by id)."""
    if isinstance(node, list):
        return [_decode(item, archive, locations) for item in node]
    if not isinstance(node, dict):
        return node
    if "dict" in node:
        return {key: _decode(value, archive, locations) for key, value in node["dict"]}
    if "tuple" in node:
        return tuple(_decode(item, archive, locations) for item in node["tuple"])
    if "tensor" in node:
        tensor = Tensor(archive[node["tensor"]], requires_grad=node["requires_grad"])
        locations[id(tensor)] = str(node.get("device", "cpu"))
        return tensor
    if "ndarray" in node:
        return archive[node["ndarray"]]
    if "scalar" in node:
        return archive[node["scalar"]][()]
    raise ValueError(f"unknown entry {sorted(node)}")


def _placement(map_location: MapLocation) -> Callable[[Tensor, str], Tensor]:
    """``map_location`` as a function of (a loaded CPU tensor, its saved device name)."""
    if map_location is None:
        return _on_device
    if isinstance(map_location, dict):
        mapping = {str(as_device(key)): value for key, value in map_location.items()}
        return lambda tensor, location: _on_device(tensor, mapping.get(location, location))
    if isinstance(map_location, (str, device, int)):
        target = as_device(map_location)
        return lambda tensor, location: _on_device(tensor, target)
    if not callable(map_location):
        raise TypeError(f"map_location must be None, a device, a string, a dict or a "
                        f"callable, got {type(map_location).__name__}")

    def placed(tensor: Tensor, location: str) -> Tensor:
        result = map_location(tensor.detach(), location)
        if result is None:
            return _on_device(tensor, location)
        if not isinstance(result, Tensor):
            raise TypeError(f"map_location returned a {type(result).__name__}; it must "
                            f"return a Tensor or None")
        return result.requires_grad_() if tensor.requires_grad else result
    return placed


def _on_device(tensor: Tensor, location: str | device) -> Tensor:
    """``tensor`` (a loaded leaf on the CPU) as the same kind of leaf on ``location``."""
    target = as_device(location)
    if target.type == "cpu":
        return tensor
    try:
        array = to_device(tensor.array, target)
    except RuntimeError as error:
        raise RuntimeError(f"cannot load a tensor saved on {location}: {error}. On a machine "
                           f"without that device, load with map_location='cpu'") from None
    return Tensor(array, requires_grad=tensor.requires_grad)


def _placed(obj: Any, place: Callable[[Tensor, str], Tensor], locations: dict) -> Any:
    """``obj`` with each tensor replaced by ``place(tensor, its saved device)``."""
    if isinstance(obj, Tensor):
        return place(obj, locations[id(obj)])
    if isinstance(obj, dict):
        return {key: _placed(value, place, locations) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_placed(item, place, locations) for item in obj)
    return obj


def _fsync_folder(folder: str) -> None:
    """Makes the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)

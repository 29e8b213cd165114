"""``rg.save`` and ``rg.load``: state dicts and checkpoints in a safe, atomic file format.

A file is a NumPy ``.npz`` archive: one entry per array, plus one entry holding the nested
structure (dicts, lists, numbers, strings) as JSON, in which each array is a reference to its
entry. Loading reads it with ``allow_pickle=False``, so a file can hold data only, never code:
loading a file from someone else cannot run anything.

Saving is atomic: the archive is written to a temporary file in the destination's folder,
flushed to disk, then renamed over the destination in one step, so a crash while saving leaves
either the old file or the new one, never half of one.

    >>> rg.save(model.state_dict(), "model.npz")
    >>> model.load_state_dict(rg.load("model.npz"))
"""
from __future__ import annotations

import io
import json
import os
import uuid
import zipfile
from typing import Any, BinaryIO, Union

from .backend import ndarray, xp
from .tensor import Tensor

__all__ = ["save", "load"]

_FORMAT = "retrograd"
_VERSION = 1
_STRUCTURE = "__retrograd__"  # the archive entry that holds the JSON structure
_ZIP_MAGIC = b"PK\x03\x04"

PathOrFile = Union[str, os.PathLike, BinaryIO]


def save(obj: Any, f: PathOrFile) -> None:
    """Saves ``obj`` to the file ``f`` (a path, or a binary file object opened for writing).

    ``obj`` may nest dicts (str, int, float, bool or None keys), lists and tuples of tensors,
    NumPy arrays and scalars, Python numbers, strings, bools and None: what
    ``Module.state_dict()`` and ``Optimizer.state_dict()`` return. Anything else (a model, a
    function) raises TypeError: save its ``state_dict()`` instead.
    """
    arrays: dict[str, ndarray] = {}
    structure = {"format": _FORMAT, "version": _VERSION, "object": _encode(obj, arrays, "obj")}
    text = json.dumps(structure, allow_nan=True).encode("utf-8")
    arrays[_STRUCTURE] = xp.frombuffer(text, dtype=xp.uint8)
    if not isinstance(f, (str, os.PathLike)):
        xp.savez(f, **arrays)
        return
    path = os.fspath(f)
    folder = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(folder, f".{os.path.basename(path)}.{uuid.uuid4().hex}.tmp")
    # created like any new file (0o666 less the umask), which mkstemp's 0o600 would not be
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "wb") as file:
            xp.savez(file, **arrays)
            file.flush()
            os.fsync(file.fileno())  # the bytes are on disk before the rename makes them visible
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)  # never leave a half-written temporary file behind
        raise
    _fsync_folder(folder)


def load(f: PathOrFile) -> Any:
    """Loads what ``save`` wrote to ``f`` (a path, or a binary file object); tensors come back
    as ``Tensor``s, NumPy arrays as arrays.

    Raises FileNotFoundError for a missing file, and RuntimeError naming the file for one that
    ``rg.save`` did not write or that is damaged (truncated, edited).
    """
    name = os.fspath(f) if isinstance(f, (str, os.PathLike)) else getattr(f, "name", "<file>")
    if isinstance(f, (str, os.PathLike)):
        if os.path.isdir(f):
            raise IsADirectoryError(f"{name} is a folder, not a file saved by rg.save")
        with open(f, "rb") as file:
            data = file.read()
    else:
        data = f.read()
    if not data.startswith(_ZIP_MAGIC):
        raise RuntimeError(f"{name} is not a retrograd file (not an .npz archive written by "
                           f"rg.save)")
    try:
        with xp.load(io.BytesIO(data), allow_pickle=False) as archive:
            if _STRUCTURE not in archive.files:
                raise RuntimeError(f"{name} is an .npz archive but not one written by rg.save "
                                   f"(it has no {_STRUCTURE!r} entry)")
            structure = json.loads(archive[_STRUCTURE].tobytes().decode("utf-8"))
            if not isinstance(structure, dict) or structure.get("format") != _FORMAT:
                raise RuntimeError(f"{name} is not a retrograd file (unknown format)")
            if structure.get("version", 0) > _VERSION:
                raise RuntimeError(f"{name} was written by a newer retrograd (format version "
                                   f"{structure['version']}); upgrade retrograd to read it")
            return _decode(structure["object"], archive)
    except (zipfile.BadZipFile, EOFError, ValueError, KeyError, TypeError, OSError) as error:
        raise RuntimeError(f"{name} is damaged and cannot be read (truncated or edited?): "
                           f"{error}") from None


def _encode(obj: Any, arrays: dict, where: str) -> Any:
    """The JSON form of ``obj``; arrays go into ``arrays`` under fresh names.

    Every dict becomes a tagged JSON object, so that any JSON object in the structure is a tag:
    ``{"dict": [[key, value], ...]}`` keeps int keys (optimizer states) and key order,
    ``{"tensor": name, "requires_grad": bool}``, ``{"ndarray": name}``, ``{"scalar": name}``
    (a NumPy scalar) and ``{"tuple": [...]}``. Lists, numbers, strings, bools, None stay as is.
    """
    if isinstance(obj, Tensor):
        name = f"a{len(arrays)}"
        arrays[name] = obj.array
        return {"tensor": name, "requires_grad": obj.requires_grad}
    if isinstance(obj, (ndarray, xp.generic)):
        array = xp.asarray(obj)
        if array.dtype.hasobject:
            raise TypeError(f"rg.save cannot store {where}: an array of Python objects")
        name = f"a{len(arrays)}"
        arrays[name] = array
        return {"ndarray" if isinstance(obj, ndarray) else "scalar": name}
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


def _decode(node: Any, archive) -> Any:
    if isinstance(node, list):
        return [_decode(item, archive) for item in node]
    if not isinstance(node, dict):
        return node
    if "dict" in node:
        return {key: _decode(value, archive) for key, value in node["dict"]}
    if "tuple" in node:
        return tuple(_decode(item, archive) for item in node["tuple"])
    if "tensor" in node:
        return Tensor(archive[node["tensor"]], requires_grad=node["requires_grad"])
    if "ndarray" in node:
        return archive[node["ndarray"]]
    if "scalar" in node:
        return archive[node["scalar"]][()]
    raise ValueError(f"unknown entry {sorted(node)}")


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

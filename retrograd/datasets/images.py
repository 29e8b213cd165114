"""Image data sets: the bundled 8x8 ``digits``, and ``mnist`` / ``fashion_mnist`` read from the
standard IDX files in a folder the user names.

Each returns ``(X, y)``: X float32 with pixels scaled to [0, 1], of shape (n, height * width)
(``flatten=True``, the default, for an MLP) or (n, 1, height, width) (``flatten=False``, for
convolutions); y int64 of shape (n,) with classes 0..9.

``digits`` ships with retrograd (``data/digits.npz``, 45 KB): the 1797 8x8 images of the test
part of the UCI ML "Optical Recognition of Handwritten Digits" data set by E. Alpaydin and
C. Kaynak (1998), https://archive.ics.uci.edu/dataset/80, licensed CC BY 4.0; converted from
the copy bundled with scikit-learn (``sklearn/datasets/data/digits.csv.gz``). See
``data/README.md``.
"""
from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path

import numpy as np

DATA_FOLDER = Path(__file__).parent / "data"

# MNIST's file names and where to download them (MNIST's original site, yann.lecun.com, often
# refuses downloads; the mirror below is the one torchvision uses)
IDX_FILES = {True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
             False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
SOURCES = {
    "MNIST": "https://ossci-datasets.s3.amazonaws.com/mnist/ (a mirror of "
             "http://yann.lecun.com/exdb/mnist/)",
    "FashionMNIST": "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/ (see "
                    "https://github.com/zalandoresearch/fashion-mnist)",
}

# IDX element types: the third byte of the magic number -> big-endian NumPy dtype
_MAX_IDX_DIMENSIONS = 32  # NumPy arrays have at most 64, IDX images 1 to 4
_MAX_DEFLATE_RATIO = 1100  # deflate's limit is about 1,032:1
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _features(images: np.ndarray, max_value: float, flatten: bool) -> np.ndarray:
    """uint8 images (n, height, width) -> float32 in [0, 1], flat or with a channel axis."""
    shape = (len(images), -1) if flatten else (len(images), 1, *images.shape[1:])
    return (images.reshape(shape) / np.float32(max_value)).astype(np.float32)


def digits(train: bool | None = None, test_fraction: float = 0.2, seed: int = 0,
           flatten: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 handwritten digits shipped with retrograd: 1797 images, 10 classes, offline.

    Pixels (0..16 in the file) are scaled to [0, 1]. ``train=None`` returns all 1797 images
    in the file's order; ``train=True`` / ``False`` the training / test part of a random split
    that keeps ``test_fraction`` of the images for testing. The split depends only on ``seed``
    (not on the global generator), so the two parts never overlap and are the same at every
    call.

    Returns X (n, 64) float32 (``flatten=False``: (n, 1, 8, 8)) and y (n,) int64.

    >>> X_train, y_train = rg.datasets.digits(train=True)     # (1438, 64), (1438,)
    >>> X_test, y_test = rg.datasets.digits(train=False)      # (359, 64), (359,)
    """
    with np.load(DATA_FOLDER / "digits.npz", allow_pickle=False) as archive:
        images, labels = archive["images"], archive["labels"]
    if train is not None:
        if not 0 < test_fraction < 1:
            raise ValueError(f"test_fraction must be strictly between 0 and 1, "
                             f"got {test_fraction}")
        order = np.random.default_rng(seed).permutation(len(labels))
        n_test = round(len(labels) * test_fraction)
        chosen = order[n_test:] if train else order[:n_test]
        images, labels = images[chosen], labels[chosen]
    return _features(images, 16, flatten), labels.astype(np.int64)


def read_idx(path: str | Path) -> np.ndarray:
    """Reads an IDX file (the format of MNIST), gzipped when its name ends in ``.gz``.

    The file is a 4-byte magic number ``0x0000TTDD`` (element type TT, DD dimensions), DD
    big-endian 4-byte sizes, then the elements. The header is checked before the elements are
    read, and no more than the bytes it announces are ever inflated (a gzip file cannot hold
    more than about 1,032 times its size, so a header announcing more is refused at once).
    Raises ValueError, naming the file, when it is not valid IDX or its length does not match
    its header.
    """
    path = Path(path)
    compressed = path.suffix == ".gz"
    try:
        with (gzip.open(path, "rb") if compressed else open(path, "rb")) as file:
            magic = file.read(4)
            if len(magic) < 4 or magic[:2] != b"\0\0" or magic[2] not in _IDX_DTYPES:
                raise ValueError(f"{path} is not an IDX file: it starts with bytes "
                                 f"{magic.hex() or '(none)'} where a magic number 0000TTDD "
                                 f"was expected; the file is damaged or of another format")
            ndim, dtype = magic[3], np.dtype(_IDX_DTYPES[magic[2]])
            if ndim > _MAX_IDX_DIMENSIONS:
                raise ValueError(f"{path} announces {ndim} dimensions, more than the "
                                 f"{_MAX_IDX_DIMENSIONS} retrograd reads (images have 1 to 4); "
                                 f"the file is damaged or of another format")
            sizes = file.read(4 * ndim)
            if len(sizes) < 4 * ndim:
                raise ValueError(f"{path} is truncated: its magic number announces {ndim} "
                                 f"dimensions, but the file ends within the sizes; download "
                                 f"it again")
            shape = tuple(int(size) for size in np.frombuffer(sizes, ">u4"))
            expected = math.prod(shape) * dtype.itemsize
            stored = path.stat().st_size
            if expected > (_MAX_DEFLATE_RATIO * stored if compressed else stored):
                raise ValueError(f"{path} is truncated or damaged: its header announces shape "
                                 f"{shape}, that is {expected} bytes, more than a file of "
                                 f"{stored} bytes can hold; download it again")
            content = file.read(expected + 1)  # one more: to see extra bytes
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"{path} is not a valid gzip file ({error}); it is damaged or was "
                         f"not fully downloaded: download it again") from None
    if len(content) != expected:
        raise ValueError(f"{path} is truncated or has extra bytes: its header announces shape "
                         f"{shape}, that is {expected} bytes of elements, but it holds "
                         f"{'more' if len(content) > expected else len(content)}; download "
                         f"it again")
    return np.frombuffer(content, dtype).reshape(shape).astype(dtype.newbyteorder("="))


def _find(root: Path, folder_name: str, file_name: str) -> Path | None:
    """The file ``file_name`` (or ``file_name.gz``) in ``root`` or in ``root/<name>/raw``
    (where torchvision downloads it), or None."""
    for folder in (root, root / folder_name / "raw"):
        for name in (file_name, file_name + ".gz"):
            if (folder / name).is_file():
                return folder / name
    return None


def _read_checked(path: Path, what: str, ndim: int) -> np.ndarray:
    """The IDX file at ``path``, checked to hold uint8 values with ``ndim`` dimensions (the
    magic number 0x0000080D, D = ``ndim``)."""
    array = read_idx(path)
    if array.dtype != np.uint8 or array.ndim != ndim:
        raise ValueError(f"{path} is not an IDX file of {what}: expected the magic number "
                         f"{0x0800 + ndim:#010x} (uint8 values, {ndim} dimensions), found "
                         f"{array.ndim} dimensions of {array.dtype}; is it the right file?")
    return array


def _load_idx_pair(name: str, root: str | Path, train: bool,
                   flatten: bool) -> tuple[np.ndarray, np.ndarray]:
    """The images and labels of the MNIST-like data set ``name`` found in ``root``."""
    root = Path(root).expanduser()
    image_file, label_file = IDX_FILES[bool(train)]
    image_path, label_path = (_find(root, name, file) for file in (image_file, label_file))
    if image_path is None or label_path is None:
        raise FileNotFoundError(
            f"{name} files not found in '{root}': expected {image_file} and {label_file} "
            f"(or the same names ending in .gz) in that folder or in '{root / name / 'raw'}'. "
            f"Download {image_file}.gz and {label_file}.gz from {SOURCES[name]} into '{root}'; "
            f"they can stay gzipped.")
    images = _read_checked(image_path, "images", 3)
    labels = _read_checked(label_path, "labels", 1)
    if len(images) != len(labels):
        raise ValueError(f"{image_path} holds {len(images)} images but {label_path} holds "
                         f"{len(labels)} labels; the two files do not belong together")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{label_path} holds a label {labels.max()}, but {name} labels are "
                         f"0..9; the file is damaged or of another data set")
    return _features(images, 255, flatten), labels.astype(np.int64)


def mnist(root: str | Path, train: bool = True,
          flatten: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """MNIST handwritten digits (28x28, 10 classes) from the IDX files in ``root``:
    ``train-images-idx3-ubyte`` and ``train-labels-idx1-ubyte`` (60,000 images), or with
    ``train=False`` ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` (10,000), each
    gzipped (``.gz``) or not. ``root/MNIST/raw``, torchvision's layout, is searched too.

    Returns X (n, 784) float32 in [0, 1] (``flatten=False``: (n, 1, 28, 28)) and y (n,) int64.
    Raises FileNotFoundError saying where to download missing files, ValueError for a damaged
    one.
    """
    return _load_idx_pair("MNIST", root, train, flatten)


def fashion_mnist(root: str | Path, train: bool = True,
                  flatten: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST (28x28 pictures of clothes, 10 classes), with the same file names, layout
    and return values as ``mnist``; ``root/FashionMNIST/raw`` is searched too."""
    return _load_idx_pair("FashionMNIST", root, train, flatten)

"""rg.datasets: generated sets (shapes, dtypes, balance, geometry, seeding), the bundled digits,
and the IDX reader on small MNIST files written here."""
import gzip
import struct
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import retrograd as rg
from retrograd import datasets
from retrograd.utils.data import DataLoader, TensorDataset

GENERATED = {  # name -> (function, n_features, n_classes with the default arguments)
    "circles": (datasets.circles, 2, 2), "moons": (datasets.moons, 2, 2),
    "spirals": (datasets.spirals, 2, 3), "blobs": (datasets.blobs, 2, 3),
    "xor": (datasets.xor, 2, 2),
}


@pytest.mark.parametrize("name", list(GENERATED))
@pytest.mark.parametrize("n_samples", [101, 1000])
def test_generated_shapes_dtypes_and_balance(name, n_samples):
    make, n_features, n_classes = GENERATED[name]
    X, y = make(n_samples, seed=0)
    assert X.shape == (n_samples, n_features) and X.dtype == np.float32
    assert y.shape == (n_samples,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=n_classes)
    assert len(counts) == n_classes and counts.max() - counts.min() <= 1
    assert np.isfinite(X).all()
    # shuffled: the first tenth already holds every class
    assert len(np.unique(y[:n_samples // 10])) == n_classes


@pytest.mark.parametrize("name", list(GENERATED))
def test_generated_are_reproducible_by_seed_generator_and_global_seed(name):
    make = GENERATED[name][0]
    X, y = make(200, seed=7)
    assert all(np.array_equal(a, b) for a, b in zip((X, y), make(200, seed=7)))
    assert not np.array_equal(X, make(200, seed=8)[0])
    X_gen, _ = make(200, generator=rg.Generator().manual_seed(3))
    assert np.array_equal(X_gen, make(200, generator=rg.Generator().manual_seed(3))[0])
    rg.manual_seed(11)
    X_global, _ = make(200)
    rg.manual_seed(11)
    assert np.array_equal(X_global, make(200)[0])
    with pytest.raises(ValueError, match="not both"):
        make(200, seed=1, generator=rg.Generator())


@pytest.mark.parametrize("name", ["circles", "moons", "xor"])
def test_bad_arguments_say_what_is_wrong(name):
    make = GENERATED[name][0]
    with pytest.raises(ValueError, match="n_samples"):
        make(1, seed=0)
    with pytest.raises(ValueError, match="noise"):
        make(10, noise=-0.1, seed=0)


def test_circles_geometry():
    X, y = datasets.circles(400, noise=0.0, factor=0.3, seed=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0, atol=1e-6)
    np.testing.assert_allclose(radius[y == 1], 0.3, atol=1e-6)
    noisy, _ = datasets.circles(400, noise=0.1, factor=0.3, seed=0)
    assert 0.05 < np.std(np.hypot(noisy[:, 0], noisy[:, 1])[y == 0]) < 0.15
    with pytest.raises(ValueError, match="factor"):
        datasets.circles(10, factor=1.0)


def test_moons_geometry():
    X, y = datasets.moons(300, noise=0.0, seed=0)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0, atol=1e-6)
    assert (upper[:, 1] >= -1e-6).all()
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0, atol=1e-6)
    assert (lower[:, 1] <= 0.5 + 1e-6).all()


def test_spirals_geometry():
    X, y = datasets.spirals(600, n_classes=4, noise=0.0, turns=1.0, seed=0)
    assert np.bincount(y).tolist() == [150] * 4
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius.max() <= 1 + 1e-6
    # without noise, arm k at radius r sits at angle 2 pi (k / 4 + r)
    expected = 2 * np.pi * (y / 4 + radius)
    np.testing.assert_allclose(X[:, 0], radius * np.cos(expected), atol=1e-5)
    np.testing.assert_allclose(X[:, 1], radius * np.sin(expected), atol=1e-5)


def test_blobs_given_centers_and_stds():
    centers = [[0.0, 0.0, 0.0], [10.0, 0.0, -5.0]]
    X, y = datasets.blobs(4000, centers=centers, cluster_std=[0.5, 2.0], seed=0)
    assert X.shape == (4000, 3) and np.bincount(y).tolist() == [2000, 2000]
    for label, (center, std) in enumerate(zip(centers, [0.5, 2.0])):
        np.testing.assert_allclose(X[y == label].mean(axis=0), center, atol=0.15)
        np.testing.assert_allclose(X[y == label].std(axis=0), std, rtol=0.1)
    X, y = datasets.blobs(500, centers=5, n_features=4, center_box=(-1, 1), seed=0)
    assert X.shape == (500, 4) and np.bincount(y).tolist() == [100] * 5
    with pytest.raises(ValueError, match="cluster_std"):
        datasets.blobs(10, centers=3, cluster_std=[1.0, 2.0])


def test_xor_labels_follow_the_quadrants():
    X, y = datasets.xor(500, seed=0)
    assert ((X >= -1) & (X <= 1)).all()
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(np.int64))


def test_generated_data_feeds_a_loader():
    X, y = datasets.circles(100, seed=0)
    x_batch, y_batch = next(iter(DataLoader(TensorDataset(X, y), batch_size=16)))
    assert x_batch.shape == (16, 2) and x_batch.dtype == rg.float32 and y_batch.dtype == rg.int64


# -- digits ----------------------------------------------------------------------------------

def test_digits_load_offline():
    X, y = datasets.digits()
    assert X.shape == (1797, 64) and X.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert sorted(np.unique(y).tolist()) == list(range(10))
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(X * 16, np.round(X * 16))  # pixels 0..16 scaled by 1/16
    images, _ = datasets.digits(flatten=False)
    assert images.shape == (1797, 1, 8, 8)
    np.testing.assert_array_equal(images.reshape(1797, 64), X)
    bundled = Path(datasets.__file__).parent / "data" / "digits.npz"
    assert bundled.stat().st_size < 200_000


def sorted_rows(X, y):
    table = np.column_stack([X, y])
    return table[np.lexsort(table.T[::-1])]


def test_digits_train_test_split_is_complementary_and_reproducible():
    X, y = datasets.digits()
    X_train, y_train = datasets.digits(train=True)
    X_test, y_test = datasets.digits(train=False)
    assert len(y_test) == round(1797 * 0.2) and len(y_train) + len(y_test) == 1797
    np.testing.assert_array_equal(
        sorted_rows(np.concatenate([X_train, X_test]), np.concatenate([y_train, y_test])),
        sorted_rows(X, y))
    np.testing.assert_array_equal(datasets.digits(train=True)[0], X_train)
    other_seed, _ = datasets.digits(train=False, seed=1)
    assert not np.array_equal(other_seed, X_test)
    assert len(datasets.digits(train=False, test_fraction=0.5)[1]) == round(1797 * 0.5)
    with pytest.raises(ValueError, match="test_fraction"):
        datasets.digits(train=True, test_fraction=1.0)


# -- MNIST from IDX files ----------------------------------------------------------------------

def idx_bytes(array, type_code=0x08):
    header = struct.pack(">BBBB", 0, 0, type_code, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_mnist(folder, train=True, n=7, gz=False, seed=0):
    """Small MNIST-like files; returns the images and labels written."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    prefix = "train" if train else "t10k"
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in ((f"{prefix}-images-idx3-ubyte", images),
                        (f"{prefix}-labels-idx1-ubyte", labels)):
        content = idx_bytes(array)
        if gz:
            (folder / (name + ".gz")).write_bytes(gzip.compress(content))
        else:
            (folder / name).write_bytes(content)
    return images, labels


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("train", [True, False])
def test_mnist_reads_idx_files(tmp_path, gz, train):
    images, labels = write_mnist(tmp_path, train=train, gz=gz)
    X, y = datasets.mnist(tmp_path, train=train)
    assert X.shape == (7, 784) and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_allclose(X, images.reshape(7, -1) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, labels)
    X_images, _ = datasets.mnist(str(tmp_path), train=train, flatten=False)
    assert X_images.shape == (7, 1, 28, 28)


def test_fashion_mnist_and_torchvision_layout(tmp_path):
    images, labels = write_mnist(tmp_path / "FashionMNIST" / "raw", gz=True, seed=1)
    X, y = datasets.fashion_mnist(tmp_path)
    np.testing.assert_allclose(X, images.reshape(7, -1) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, labels)


def test_missing_mnist_files_say_where_to_get_them(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        datasets.mnist(tmp_path)
    message = str(error.value)
    for expected in (str(tmp_path), "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                     "https://"):
        assert expected in message
    write_mnist(tmp_path, train=True)
    with pytest.raises(FileNotFoundError, match="t10k-images-idx3-ubyte"):
        datasets.mnist(tmp_path, train=False)
    with pytest.raises(FileNotFoundError, match="fashion-mnist"):
        datasets.fashion_mnist(tmp_path / "elsewhere")


def corrupt(folder, kind):
    """Writes valid files, then damages them in one way."""
    write_mnist(folder)
    images_path = folder / "train-images-idx3-ubyte"
    content = images_path.read_bytes()
    if kind == "magic":
        images_path.write_bytes(b"\x12\x34" + content[2:])
    elif kind == "truncated":
        images_path.write_bytes(content[:-10])
    elif kind == "header only":
        images_path.write_bytes(content[:6])
    elif kind == "labels as images":
        images_path.write_bytes((folder / "train-labels-idx1-ubyte").read_bytes())
    elif kind == "bad gzip":
        images_path.unlink()
        (folder / "train-images-idx3-ubyte.gz").write_bytes(b"not gzip at all")
    elif kind == "count mismatch":
        (folder / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(5, np.uint8)))
    elif kind == "label out of range":
        (folder / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.full(7, 12, np.uint8)))


@pytest.mark.parametrize("kind, message", [
    ("magic", "not an IDX file"), ("truncated", "truncated"), ("header only", "truncated"),
    ("labels as images", "magic number 0x00000803"), ("bad gzip", "gzip"),
    ("count mismatch", "7 images but .* 5 labels"), ("label out of range", "label 12")])
def test_corrupt_mnist_files_give_clear_errors(tmp_path, kind, message):
    corrupt(tmp_path, kind)
    with pytest.raises(ValueError, match=message) as error:
        datasets.mnist(tmp_path)
    assert "train-" in str(error.value)  # names the file


@pytest.mark.parametrize("type_code, dtype", [(0x08, np.uint8), (0x09, np.int8),
                                              (0x0B, np.int16), (0x0C, np.int32),
                                              (0x0D, np.float32), (0x0E, np.float64)])
def test_read_idx_every_element_type(tmp_path, type_code, dtype):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    path = tmp_path / "data.idx"
    path.write_bytes(idx_bytes(array, type_code))
    read = datasets.read_idx(path)
    assert read.dtype == dtype and read.dtype.isnative
    np.testing.assert_array_equal(read, array)


def test_a_gzip_bomb_with_a_bad_magic_number_is_refused_before_it_is_inflated(tmp_path):
    path = tmp_path / "bomb.gz"
    with gzip.open(path, "wb", compresslevel=9) as file:  # 256 MB of zeros: magic 00000000
        for _ in range(256):
            file.write(bytes(1024 * 1024))
    assert path.stat().st_size < 1024 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="bomb.gz is not an IDX file"):
            datasets.read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024


def test_a_header_announcing_more_than_the_file_can_hold_is_refused(tmp_path):
    raw = tmp_path / "huge.idx"
    raw.write_bytes(struct.pack(">4B3I", 0, 0, 0x08, 3, 60000, 28, 28) + bytes(100))
    with pytest.raises(ValueError, match="huge.idx is truncated or damaged.*47040000 bytes"):
        datasets.read_idx(raw)
    packed = tmp_path / "huge.idx.gz"
    packed.write_bytes(gzip.compress(struct.pack(">4B2I", 0, 0, 0x08, 2, 10 ** 9, 10 ** 3)))
    with pytest.raises(ValueError, match="huge.idx.gz is truncated or damaged"):
        datasets.read_idx(packed)


@pytest.mark.parametrize("name, content, message", [
    ("empty.idx", b"", "empty.idx is not an IDX file"),
    ("empty.idx.gz", b"", "empty.idx.gz is not an IDX file"),
    ("many.idx", struct.pack(">4B", 0, 0, 0x08, 255) + bytes(4 * 255 + 8),
     "many.idx announces 255 dimensions"),
])
def test_empty_files_and_too_many_dimensions_name_the_file(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(ValueError, match=message):
        datasets.read_idx(tmp_path / name)


# -- registry ----------------------------------------------------------------------------------

def test_available_describes_every_data_set():
    infos = datasets.available()
    assert list(infos) == ["circles", "moons", "spirals", "blobs", "xor", "digits", "mnist",
                           "fashion_mnist"]
    for name, info in infos.items():
        assert info.name == name and info.description
        if info.needs_root:
            continue
        X, y = info.load(seed=0) if name in GENERATED else info.load()
        assert (len(y), X.shape[1], len(np.unique(y))) == (
            info.n_samples, info.n_features, info.n_classes)
    assert infos["mnist"].needs_root and infos["mnist"].n_features == 28 * 28

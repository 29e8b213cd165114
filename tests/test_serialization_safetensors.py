"""rg.save / rg.load in the safetensors format: files PyTorch and the safetensors package read
and write, and hostile files refused before anything is allocated."""
import json
import struct

import numpy as np
import pytest
import torch

import retrograd as rg
from retrograd.models import networks
from retrograd.safetensors_file import SafetensorsError

safetensors_torch = pytest.importorskip("safetensors.torch")
safetensors_numpy = pytest.importorskip("safetensors.numpy")


def trained(model):
    """A few steps of SGD, so that the weights are not the initial ones."""
    optimizer = rg.optim.SGD(model.parameters(), lr=0.1)
    x = rg.randn(8, *((1, 28, 28) if isinstance(model[0], rg.nn.Conv2d) else (20,)))
    for _ in range(3):
        optimizer.zero_grad()
        rg.nn.functional.cross_entropy(model(x), rg.randint(0, 10, (8,))).backward()
        optimizer.step()
    return model


def torch_twin(model):
    """The same architecture in torch (retrograd's models follow torch.nn's layer names)."""
    layers = []
    for layer in model:
        kind = type(layer).__name__
        if kind == "Linear":
            layers.append(torch.nn.Linear(layer.in_features, layer.out_features))
        elif kind == "Conv2d":
            layers.append(torch.nn.Conv2d(layer.in_channels, layer.out_channels,
                                          layer.kernel_size, padding=layer.padding))
        else:
            layers.append(torch.nn.Identity())
    return torch.nn.Sequential(*layers)


@pytest.mark.parametrize("build", [lambda: networks.mlp(20, (16, 8), 10), networks.lenet5])
def test_a_retrograd_model_loads_into_torch_and_back(build, tmp_path):
    rg.manual_seed(0)
    model = trained(build())
    rg.save(model.state_dict(), tmp_path / "model.safetensors")
    twin = torch_twin(model)
    result = twin.load_state_dict(safetensors_torch.load_file(tmp_path / "model.safetensors"))
    assert str(result) == "<All keys matched successfully>"
    for name, value in twin.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), model.state_dict()[name].numpy())
    with torch.no_grad():  # torch trains it on, then retrograd reads torch's file
        for p in twin.parameters():
            p.mul_(0.5)
    safetensors_torch.save_file(twin.state_dict(), tmp_path / "torch.safetensors")
    fresh = build()
    fresh.load_state_dict(rg.load(tmp_path / "torch.safetensors"))
    for name, value in twin.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[name].numpy(), value.numpy())


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.int64, np.int32,
                                   np.int16, np.int8, np.uint8, np.bool_])
def test_every_dtype_round_trips_with_the_safetensors_package(dtype, tmp_path):
    array = (np.arange(12).reshape(3, 4) % 3).astype(dtype)
    safetensors_numpy.save_file({"x": array, "empty": np.zeros((0, 2), dtype)},
                                str(tmp_path / "a.safetensors"))
    loaded = rg.load(tmp_path / "a.safetensors")
    np.testing.assert_array_equal(loaded["x"].numpy(), array)
    assert loaded["x"].numpy().dtype == array.dtype and loaded["empty"].shape == (0, 2)
    rg.save(loaded, tmp_path / "b.safetensors")
    again = safetensors_numpy.load_file(str(tmp_path / "b.safetensors"))
    np.testing.assert_array_equal(again["x"], array)


def test_mmap_gives_views_of_the_file(tmp_path):
    rg.save({"w": rg.ones(1000, 10)}, tmp_path / "w.safetensors")
    loaded = rg.load(tmp_path / "w.safetensors", mmap=True)["w"]
    assert isinstance(loaded.numpy().base, np.memmap)
    assert loaded.sum().item() == 10000
    loaded.numpy()[...] = 0  # copy-on-write: the file keeps its values
    assert rg.load(tmp_path / "w.safetensors")["w"].sum().item() == 10000
    assert rg.load(tmp_path / "w.safetensors")["w"].numpy().flags.writeable


def test_map_location_and_bad_objects(tmp_path):
    rg.save({"w": rg.ones(2)}, tmp_path / "w.safetensors")
    assert rg.load(tmp_path / "w.safetensors", map_location="cpu")["w"].tolist() == [1, 1]
    with pytest.raises(TypeError, match="dict of names to tensors"):
        rg.save([rg.ones(2)], tmp_path / "list.safetensors")
    with pytest.raises(TypeError, match="holds only tensors"):
        rg.save({"epoch": 3}, tmp_path / "n.safetensors")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.safetensors"]  # nothing half-made


def raw_file(path, header, data=b"", length=None):
    text = json.dumps(header).encode() if isinstance(header, dict) else header
    path.write_bytes(struct.pack("<Q", len(text) if length is None else length) + text + data)
    return path


HOSTILE = {
    "too short": lambda p: (p.write_bytes(b"\x01\x02"), p)[1],
    "header longer than the file": lambda p: raw_file(p, {}, length=10 ** 6),
    "header over 100 MB": lambda p: raw_file(p, {}, length=2 * 10 ** 8),
    "not JSON": lambda p: raw_file(p, b"{not json"),
    "not an object": lambda p: raw_file(p, b"[1, 2]"),
    "unknown dtype": lambda p: raw_file(p, {"x": {"dtype": "BF16", "shape": [2],
                                                  "data_offsets": [0, 4]}}, b"\0" * 4),
    "huge shape for few bytes": lambda p: raw_file(p, {"x": {"dtype": "F32", "shape": [10 ** 12],
                                                             "data_offsets": [0, 8]}}, b"\0" * 8),
    "negative size": lambda p: raw_file(p, {"x": {"dtype": "F32", "shape": [-2],
                                                  "data_offsets": [0, 8]}}, b"\0" * 8),
    "overlapping ranges": lambda p: raw_file(p, {
        "x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
        "y": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12),
    "trailing bytes": lambda p: raw_file(p, {"x": {"dtype": "F32", "shape": [1],
                                                   "data_offsets": [0, 4]}}, b"\0" * 40),
    "range past the data": lambda p: raw_file(p, {"x": {"dtype": "F32", "shape": [4],
                                                        "data_offsets": [0, 16]}}, b"\0" * 8),
    "missing fields": lambda p: raw_file(p, {"x": {"dtype": "F32"}}),
    "nested 100,000 deep": lambda p: raw_file(p, b'{"x": ' + b"[" * 100_000 + b"]" * 100_000
                                              + b"}"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_file_is_refused_with_its_name(case, tmp_path):
    path = HOSTILE[case](tmp_path / "bad.safetensors")
    with pytest.raises(SafetensorsError, match="bad.safetensors"):
        rg.load(path)

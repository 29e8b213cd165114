"""rg.save / rg.load: exact round trips, atomic writes, and clear errors for foreign files."""
import io
import json
import math
import os
import signal
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest
import torch

import retrograd as rg
from retrograd import serialization


def assert_same(loaded, original):
    """Equal structure, types, dtypes and bits (NaN equal to NaN)."""
    if isinstance(original, rg.Tensor):
        assert isinstance(loaded, rg.Tensor)
        assert loaded.requires_grad == original.requires_grad
        np.testing.assert_array_equal(loaded.array, original.array, strict=True)
    elif isinstance(original, (np.ndarray, np.generic)):
        assert type(loaded) is type(original)
        np.testing.assert_array_equal(loaded, original, strict=True)
    elif isinstance(original, dict):
        assert type(loaded) is dict and list(loaded) == list(original)
        for key in original:
            assert type(next(k for k in loaded if k == key)) is type(key)
            assert_same(loaded[key], original[key])
    elif isinstance(original, (list, tuple)):
        assert type(loaded) is type(original) and len(loaded) == len(original)
        for a, b in zip(loaded, original):
            assert_same(a, b)
    elif isinstance(original, float) and math.isnan(original):
        assert isinstance(loaded, float) and math.isnan(loaded)
    else:
        assert type(loaded) is type(original) and loaded == original


def nested_object():
    return {
        "weight": rg.randn(3, 4),
        "bias": rg.zeros(4, requires_grad=True),
        "counts": np.arange(5, dtype=np.int64),
        "mask": np.array([True, False]),
        "half": np.ones((2, 2), dtype=np.float16),
        "step": np.float32(2.5),
        "state": {0: {"momentum_buffer": rg.ones(2)}, 7: {"step": 3}},
        "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 7], "nesterov": False,
                          "name": "é ü", "foreach": None}],
        "odd": [float("inf"), -0.0, float("nan"), 2 ** 100, [], {}],
        "rng": rg.random.default_generator.get_state(),
    }


def test_round_trip_keeps_types_dtypes_and_bits(tmp_path):
    original = nested_object()
    rg.save(original, tmp_path / "state.npz")
    assert_same(rg.load(tmp_path / "state.npz"), original)


def test_round_trip_through_a_file_object():
    original = nested_object()
    buffer = io.BytesIO()
    rg.save(original, buffer)
    buffer.seek(0)
    assert_same(rg.load(buffer), original)


def test_round_trip_of_a_real_optimizer_state_dict(tmp_path):
    """The structure PyTorch's Adam returns (int keys, tuples, tensors) survives unchanged."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, amsgrad=True)
    model(torch.randn(5, 3)).square().sum().backward()
    optimizer.step()

    def to_retrograd(obj):
        if isinstance(obj, torch.Tensor):
            return rg.tensor(obj.detach().numpy())
        if isinstance(obj, dict):
            return {key: to_retrograd(value) for key, value in obj.items()}
        if isinstance(obj, (list, tuple)):
            return type(obj)(to_retrograd(value) for value in obj)
        return obj

    original = {"model": to_retrograd(model.state_dict()),
                "optimizer": to_retrograd(optimizer.state_dict())}
    rg.save(original, tmp_path / "checkpoint.npz")
    loaded = rg.load(tmp_path / "checkpoint.npz")
    assert_same(loaded, original)
    assert list(loaded["model"]) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    np.testing.assert_array_equal(loaded["optimizer"]["state"][0]["exp_avg"].array,
                                  optimizer.state_dict()["state"][0]["exp_avg"].numpy())


def test_unsupported_objects_are_refused_with_their_place(tmp_path):
    with pytest.raises(TypeError, match=r"obj\['layers'\]\[1\].*function.*state_dict"):
        rg.save({"layers": [1, print]}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="key"):
        rg.save({(1, 2): 3}, tmp_path / "x.npz")
    assert not os.listdir(tmp_path)


def crash_during_write(monkeypatch, where):
    """Makes the save fail half-way: inside savez after some bytes, or at the rename."""
    if where == "savez":
        def savez(file, **arrays):
            file.write(b"PK\x03\x04 half an archive")
            raise OSError("disk full")
        monkeypatch.setattr(serialization.xp, "savez", savez)
    else:
        def replace(source, destination):
            raise KeyboardInterrupt
        monkeypatch.setattr(serialization.os, "replace", replace)


@pytest.mark.parametrize("where", ["savez", "rename"])
def test_a_crash_while_saving_keeps_the_old_file(tmp_path, monkeypatch, where):
    path = tmp_path / "checkpoint.npz"
    rg.save({"epoch": 1, "w": rg.ones(3)}, path)
    with monkeypatch.context() as patch:
        crash_during_write(patch, where)
        with pytest.raises((OSError, KeyboardInterrupt)):
            rg.save({"epoch": 2, "w": rg.zeros(3)}, path)
    assert os.listdir(tmp_path) == ["checkpoint.npz"]  # no temporary file left behind
    old = rg.load(path)
    assert old["epoch"] == 1
    np.testing.assert_array_equal(old["w"].array, np.ones(3, np.float32))


def test_saving_replaces_an_existing_file(tmp_path):
    path = tmp_path / "checkpoint.npz"
    rg.save({"epoch": 1}, path)
    rg.save({"epoch": 2}, str(path))
    assert rg.load(str(path)) == {"epoch": 2}
    assert os.listdir(tmp_path) == ["checkpoint.npz"]


class Exploit:
    """Pickling this would run code on load: a safe loader must never unpickle it."""

    ran = False

    def __reduce__(self):
        return (setattr, (Exploit, "ran", True))


def test_a_pickle_inside_the_archive_is_never_run(tmp_path):
    structure = {"format": "retrograd", "version": 1, "object": {"ndarray": "a0"}}
    path = tmp_path / "evil.npz"
    np.savez(path, __retrograd__=np.frombuffer(json.dumps(structure).encode(), np.uint8),
             a0=np.array([Exploit()], dtype=object))
    with pytest.raises(RuntimeError, match="evil.npz is damaged"):
        rg.load(path)
    assert not Exploit.ran


@pytest.mark.parametrize("content, message", [
    (b"", "not a retrograd file"),
    (b"print('hello')\n", "not a retrograd file"),
    (None, "not one written by rg.save"),           # someone else's .npz
    ("truncated", "damaged"),
    ("newer", "newer retrograd"),
])
def test_foreign_or_damaged_files_fail_clearly(tmp_path, content, message):
    path = tmp_path / "file.npz"
    if content is None:
        np.savez(path, x=np.ones(3))
    elif content == "truncated":
        rg.save({"w": rg.ones(100)}, path)
        path.write_bytes(path.read_bytes()[:200])
    elif content == "newer":
        np.savez(path, __retrograd__=np.frombuffer(json.dumps(
            {"format": "retrograd", "version": 99, "object": None}).encode(), np.uint8))
    else:
        path.write_bytes(content)
    with pytest.raises(RuntimeError, match=message) as error:
        rg.load(path)
    assert "file.npz" in str(error.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(FileNotFoundError):
        rg.load(tmp_path / "absent.npz")
    with pytest.raises(IsADirectoryError, match="folder"):
        rg.load(tmp_path)


def retrograd_structure(**arrays):
    """The entries of an archive rg.load reads: the JSON structure and the named arrays."""
    structure = {"format": "retrograd", "version": 1,
                 "object": {"dict": [[k, {"ndarray": k}] for k in arrays]}}
    return {"__retrograd__": np.frombuffer(json.dumps(structure).encode(), np.uint8), **arrays}


def test_a_compressed_archive_is_refused_before_it_is_inflated(tmp_path):
    # 256 MB of zeros deflate to about 250 KB: inflating them is how a small file asks for
    # a lot of memory, and rg.save never compresses
    path = tmp_path / "bomb.npz"
    np.savez_compressed(path, **retrograd_structure(w=np.zeros(64 * 1024 * 1024, np.float32)))
    assert path.stat().st_size < 1024 * 1024
    with pytest.raises(RuntimeError, match="bomb.npz is damaged.*compressed"):
        rg.load(path)


def test_an_entry_whose_header_claims_more_than_it_stores_is_refused(tmp_path):
    path = tmp_path / "liar.npz"
    liar = io.BytesIO()  # a header for 99 floats, followed by the bytes of 4
    np.lib.format.write_array_header_1_0(liar, {"descr": "<f4", "fortran_order": False,
                                                "shape": (99,)})
    liar.write(np.zeros(4, np.float32).tobytes())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, array in retrograd_structure(w=np.zeros(4, np.float32)).items():
            if name == "w":
                archive.writestr("w.npy", liar.getvalue())
            else:
                content = io.BytesIO()
                np.save(content, array)
                archive.writestr(f"{name}.npy", content.getvalue())
    with pytest.raises(RuntimeError, match=r"liar.npz is damaged.*declares \(99,\)"):
        rg.load(path)


def test_every_damaged_copy_of_a_checkpoint_gives_the_documented_error(tmp_path):
    path = tmp_path / "good.npz"
    rg.save({"w": rg.randn(30, 20), "step": 3, "name": "run"}, path)
    good = path.read_bytes()
    rng = np.random.default_rng(0)
    for trial in range(300):
        damaged = bytearray(good)
        for position in rng.integers(0, len(good), size=rng.integers(1, 4)):
            damaged[position] = rng.integers(0, 256)
        if trial % 3 == 0:
            damaged = damaged[:rng.integers(0, len(good))]
        copy = tmp_path / "damaged.npz"
        copy.write_bytes(bytes(damaged))
        try:
            rg.load(copy)
        except RuntimeError as error:
            assert "damaged.npz" in str(error)


def test_a_ctrl_c_just_after_the_rename_comes_through_as_itself(tmp_path, monkeypatch):
    real_replace = os.replace

    def replace_then_interrupt(source, destination):
        real_replace(source, destination)
        raise KeyboardInterrupt

    monkeypatch.setattr(serialization.os, "replace", replace_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        rg.save({"w": rg.ones(3)}, tmp_path / "model.npz")
    monkeypatch.undo()
    assert rg.load(tmp_path / "model.npz")["w"].tolist() == [1, 1, 1]
    assert os.listdir(tmp_path) == ["model.npz"]


def temporaries(folder):
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp"))


def test_a_save_killed_midway_leaves_a_temporary_that_the_next_save_removes(tmp_path):
    writer = subprocess.Popen([sys.executable, "-c", (
        "import numpy as np, retrograd as rg\n"
        "big = {'w': rg.tensor(np.ones(20_000_000, np.float32))}\n"
        "print('ready', flush=True)\n"
        f"while True: rg.save(big, {str(tmp_path / 'model.npz')!r})\n")],
        stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "ready"
    deadline = time.monotonic() + 30
    while not temporaries(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.01)
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=30)
    left = temporaries(tmp_path)
    assert left, "the writer was never caught in the middle of a save"
    live = tmp_path / f".model.npz.{serialization._HOST}.{os.getpid()}.{'0' * 32}.tmp"
    live.write_bytes(b"a save of this process, in progress")
    rg.save({"w": rg.ones(2)}, tmp_path / "model.npz")
    assert temporaries(tmp_path) == [live.name]  # the dead writer's is gone, the live one stays
    assert rg.load(tmp_path / "model.npz")["w"].tolist() == [1, 1]


def test_a_structure_nested_beyond_any_state_dict_is_the_documented_error(tmp_path):
    text = '{"format": "retrograd", "version": 1, "object": ' + "[" * 100_000 + "]" * 100_000 + "}"
    np.savez(tmp_path / "deep.npz", __retrograd__=np.frombuffer(text.encode(), np.uint8))
    with pytest.raises(RuntimeError, match="deep.npz is damaged"):
        rg.load(tmp_path / "deep.npz")


def test_mmap_loads_the_same_objects_as_views_of_the_file(tmp_path):
    model = rg.nn.Sequential(rg.nn.Linear(4, 3), rg.nn.ReLU(), rg.nn.Linear(3, 2))
    optimizer = rg.optim.Adam(model.parameters())
    model(rg.randn(5, 4)).sum().backward()
    optimizer.step()
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": 3,
             "fortran": np.asfortranarray(np.arange(12.0).reshape(3, 4)),
             "empty": np.zeros((0, 5), np.float32), "scalar": np.float32(2.5)}
    rg.save(state, tmp_path / "checkpoint.npz")
    read = rg.load(tmp_path / "checkpoint.npz")
    mapped = rg.load(tmp_path / "checkpoint.npz", mmap=True)
    weight = mapped["model"]["0.weight"].detach().numpy()
    assert isinstance(weight.base, np.memmap)
    np.testing.assert_array_equal(mapped["fortran"], read["fortran"])
    assert mapped["fortran"].flags.f_contiguous and mapped["empty"].shape == (0, 5)
    assert mapped["scalar"] == np.float32(2.5) and mapped["step"] == 3
    assert mapped["optimizer"]["state"].keys() == read["optimizer"]["state"].keys()
    for key, value in read["model"].items():
        np.testing.assert_array_equal(mapped["model"][key].detach().numpy(),
                                      value.detach().numpy())
    fresh = rg.nn.Sequential(rg.nn.Linear(4, 3), rg.nn.ReLU(), rg.nn.Linear(3, 2))
    fresh.load_state_dict(mapped["model"])  # copied into the model's own arrays
    assert fresh[0].weight.detach().numpy().flags.writeable
    weight[...] = 7  # the map is copy-on-write: the change stays in memory, not in the file
    assert rg.load(tmp_path / "checkpoint.npz")["model"]["0.weight"].detach().numpy().max() < 7


def test_mmap_refuses_damaged_files_as_a_load_does(tmp_path):
    path = tmp_path / "bomb.npz"
    np.savez_compressed(path, **retrograd_structure(w=np.zeros(1000, np.float32)))
    with pytest.raises(RuntimeError, match="bomb.npz is damaged.*compressed"):
        rg.load(path, mmap=True)
    path.write_bytes(b"PK\x03\x04" + b"\0" * 40)
    with pytest.raises(RuntimeError, match="bomb.npz is damaged"):
        rg.load(path, mmap=True)

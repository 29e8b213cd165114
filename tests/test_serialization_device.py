"""rg.save / rg.load across devices: tensors are written as host arrays with their device, and
``map_location`` places them as in torch.load (on the CuPy stand-in as "cuda", see conftest)."""
import numpy as np
import pytest

import retrograd as rg
from retrograd.backend import unregister_backend

import fake_cupy


def state_on_cuda():
    return {"weight": rg.randn(3, 4, device="cuda"), "bias": rg.zeros(4, device="cuda",
                                                                   requires_grad=True),
            "host": rg.arange(3), "raw": fake_cupy.wrap(np.arange(4.0)), "step": 3}


def test_a_cuda_state_comes_back_on_cuda_by_default(fake_cuda, tmp_path):
    state = state_on_cuda()
    rg.save(state, tmp_path / "s.npz")
    loaded = rg.load(tmp_path / "s.npz")
    assert loaded["weight"].device == rg.device("cuda:0")
    assert loaded["host"].device.type == "cpu"
    assert loaded["bias"].requires_grad and loaded["bias"].is_leaf
    assert loaded["bias"].device.type == "cuda"
    for key in ("weight", "bias", "host"):
        np.testing.assert_array_equal(loaded[key].detach().cpu().numpy(),
                                      state[key].detach().cpu().numpy(), strict=True)
    assert type(loaded["raw"]) is np.ndarray  # a bare device array is saved as a host array
    np.testing.assert_array_equal(loaded["raw"], np.arange(4.0))
    with np.load(tmp_path / "s.npz") as archive:  # the file holds host arrays only
        assert all(type(archive[name]) is np.ndarray for name in archive.files)


@pytest.mark.parametrize("map_location", ["cpu", rg.device("cpu"), {"cuda:0": "cpu"},
                                          lambda storage, location: storage])
def test_map_location_to_the_cpu(fake_cuda, tmp_path, map_location):
    state = state_on_cuda()
    rg.save(state, tmp_path / "s.npz")
    loaded = rg.load(tmp_path / "s.npz", map_location=map_location)
    assert all(loaded[key].device.type == "cpu" for key in ("weight", "bias", "host"))
    assert loaded["bias"].requires_grad and loaded["bias"].is_leaf
    np.testing.assert_array_equal(loaded["weight"].numpy(), state["weight"].cpu().numpy(),
                                  strict=True)


@pytest.mark.parametrize("map_location", ["cuda", "cuda:0", {"cpu": "cuda:0"},
                                          lambda storage, location: storage.cuda()])
def test_map_location_to_cuda(fake_cuda, tmp_path, map_location):
    rg.save({"w": rg.ones(2, requires_grad=True), "n": 1.5}, tmp_path / "s.npz")
    loaded = rg.load(tmp_path / "s.npz", map_location=map_location)
    assert loaded["w"].device == rg.device("cuda:0") and loaded["n"] == 1.5
    assert loaded["w"].requires_grad and loaded["w"].is_leaf


def test_a_callable_gets_the_cpu_tensor_and_its_saved_location(fake_cuda, tmp_path):
    rg.save([rg.ones(1, device="cuda"), rg.zeros(1)], tmp_path / "s.npz")
    seen = []

    def where(storage, location):
        seen.append((storage.device.type, location))
        return None  # the saved device

    loaded = rg.load(tmp_path / "s.npz", map_location=where)
    assert seen == [("cpu", "cuda:0"), ("cpu", "cpu")]
    assert [t.device.type for t in loaded] == ["cuda", "cpu"]
    with pytest.raises(TypeError, match="must return a Tensor or None"):
        rg.load(tmp_path / "s.npz", map_location=lambda storage, location: "cpu")


def test_a_model_moves_through_a_file(fake_cuda, tmp_path):
    rg.manual_seed(0)
    model = rg.nn.Sequential(rg.nn.Linear(3, 4), rg.nn.ReLU(), rg.nn.Linear(4, 2))
    expected = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    model.to("cuda")
    rg.save(model.state_dict(), tmp_path / "m.npz")
    state = rg.load(tmp_path / "m.npz", map_location="cpu")
    for key, value in expected.items():
        np.testing.assert_array_equal(state[key].numpy(), value, strict=True)


def test_a_missing_device_fails_clearly(fake_cuda, tmp_path):
    rg.save({"w": rg.ones(2, device="cuda")}, tmp_path / "s.npz")
    unregister_backend("cuda")  # now "cuda" is CuPy's, absent on this machine (or a real GPU)
    try:
        loaded = rg.load(tmp_path / "s.npz")
    except RuntimeError as error:
        assert "saved on cuda:0" in str(error) and "map_location='cpu'" in str(error)
    else:
        assert loaded["w"].device.type == "cuda"  # CuPy and a GPU are there
    assert rg.load(tmp_path / "s.npz", map_location="cpu")["w"].device.type == "cpu"


def test_bad_map_locations(tmp_path):
    rg.save({"w": rg.ones(2)}, tmp_path / "s.npz")
    with pytest.raises(TypeError, match="map_location must be"):
        rg.load(tmp_path / "s.npz", map_location=3.5)
    with pytest.raises(RuntimeError, match="device type"):
        rg.load(tmp_path / "s.npz", map_location="gpu")

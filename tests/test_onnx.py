"""rg.onnx.export: models built from nn layers run in onnxruntime with retrograd's outputs."""
import sys

import numpy as np
import pytest

import retrograd as rg
from retrograd import nn
from retrograd.models import networks

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def every_layer() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.LeakyReLU(0.1),
        nn.MaxPool2d(2), nn.Conv2d(8, 8, 3, stride=2, groups=2, bias=False), nn.ELU(),
        nn.AvgPool2d(2, ceil_mode=True), nn.Conv2d(8, 16, 1), nn.GELU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.5), nn.Linear(16, 12),
        nn.BatchNorm1d(12), nn.Softplus(), nn.Linear(12, 6), nn.Sigmoid(), nn.Linear(6, 5),
        nn.Tanh(), nn.Identity(), nn.LogSoftmax(dim=1))


MODELS = {
    "mlp": (lambda: networks.mlp(20, (32, 16), 10), (4, 20)),
    "lenet5": (networks.lenet5, (4, 1, 28, 28)),
    "every layer": (every_layer, (4, 3, 16, 16)),
    "softmax": (lambda: nn.Sequential(nn.Linear(5, 3), nn.Softmax(dim=1)), (4, 5)),
}


def trained_a_little(model, shape):
    """Two SGD steps in train mode: BatchNorm's running statistics move off their start."""
    optimizer = rg.optim.SGD(model.parameters(), lr=0.05)
    for _ in range(2):
        optimizer.zero_grad()
        model(rg.randn(*shape)).square().mean().backward()
        optimizer.step()
    return model


@pytest.mark.parametrize("name", list(MODELS))
def test_onnxruntime_gives_retrograds_outputs(name, tmp_path):
    build, shape = MODELS[name]
    rg.manual_seed(0)
    model = trained_a_little(build(), shape)
    rg.onnx.export(model, rg.randn(*shape), tmp_path / "model.onnx")
    assert model.training  # the mode it was in
    session = ort.InferenceSession(str(tmp_path / "model.onnx"),
                                   providers=["CPUExecutionProvider"])
    model.eval()
    for batch in (1, 7):  # the batch dimension is free
        x = rg.randn(batch, *shape[1:])
        (output,) = session.run(None, {"input": x.numpy()})
        np.testing.assert_allclose(output, model(x).detach().numpy(), rtol=1e-5, atol=1e-5)


def test_a_layer_used_twice_is_exported_once(tmp_path):
    shared = nn.Linear(4, 4)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    rg.onnx.export(model, rg.randn(2, 4), tmp_path / "shared.onnx")
    proto = onnx.load(str(tmp_path / "shared.onnx"))
    assert len(proto.graph.initializer) == 2
    (output,) = ort.InferenceSession(str(tmp_path / "shared.onnx")).run(
        None, {"input": np.ones((2, 4), np.float32)})
    np.testing.assert_allclose(output, model(rg.ones(2, 4)).detach().numpy(), rtol=1e-6)


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(3, 3), nn.Linear(3, 3)

    def forward(self, x):
        return self.b(self.a(x) + x)  # the addition is no nn layer


def test_what_cannot_be_exported_is_refused_with_a_message(tmp_path):
    with pytest.raises(ValueError, match="'0' \\(LSTM\\) is not supported"):
        rg.onnx.export(nn.Sequential(nn.LSTM(3, 3)), rg.randn(2, 4, 3), tmp_path / "a.onnx")
    with pytest.raises(ValueError, match="layer 'b' reads a tensor that no exported layer"):
        rg.onnx.export(Residual(), rg.randn(2, 3), tmp_path / "b.onnx")
    with pytest.raises(ValueError, match="only numeric zero padding"):
        rg.onnx.export(nn.Sequential(nn.Conv2d(1, 1, 3, padding="same")), rg.randn(1, 1, 5, 5),
                       tmp_path / "c.onnx")
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_without_the_onnx_package_the_message_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match="pip install 'retrograd\\[onnx\\]'"):
        rg.onnx.export(nn.Linear(2, 2), rg.randn(1, 2), tmp_path / "m.onnx")

"""``rg.compile`` against eager execution: every layer, loss and model trains to bit-identical
parameters when its step is replayed, on new data at every call; guards record again, steps
that cannot be replayed run eagerly with a warning, and the tape prints what runs."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import retrograd as rg
import retrograd.nn as nn
import retrograd.nn.functional as F
from retrograd import models
from tests.nn.test_losses_modules import MODULES as LOSSES
from tests.nn.test_losses_modules import build, draw

STEPS = 5  # two recordings, then three replays


def training_step(model, optimizer, loss_of):
    def step(*batch):
        optimizer.zero_grad()
        loss = loss_of(model, *batch)
        loss.backward()
        optimizer.step()
        return loss
    return step


def twin(make_model):
    """Two copies of one model (same initial parameters)."""
    rg.manual_seed(0)
    first = make_model()
    rg.manual_seed(0)
    return first, make_model()


def check_same_training(make_model, make_batch, loss_of, optimizer=rg.optim.SGD,
                        steps: int = STEPS, **options):
    """Trains a model eagerly and its twin through rg.compile on the same batches; losses,
    parameters and buffers must be equal bit for bit, and the twin must have replayed."""
    options = options or dict(lr=0.01, momentum=0.9)
    eager_model, compiled_model = twin(make_model)
    eager = training_step(eager_model, optimizer(eager_model.parameters(), **options), loss_of)
    compiled = rg.compile(training_step(
        compiled_model, optimizer(compiled_model.parameters(), **options), loss_of))
    rng = np.random.default_rng(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fallback to eager warns: fail on it
        for call in range(steps):
            batch = make_batch(rng)
            rg.manual_seed(100 + call)  # the same random draws (dropout) in both
            expected = eager(*batch)
            rg.manual_seed(100 + call)
            got = compiled(*batch)
            np.testing.assert_array_equal(got.detach().numpy(), expected.detach().numpy())
    assert compiled.replays == steps - 2
    for (name, ours), (_, theirs) in zip(compiled_model.state_dict().items(),
                                          eager_model.state_dict().items()):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=name)
    return compiled


def squares(model, x):
    out = model(x)
    out = out[0] if isinstance(out, tuple) else out
    return (out * out).mean()


def normal(*shape):
    return lambda rng: (rg.tensor(rng.standard_normal(shape).astype(np.float32)),)


# (name, module factory, input shape)
LAYERS = [
    ("Linear", lambda: nn.Linear(4, 3), (5, 4)),
    ("Linear without bias", lambda: nn.Linear(4, 3, bias=False), (2, 5, 4)),
    ("Conv1d", lambda: nn.Conv1d(2, 3, 3, padding=1), (2, 2, 7)),
    ("Conv2d", lambda: nn.Conv2d(2, 3, 3, stride=2, padding=1), (2, 2, 6, 6)),
    ("ConvTranspose1d", lambda: nn.ConvTranspose1d(2, 3, 3, stride=2), (2, 2, 5)),
    ("ConvTranspose2d", lambda: nn.ConvTranspose2d(2, 3, 3, stride=2), (2, 2, 4, 4)),
    ("MaxPool1d", lambda: nn.Sequential(nn.Conv1d(2, 2, 1), nn.MaxPool1d(2)), (2, 2, 6)),
    ("MaxPool2d", lambda: nn.Sequential(nn.Conv2d(2, 2, 1), nn.MaxPool2d(2)), (2, 2, 6, 6)),
    ("AvgPool1d", lambda: nn.Sequential(nn.Conv1d(2, 2, 1), nn.AvgPool1d(2)), (2, 2, 6)),
    ("AvgPool2d", lambda: nn.Sequential(nn.Conv2d(2, 2, 1), nn.AvgPool2d(3, 2, 1)),
     (2, 2, 6, 6)),
    ("AdaptiveAvgPool1d", lambda: nn.Sequential(nn.Conv1d(2, 2, 1), nn.AdaptiveAvgPool1d(3)),
     (2, 2, 7)),
    ("AdaptiveAvgPool2d", lambda: nn.Sequential(nn.Conv2d(2, 2, 1), nn.AdaptiveAvgPool2d(2)),
     (2, 2, 5, 5)),
    ("AdaptiveMaxPool1d", lambda: nn.Sequential(nn.Conv1d(2, 2, 1), nn.AdaptiveMaxPool1d(3)),
     (2, 2, 7)),
    ("AdaptiveMaxPool2d", lambda: nn.Sequential(nn.Conv2d(2, 2, 1), nn.AdaptiveMaxPool2d(2)),
     (2, 2, 5, 5)),
    ("BatchNorm1d", lambda: nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)), (6, 3)),
    ("BatchNorm2d", lambda: nn.Sequential(nn.Conv2d(2, 3, 1), nn.BatchNorm2d(3)),
     (2, 2, 3, 3)),
    ("LayerNorm", lambda: nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4)), (5, 3)),
    ("GroupNorm", lambda: nn.Sequential(nn.Conv2d(2, 4, 1), nn.GroupNorm(2, 4)),
     (2, 2, 3, 3)),
    ("InstanceNorm1d", lambda: nn.Sequential(
        nn.Conv1d(2, 3, 1), nn.InstanceNorm1d(3, affine=True, track_running_stats=True)),
     (2, 2, 5)),
    ("InstanceNorm2d", lambda: nn.Sequential(nn.Conv2d(2, 3, 1), nn.InstanceNorm2d(3)),
     (2, 2, 3, 3)),
    ("Dropout", lambda: nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5)), (5, 4)),
    ("Dropout1d", lambda: nn.Sequential(nn.Conv1d(2, 4, 1), nn.Dropout1d(0.3)), (3, 2, 5)),
    ("Dropout2d", lambda: nn.Sequential(nn.Conv2d(2, 4, 1), nn.Dropout2d(0.3)), (3, 2, 3, 3)),
    ("AlphaDropout", lambda: nn.Sequential(nn.Linear(4, 8), nn.AlphaDropout(0.2)), (5, 4)),
    ("Flatten", lambda: nn.Sequential(nn.Conv2d(2, 2, 1), nn.Flatten(), nn.Linear(18, 2)),
     (2, 2, 3, 3)),
    ("Unflatten", lambda: nn.Sequential(nn.Linear(4, 6), nn.Unflatten(1, (2, 3))), (5, 4)),
    ("Upsample", lambda: nn.Sequential(nn.Conv2d(2, 2, 1), nn.Upsample(scale_factor=2)),
     (1, 2, 3, 3)),
    ("Upsample bilinear", lambda: nn.Sequential(
        nn.Conv2d(2, 2, 1), nn.Upsample(scale_factor=2, mode="bilinear")), (1, 2, 3, 3)),
    ("ZeroPad2d", lambda: nn.Sequential(nn.Conv2d(2, 2, 1), nn.ZeroPad2d(1)), (1, 2, 3, 3)),
    ("ConstantPad1d", lambda: nn.Sequential(nn.Conv1d(2, 2, 1), nn.ConstantPad1d(2, 0.5)),
     (1, 2, 4)),
    ("ReflectionPad2d", lambda: nn.Sequential(nn.Conv2d(2, 2, 1), nn.ReflectionPad2d(1)),
     (1, 2, 3, 3)),
    ("ReplicationPad1d", lambda: nn.Sequential(nn.Conv1d(2, 2, 1), nn.ReplicationPad1d(2)),
     (1, 2, 4)),
    ("Fold and Unfold", lambda: nn.Sequential(
        nn.Conv2d(2, 2, 1), nn.Unfold(2), nn.Fold((3, 3), 2)), (1, 2, 3, 3)),
    ("PReLU", lambda: nn.Sequential(nn.Linear(4, 4), nn.PReLU()), (5, 4)),
    ("RNN", lambda: nn.RNN(3, 4, num_layers=2), (5, 2, 3)),
    ("LSTM", lambda: nn.LSTM(3, 4, batch_first=True), (2, 5, 3)),
    ("GRU", lambda: nn.GRU(3, 4, bidirectional=True), (5, 2, 3)),
    ("RNNCell", lambda: nn.RNNCell(3, 4), (2, 3)),
    ("LSTMCell", lambda: nn.LSTMCell(3, 4), (2, 3)),
    ("GRUCell", lambda: nn.GRUCell(3, 4), (2, 3)),
] + [
    (name, (lambda name=name: nn.Sequential(nn.Linear(4, 4), getattr(nn, name)())), (5, 4))
    for name in ["ReLU", "ReLU6", "LeakyReLU", "ELU", "GELU", "SiLU", "Mish", "Sigmoid", "Tanh",
                 "Softplus", "Hardtanh", "LogSigmoid", "Identity"]
] + [
    (f"{name}(dim=1)", (lambda name=name: nn.Sequential(nn.Linear(4, 4), getattr(nn, name)(1))),
     (5, 4)) for name in ["Softmax", "LogSoftmax"]
]


@pytest.mark.parametrize("name, make_model, shape", LAYERS, ids=[c[0] for c in LAYERS])
def test_every_layer_trains_as_eagerly(name, make_model, shape):
    check_same_training(make_model, normal(*shape), squares)


def test_embedding_trains_as_eagerly():
    check_same_training(lambda: nn.Embedding(10, 3),
                        lambda rng: (rg.tensor(rng.integers(0, 10, (4, 2))),), squares)


def test_batchnorm_in_evaluation_mode():
    def make():
        model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
        model[1].running_mean.fill_(0.5)
        return model.eval()
    check_same_training(make, normal(6, 3), squares)


@pytest.mark.parametrize("name, options, inputs", LOSSES,
                         ids=[f"{m[0]} {sorted(m[1])}" for m in LOSSES])
def test_every_loss_trains_as_eagerly(name, options, inputs):
    """The loss's first input is the parameter being trained; the others change each call."""
    arrays = draw(0)
    loss = build(rg, name, options, {k: v.astype(np.float32) if v.dtype.kind == "f" else v
                                     for k, v in arrays.items()})

    class Inputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.first = nn.Parameter(rg.tensor(arrays[inputs[0]].astype(np.float32)))

    def others(rng):
        drawn = draw(int(rng.integers(1000)))
        return tuple(rg.tensor(drawn[k].astype(np.float32) if drawn[k].dtype.kind == "f"
                               else drawn[k]) for k in inputs[1:])

    check_same_training(Inputs, others, lambda model, *rest: loss(model.first, *rest).sum(),
                        lr=1e-3)


MODELS = [  # three classes
    ("mlp", lambda: models.mlp(6, hidden=[8, 8], num_classes=3), (5, 6)),
    ("mlp tanh", lambda: models.mlp(2, hidden=[10], num_classes=3, activation=nn.Tanh), (10, 2)),
    ("lenet5", lambda: models.lenet5(num_classes=3, image_size=8), (4, 1, 8, 8)),
    ("lenet5 tanh avg", lambda: models.lenet5(num_classes=3, image_size=8, activation=nn.Tanh,
                                              pool="avg"), (4, 1, 8, 8)),
    ("small_cnn", lambda: models.small_cnn(num_classes=3, image_size=8), (4, 1, 8, 8)),
]


@pytest.mark.parametrize("optimizer, options", [
    (rg.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)),
    (rg.optim.Adam, dict(lr=1e-2)),
    (rg.optim.AdamW, dict(lr=1e-2, amsgrad=True)),
    (rg.optim.RMSprop, dict(lr=1e-2, momentum=0.5)),
], ids=["SGD", "Adam", "AdamW", "RMSprop"])
@pytest.mark.parametrize("name, make_model, shape", MODELS, ids=[m[0] for m in MODELS])
def test_every_model_trains_as_eagerly(name, make_model, shape, optimizer, options):
    def batch(rng):
        return (rg.tensor(rng.standard_normal(shape).astype(np.float32)),
                rg.tensor(rng.integers(0, 3, shape[0])))
    check_same_training(make_model, batch, lambda m, x, y: F.cross_entropy(m(x), y),
                        optimizer, **options)


def test_a_scheduler_stepped_between_calls_changes_the_replayed_learning_rate():
    eager_model, compiled_model = twin(lambda: nn.Linear(3, 2))
    steps = []
    for model in (eager_model, compiled_model):
        optimizer = rg.optim.SGD(model.parameters(), lr=0.1)
        steps.append((training_step(model, optimizer, squares),
                      rg.optim.lr_scheduler.StepLR(optimizer, 1, gamma=0.5)))
    compiled = rg.compile(steps[1][0])
    x = rg.randn(4, 3)
    for _ in range(6):
        steps[0][0](x)
        compiled(x)
        for _, scheduler in steps:
            scheduler.step()
    assert compiled.replays == 4
    np.testing.assert_array_equal(compiled_model.weight.numpy(force=True),
                                  eager_model.weight.numpy(force=True))


def test_gradient_accumulation_and_clipping_inside_the_step():
    def loss_of(model, x):
        loss = squares(model, x)
        loss.backward()  # a first backward: .grad accumulates the second one below
        nn.utils.clip_grad_norm_(model.parameters(), 0.1)
        return squares(model, x * 2)
    check_same_training(lambda: nn.Linear(3, 2), normal(4, 3), loss_of)


def test_a_hand_written_update_in_place():
    eager_model, compiled_model = twin(lambda: nn.Linear(3, 2))

    def make_step(model):
        def step(x):
            loss = squares(model, x)
            loss.backward()
            with rg.no_grad():
                for p in model.parameters():
                    p -= 0.1 * p.grad
                    p.grad.zero_()
            return loss
        return step
    eager, compiled = make_step(eager_model), rg.compile(make_step(compiled_model))
    for seed in range(5):
        x = rg.tensor(np.random.default_rng(seed).standard_normal((4, 3)).astype(np.float32))
        np.testing.assert_array_equal(compiled(x).detach().numpy(), eager(x).detach().numpy())
    assert compiled.replays == 3
    np.testing.assert_array_equal(compiled_model.weight.numpy(force=True),
                                  eager_model.weight.numpy(force=True))


# -- guards ------------------------------------------------------------------------------------

def test_a_new_shape_records_a_tape_of_its_own():
    compiled = check_same_training(lambda: nn.Linear(3, 2), normal(4, 3), squares)
    x = rg.randn(7, 3)
    for _ in range(3):
        loss = compiled(x)
    assert compiled.replays == 4 and compiled.tape.input_slots and \
        loss.shape == ()


def test_dropout_draws_new_numbers_at_every_replay():
    rg.manual_seed(0)
    dropout = nn.Dropout(0.5)
    compiled = rg.compile(lambda x: dropout(x) * 1.0)
    x = rg.ones(1000)
    with rg.no_grad():
        masks = [compiled(x).numpy() != 0 for _ in range(5)]
    assert compiled.replays == 3
    assert all((masks[i] != masks[i + 1]).any() for i in range(4))


@pytest.mark.parametrize("layer, change", [
    (lambda: nn.Dropout(0.5), lambda model: model.eval()),
    (lambda: nn.LeakyReLU(0.1), lambda model: setattr(model[1], "negative_slope", 0.5)),
], ids=["eval()", "an attribute set"])
def test_a_change_of_the_modules_records_again(layer, change):
    rg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), layer())
    compiled = rg.compile(lambda x: model(x).sum())
    x = rg.randn(4, 3)
    with rg.no_grad():
        for _ in range(3):
            compiled(x)
        change(model)
        expected = model(x).sum().item()
        results = [compiled(x).item() for _ in range(3)]
    assert results == [expected] * 3 and compiled.replays == 2


def test_freezing_a_parameter_records_again():
    model = nn.Linear(3, 2)
    optimizer = rg.optim.SGD(model.parameters(), lr=0.1)
    compiled = rg.compile(training_step(model, optimizer, squares))
    x = rg.randn(4, 3)
    for _ in range(3):
        compiled(x)
    model.bias.requires_grad_(False)
    bias = model.bias.numpy(force=True).copy()
    for _ in range(3):
        compiled(x)
    np.testing.assert_array_equal(model.bias.numpy(force=True), bias)


def test_inference_under_no_grad():
    model, twin_model = twin(lambda: models.lenet5(num_classes=3, image_size=8))
    compiled = rg.compile(lambda x: model(x))
    rng = np.random.default_rng(0)
    with rg.no_grad():
        for _ in range(4):
            x = rg.tensor(rng.standard_normal((2, 1, 8, 8)).astype(np.float32))
            np.testing.assert_array_equal(compiled(x).numpy(), twin_model(x).numpy())
    assert compiled.replays == 2


def test_constants_made_inside_the_step_are_kept_and_random_draws_redrawn():
    x = rg.randn(3)
    constant = rg.compile(lambda x: x * rg.arange(3.0))
    for _ in range(4):
        np.testing.assert_array_equal(constant(x).numpy(), x.numpy() * np.arange(3.0))
    assert constant.replays == 2

    def noisy(x):
        return x + rg.randn(3) + rg.rand(3) * rg.randint(0, 5, (3,)) + rg.randperm(3)
    compiled = rg.compile(noisy)
    for seed in range(5):
        rg.manual_seed(seed)
        expected = noisy(x).numpy()
        rg.manual_seed(seed)
        np.testing.assert_array_equal(compiled(x).numpy(), expected)
    assert compiled.replays == 3


def test_a_value_that_changes_between_calls_is_refused():
    data = [np.zeros(3, np.float32)]

    def step(x):
        data[0] = data[0] + 1  # a tensor made from Python state at each call
        return x + rg.tensor(data[0])
    compiled = rg.compile(step)
    x = rg.zeros(3)
    with pytest.warns(RuntimeWarning, match="reads a tensor \\(3,\\) float32 made at each"):
        results = [compiled(x).tolist() for _ in range(5)]
    assert compiled.replays == 0 and results[-1] == [5.0] * 3


# -- what cannot be replayed runs eagerly, with a reason -------------------------------------

class Double(rg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        return grad * 2


@pytest.mark.parametrize("step, reason", [
    (lambda x: x * x.sum().item(), r"reads a tensor's value \(item\(\)\)"),
    (lambda x: x * 2 if x.sum() > 0 else x, r"truth value"),
    (lambda x: Double.apply(x), "custom autograd Function Double"),
    (lambda x: x * 2, "requires grad but runs no backward"),
], ids=["item", "if", "Function", "no backward"])
def test_what_cannot_be_replayed_runs_eagerly_with_a_warning(step, reason):
    compiled = rg.compile(step)
    x = rg.randn(3, requires_grad=True)
    with pytest.warns(RuntimeWarning, match=reason):
        results = [compiled(x) for _ in range(4)]
    assert compiled.replays == 0 and compiled.eager_reason is not None
    np.testing.assert_array_equal(results[-1].detach().numpy(), step(x).detach().numpy())


def test_a_module_with_hooks_runs_eagerly_and_its_hooks_run():
    model = nn.Linear(3, 2)
    calls = []
    model.register_forward_hook(lambda module, args, output: calls.append(1))
    compiled = rg.compile(training_step(model, rg.optim.SGD(model.parameters(), lr=0.1),
                                        squares))
    with pytest.warns(RuntimeWarning, match="hooks on the module Linear"):
        for _ in range(4):
            compiled(rg.randn(2, 3))
    assert len(calls) == 4


def test_tensor_hooks_run_at_every_replay():
    weight = rg.randn(3, requires_grad=True)
    seen = []
    weight.register_hook(lambda grad: seen.append(grad.numpy().copy()))

    def step(x):
        weight.grad = None
        loss = (weight * x).sum()
        loss.backward()
        return loss
    compiled = rg.compile(step)
    for value in range(5):
        compiled(rg.full((3,), float(value)))
    assert compiled.replays == 3
    assert [g[0] for g in seen] == [0.0, 1.0, 2.0, 3.0, 4.0]


# -- the tape --------------------------------------------------------------------------------

def test_the_tape_prints_forward_backward_and_update():
    compiled = check_same_training(
        lambda: models.mlp(2, hidden=[10], num_classes=2, activation=nn.Tanh),
        lambda rng: (rg.tensor(rng.standard_normal((10, 2)).astype(np.float32)),
                     rg.tensor(rng.integers(0, 2, 10))),
        lambda m, x, y: F.cross_entropy(m(x), y), lr=0.1)
    text = str(compiled.tape)
    for line in ["rg.compile tape:", "inputs: s0 (10, 2) float32, s1 (10,) int64",
                 "SGD.zero_grad()", "forward:", "= 0.weight", "Addmm(s0, s", "Tanh(s",
                 "backward:", "AddmmBackward0(s", "TanhBackward0(s", "AccumulateGrad(0.weight",
                 "SGD.step()", "(10, 10)"]:
        assert line in text, line
    lines = text.splitlines()
    assert lines.index("forward:") < lines.index("backward:") < lines.index("SGD.step()")
    assert "def replay(s0, s1):" in compiled.tape.source


def test_compile_as_a_decorator_and_torch_keywords():
    @rg.compile(mode="reduce-overhead", fullgraph=True)
    def double(x):
        return x * 2
    with rg.no_grad():
        for _ in range(3):
            assert double(rg.ones(2)).tolist() == [2.0, 2.0]
    assert double.replays == 1 and double.__name__ == "double"
    with pytest.raises(TypeError, match="expects a function"):
        rg.compile(3)


# -- fit and the command line ------------------------------------------------------------------

def test_fit_with_compile_gives_the_eager_history():
    from retrograd.utils.data import DataLoader, TensorDataset
    rng = np.random.default_rng(0)
    x = rg.tensor(rng.standard_normal((50, 2)).astype(np.float32))
    y = rg.tensor((x.numpy()[:, 0] * x.numpy()[:, 1] > 0).astype(np.int64))
    runs = []
    for compile in (False, True):
        rg.manual_seed(0)
        model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Dropout(0.1), nn.Linear(8, 2))
        optimizer = rg.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
        scheduler = rg.optim.lr_scheduler.StepLR(optimizer, 2, gamma=0.5)
        loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True)  # 6 + one of 2
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            history = rg.train.fit(model, F.cross_entropy, optimizer, loader, epochs=4,
                                   val_loader=DataLoader(TensorDataset(x, y), batch_size=25),
                                   scheduler=scheduler, compile=compile)
        runs.append(([{k: v for k, v in r.items() if k != "time"} for r in history.records],
                     model.state_dict()))
    assert runs[0][0] == runs[1][0]
    for name, value in runs[0][1].items():
        np.testing.assert_array_equal(runs[1][1][name].numpy(), value.numpy(), err_msg=name)


def test_the_train_command_accepts_compile(tmp_path, capsys):
    from retrograd.cli.main import main
    folders = []
    for flags in ([], ["--compile"]):
        out = tmp_path / ("compiled" if flags else "eager")
        assert main(["train", "--dataset", "circles", "--epochs", "2", "--out", str(out),
                     "--seed", "0", *flags]) == 0
        folders.append(out)
    capsys.readouterr()
    histories = [(folder / "metrics.csv").read_text().splitlines() for folder in folders]
    strip_time = [[",".join(cell for i, cell in enumerate(line.split(","))
                            if i != line_index) for line in lines]
                  for lines in histories
                  for line_index in [lines[0].split(",").index("time")]]
    assert strip_time[0] == strip_time[1]


def test_a_step_on_the_cuda_device_replays_as_on_the_cpu(fake_cuda):
    """On the CuPy stand-in (NumPy underneath) the replayed floats are the CPU's; the devices
    of the inputs are part of the guard."""
    results = []
    for device in ("cpu", "cuda"):
        rg.manual_seed(0)
        model = models.lenet5(num_classes=3, image_size=8).to(device)
        step = rg.compile(training_step(model, rg.optim.Adam(model.parameters(), lr=1e-2),
                                        lambda m, x, y: F.cross_entropy(m(x), y)))
        rng = np.random.default_rng(0)
        for _ in range(4):
            x = rg.tensor(rng.standard_normal((4, 1, 8, 8)).astype(np.float32), device=device)
            loss = step(x, rg.tensor(rng.integers(0, 3, 4), device=device))
        assert step.replays == 2 and loss.device.type == device
        results.append(model[0].weight.numpy(force=True))
    np.testing.assert_array_equal(results[0], results[1])

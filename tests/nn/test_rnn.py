"""RNN, LSTM, GRU and their cells, and ``nn.utils.rnn.pad_sequence``, compared with PyTorch
2.13.0: with the weights copied from a torch module, the outputs, final states and the gradients
of the input, the initial states and every parameter; state_dict keys, reprs, errors."""
import numpy as np
import pytest
import torch

import retrograd as rg
import retrograd.nn.utils.rnn as rg_rnn
from nn.helpers import FLOAT32, FLOAT64, assert_close, data

TOLERANCE = {"float32": FLOAT32, "float64": FLOAT64}
LAYERS = {"RNN_tanh": ("RNN", {}), "RNN_relu": ("RNN", {"nonlinearity": "relu"}),
          "LSTM": ("LSTM", {}), "GRU": ("GRU", {})}
CONFIGS = [{}, {"num_layers": 2}, {"bidirectional": True}, {"bias": False},
           {"num_layers": 2, "bidirectional": True, "batch_first": True},
           {"num_layers": 2, "dropout": 0.5}]  # dropout: compared in eval mode
CELLS = {"RNNCell_tanh": ("RNNCell", {}), "RNNCell_relu": ("RNNCell", {"nonlinearity": "relu"}),
         "LSTMCell": ("LSTMCell", {}), "GRUCell": ("GRUCell", {})}
INPUT, HIDDEN, LENGTH, BATCH = 3, 4, 5, 2


def in_our_names(text: str) -> str:
    return text.replace("torch", "retrograd")


def pair(kind: str, table: dict, dtype: str, *args, **options):
    """The same module in both libraries, retrograd's holding a copy of torch's weights."""
    name, extra = table[kind]
    theirs = getattr(torch.nn, name)(*args, **extra, **options, dtype=getattr(torch, dtype))
    ours = getattr(rg.nn, name)(*args, **extra, **options, dtype=getattr(rg, dtype))
    ours.load_state_dict({key: value.detach().numpy().copy()
                          for key, value in theirs.state_dict().items()})
    return ours, theirs


def leaves(arrays: list) -> tuple[list, list]:
    """The same inputs as leaves requiring grad in both libraries."""
    return ([rg.tensor(a, requires_grad=True) for a in arrays],
            [torch.tensor(a, requires_grad=True) for a in arrays])


def flat(result) -> list:
    """(output, h) or (output, (h, c)) or (h, c) or h, as a flat list."""
    if not isinstance(result, tuple):
        return [result]
    return [t for item in result for t in flat(item)]


def compare(ours, theirs, inputs: list, dtype: str) -> None:
    """Runs both modules on ``inputs`` (the input, then the initial states: one for RNN and
    GRU, two for LSTM, passed as a tuple), backpropagates seeded
    upstream gradients through every result and compares all values and gradients."""
    tolerance = TOLERANCE[dtype]
    our_leaves, their_leaves = leaves(inputs)

    def call(module, tensors):
        x, states = tensors[0], tensors[1:]
        if not states:
            return module(x)
        return module(x, tuple(states) if len(states) == 2 else states[0])

    our_results, their_results = flat(call(ours, our_leaves)), flat(call(theirs, their_leaves))
    assert len(our_results) == len(their_results)
    our_loss, their_loss = 0, 0
    for i, (a, b) in enumerate(zip(our_results, their_results)):
        assert_close(a, b, f"result {i}", **tolerance)
        upstream = data(*b.shape, seed=10 + i, dtype=np.dtype(dtype))
        our_loss = our_loss + (a * rg.tensor(upstream)).sum()
        their_loss = their_loss + (b * torch.from_numpy(upstream)).sum()
    our_loss.backward()
    their_loss.backward()
    for i, (a, b) in enumerate(zip(our_leaves, their_leaves)):
        assert_close(a.grad, b.grad, f"gradient of input {i}", **tolerance)
    their_parameters = dict(theirs.named_parameters())
    assert [name for name, _ in ours.named_parameters()] == list(their_parameters)
    for name, parameter in ours.named_parameters():
        assert_close(parameter.grad, their_parameters[name].grad, f"gradient of {name}",
                     **tolerance)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("with_state", [False, True], ids=["no_h0", "h0"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("config", CONFIGS,
                         ids=lambda c: "-".join(map(str, c.items())) or "default")
@pytest.mark.parametrize("kind", list(LAYERS))
def test_layer_matches_torch(kind, config, batched, with_state, dtype):
    ours, theirs = pair(kind, LAYERS, dtype, INPUT, HIDDEN, **config)
    ours.eval(), theirs.eval()
    directions = 2 if config.get("bidirectional") else 1
    layers = config.get("num_layers", 1)
    shape = (BATCH, LENGTH) if config.get("batch_first") else (LENGTH, BATCH)
    inputs = [data(*shape, INPUT, dtype=np.dtype(dtype))] if batched else [
        data(LENGTH, INPUT, dtype=np.dtype(dtype))]
    if with_state:
        state_shape = (layers * directions, BATCH, HIDDEN) if batched else (
            layers * directions, HIDDEN)
        inputs += [data(*state_shape, seed=2 + i, dtype=np.dtype(dtype))
                   for i in range(2 if kind == "LSTM" else 1)]
    compare(ours, theirs, inputs, dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("with_state", [False, True], ids=["no_h0", "h0"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("kind", list(CELLS))
def test_cell_matches_torch(kind, bias, batched, with_state, dtype):
    ours, theirs = pair(kind, CELLS, dtype, INPUT, HIDDEN, bias=bias)
    inputs = [data(*((BATCH,) if batched else ()), INPUT, dtype=np.dtype(dtype))]
    if with_state:
        inputs += [data(*((BATCH,) if batched else ()), HIDDEN, seed=2 + i, dtype=np.dtype(dtype))
                   for i in range(2 if kind == "LSTMCell" else 1)]
    compare(ours, theirs, inputs, dtype)


def test_cell_steps_chain_like_torch():
    """Three steps of an LSTMCell, each fed the previous state, gradients through all."""
    ours, theirs = pair("LSTMCell", CELLS, "float64", INPUT, HIDDEN)
    (x, h, c), (x_t, h_t, c_t) = leaves([data(3, BATCH, INPUT, dtype=np.float64),
                                         data(BATCH, HIDDEN, seed=1, dtype=np.float64),
                                         data(BATCH, HIDDEN, seed=2, dtype=np.float64)])
    state, state_t = (h, c), (h_t, c_t)
    for t in range(3):
        state, state_t = ours(x[t], state), theirs(x_t[t], state_t)
    (state[0] * 2 + state[1]).sum().backward()
    (state_t[0] * 2 + state_t[1]).sum().backward()
    for a, b in [(state[0], state_t[0]), (x.grad, x_t.grad), (h.grad, h_t.grad),
                 (ours.weight_hh.grad, theirs.weight_hh.grad)]:
        assert_close(a, b, **FLOAT64)


@pytest.mark.parametrize("kind", list(LAYERS) + list(CELLS))
def test_state_dict_keys_and_shapes(kind):
    table = LAYERS if kind in LAYERS else CELLS
    options = {"num_layers": 2, "bidirectional": True} if kind in LAYERS else {}
    ours, theirs = pair(kind, table, "float32", INPUT, HIDDEN, **options)
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {
        k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_initialisation_range_and_generator():
    rg.manual_seed(0)
    first = rg.nn.LSTM(3, 16, num_layers=2)
    rg.manual_seed(0)
    second = rg.nn.LSTM(3, 16, num_layers=2)
    for (name, a), b in zip(first.named_parameters(), second.parameters()):
        assert np.array_equal(a.array, b.array), name
        assert np.abs(a.array).max() <= 0.25 and np.abs(a.array).max() > 0.2, name


@pytest.mark.parametrize("build", [
    lambda nn: nn.LSTM(10, 20, num_layers=2, batch_first=True),
    lambda nn: nn.RNN(3, 4, 3, "relu", False, True, 0.25, True),
    lambda nn: nn.GRU(3, 4, bidirectional=True),
    lambda nn: nn.RNNCell(3, 4, bias=False, nonlinearity="relu"),
    lambda nn: nn.LSTMCell(3, 4), lambda nn: nn.GRUCell(3, 4, False),
    lambda nn: nn.Sequential(nn.LSTM(2, 3), nn.Linear(3, 1))])
def test_repr_as_torch(build):
    assert repr(build(rg.nn)) == in_our_names(repr(build(torch.nn)))


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN_tanh"])
def test_dropout_only_in_training(kind):
    ours, theirs = pair(kind, LAYERS, "float64", INPUT, HIDDEN, num_layers=3, dropout=0.5)
    x = rg.tensor(data(LENGTH, BATCH, INPUT, dtype=np.float64))
    ours.eval()
    first, second = ours(x)[0], ours(x)[0]
    assert np.array_equal(first.array, second.array)
    theirs.eval()
    assert_close(first, theirs(torch.from_numpy(x.array))[0], **FLOAT64)
    ours.train()
    rg.manual_seed(1)
    trained = ours(x)[0]
    assert not np.allclose(trained.array, first.array)
    rg.manual_seed(1)
    assert np.array_equal(ours(x)[0].array, trained.array)  # the global generator draws masks


def test_dropout_warning_and_errors_as_torch():
    for nn in (torch.nn, rg.nn):
        with pytest.warns(UserWarning, match="num_layers greater than 1"):
            nn.GRU(3, 4, dropout=0.2)
    for build, error in [(lambda nn: nn.LSTM(3, 4, dropout=1.5), ValueError),
                         (lambda nn: nn.LSTM(3, 4, dropout=True), ValueError),
                         (lambda nn: nn.RNN(3, 4, nonlinearity="gelu"), ValueError),
                         (lambda nn: nn.GRU(3, 4, proj_size=2), ValueError),
                         (lambda nn: nn.RNN(3, 0), ValueError),
                         (lambda nn: nn.LSTM(3, 4, num_layers=0), ValueError),
                         (lambda nn: nn.LSTM(3.0, 4), TypeError),
                         (lambda nn: nn.LSTM(3, 4, bias=1), TypeError)]:
        assert_same_error(build, error)
    with pytest.raises(NotImplementedError, match="proj_size"):
        rg.nn.LSTM(3, 4, proj_size=2)


def assert_same_error(scenario, error) -> None:
    """Both libraries raise ``error`` with the same message (torch read as retrograd)."""
    with pytest.raises(error) as theirs:
        scenario(torch.nn)
    with pytest.raises(error) as ours:
        scenario(rg.nn)
    assert str(ours.value) == in_our_names(str(theirs.value))


def run_with(kind: str, table: dict, input_shape, states=(), **options):
    """A scenario calling a fresh module on zeros of ``input_shape`` and ``states`` shapes."""
    def scenario(nn):
        lib = torch if nn is torch.nn else rg
        name, extra = table[kind]
        module = getattr(nn, name)(INPUT, HIDDEN, **extra, **options)
        hidden = [lib.zeros(*shape) for shape in states]
        if not hidden:
            return module(lib.zeros(*input_shape))
        return module(lib.zeros(*input_shape), tuple(hidden) if len(hidden) == 2 else hidden[0])
    return scenario


@pytest.mark.parametrize("kind, input_shape, states, options, error", [
    ("RNN_tanh", (2, 2, 2, INPUT), (), {}, ValueError),
    ("LSTM", (4,), (), {}, ValueError),
    ("GRU", (LENGTH, BATCH, 5), (), {}, RuntimeError),
    ("GRU", (LENGTH, BATCH, INPUT), [(1, 3, HIDDEN)], {}, RuntimeError),
    ("RNN_relu", (LENGTH, BATCH, INPUT), [(BATCH, HIDDEN)], {}, RuntimeError),
    ("RNN_tanh", (LENGTH, INPUT), [(1, 1, HIDDEN)], {}, RuntimeError),
    ("LSTM", (LENGTH, BATCH, INPUT), [(1, BATCH, HIDDEN), (1, BATCH, 5)], {}, RuntimeError),
    ("LSTM", (LENGTH, BATCH, INPUT), [(2, BATCH, HIDDEN), (1, BATCH, HIDDEN)], {},
     RuntimeError),
    ("LSTM", (LENGTH, BATCH, INPUT), [(1, HIDDEN), (1, HIDDEN)], {}, RuntimeError),
    ("LSTM", (BATCH, LENGTH, INPUT), [(2, LENGTH, HIDDEN)] * 2, {"bidirectional": True,
                                                                "batch_first": True},
     RuntimeError)])
def test_layer_input_errors_as_torch(kind, input_shape, states, options, error):
    assert_same_error(run_with(kind, LAYERS, input_shape, states, **options), error)


@pytest.mark.parametrize("kind, input_shape, states", [
    ("RNNCell_tanh", (2, 2, INPUT), ()), ("GRUCell", (BATCH, INPUT), [(1, 1, HIDDEN)]),
    ("LSTMCell", (BATCH, INPUT), [(BATCH, HIDDEN), (1, 2, 3)]),
    ("LSTMCell", (BATCH, 5), ()), ("GRUCell", (BATCH, INPUT), [(3, HIDDEN)]),
    ("RNNCell_relu", (BATCH, INPUT), [(BATCH, 5)])])
def test_cell_input_errors_as_torch(kind, input_shape, states):
    error = ValueError if len(input_shape) > 2 or any(len(s) > 2 for s in states) \
        else RuntimeError
    assert_same_error(run_with(kind, CELLS, input_shape, states), error)


def test_input_dtype_must_match_weights():
    with pytest.raises(ValueError, match="does not match weight dtype"):
        rg.nn.GRU(INPUT, HIDDEN)(rg.zeros(LENGTH, BATCH, INPUT, dtype=rg.float64))


def test_gradcheck_tiny_lstm():
    lstm = rg.nn.LSTM(2, 3, num_layers=2, bidirectional=True, dtype=rg.float64)
    x = rg.tensor(data(3, 2, 2, dtype=np.float64), requires_grad=True)
    h0 = rg.tensor(data(4, 2, 3, seed=1, dtype=np.float64), requires_grad=True)
    c0 = rg.tensor(data(4, 2, 3, seed=2, dtype=np.float64), requires_grad=True)

    def run(x, h0, c0):
        output, (h_n, c_n) = lstm(x, (h0, c0))
        return output, h_n, c_n

    assert rg.autograd.gradcheck(run, (x, h0, c0))


def test_gradgradcheck_gru_cell():
    rg.manual_seed(0)
    cell = rg.nn.GRUCell(2, 3, dtype=rg.float64)
    x = rg.tensor(data(2, 2, dtype=np.float64), requires_grad=True)
    h = rg.tensor(data(2, 3, seed=1, dtype=np.float64), requires_grad=True)
    assert rg.autograd.gradgradcheck(cell, (x, h))


@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("trailing", [(), (3,)])
def test_pad_sequence_as_torch(trailing, batch_first, padding_side):
    arrays = [data(length, *trailing, seed=length) for length in (2, 4, 1)]
    ours, theirs = leaves(arrays)
    padded = rg.nn.utils.rnn.pad_sequence(ours, batch_first, -1.5, padding_side)
    expected = torch.nn.utils.rnn.pad_sequence(theirs, batch_first, -1.5, padding_side)
    assert_close(padded, expected)
    upstream = data(*expected.shape, seed=7)
    padded.backward(rg.tensor(upstream))
    expected.backward(torch.from_numpy(upstream))
    for a, b in zip(ours, theirs):
        assert_close(a.grad, b.grad)


def test_unpad_sequence_and_padding_errors():
    arrays = [data(length, 3, seed=length) for length in (2, 4, 1)]
    padded = rg_rnn.pad_sequence([rg.tensor(a) for a in arrays])
    for piece, array in zip(rg_rnn.unpad_sequence(padded, rg.tensor([2, 4, 1])), arrays):
        assert np.array_equal(piece.array, array)
    for scenario in [lambda rnn, lib: rnn.pad_sequence([lib.ones(2)], padding_side="middle"),
                     lambda rnn, lib: rnn.pad_sequence([]),
                     lambda rnn, lib: rnn.pad_sequence([lib.ones(2, 3), lib.ones(2, 4)])]:
        with pytest.raises(RuntimeError):
            scenario(torch.nn.utils.rnn, torch)
        with pytest.raises(RuntimeError):
            scenario(rg.nn.utils.rnn, rg)
    with pytest.raises(NotImplementedError, match="pad_sequence"):
        rg_rnn.pack_padded_sequence(padded, [2, 4, 1])


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN_tanh"])
def test_layer_on_device_computes_as_on_cpu(fake_cuda, kind):
    """Built on the (stand-in) "cuda" device, with the CPU layer's weights: same results."""
    name, extra = LAYERS[kind]
    cpu = getattr(rg.nn, name)(INPUT, HIDDEN, num_layers=2, bidirectional=True, **extra)
    cuda = getattr(rg.nn, name)(INPUT, HIDDEN, num_layers=2, bidirectional=True, **extra,
                                device="cuda")
    cuda.load_state_dict(cpu.state_dict())
    x = data(LENGTH, BATCH, INPUT)
    expected = flat(cpu(rg.tensor(x)))
    results = flat(cuda(rg.tensor(x, device="cuda")))
    for a, b in zip(results, expected):
        assert a.device == rg.device("cuda:0")
        np.testing.assert_allclose(a.cpu().array, b.array, rtol=1e-6, atol=1e-6)
    sum(r.sum() for r in results).backward()
    assert cuda.weight_ih_l0.grad.device == rg.device("cuda:0")

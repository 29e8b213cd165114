"""Every layer against PyTorch 2.13.0 with the same weights: forward, input and parameter
gradients; train/eval behaviour of BatchNorm1d and Dropout; errors; float32 kept."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import retrograd as rg
from retrograd import nn
from retrograd.nn import functional as F

from .helpers import FLOAT64, assert_close, check_layer, copy_weights, data

# -- one line per layer: (build with lib, input shape) ---------------------------------------

LAYERS = {
    "linear": (lambda lib: lib.nn.Linear(4, 3), (5, 4)),
    "linear-batched": (lambda lib: lib.nn.Linear(4, 3), (2, 5, 4)),
    "linear-no-bias": (lambda lib: lib.nn.Linear(4, 3, bias=False), (5, 4)),
    "identity": (lambda lib: lib.nn.Identity(7, unused=True), (3, 4)),
    "flatten": (lambda lib: lib.nn.Flatten(), (2, 3, 4, 5)),
    "flatten-middle": (lambda lib: lib.nn.Flatten(1, 2), (2, 3, 4, 5)),
    "relu": (lambda lib: lib.nn.ReLU(), (4, 5)),
    "leaky-relu": (lambda lib: lib.nn.LeakyReLU(0.2), (4, 5)),
    "tanh": (lambda lib: lib.nn.Tanh(), (4, 5)),
    "sigmoid": (lambda lib: lib.nn.Sigmoid(), (4, 5)),
    "softplus": (lambda lib: lib.nn.Softplus(beta=2.0, threshold=1.0), (4, 5)),
    "gelu": (lambda lib: lib.nn.GELU(), (4, 5)),
    "gelu-tanh": (lambda lib: lib.nn.GELU(approximate="tanh"), (4, 5)),
    "elu": (lambda lib: lib.nn.ELU(alpha=0.7), (4, 5)),
    "softmax": (lambda lib: lib.nn.Softmax(dim=1), (4, 5)),
    "log-softmax": (lambda lib: lib.nn.LogSoftmax(dim=0), (4, 5)),
    "layer-norm": (lambda lib: lib.nn.LayerNorm(5), (4, 5)),
    "layer-norm-2d": (lambda lib: lib.nn.LayerNorm((3, 5), eps=1e-3), (2, 3, 5)),
    "layer-norm-plain": (lambda lib: lib.nn.LayerNorm(5, elementwise_affine=False), (4, 3, 5)),
    "layer-norm-no-bias": (lambda lib: lib.nn.LayerNorm(5, bias=False), (4, 5)),
    "batch-norm": (lambda lib: lib.nn.BatchNorm1d(5), (8, 5)),
    "batch-norm-3d": (lambda lib: lib.nn.BatchNorm1d(3), (4, 3, 6)),
    "batch-norm-plain": (lambda lib: lib.nn.BatchNorm1d(5, affine=False), (8, 5)),
    "batch-norm-untracked": (
        lambda lib: lib.nn.BatchNorm1d(5, momentum=None, track_running_stats=False), (8, 5)),
    "dropout-eval": (lambda lib: lib.nn.Dropout(0.5).eval(), (4, 5)),
}


FLOAT64_BY_LAYER: dict = {}  # per-layer float64 tolerances, where one needs looser ones


def random_affine(module: nn.Module) -> nn.Module:
    """Normalization weights away from their ones/zeros start, so that the test sees them."""
    for name, param in module.named_parameters():
        if name.endswith(("weight", "bias")) and not isinstance(module, nn.Linear):
            nn.init.uniform_(param, 0.5, 1.5)
    return module


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_matches_pytorch(name, dtype):
    build, shape = LAYERS[name]
    ours = random_affine(build(rg)).to(rg.float64 if dtype is np.float64 else rg.float32)
    theirs = build(torch).to(torch.float64 if dtype is np.float64 else torch.float32)
    theirs.train(ours.training)
    out, _ = check_layer(ours, theirs, data(*shape, dtype=dtype),
                         **({} if dtype is np.float32 else FLOAT64_BY_LAYER.get(name, FLOAT64)))
    assert out.array.dtype == dtype  # layers keep the dtype, float32 by default


def test_layers_are_float32_by_default():
    for build, shape in LAYERS.values():
        layer = build(rg)
        assert all(p.dtype == rg.float32 for p in layer.parameters())
        assert layer(rg.randn(*shape)).dtype == rg.float32


# -- Linear ----------------------------------------------------------------------------------

def test_linear_default_init_follows_pytorch_bounds():
    layer = nn.Linear(400, 300)
    bound = 1 / np.sqrt(400)  # kaiming_uniform_(a=sqrt(5)) and the bias bound
    for param in (layer.weight, layer.bias):
        values = param.array
        assert values.min() >= -bound and values.max() <= bound
        assert abs(values.std() - bound / np.sqrt(3)) < 0.05 * bound  # U(-b, b) std = b/sqrt(3)
    torch_weight = torch.nn.Linear(400, 300).weight.detach().numpy()
    assert abs(layer.weight.array.std() - torch_weight.std()) < 0.01 * bound


def test_linear_init_is_reproducible_under_manual_seed():
    rg.manual_seed(3)
    first = nn.Linear(3, 2).weight.array.copy()
    rg.manual_seed(3)
    np.testing.assert_array_equal(nn.Linear(3, 2).weight.array, first)


def test_linear_shape_error_names_shapes():
    with pytest.raises(RuntimeError, match=r"\(5, 3\).*\(3, 4\)"):
        nn.Linear(4, 3)(rg.randn(5, 3))


def test_linear_dtype_and_device_arguments():
    assert nn.Linear(2, 2, dtype=rg.float64).weight.dtype == rg.float64
    assert nn.Linear(2, 2, device="cpu").weight.dtype == rg.float32
    if not rg.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            nn.Linear(2, 2, device="cuda")


# -- activations -----------------------------------------------------------------------------

@pytest.mark.parametrize("build", [lambda lib: lib.nn.ReLU(inplace=True),
                                   lambda lib: lib.nn.LeakyReLU(0.1, inplace=True),
                                   lambda lib: lib.nn.ELU(inplace=True)])
def test_inplace_activation_changes_its_input_and_still_backpropagates(build):
    x_np = data(3, 4)
    x = rg.tensor(x_np, requires_grad=True)
    x_torch = torch.tensor(x_np, requires_grad=True)
    hidden, hidden_torch = x * 2, x_torch * 2
    out, out_torch = build(rg)(hidden), build(torch)(hidden_torch)
    assert out is hidden and out_torch is hidden_torch
    assert_close(hidden, hidden_torch)
    (out * out).sum().backward()
    (out_torch * out_torch).sum().backward()
    assert_close(x.grad, x_torch.grad)
    plain = rg.tensor(x_np)
    assert build(rg)(plain) is plain
    assert_close(plain, build(torch)(torch.tensor(x_np)))


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4), (2, 3, 4, 5)])
def test_softmax_without_dim_warns_and_picks_pytorch_dim(shape):
    x = data(*shape)
    for module in ("Softmax", "LogSoftmax"):
        with pytest.warns(UserWarning, match="Implicit dimension"):
            ours = getattr(nn, module)()(rg.tensor(x))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = getattr(torch.nn, module)()(torch.tensor(x))
        assert_close(ours, theirs)


# -- BatchNorm1d -----------------------------------------------------------------------------

@pytest.mark.parametrize("options", [{}, {"momentum": 0.3}, {"momentum": None},
                                     {"affine": False}, {"eps": 1e-2}])
@pytest.mark.parametrize("shape", [(6, 4), (5, 4, 3)])
def test_batch_norm_running_stats_follow_pytorch_over_steps(options, shape):
    ours = random_affine(nn.BatchNorm1d(4, **options))
    theirs = torch.nn.BatchNorm1d(4, **options)
    copy_weights(ours, theirs)
    for step in range(4):  # training steps move the running statistics
        x = data(*shape, seed=step) * (step + 1) + step
        assert_close(ours(rg.tensor(x)), theirs(torch.tensor(x)), f"train step {step}")
    for key, value in theirs.state_dict().items():
        assert_close(ours.state_dict()[key], value, key)
    assert ours.num_batches_tracked.item() == 4
    ours.eval(), theirs.eval()  # evaluation uses them and changes nothing
    x = data(*shape, seed=9)
    check_layer(ours, theirs, x)
    assert ours.num_batches_tracked.item() == 4


def test_batch_norm_train_normalizes_with_biased_variance_and_stores_unbiased():
    x = data(10, 3, seed=2) * 3 + 1
    layer = nn.BatchNorm1d(3, momentum=1.0)
    out = layer(rg.tensor(x)).array
    np.testing.assert_allclose(out.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(out.var(0), 1, rtol=1e-3)  # biased: population variance 1
    np.testing.assert_allclose(layer.running_var.array, x.var(0, ddof=1), rtol=1e-5)
    np.testing.assert_allclose(layer.running_mean.array, x.mean(0), rtol=1e-5, atol=1e-6)


def test_batch_norm_eval_without_running_stats_uses_batch_stats():
    ours = nn.BatchNorm1d(4, track_running_stats=False).eval()
    theirs = torch.nn.BatchNorm1d(4, track_running_stats=False).eval()
    assert ours.running_mean is None and "running_mean" not in ours.state_dict()
    check_layer(ours, theirs, data(6, 4))


def test_batch_norm_errors():
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        nn.BatchNorm1d(3)(rg.randn(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"expects 3 channels.*\(4, 5\)"):
        nn.BatchNorm1d(3)(rg.randn(4, 5))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(rg.randn(1, 3))
    nn.BatchNorm1d(3).eval()(rg.randn(1, 3))  # one example is fine in evaluation


def test_batch_norm_second_order():
    x = rg.randn(5, 3, dtype=rg.float64, requires_grad=True)
    weight = rg.rand(3, dtype=rg.float64, requires_grad=True)
    bias = rg.randn(3, dtype=rg.float64, requires_grad=True)

    def normalize(x, weight, bias):
        return F.batch_norm(x, None, None, weight, bias, training=True)
    assert rg.autograd.gradcheck(normalize, (x, weight, bias))
    assert rg.autograd.gradgradcheck(normalize, (x, weight, bias))


# -- LayerNorm -------------------------------------------------------------------------------

def test_layer_norm_second_order_and_errors():
    x = rg.randn(4, 5, dtype=rg.float64, requires_grad=True)
    weight = rg.rand(5, dtype=rg.float64, requires_grad=True)

    def normalize(x, weight):
        return F.layer_norm(x, (5,), weight)
    assert rg.autograd.gradcheck(normalize, (x, weight))
    assert rg.autograd.gradgradcheck(normalize, (x, weight))
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[5\].*\[\*, 5\].*\(4, 3\)"):
        nn.LayerNorm(5)(rg.randn(4, 3))
    assert nn.LayerNorm(5).eval()(rg.tensor(data(2, 5))).allclose(
        nn.LayerNorm(5)(rg.tensor(data(2, 5))))


# -- Embedding -------------------------------------------------------------------------------

@pytest.mark.parametrize("padding_idx", [None, 0, -1])
def test_embedding_matches_pytorch(padding_idx):
    ours = nn.Embedding(6, 3, padding_idx=padding_idx)
    theirs = torch.nn.Embedding(6, 3, padding_idx=padding_idx)
    indices = np.array([[0, 2, 5, 2], [1, 5, 0, 0]], dtype=np.int64)  # repeats add up
    check_layer(ours, theirs, indices)
    if padding_idx is not None:
        assert not nn.Embedding(6, 3, padding_idx=padding_idx).weight.array[padding_idx].any()


def test_embedding_init_and_errors():
    table = nn.Embedding(1000, 20)
    assert abs(table.weight.array.mean()) < 0.02 and abs(table.weight.array.std() - 1) < 0.02
    with pytest.raises(TypeError, match="integers"):
        table(rg.tensor([1.0, 2.0]))
    with pytest.raises(IndexError, match=r"index 1000 is out of range.*\[0, 999\]"):
        table(rg.tensor([3, 1000]))
    with pytest.raises(IndexError, match="index -1"):
        table(rg.tensor([-1]))
    with pytest.raises(ValueError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(5, 2, padding_idx=5)


# -- Dropout ---------------------------------------------------------------------------------

def test_dropout_train_zeroes_a_fraction_p_and_scales_the_rest():
    layer = nn.Dropout(0.3)
    x = rg.ones(200, 500, requires_grad=True)
    out = layer(x)
    kept = out.array != 0
    assert abs(1 - kept.mean() - 0.3) < 0.01  # 100,000 draws: the fraction is close to p
    np.testing.assert_allclose(out.array[kept], 1 / 0.7, rtol=1e-6)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.array, out.array)  # the gradient is the same mask
    assert out.dtype == rg.float32


def test_dropout_eval_p0_p1_and_seed():
    x = rg.randn(4, 5)
    layer = nn.Dropout(0.5)
    assert layer.eval()(x) is x
    assert F.dropout(x, 0.0) is x and F.dropout(x, 0.9, training=False) is x
    assert not F.dropout(x, 1.0).array.any()
    rg.manual_seed(7)
    first = F.dropout(x).array
    rg.manual_seed(7)
    np.testing.assert_array_equal(F.dropout(x).array, first)
    inplace = rg.ones(3, 4)
    assert nn.Dropout(0.5, inplace=True)(inplace) is inplace
    assert set(np.unique(inplace.array)) <= {0.0, 2.0}
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match="between 0 and 1"):
            nn.Dropout(p)
        with pytest.raises(ValueError, match="between 0 and 1"):
            F.dropout(x, p)


def test_dropout_masks_like_pytorch_with_the_same_mask():
    x_np = data(6, 5)
    x = rg.tensor(x_np, requires_grad=True)
    out = F.dropout(x, 0.4)
    mask = torch.from_numpy((out.array != 0).astype(np.float32))
    x_torch = torch.tensor(x_np, requires_grad=True)
    out_torch = x_torch * mask / 0.6  # PyTorch's dropout with this mask
    assert_close(out, out_torch)
    out.sum().backward()
    out_torch.sum().backward()
    assert_close(x.grad, x_torch.grad)

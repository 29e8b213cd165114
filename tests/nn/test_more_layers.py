"""More layers, losses and utilities of issue 10 (PReLU, Dropout1d, AlphaDropout, InstanceNorm,
AdaptiveMaxPool, padding layers, Unfold/Fold, four losses, init.eye_/dirac_/orthogonal_,
parameters_to_vector), compared with PyTorch 2.13.0: outputs and gradients with the same
weights, reprs, and errors."""
import warnings

import numpy as np
import pytest
import torch
from ops.oracle import both_raise

import retrograd as rg
from nn.helpers import FLOAT64, assert_close, check_layer, data


def in_our_names(text: str) -> str:
    return text.replace("torch.", "retrograd.")


def layers(lib):
    """The same layers, built with either library's nn."""
    nn = lib.nn
    return [nn.PReLU(), nn.PReLU(3, init=0.1), nn.Dropout1d(), nn.Dropout1d(0.2, True),
            nn.AlphaDropout(0.3), nn.InstanceNorm1d(3), nn.InstanceNorm2d(4, affine=True),
            nn.InstanceNorm2d(2, 1e-3, 0.2, True, True, bias=False),
            nn.AdaptiveMaxPool1d(3), nn.AdaptiveMaxPool2d((2, None), return_indices=True),
            nn.ZeroPad1d(2), nn.ZeroPad2d((1, 2, 3, 4)), nn.ConstantPad1d((1, 2), 3.5),
            nn.ConstantPad2d(1, 0), nn.ReflectionPad1d(2), nn.ReflectionPad2d((1, 0, 2, 1)),
            nn.ReplicationPad1d((1, 2)), nn.ReplicationPad2d(2), nn.Unfold(2),
            nn.Unfold((2, 3), dilation=2, padding=1, stride=(1, 2)), nn.Fold((4, 5), 2),
            nn.SoftMarginLoss(), nn.MultiLabelSoftMarginLoss(reduction="sum"),
            nn.PoissonNLLLoss(log_input=False, full=True), nn.GaussianNLLLoss(full=True)]


@pytest.mark.parametrize("index", range(len(layers(torch))))
def test_repr_is_torchs(index):
    assert repr(layers(rg)[index]) == in_our_names(repr(layers(torch)[index]))


@pytest.mark.parametrize("index", range(len(layers(torch))))
def test_state_dict_keys_are_torchs(index):
    assert list(layers(rg)[index].state_dict()) == list(layers(torch)[index].state_dict())


@pytest.mark.parametrize("name, args, kwargs, shape", [
    ("PReLU", (), {}, (3, 5)), ("PReLU", (4, 0.3), {}, (2, 4, 3)),
    ("PReLU", (1,), {}, (5,)),
    ("InstanceNorm1d", (3,), {}, (2, 3, 5)), ("InstanceNorm1d", (3,), {"affine": True}, (3, 5)),
    ("InstanceNorm2d", (2,), {"affine": True, "eps": 1e-3}, (2, 2, 3, 4)),
    ("InstanceNorm2d", (2,), {"affine": True, "bias": False}, (2, 3, 4)),
    ("AdaptiveMaxPool1d", (3,), {}, (2, 3, 7)), ("AdaptiveMaxPool1d", (4,), {}, (3, 5)),
    ("AdaptiveMaxPool2d", ((2, 3),), {}, (2, 2, 5, 7)),
    ("AdaptiveMaxPool2d", ((None, 2),), {}, (2, 5, 4)),
    ("AdaptiveMaxPool2d", (1,), {}, (2, 3, 4, 4)),
    ("ZeroPad1d", (2,), {}, (2, 3, 4)), ("ZeroPad2d", ((1, 0, 2, 3),), {}, (1, 2, 3, 4)),
    ("ConstantPad1d", ((1, 3), -1.5), {}, (3, 4)), ("ConstantPad2d", (2, 0.5), {}, (2, 3, 3)),
    ("ReflectionPad1d", ((2, 3),), {}, (2, 3, 5)), ("ReflectionPad2d", (2,), {}, (1, 2, 3, 4)),
    ("ReplicationPad1d", (3,), {}, (3, 4)), ("ReplicationPad2d", ((1, 2, 0, 3),), {},
                                              (1, 2, 3, 4)),
    ("Unfold", (2,), {}, (2, 3, 4, 5)), ("Unfold", ((2, 3),), {"padding": 1, "stride": 2},
                                         (2, 4, 5)),
    ("Fold", ((4, 5), 2), {}, (2, 12, 12)), ("Fold", ((5, 5), 3), {"padding": 1}, (9, 25)),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_matches_torch(name, args, kwargs, shape, dtype):
    ours = getattr(rg.nn, name)(*args, **kwargs)
    theirs = getattr(torch.nn, name)(*args, **kwargs)
    if dtype == np.float64:
        ours, theirs = ours.double(), theirs.double()
    if "weight" in dict(ours.named_parameters()):
        ours.weight.data = rg.tensor(data(*ours.weight.shape, seed=5, dtype=dtype))
    check_layer(ours, theirs, data(*shape, dtype=dtype) * 3,
                **({} if dtype == np.float32 else FLOAT64))


def test_prelu_starts_at_init_and_learns_one_slope_per_channel():
    layer = rg.nn.PReLU(3, init=0.1)
    assert layer.weight.shape == (3,) and (layer.weight.data.numpy() == np.float32(0.1)).all()
    layer.weight.data.fill_(0.5)
    layer.reset_parameters()
    assert (layer.weight.data.numpy() == np.float32(0.1)).all()
    both_raise(lambda lib: lib.nn.functional.prelu(lib.ones(2, 4), lib.ones(3)), RuntimeError,
               "Mismatch of parameter numbers")
    both_raise(lambda lib: lib.nn.functional.prelu(lib.ones(()), lib.ones(2)), RuntimeError,
               "zero-dim")
    both_raise(lambda lib: lib.nn.functional.prelu(lib.ones(2, 3), lib.ones(1, 3)),
               RuntimeError, "scalar or 1D")


# -- dropout ----------------------------------------------------------------------------------

def test_dropout1d_drops_whole_channels():
    rg.manual_seed(0)
    x = rg.ones(200, 4, 6)
    out = rg.nn.functional.dropout1d(x, 0.25)
    per_channel = out.numpy()
    assert (per_channel == per_channel[..., :1]).all()  # a channel is kept or dropped whole
    assert set(np.unique(per_channel)) == {0.0, np.float32(1 / 0.75)}
    assert abs((per_channel[..., 0] == 0).mean() - 0.25) < 0.05
    unbatched = rg.nn.functional.dropout1d(rg.ones(50, 3), 0.5).numpy()
    assert (unbatched == unbatched[:, :1]).all()
    layer = rg.nn.Dropout1d(0.5).eval()
    assert layer(x) is x
    both_raise(lambda lib: lib.nn.functional.dropout1d(lib.ones(2, 3, 4, 5)), RuntimeError,
               "Expected 2D or 3D input")
    both_raise(lambda lib: lib.nn.Dropout1d(1.5), ValueError, "between 0 and 1")


def test_alpha_dropout_keeps_the_statistics_of_a_standardized_input():
    rg.manual_seed(1)
    x = rg.randn(400_000)
    out = rg.nn.functional.alpha_dropout(x, 0.2, training=True).numpy()
    assert abs(out.mean()) < 0.01 and abs(out.std() - 1) < 0.01
    a = 1 / np.sqrt((1.7580993408473766 ** 2 * 0.2 + 1) * 0.8)
    dropped = np.isclose(out, -0.8 * 1.7580993408473766 * a)  # a (p - 1) alpha'
    assert abs(dropped.mean() - 0.2) < 0.01
    # the eval identity: the default training=False, and the module in eval mode
    assert rg.nn.functional.alpha_dropout(x, 0.5) is x
    assert rg.nn.AlphaDropout(0.5).eval()(x) is x
    assert (rg.nn.functional.alpha_dropout(x, 1.0, True).numpy() == 0).all()
    both_raise(lambda lib: lib.nn.functional.alpha_dropout(lib.ones(2), 1.5), ValueError,
               "between 0 and 1")


def test_alpha_dropout_gradient_is_the_scale_at_kept_elements():
    rg.manual_seed(2)
    x = rg.randn(1000, requires_grad=True)
    out = rg.nn.functional.alpha_dropout(x, 0.3, training=True)
    out.sum().backward()
    p, alpha = 0.3, 1.7580993408473766
    a = 1 / np.sqrt((alpha ** 2 * p + 1) * (1 - p))
    kept = x.grad.numpy() != 0
    np.testing.assert_allclose(x.grad.numpy()[kept], a, rtol=1e-6)
    np.testing.assert_allclose(out.detach().numpy()[kept],
                               a * x.detach().numpy()[kept] + a * alpha * p, rtol=1e-5)


# -- instance norm ----------------------------------------------------------------------------

@pytest.mark.parametrize("cls, shape", [("InstanceNorm1d", (4, 3, 6)),
                                        ("InstanceNorm2d", (2, 3, 4, 5))])
def test_instance_norm_running_stats_match_torch(cls, shape):
    ours = getattr(rg.nn, cls)(3, momentum=0.3, affine=True, track_running_stats=True).double()
    theirs = getattr(torch.nn, cls)(3, momentum=0.3, affine=True,
                                    track_running_stats=True).double()
    for seed in range(2):
        check_layer(ours, theirs, data(*shape, seed=seed, dtype=np.float64) * 2 + 1, **FLOAT64)
    assert_close(ours.running_mean, theirs.running_mean, **FLOAT64)
    assert_close(ours.running_var, theirs.running_var, **FLOAT64)
    ours.eval()
    theirs.eval()  # evaluation normalizes with the running statistics
    check_layer(ours, theirs, data(*shape, seed=3, dtype=np.float64), **FLOAT64)


def test_instance_norm_errors_and_warnings_are_torchs():
    both_raise(lambda lib: lib.nn.InstanceNorm1d(3)(lib.ones(2, 3, 4, 5)), ValueError,
               r"expected 2D or 3D input \(got 4D input\)")
    both_raise(lambda lib: lib.nn.InstanceNorm2d(3, affine=True)(lib.ones(2, 4, 3, 3)),
               ValueError, r"expected input's size at dim=1 to match num_features \(3\)")
    both_raise(lambda lib: lib.nn.functional.instance_norm(lib.ones(2, 3, 1)), ValueError,
               "Expected more than 1 spatial element when training")
    with pytest.warns(UserWarning, match="does not match num_features"):
        rg.nn.InstanceNorm1d(5)(rg.randn(2, 3, 4))


# -- adaptive max pooling ---------------------------------------------------------------------

@pytest.mark.parametrize("function, shape, size", [
    ("adaptive_max_pool2d", (2, 3, 5, 7), (3, None)), ("adaptive_max_pool2d", (3, 6, 6), 4),
    ("adaptive_max_pool1d", (2, 3, 7), 3), ("adaptive_max_pool1d", (3, 5), 5)])
def test_adaptive_max_pool_indices_match_torch(function, shape, size):
    x = data(*shape)
    out, index = getattr(rg.nn.functional, function)(rg.tensor(x), size, return_indices=True)
    out_t, index_t = getattr(torch.nn.functional, function)(torch.tensor(x), size, True)
    assert_close(out, out_t)
    assert_close(index, index_t)
    pooled, where = rg.nn.AdaptiveMaxPool2d(2, return_indices=True)(rg.tensor(data(1, 2, 4, 4)))
    assert pooled.shape == where.shape == (1, 2, 2, 2)


def test_adaptive_max_pool_errors():
    both_raise(lambda lib: lib.nn.functional.adaptive_max_pool2d(lib.ones(2, 3), 2),
               RuntimeError, "3D or 4D")
    with pytest.raises(RuntimeError, match=r"AdaptiveMaxPool1d\(output_size=2\)"):
        rg.nn.AdaptiveMaxPool1d(2)(rg.ones(1, 2, 3, 4))


# -- padding layers ---------------------------------------------------------------------------

def test_padding_layers_errors_are_torchs():
    # (PyTorch raises a RuntimeError, retrograd's F.pad a ValueError)
    with pytest.raises(RuntimeError):
        torch.nn.ReflectionPad1d(3)(torch.ones(1, 2, 3))
    with pytest.raises(ValueError, match="between 0 and 2"):
        rg.nn.ReflectionPad1d(3)(rg.ones(1, 2, 3))
    assert rg.nn.ZeroPad1d([1, 2]).padding == (1, 2)


# -- unfold and fold --------------------------------------------------------------------------

def test_unfold_times_weight_is_a_convolution_and_fold_is_its_adjoint():
    x, weight = rg.randn(2, 3, 5, 6), rg.randn(4, 3, 3, 3)
    cols = rg.nn.functional.unfold(x, 3, padding=1)
    out = (weight.reshape(4, -1) @ cols).reshape(2, 4, 5, 6)
    assert_close(out, torch.nn.functional.conv2d(torch.tensor(x.numpy()),
                                                 torch.tensor(weight.numpy()), padding=1),
                 rtol=1e-4, atol=1e-4)
    v = rg.randn(*cols.shape)
    folded = rg.nn.functional.fold(v, (5, 6), 3, padding=1)
    np.testing.assert_allclose(float((cols * v).sum()), float((x * folded).sum()), rtol=1e-4)
    assert cols.is_contiguous() and folded.is_contiguous()


def test_unfold_fold_errors_are_torchs():
    both_raise(lambda lib: lib.nn.functional.unfold(lib.ones(2, 3, 4), 5), RuntimeError,
               "must be at least one")
    both_raise(lambda lib: lib.nn.functional.fold(lib.ones(1, 12, 5), (4, 5), 2), RuntimeError,
               r"match the calculated number of sliding blocks 3 \* 4 = 12")
    both_raise(lambda lib: lib.nn.functional.fold(lib.ones(1, 10, 12), (4, 5), 2), RuntimeError,
               "divisible by the product of kernel_size")
    both_raise(lambda lib: lib.nn.functional.fold(lib.ones(2, 1, 12, 1), (4, 5), 2),
               RuntimeError, "Expected 2D or 3D")


# -- losses -----------------------------------------------------------------------------------

def _loss_inputs(name, lib):
    x = lib.tensor(data(4, 5, seed=0, dtype=np.float64), requires_grad=True)
    if name == "SoftMarginLoss":
        return x, lib.tensor(np.sign(data(4, 5, seed=1, dtype=np.float64)))
    if name == "MultiLabelSoftMarginLoss":
        return x, lib.tensor((data(4, 5, seed=1) > 0).astype(np.float64))
    if name == "PoissonNLLLoss":
        return x, lib.tensor(np.abs(data(4, 5, seed=1, dtype=np.float64)) * 3)
    var = lib.tensor(np.abs(data(4, 5, seed=2, dtype=np.float64)), requires_grad=True)
    return x, lib.tensor(data(4, 5, seed=1, dtype=np.float64)), var


@pytest.mark.parametrize("name, kwargs", [
    ("SoftMarginLoss", {}), ("SoftMarginLoss", {"reduction": "none"}),
    ("MultiLabelSoftMarginLoss", {}), ("MultiLabelSoftMarginLoss", {"reduction": "none"}),
    ("PoissonNLLLoss", {}), ("PoissonNLLLoss", {"full": True, "reduction": "sum"}),
    ("PoissonNLLLoss", {"log_input": False, "eps": 1e-3}),
    ("GaussianNLLLoss", {}), ("GaussianNLLLoss", {"full": True, "reduction": "none"}),
    ("GaussianNLLLoss", {"eps": 0.5, "reduction": "sum"}),
])
def test_loss_modules_match_torch(name, kwargs):
    ours, theirs = _loss_inputs(name, rg), _loss_inputs(name, torch)
    loss = getattr(rg.nn, name)(**kwargs)(*ours)
    loss_t = getattr(torch.nn, name)(**kwargs)(*theirs)
    assert_close(loss, loss_t, **FLOAT64)
    loss.sum().backward()
    loss_t.sum().backward()
    for mine, its in zip(ours, theirs):
        if its.requires_grad:
            assert_close(mine.grad, its.grad, **FLOAT64)


def test_multilabel_soft_margin_weight_and_gaussian_shared_variance():
    x, y = data(3, 4, dtype=np.float64), (data(3, 4, seed=1) > 0).astype(np.float64)
    w = np.arange(1.0, 5.0)
    ours = rg.nn.MultiLabelSoftMarginLoss(rg.tensor(w))(rg.tensor(x), rg.tensor(y))
    theirs = torch.nn.MultiLabelSoftMarginLoss(torch.tensor(w))(torch.tensor(x), torch.tensor(y))
    assert_close(ours, theirs, **FLOAT64)
    for var in (np.full(3, 0.5), np.full((3, 1), 2.0), 0.7):
        mine = rg.nn.functional.gaussian_nll_loss(rg.tensor(x), rg.tensor(y), var if
                                                  isinstance(var, float) else rg.tensor(var))
        its = torch.nn.functional.gaussian_nll_loss(torch.tensor(x), torch.tensor(y), var if
                                                    isinstance(var, float) else torch.tensor(var))
        assert_close(mine, its, **FLOAT64)


def test_loss_errors_are_torchs():
    F = "functional"
    both_raise(lambda lib: getattr(lib.nn, F).gaussian_nll_loss(
        lib.ones(3, 4), lib.ones(3, 4), lib.ones(2, 4)), ValueError, "var is of incorrect size")
    both_raise(lambda lib: getattr(lib.nn, F).gaussian_nll_loss(
        lib.ones(3, 4), lib.ones(3, 4), -lib.ones(3, 4)), ValueError, "negative entry")
    both_raise(lambda lib: getattr(lib.nn, F).soft_margin_loss(
        lib.ones(3, 4, requires_grad=True), lib.ones(3, 4, requires_grad=True)), RuntimeError,
        "not differentiable with respect to target")
    for name in ("SoftMarginLoss", "MultiLabelSoftMarginLoss", "PoissonNLLLoss"):
        # (PyTorch raises when called, retrograd already when built)
        both_raise(lambda lib: getattr(lib.nn, name)(reduction="average")(
            lib.ones(2, 3), lib.ones(2, 3)), ValueError, "reduction")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert rg.nn.PoissonNLLLoss(size_average=False).reduction == "sum"


# -- init and utils ---------------------------------------------------------------------------

def test_eye_and_dirac_match_torch():
    for shape in ((3, 5), (4, 2)):
        assert_close(rg.nn.init.eye_(rg.empty(*shape)), torch.nn.init.eye_(torch.empty(*shape)))
    for shape, groups in (((4, 2, 3), 2), ((3, 3, 3, 3), 1), ((6, 2, 2, 3, 3), 3)):
        assert_close(rg.nn.init.dirac_(rg.empty(*shape), groups),
                     torch.nn.init.dirac_(torch.empty(*shape), groups))
    both_raise(lambda lib: lib.nn.init.eye_(lib.empty(2, 3, 4)), ValueError, "2 dimensions")
    both_raise(lambda lib: lib.nn.init.dirac_(lib.empty(2, 3)), ValueError, "3, 4, or 5")
    both_raise(lambda lib: lib.nn.init.dirac_(lib.empty(3, 2, 3), 2), ValueError, "divisible")


@pytest.mark.parametrize("shape", [(3, 5), (6, 2), (4, 2, 3, 3)])
def test_orthogonal_gives_orthonormal_rows_or_columns(shape):
    w = rg.nn.init.orthogonal_(rg.empty(*shape), gain=2.0,
                               generator=rg.Generator().manual_seed(0))
    flat = w.numpy().reshape(shape[0], -1).astype(np.float64) / 2.0
    gram = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
    np.testing.assert_allclose(gram, np.eye(len(gram)), atol=1e-5)
    again = rg.nn.init.orthogonal_(rg.empty(*shape), gain=2.0,
                                   generator=rg.Generator().manual_seed(0))
    assert (again.numpy() == w.numpy()).all()
    both_raise(lambda lib: lib.nn.init.orthogonal_(lib.empty(3)), ValueError, "2 or more")


def test_parameters_to_vector_and_back():
    ours, theirs = rg.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    vector = rg.nn.utils.parameters_to_vector(ours.parameters())
    assert_close(vector, torch.nn.utils.parameters_to_vector(theirs.parameters()))
    vector.sum().backward()  # the vector is in the graph
    assert (ours.weight.grad.numpy() == 1).all()
    new = np.arange(8, dtype=np.float32)
    rg.nn.utils.vector_to_parameters(rg.tensor(new), ours.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(new), theirs.parameters())
    assert_close(ours.weight, theirs.weight)
    assert_close(ours.bias, theirs.bias)
    both_raise(lambda lib: lib.nn.utils.vector_to_parameters([1.0], ours.parameters()),
               TypeError, "expected torch.Tensor")

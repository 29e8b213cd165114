"""What PyTorch users print and construct: rg.Size, the legacy constructors and types
(rg.Tensor(2, 3), rg.FloatTensor, .type()), formatting a 0-d tensor, grad_fn names, and
rg.load's torch keywords. torch is the oracle throughout."""
import pytest
import torch
from ops.oracle import both_raise, check_scenario

import retrograd as rg


def in_our_names(text: str) -> str:
    return text.replace("torch.", "retrograd.")


@pytest.mark.parametrize("make", [
    lambda lib: lib.zeros(3, 28, 28).shape,
    lambda lib: lib.zeros(3, 28, 28).size(),
    lambda lib: lib.zeros(3, 28, 28).shape[1:],
    lambda lib: (1,) + lib.zeros(2, 3).shape,
    lambda lib: lib.zeros(2, 3).shape + (4,),
    lambda lib: lib.zeros(2, 3).shape * 2,
    lambda lib: lib.tensor(1.0).shape,
    lambda lib: lib.Size([2, 5]),
])
def test_size_is_a_tuple_that_prints_like_torch(make):
    ours, theirs = make(rg), make(torch)
    assert repr(ours) == in_our_names(repr(theirs)) and str(ours) == in_our_names(str(theirs))
    assert isinstance(ours, tuple) and ours == tuple(theirs)
    assert ours.numel() == theirs.numel()
    assert f"{ours}" == in_our_names(f"{theirs}")


def test_size_items_are_ints_and_compare_with_tuples():
    shape = rg.zeros(2, 3).shape
    assert shape == (2, 3) and shape[0] == 2 and type(shape[-1]) is int
    assert rg.zeros(shape).shape == shape and rg.zeros(*shape).shape == (2, 3)


@pytest.mark.parametrize("make", [
    lambda lib: lib.Tensor(2, 3),
    lambda lib: lib.Tensor(4),
    lambda lib: lib.Tensor([1, 2]),
    lambda lib: lib.Tensor([[1.5, 2], [3, 4]]),
    lambda lib: lib.Tensor(),
    lambda lib: lib.Tensor(lib.Size([2, 1])),
    lambda lib: lib.FloatTensor([1, 2]),
    lambda lib: lib.FloatTensor(2, 2),
    lambda lib: lib.DoubleTensor([1, 2]),
    lambda lib: lib.LongTensor([1, 2]),
    lambda lib: lib.IntTensor([3]),
    lambda lib: lib.BoolTensor([True, False]),
    lambda lib: lib.ByteTensor([1, 2]),
])
def test_legacy_constructors_give_torch_shapes_and_dtypes(make):
    ours, theirs = make(rg), make(torch)
    assert ours.shape == tuple(theirs.shape)
    assert str(ours.dtype) == in_our_names(str(theirs.dtype))


def test_legacy_constructors_keep_given_values():
    for make in (lambda lib: lib.Tensor([1, 2]), lambda lib: lib.LongTensor([[1, 2]]),
                 lambda lib: lib.DoubleTensor([0.5])):
        assert make(rg).tolist() == make(torch).tolist()


def test_legacy_constructor_errors():
    both_raise(lambda lib: lib.Tensor(2.5), TypeError, "sequence")
    with pytest.raises(TypeError, match="non-negative ints"):
        rg.Tensor(2, -1)


def test_legacy_types_answer_isinstance_by_dtype():
    def scenario(lib):
        x, n = lib.zeros(2), lib.zeros(2, dtype=lib.int64)
        return [isinstance(x, lib.FloatTensor), isinstance(x, lib.LongTensor),
                isinstance(n, lib.LongTensor), isinstance(x, lib.Tensor)]
    check_scenario(scenario)


@pytest.mark.parametrize("convert", [
    lambda lib, x: x.type(),
    lambda lib, x: x.type(lib.float64).type(),
    lambda lib, x: x.type(lib.LongTensor).type(),
    lambda lib, x: x.type("torch.DoubleTensor").type(),
    lambda lib, x: x.long().type(),
    lambda lib, x: x.bool().type(),
    lambda lib, x: str(x.type(lib.int32).dtype),
])
def test_type_names_and_conversions(convert):
    ours = convert(rg, rg.ones(2))
    theirs = convert(torch, torch.ones(2))
    assert ours == in_our_names(theirs)


def test_type_rejects_an_unknown_name():
    with pytest.raises(ValueError, match="invalid type"):
        rg.ones(2).type("torch.NoSuchTensor")


@pytest.mark.parametrize("spec", ["", ".4f", "+.2f", ">10.3e", "g"])
def test_a_0d_tensor_formats_as_its_number(spec):
    assert format(rg.tensor(3.14159), spec) == format(torch.tensor(3.14159), spec)
    loss = rg.tensor(0.25, requires_grad=True) * 2
    assert f"{loss:{spec}}" == f"{torch.tensor(0.25, requires_grad=True) * 2:{spec}}"


def test_a_tensor_with_several_elements_refuses_a_format_spec():
    both_raise(lambda lib: format(lib.ones(2), ".2f"), TypeError)


@pytest.mark.parametrize("make", [
    lambda lib, x: x * 2, lambda lib, x: x + x, lambda lib, x: x - 1, lambda lib, x: x / 2,
    lambda lib, x: x ** 2, lambda lib, x: x.exp(), lambda lib, x: x.tanh(),
    lambda lib, x: x.sigmoid(), lambda lib, x: x.sum(), lambda lib, x: x.mean(),
    lambda lib, x: lib.nn.functional.relu(x), lambda lib, x: x.log_softmax(1),
    lambda lib, x: lib.cat([x, x]), lambda lib, x: x.permute(1, 0),
    lambda lib, x: lib.nn.functional.cross_entropy(x, lib.tensor([0, 1])),
])
def test_grad_fn_names_are_torch_names(make):
    def scenario(lib):
        x = lib.ones(2, 3, requires_grad=True)
        node = make(lib, x).grad_fn
        return node.name(), repr(node).split(" object at ")[0]
    check_scenario(scenario)


LOSSES = {
    "mse_loss": lambda F, x, p, y, r: F.mse_loss(x, p, reduction=r),
    "l1_loss": lambda F, x, p, y, r: F.l1_loss(x, p, reduction=r),
    "smooth_l1_loss": lambda F, x, p, y, r: F.smooth_l1_loss(x, p, reduction=r),
    "smooth_l1_loss beta 0": lambda F, x, p, y, r: F.smooth_l1_loss(x, p, reduction=r, beta=0.0),
    "huber_loss": lambda F, x, p, y, r: F.huber_loss(x, p, reduction=r),
    "binary_cross_entropy": lambda F, x, p, y, r: F.binary_cross_entropy(x.sigmoid(), p,
                                                                         reduction=r),
    "binary_cross_entropy_with_logits":
        lambda F, x, p, y, r: F.binary_cross_entropy_with_logits(x, p, reduction=r),
    "cross_entropy": lambda F, x, p, y, r: F.cross_entropy(x, y, reduction=r),
    "cross_entropy smoothed":
        lambda F, x, p, y, r: F.cross_entropy(x, y, reduction=r, label_smoothing=0.1),
    "nll_loss": lambda F, x, p, y, r: F.nll_loss(x, y, reduction=r),
    "multi_margin_loss": lambda F, x, p, y, r: F.multi_margin_loss(x, y, reduction=r),
}


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("loss", LOSSES.values(), ids=LOSSES.keys())
def test_loss_nodes_have_torch_names(loss, reduction):
    def scenario(lib):
        x = lib.linspace(-1, 1, 12).reshape(4, 3).requires_grad_()
        p = lib.linspace(0, 1, 12).reshape(4, 3)
        y = lib.tensor([0, 2, 1, 1])
        return loss(lib.nn.functional, x, p, y, reduction).grad_fn.name()
    check_scenario(scenario)


def test_tensor_repr_names_its_grad_fn_like_torch():
    assert repr(rg.ones(2, requires_grad=True) * 2) == in_our_names(
        repr(torch.ones(2, requires_grad=True) * 2))


def test_load_accepts_torch_keywords_and_never_unpickles(tmp_path):
    path = tmp_path / "weights.pt"
    rg.save({"w": rg.arange(3.0)}, path)
    for weights_only in (True, False, None):
        assert rg.load(path, weights_only=weights_only, mmap=False)["w"].tolist() == [0, 1, 2]
    assert rg.load(path, map_location="cpu", weights_only=True)["w"].device == rg.device("cpu")
    import pickle
    with pytest.raises(ValueError, match="no pickles"):
        rg.load(path, pickle_module=pickle)

"""gradcheck / gradgradcheck for users, and detect_anomaly naming the operation at fault."""
import importlib
import re

import numpy as np
import pytest
from ops.oracle import data

import retrograd as rg


def functions(lib):
    """A correct Function, one with a wrong first derivative, one with a wrong second."""

    class Square(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 2 * x

    class WrongFirst(Square):
        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * x  # should be 2 x

    class WrongSecond(Square):
        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 2 * x.detach()  # right value, but d/dx of it is lost

    return Square, WrongFirst, WrongSecond


@pytest.mark.parametrize("lib_name", ["retrograd", "torch"])
def test_verdicts_agree_with_torch(lib_name):
    lib = pytest.importorskip(lib_name)
    Square, WrongFirst, WrongSecond = functions(lib)
    x = lib.tensor(data(2, 3), requires_grad=True)
    y = lib.tensor(data(3, seed=1), requires_grad=True)
    check, check2 = lib.autograd.gradcheck, lib.autograd.gradgradcheck
    assert check(lambda a, b: ((a * b).sin(), Square.apply(a) + b.exp()), (x, y))
    assert check2(lambda a, b: (a * b).sin() * Square.apply(b), (x, y))
    assert check2(Square.apply, (x,))
    assert check(WrongSecond.apply, (x,))
    assert not check(WrongFirst.apply, (x,), raise_exception=False)
    assert not check2(WrongSecond.apply, (x,), raise_exception=False)
    error = importlib.import_module(f"{lib_name}.autograd.gradcheck").GradcheckError
    with pytest.raises(error):
        check(WrongFirst.apply, (x,))
    with pytest.raises(error):
        check2(WrongSecond.apply, (x,))


def test_gradcheck_error_is_a_table_of_the_worst_mismatches():
    _, WrongFirst, _ = functions(rg)
    values = data(2, 3)
    with pytest.raises(rg.autograd.GradcheckError) as caught:
        rg.autograd.gradcheck(WrongFirst.apply, (rg.tensor(values, requires_grad=True),))
    lines = str(caught.value).splitlines()
    header = next(i for i, line in enumerate(lines) if "analytic" in line)
    for column in ("input", "index", "analytic", "numerical", "error"):
        assert column in lines[header]
    rows = [line for line in lines[header + 1:] if re.search(r"\d", line)]
    assert len(rows) == values.size  # every diagonal entry of the Jacobian is wrong
    worst = rows[0]
    index = tuple(int(i) for i in re.search(r"\((\d+), (\d+)\)", worst).groups())
    analytic, numerical, error = (float(v) for v in worst.split(")")[1].split())
    # the wrong backward gives x, finite differences 2x, at the largest |x|
    assert index == np.unravel_index(np.abs(values).argmax(), values.shape)
    np.testing.assert_allclose([analytic, numerical, error],
                               [values[index], 2 * values[index], abs(values[index])],
                               rtol=5e-3)  # the table rounds the error to 3 digits


def test_gradcheck_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="requires_grad=True"):
        rg.autograd.gradcheck(lambda a: a * 2, (rg.tensor(data(2)),))


def test_gradcheck_warns_about_float32_inputs():
    with pytest.warns(UserWarning, match="float64"):
        rg.autograd.gradcheck(lambda a: a * 2,
                              (rg.tensor(data(2, dtype=np.float32), requires_grad=True),),
                              eps=1e-3, atol=1e-2)


# -- detect_anomaly -----------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_anomaly_names_the_forward_op_that_made_nan_and_the_line():
    x = rg.tensor([-1.0, 1.0], requires_grad=True)
    with pytest.raises(RuntimeError) as caught:
        with rg.autograd.detect_anomaly():
            x.exp().log().sum() + (x - 3).log().sum()
    message = str(caught.value)
    assert "Log produced NaN in its forward" in message
    assert "test_gradcheck_anomaly.py" in message and "(x - 3).log()" in message


@pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")
@pytest.mark.parametrize("lib_name", ["retrograd", "torch"])
def test_anomaly_names_the_op_whose_backward_made_nan(lib_name):
    lib = pytest.importorskip(lib_name)
    x = lib.tensor([0.0, 1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="Sqrt") as caught:
        with lib.autograd.detect_anomaly():
            y = x.sqrt().sum() * 0  # sqrt's backward: 0 / (2 sqrt(0)) is NaN
            y.backward()
    if lib_name == "retrograd":
        assert "backward" in str(caught.value) and "x.sqrt()" in str(caught.value)


def test_anomaly_mode_is_quiet_on_finite_values_and_restored():
    @rg.autograd.detect_anomaly()
    def step(x):
        loss = (x.exp() * x).sum()
        loss.backward()
        return loss

    x = rg.tensor(data(3), requires_grad=True)
    step(x)
    assert np.isfinite(x.grad.numpy()).all()
    y = rg.tensor([-1.0], requires_grad=True)
    with np.errstate(invalid="ignore"):
        assert np.isnan(y.log().item())  # outside the context: no check

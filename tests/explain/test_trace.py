"""rg.explain.trace: the rows of a backward pass against the chain rule worked by hand and
against PyTorch; paths adding up; the order of visits; names, values, errors; the rule table."""
import importlib
import inspect
import pkgutil

import numpy as np
import pytest
import torch

import retrograd as rg
import retrograd.ops
from retrograd.autograd.function import Op
from retrograd.explain import RULES, record, trace

TOL = dict(rtol=1e-5, atol=1e-6)  # float32 against float32
APPROX = dict(rel=1e-5, abs=1e-6)


def leaves(*values, library=rg):
    return [library.tensor(float(v), requires_grad=True) for v in values]


def rows_by_name(result):
    return {row["variable"]: row for row in result.rows}


def test_lecture_example_matches_the_chain_rule_by_hand_and_torch():
    u0, v0, w0 = 2.0, 3.0, 4.0
    u, v, w = leaves(u0, v0, w0)
    with record():
        q = u + v
        f = q * w
    result = trace(f, names={u: "u", v: "v", w: "w", q: "q"})
    rows = rows_by_name(result)

    # the lectures' hand computation: q = u + v, f = q w; df/dq = w, df/dw = q,
    # df/du = df/dq * dq/du = w * 1, df/dv = w * 1
    by_hand = {"f": 1.0, "q": w0, "w": u0 + v0, "u": w0 * 1.0, "v": w0 * 1.0}
    tu, tv, tw = leaves(u0, v0, w0, library=torch)
    tq = tu + tv
    tq.retain_grad()
    (tq * tw).backward()
    from_torch = {"f": 1.0, "q": tq.grad, "u": tu.grad, "v": tv.grad, "w": tw.grad}
    for name in by_hand:
        assert float(rows[name]["gradient"]) == pytest.approx(by_hand[name], **APPROX), name
        assert float(rows[name]["gradient"]) == pytest.approx(float(from_torch[name]), **APPROX)

    assert [row["variable"] for row in result.rows] == ["f", "q", "u", "v", "w"]
    assert float(rows["f"]["value"]) == pytest.approx(float((tq * tw).detach()))
    assert float(rows["q"]["value"]) == pytest.approx(float(tq.detach()))
    assert rows["f"]["operation"] == "Mul" and rows["f"]["expression"] == "q · w"
    assert rows["q"]["operation"] == "Add" and rows["u"]["operation"] == "leaf"
    # the chain rule per input, with the local derivative of the product (it swaps)
    formulas = {item["variable"]: item["formula"] for item in rows["f"]["inputs"]}
    assert formulas == {"q": "∂f/∂q = w · ∂f/∂f", "w": "∂f/∂w = q · ∂f/∂f"}
    assert "swaps" in rows["f"]["rule"] and "distributes" in rows["q"]["rule"]
    text = str(result)
    assert "∂f/∂w = q · ∂f/∂f = 5" in text and "∂f/∂u = ∂f/∂q = 4" in text


def test_paths_add_up_at_a_variable_used_several_times():
    x0 = 3.0
    (x,) = leaves(x0)
    with record():
        f = x * x + x
    rows = rows_by_name(trace(f, names={x: "x"}))
    # f = t1 + x with t1 = x * x: x is reached along three paths: through the + (gradient 1)
    # and through each factor of the product (the other factor, x0, times df/dt1 = 1)
    contributions = sorted(float(path["gradient"]) for path in rows["x"]["paths"])
    assert contributions == pytest.approx(sorted([1.0, x0, x0]))
    assert sorted(path["from"] for path in rows["x"]["paths"]) == ["f", "t1", "t1"]
    assert float(rows["x"]["gradient"]) == pytest.approx(sum(contributions))
    (tx,) = leaves(x0, library=torch)
    (tx * tx + tx).backward()
    assert float(rows["x"]["gradient"]) == pytest.approx(float(tx.grad))
    assert "1 + 3 + 3 = 7" in str(trace(f, names={x: "x"}))


def shared_graph(library, x, y):
    """A graph where results are used several times, in an order unlike creation's."""
    a = x * y
    b = a + x
    c = library.tanh(a * b)
    return (library.exp(c) * b + a.sum() * c).sum()


def test_visits_are_in_reverse_topological_order_and_gradients_match_torch():
    rng = np.random.default_rng(0)
    x0, y0 = rng.standard_normal(3), rng.standard_normal(3)
    x = rg.tensor(x0, requires_grad=True)
    y = rg.tensor(y0, requires_grad=True)
    with record():
        f = shared_graph(rg, x, y)
    result = trace(f, names={x: "x", y: "y"})
    position = {row["variable"]: row["step"] for row in result.rows}
    for row in result.rows:  # a variable comes after every operation that uses it
        for item in row["inputs"]:
            assert position[item["variable"]] > row["step"], (row["variable"], item)
    # every contribution sent to an input is listed at that input, and they add up
    rows = rows_by_name(result)
    for row in result.rows[1:]:
        total = sum(np.asarray(path["gradient"]) for path in row["paths"])
        np.testing.assert_allclose(total, row["gradient"], **TOL)
        assert len(row["paths"]) == sum(item["variable"] == row["variable"]
                                        for other in result.rows for item in other["inputs"])
    tx = torch.tensor(x0, requires_grad=True)
    ty = torch.tensor(y0, requires_grad=True)
    shared_graph(torch, tx, ty).backward()
    np.testing.assert_allclose(rows["x"]["gradient"], tx.grad.numpy(), **TOL)
    np.testing.assert_allclose(rows["y"]["gradient"], ty.grad.numpy(), **TOL)


def test_grad_is_untouched_and_the_graph_still_works():
    u, v = leaves(2.0, 5.0)
    f = u * v + u
    trace(f)
    assert u.grad is None and v.grad is None
    f.backward()
    assert float(u.grad) == pytest.approx(6.0) and float(v.grad) == pytest.approx(2.0)


def test_auto_names_values_kept_and_not_kept():
    x = rg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    f = rg.tanh(x * 2.0 + 1.0).sum()
    result = trace(f)
    assert [row["variable"] for row in result.rows] == ["f", "t3", "t2", "t1", "x1"]
    rows = rows_by_name(result)
    # tanh saved its output, so t3 is known; t2 = t1 + 1 was kept by no node
    np.testing.assert_allclose(rows["t3"]["value"], np.tanh(np.array([3.0, 5.0, 7.0])), **TOL)
    assert rows["t2"]["value"] is None and "(3,): ?" in str(result)
    assert "rg.explain.record()" in str(result)
    with record():
        f = rg.tanh(x * 2.0 + 1.0).sum()
    result = trace(f)
    np.testing.assert_allclose(rows_by_name(result)["t2"]["value"], [3.0, 5.0, 7.0])
    assert rows_by_name(result)["t1"]["expression"] == "x1 · 2"  # a kept constant is shown
    assert "?" not in str(result)


def test_names_both_ways_and_bad_names():
    u, v = leaves(1.0, 2.0)
    f = u * v
    assert [row["variable"] for row in trace(f, {"a": u, "b": v}).rows] == ["f", "a", "b"]
    assert [row["variable"] for row in trace(f, {f: "L"}).rows] == ["L", "x1", "x2"]
    assert "∂L/∂x1 = x2 · ∂L/∂L" in str(trace(f, {f: "L"}))
    with pytest.raises(TypeError, match="names maps tensors"):
        trace(f, {u: 3})


def test_broadcast_inputs_say_that_their_gradient_was_summed():
    x = rg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (w,) = leaves(0.5)
    rows = rows_by_name(trace((x * w).sum(), {x: "x", w: "w"}))
    (to_w,) = [item for item in rows["t1"]["inputs"] if item["variable"] == "w"]
    assert "summed over the broadcast axes" in to_w["formula"]
    assert float(to_w["gradient"]) == pytest.approx(6.0)


def test_a_small_network_with_cross_entropy_matches_torch():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((5, 3)).astype(np.float32), rng.integers(0, 4, 5)
    W1, W2 = rng.standard_normal((6, 3)), rng.standard_normal((4, 6))
    params = [rg.tensor(W.astype(np.float32), requires_grad=True) for W in (W1, W2)]
    loss = rg.nn.functional.cross_entropy(
        rg.tanh(rg.tensor(X) @ params[0].T) @ params[1].T, rg.tensor(y))
    result = trace(loss, names={params[0]: "W1", params[1]: "W2"})
    torch_params = [torch.tensor(W.astype(np.float32), requires_grad=True) for W in (W1, W2)]
    torch.nn.functional.cross_entropy(torch.tanh(torch.tensor(X) @ torch_params[0].T)
                                      @ torch_params[1].T, torch.tensor(y)).backward()
    rows = rows_by_name(result)
    for name, tensor in zip(("W1", "W2"), torch_params):
        np.testing.assert_allclose(rows[name]["gradient"], tensor.grad.numpy(), rtol=1e-5,
                                   atol=1e-6)
    assert rows["f"]["operation"] == "CrossEntropy" and "Ŷ − Y" in rows["f"]["rule"]
    assert "(6, 3): mean" in str(result)  # large values are summarised
    html = result._repr_html_()
    assert html.startswith("<table>") and "cross_entropy" in html and "W1" in html


def test_a_user_function_gets_the_generic_rule():
    class Cube(rg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2

    (x,) = leaves(2.0)
    rows = rows_by_name(trace(Cube.apply(x), {x: "x"}))
    assert rows["f"]["expression"] == "Cube(x)" and "no rule is written out" in rows["f"]["rule"]
    assert float(rows["x"]["gradient"]) == pytest.approx(12.0)


def test_a_leaf_output_and_errors():
    (x,) = leaves(3.0)
    assert float(trace(x).rows[0]["gradient"]) == 1.0
    with pytest.raises(TypeError, match="expects a Tensor"):
        trace(3.0)
    with pytest.raises(RuntimeError, match="does not require grad"):
        trace(rg.tensor(1.0) * 2)
    v = rg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(2,\).*\.sum\(\)"):
        trace(v * 2)
    f = (x * x).sum()
    f.backward()
    with pytest.raises(RuntimeError, match="freed by a backward pass"):
        trace(f)
    assert not rg.autograd.grad_mode.state.keep_forward


def test_every_operation_of_ops_has_a_rule():
    missing = []
    for module_info in pkgutil.iter_modules(retrograd.ops.__path__):
        module = importlib.import_module(f"retrograd.ops.{module_info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Op) and cls is not Op and cls.__module__ == module.__name__:
                if cls not in RULES and "forward" in vars(cls):  # not an abstract base
                    missing.append(cls.__qualname__)
    assert not missing, f"write a rule in retrograd/explain/rules.py for {missing}"

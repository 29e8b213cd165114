"""rg.explain.evaluate: safe expressions computed like the same code in PyTorch; every
construct outside the whitelist rejected with an error naming it."""
import inspect

import numpy as np
import pytest
import torch

import retrograd.explain.expression as expression_module
from retrograd.explain import ExpressionError, evaluate, parse_values, trace

# (expression, values, the same computation written in PyTorch)
CASES = [
    ("(u + v) * w", {"u": 2, "v": 3, "w": 4}, lambda u, v, w: (u + v) * w),
    ("x*x + x", {"x": 3}, lambda x: x * x + x),
    ("-u + +v / w ** 2", {"u": 2, "v": 3, "w": 4}, lambda u, v, w: -u + +v / w ** 2),
    ("exp(-u) / (1 + exp(-u))", {"u": 0.5}, lambda u: torch.exp(-u) / (1 + torch.exp(-u))),
    ("log(u) + sin(v) * cos(w) - sqrt(u)", {"u": 2, "v": 3, "w": 4},
     lambda u, v, w: torch.log(u) + torch.sin(v) * torch.cos(w) - torch.sqrt(u)),
    ("max(u, v) - min(u, w) + abs(-v)", {"u": 2, "v": 3, "w": 1},
     lambda u, v, w: torch.maximum(u, v) - torch.minimum(u, w) + torch.abs(-v)),
    ("sum(tanh(x * w + 1))", {"x": [1, 2, 3], "w": 0.5},
     lambda x, w: torch.tanh(x * w + 1).sum()),
    ("mean(relu(x - 1.5)) + max(sigmoid(x))", {"x": [1, 2, 3]},
     lambda x: torch.relu(x - 1.5).mean() + torch.sigmoid(x).max()),
    ("sum(softmax(x) * x) + sum(log_softmax(x)) + sum(softplus(x))", {"x": [0.5, -1, 2]},
     lambda x: (torch.softmax(x, -1) * x).sum() + torch.log_softmax(x, -1).sum()
     + torch.nn.functional.softplus(x).sum()),
    ("x @ W @ x", {"x": [1, 2], "W": [[1, 2], [3, 4]]}, lambda x, W: x @ W @ x),
    ("2 ** u * 3", {"u": 1.5}, lambda u: 2 ** u * 3),
]


@pytest.mark.parametrize("text, values, in_torch", CASES, ids=[case[0] for case in CASES])
def test_expressions_match_torch(text, values, in_torch):
    output, names = evaluate(text, values)
    by_name = {name: leaf for leaf, name in names.items()}
    torch_leaves = {name: torch.tensor(np.asarray(value, dtype=np.float32), requires_grad=True)
                    for name, value in values.items()}
    expected = in_torch(**torch_leaves)
    expected.backward()
    assert output.array.dtype == np.float32 and expected.dtype == torch.float32
    np.testing.assert_allclose(output.array, expected.detach().numpy(), rtol=1e-5, atol=1e-6)
    rows = {row["variable"]: row for row in trace(output, names).rows}
    for name, leaf in torch_leaves.items():
        np.testing.assert_allclose(rows[name]["gradient"], leaf.grad.numpy(), rtol=1e-5,
                                   atol=1e-6)
        assert by_name[name].grad is None  # trace leaves .grad alone


@pytest.mark.parametrize("text, message", [
    ("__import__('os')", "unknown function '__import__'"),
    ("u.__class__", "attribute access"),
    ("(lambda: 1)()", "a lambda is not allowed"),
    ("[x for x in u]", "a list comprehension is not allowed"),
    ("sum(x for x in u)", "a generator expression is not allowed"),
    ("q + 1", "unknown name 'q'"),
    ("u[0]", "indexing"),
    ("'os' + u", "only numbers"),
    ("True + u", "only numbers"),
    ("u if u else 1", "if/else"),
    ("u < 2", "a comparison"),
    ("u // 2", "the operator //"),
    ("u ^ 2", "use ** for powers"),
    ("exp", "exp is a function: call it"),
    ("exp(u, u)", "exp takes 1 argument, got 2"),
    ("max(u, u, u)", "max takes 1 or 2 arguments, got 3"),
    ("exp(x=u)", "keyword arguments are not allowed"),
    ("u.exp()", "attribute access"),
    ("(u := 2)", "an assignment (:=)"),
    ("u +", "cannot parse"),
    ("2 + 3", "uses none of the variables"),
    ("u + 1 / 0", "division by zero"),
])
def test_everything_else_is_rejected_by_name(text, message):
    with pytest.raises(ExpressionError) as error:
        evaluate(text, {"u": 2})
    assert message in str(error.value) and "\n" not in str(error.value)


def test_values_of_variables():
    assert parse_values("u=2,v=-3.5,x=[1,2,3]") == {"u": 2, "v": -3.5, "x": [1, 2, 3]}
    assert parse_values("W=[[1,2],[3,4]]") == {"W": [[1, 2], [3, 4]]}
    for bad in ("u", "u=2,3", "u=os.system('ls')", "u=[1,2", "**u", "u=2,u=3"):
        with pytest.raises(ExpressionError):
            parse_values(bad)
    for values, message in [({"u": "a"}, "must be a number"), ({"u": [1, [2]]}, "must be a"),
                            ({"u": []}, "must be a"), ({"exp": 1}, "name of a function"),
                            ({"2u": 1}, "not a valid variable name")]:
        with pytest.raises(ExpressionError, match=message):
            evaluate("1", values)


def test_the_parser_never_evaluates_python():
    source = inspect.getsource(expression_module).replace("literal_eval(", "")
    assert "eval(" not in source and "exec(" not in source and "compile(" not in source


def test_a_sum_of_a_thousand_terms_is_refused_plainly_not_by_recursion():
    with pytest.raises(ExpressionError, match="nested 1000 levels deep.*at most 200") as error:
        evaluate(" + ".join(["x"] * 1000), {"x": 1})
    assert len(str(error.value)) < 300  # the 4 KB expression is not echoed back


def test_the_deepest_expression_allowed_is_explained_whole():
    f, names = evaluate(" + ".join(["x"] * 200), {"x": 1})
    f.backward()
    assert f.item() == 200 and list(names)[0].grad.item() == 200


def test_error_messages_echo_only_the_start_of_a_long_expression():
    text = "x + " * 1200 + "import os"
    with pytest.raises(ExpressionError) as error:
        evaluate(text, {"x": 1})
    assert len(str(error.value)) < 300 and "characters" in str(error.value)

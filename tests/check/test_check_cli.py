"""`retrograd check FILE.py`: exit status 0 for a correct backward, 1 with the right hint for a
wrong one, 2 with one clear line for a file that cannot be checked."""
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from retrograd.cli.main import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "check"
# a correct NumPy network in a few lines, for the broken files to start from
NETWORK = textwrap.dedent("""\
    import numpy as np

    def init_params(nx, nh, ny):
        return {"Wh": 0.3 * np.random.randn(nh, nx), "bh": np.zeros(nh),
                "Wy": 0.3 * np.random.randn(ny, nh), "by": np.zeros(ny)}

    def forward(params, X):
        H = np.tanh(X @ params["Wh"].T + params["bh"])
        scores = H @ params["Wy"].T + params["by"]
        Yhat = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
        return Yhat, {"X": X, "H": H, "Yhat": Yhat}

    def loss_accuracy(Yhat, Y):
        return -np.mean(np.sum(Y * np.log(Yhat), axis=1)), np.mean(Yhat.argmax(1) == Y.argmax(1))

    def backward(params, outputs, Y):
        dYtilde = (outputs["Yhat"] - Y) / len(Y)
        dHtilde = (dYtilde @ params["Wy"]) * (1 - outputs["H"] ** 2)
        return {"Wh": dHtilde.T @ outputs["X"], "bh": dHtilde.sum(0),
                "Wy": dYtilde.T @ outputs["H"], "by": dYtilde.sum(0)}
    """)


def check(capsys, *argv):
    """`retrograd check ARGV` in this process -> (exit status, stdout, stderr)."""
    status = main(["check", *map(str, argv)])
    out, err = capsys.readouterr()
    return status, out, err


def user_file(tmp_path, source, name="user_network.py"):
    path = tmp_path / name
    path.write_text(source)
    return path


def assert_bad_file(status, err, *fragments):
    assert status == 2
    first, *rest = err.splitlines()
    assert first.startswith("retrograd check: error: ") and "Traceback" not in err, err
    assert len(rest) <= 1, err  # at most a line saying where, and how to see the traceback
    for fragment in fragments:
        assert fragment in first, err


@pytest.mark.parametrize("example, count", [("network.py", 4), ("network_tensors.py", 4),
                                            ("network_two_hidden.py", 6)])
def test_correct_examples_pass(capsys, example, count):
    status, out, err = check(capsys, EXAMPLES / example)
    assert (status, err) == (0, ""), out
    assert f"all {count} gradients match" in out and "N=8 examples, nx=4, nh=5, ny=3" in out
    assert ("autograd (float64)" in out) == (example == "network_tensors.py")
    assert "changed the parameters" not in out


@pytest.mark.parametrize("example, wrong, pattern", [
    ("wrong_transposed.py", ["Wy"], "yours.T matches"),
    ("wrong_sum_not_mean.py", ["Wh", "bh", "Wy", "by"], "yours = 8 x expected, and N = 8"),
    ("wrong_missing_derivative.py", ["Wh", "bh"], "tanh's derivative 1 - H^2 is missing"),
    ("wrong_tanh_one_minus_h.py", ["Wh", "bh"], "derivative written 1 - H; it is 1 - H^2"),
    ("wrong_sigmoid_derivative.py", ["Wh", "bh"], "that is the sigmoid's"),
])
def test_wrong_examples_fail_with_their_hint(capsys, example, wrong, pattern):
    status, out, err = check(capsys, EXAMPLES / example)
    assert (status, err) == (1, ""), out
    assert f"gradients wrong: {', '.join(wrong)}" in out and pattern in out
    for name in ("Wh", "bh", "Wy", "by"):
        assert (f"{name}: FAIL" in out) == (name in wrong), out


def test_sizes_and_seed_flags(capsys):
    status, out, _ = check(capsys, EXAMPLES / "wrong_sum_not_mean.py", "--batch-size", 16,
                           "--nx", 2, "--nh", 3, "--ny", 2, "--seed", 5)
    assert status == 1 and "N=16 examples, nx=2, nh=3, ny=2 (seed 5)" in out
    assert "yours = 16 x expected" in out and "(3, 2)" in out


def test_float32_parameters_reach_the_functions_as_float64(capsys, tmp_path):
    source = NETWORK.replace("def forward(", textwrap.dedent("""\
        init_float64 = init_params

        def init_params(nx, nh, ny):
            return {name: value.astype(np.float32)
                    for name, value in init_float64(nx, nh, ny).items()}

        def forward("""))
    source = source.replace("    H = np.tanh(", "    assert params['Wh'].dtype == np.float64\n"
                                               "    H = np.tanh(")
    status, out, err = check(capsys, user_file(tmp_path, source))
    assert status == 0, out + err


def test_subprocess_exit_codes():
    """`python -m retrograd check`: the real command line, its streams and exit codes."""
    def run(path):
        return subprocess.run([sys.executable, "-m", "retrograd", "check", str(path)],
                              capture_output=True, text=True, timeout=60)

    correct, wrong = run(EXAMPLES / "network.py"), run(EXAMPLES / "wrong_transposed.py")
    assert (correct.returncode, wrong.returncode) == (0, 1), correct.stderr + wrong.stderr
    assert "all 4 gradients match" in correct.stdout and "Wy: FAIL" in wrong.stdout
    missing = run(EXAMPLES / "no_such_file.py")
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr.strip().endswith("no_such_file.py: no such file")


@pytest.mark.parametrize("change, fragments", [
    (("def backward(", "def back_ward("), ["backward(params, outputs, Y) is missing"]),
    (("def backward(params, outputs, Y)", "def backward(params, grads)"),
     ["backward must accept (params, outputs, Y); yours is backward(params, grads)"]),
    (("def forward(params, X):", "def forward(params, X):\n    raise KeyError('Wh')"),
     ["forward(params, X) raised KeyError: 'Wh'"]),
    (("X @ params[\"Wh\"].T", "X @ params[\"Wh\"]"), ["forward(params, X) raised ValueError"]),
    (("def init_params(nx, nh, ny):", "def init_params(nx, nh, ny:"),
     ["running the file raised SyntaxError"]),
    (("import numpy as np", "import numpy as np\nimport no_such_module_here"),
     ["running the file raised ModuleNotFoundError"]),
    (("def forward(", "def init_params(nx, nh, ny):\n    return [1.0]\n\ndef forward("),
     ["init_params must return a dict of parameters", "got list"]),
    (("return Yhat, {", "return {"), ["forward must return (Yhat, outputs), got dict"]),
    (("\"by\": dYtilde.sum(0)}", "}"),
     ["backward must return a dict with the keys of params", "['Wh', 'Wy', 'bh']"]),
    (("-np.mean(", "np.nan * np.mean("), ["loss_accuracy returned L = nan"]),
    (("\"bh\": dHtilde.sum(0)", "\"bh\": 'zero'"), ["checking the gradients: TypeError",
                                                    "grads['bh'] must be an array"]),
])
def test_broken_file_exits_2_with_one_clear_line(capsys, tmp_path, change, fragments):
    old, new = change
    assert old in NETWORK
    path = user_file(tmp_path, NETWORK.replace(old, new))
    status, out, err = check(capsys, path)
    assert out == ""
    assert_bad_file(status, err, str(path), *fragments)


def test_error_in_user_code_says_where_and_traceback_on_demand(capsys, tmp_path):
    path = user_file(tmp_path, NETWORK.replace("def forward(params, X):",
                                               "def forward(params, X):\n    1 / 0"))
    status, _, err = check(capsys, path)
    assert_bad_file(status, err, "forward(params, X) raised ZeroDivisionError: division by zero")
    assert err.splitlines()[1] == ("(at user_network.py line 8; run with --traceback to see the "
                                   "traceback)")
    status, _, err = check(capsys, path, "--traceback")
    assert status == 2 and "Traceback (most recent call last)" in err
    assert f'File "{path}", line 8, in forward' in err
    assert "retrograd/check" not in err  # the traceback starts in the user's code


def test_user_file_can_import_its_neighbours(capsys, tmp_path):
    user_file(tmp_path, NETWORK, "my_layers.py")
    path = user_file(tmp_path, "from my_layers import init_params, forward, loss_accuracy, "
                     "backward\n", "uses_neighbour.py")
    status, out, _ = check(capsys, path)
    assert status == 0, out
    assert str(tmp_path) not in sys.path  # the file's folder is not left on the path


def test_bad_command_line(capsys):
    status, out, err = check(capsys, EXAMPLES / "network.py", "--nh", 0)
    assert status == 2 and "--nh" in err and err.count("\n") == 1


# -- an update inside backward, known mistakes at every seed, forward first, the template ------

RETURN_GRADS = '''    return {"Wh": dHtilde.T @ outputs["X"], "bh": dHtilde.sum(0),
            "Wy": dYtilde.T @ outputs["H"], "by": dYtilde.sum(0)}'''
SGD_STEP = '''    grads = {"Wh": dHtilde.T @ outputs["X"], "bh": dHtilde.sum(0),
             "Wy": dYtilde.T @ outputs["H"], "by": dYtilde.sum(0)}
    for name in ("Wh", "Wy"):  # an SGD step, in place
        params[name] -= 0.5 * grads[name]
    return grads'''


def test_update_inside_backward_is_told_and_not_blamed_on_the_gradient(capsys, tmp_path):
    assert RETURN_GRADS in NETWORK
    status, out, err = check(capsys, user_file(tmp_path, NETWORK.replace(RETURN_GRADS, SGD_STEP)))
    assert (status, err) == (0, ""), out
    assert "all 4 gradients match" in out
    assert ("your backward changed the parameters Wh, Wy (an update inside backward?): the "
            "check used copies") in out


DY = '(outputs["Yhat"] - Y) / len(Y)'
DERIVATIVE = '(1 - outputs["H"] ** 2)'
# the mistakes (replacements in NETWORK's backward) and the hint each must get at every seed
MISTAKES = {
    "1 - H": ([(DERIVATIVE, '(1 - outputs["H"])')],
              "known mistake: tanh's derivative written 1 - H; it is 1 - H^2"),
    "H (1 - H)": ([(DERIVATIVE, 'outputs["H"] * (1 - outputs["H"])')],
                  "known mistake: H (1 - H) as tanh's derivative: that is the sigmoid's"),
    "1 - H~^2": ([(DERIVATIVE, '(1 - (X @ params["Wh"].T + params["bh"]) ** 2)'),
                  ("def backward(params, outputs, Y):",
                   'def backward(params, outputs, Y):\n    X = outputs["X"]')],
                 "known mistake: 1 - H~^2 from the pre-activation H~"),
    "sign and 1 - H": ([(DY, '(Y - outputs["Yhat"]) / len(Y)'),
                        (DERIVATIVE, '(1 - outputs["H"])')],
                       "known mistakes: dY~ = Y - Y^, the wrong sign (it is (Y^ - Y) / N); "
                       "tanh's derivative written 1 - H; it is 1 - H^2"),
    "no mean and none": ([(DY, 'outputs["Yhat"] - Y'), (DERIVATIVE, "1")],
                         "known mistakes: dY~ = Y^ - Y without the 1/N of the mean (divide by "
                         "N once); tanh's derivative 1 - H^2 is missing"),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_known_mistake_gets_the_same_hint_at_every_seed(capsys, tmp_path, mistake):
    changes, hint = MISTAKES[mistake]
    source = NETWORK
    for old, new in changes:
        assert old in source
        source = source.replace(old, new)
    path = user_file(tmp_path, source)
    hints = set()
    for seed in range(5):
        status, out, _ = check(capsys, path, "--seed", seed)
        assert status == 1 and "Wh: FAIL" in out and "bh: FAIL" in out, out
        hints |= {line for line in out.splitlines()
                  if line.startswith("  hint:") and "known mistake" in line}
    assert len(hints) == 1 and hint in hints.pop(), hints


def test_deep_network_mistake_is_named_with_its_layer_at_every_seed(capsys, tmp_path):
    source = (EXAMPLES / "network_two_hidden.py").read_text()
    old = '(1 - outputs["H2"] ** 2)'
    assert old in source
    path = user_file(tmp_path, source.replace(old, '(1 - outputs["H2"])'))
    for seed in range(3):
        status, out, _ = check(capsys, path, "--seed", seed)
        assert status == 1 and "4 of 6 gradients wrong: W1, b1, W2, b2" in out, out
        assert out.count("tanh's derivative written 1 - H2; it is 1 - H2^2 (after W2)") == 4


@pytest.mark.parametrize("change, problem", [
    (("axis=1, keepdims=True)", "axis=0, keepdims=True)"),
     "the columns of Yhat sum to one, not its rows: the softmax is taken over axis 0"),
    (("np.exp(scores).sum(axis=1, keepdims=True)", "np.exp(scores).sum()"),
     "the whole of Yhat sums to one"),
    (("np.exp(scores).sum(axis=1, keepdims=True)", "2"), "the rows of Yhat sum to"),
    (("return Yhat, {", "return Yhat.T, {"),
     "forward returns Yhat of shape (3, 8), one column per example; it must be N x ny = (8, 3)"),
])
def test_wrong_forward_is_reported_before_backward(capsys, tmp_path, change, problem):
    old, new = change
    assert old in NETWORK
    status, out, err = check(capsys, user_file(tmp_path, NETWORK.replace(old, new)))
    assert (status, err) == (1, ""), out
    assert f"Forward check: FAIL: {problem}" in out and "Gradient check" not in out


# what replaces each TODO("...") of the template, by the start of its text: the solution
SOLUTION = {
    "the hidden pre-activation": "X @ params['Wh'].T + params['bh']",
    "the hidden layer": "np.tanh(Htilde)",
    "the output pre-activation": "H @ params['Wy'].T + params['by']",
    "the softmax": "np.exp(Ytilde - Ytilde.max(1, keepdims=True)) / np.exp(Ytilde - "
                   "Ytilde.max(1, keepdims=True)).sum(1, keepdims=True)",
    "the cross-entropy": "-np.mean(np.sum(Y * np.log(Yhat), axis=1))",
    "dL/dYtilde": "(outputs['Yhat'] - Y) / len(Y)",
    "dL/dHtilde": "(dYtilde @ params['Wy']) * (1 - outputs['H'] ** 2)",
    "dL/dWy": "dYtilde.T @ outputs['H']",
    "dL/dby": "dYtilde.sum(axis=0)",
    "dL/dWh": "dHtilde.T @ outputs['X']",
    "dL/dbh": "dHtilde.sum(axis=0)",
}


def filled(template):
    """The template with each TODO("what ...") replaced by the solution for "what"."""
    def solve(match):
        (answer,) = [code for what, code in SOLUTION.items() if match[1].startswith(what)]
        return answer

    result = re.sub(r'TODO\("([^"]*)"\)', solve, template)
    assert result.count("TODO(") == 1  # only the definition of TODO is left
    return result


def test_template_is_written_checked_as_unfinished_and_passes_once_filled(capsys, tmp_path):
    path = tmp_path / "mine.py"
    status, out, err = check(capsys, "--template", path)
    assert (status, err) == (0, "") and f"wrote the template to {path}" in out
    status, out, err = check(capsys, path)
    assert out == ""
    assert_bad_file(status, err, "forward(params, X) is not finished",
                    "TODO: the hidden pre-activation", "fill in the TODOs")
    status, out, err = check(capsys, user_file(tmp_path, filled(path.read_text()), "done.py"))
    assert (status, err) == (0, ""), out
    assert "all 4 gradients match" in out


def test_template_never_overwrites_and_has_a_default_name(capsys, tmp_path, monkeypatch):
    path = user_file(tmp_path, "my own work\n", "my_network.py")
    monkeypatch.chdir(tmp_path)
    status, out, err = check(capsys, "--template")
    assert (status, out) == (2, "") and "my_network.py already exists" in err
    assert path.read_text() == "my own work\n"
    path.unlink()
    assert check(capsys, "--template")[0] == 0 and "def backward(" in path.read_text()


def test_no_file_and_no_template_is_a_clear_error(capsys):
    status, out, err = check(capsys)
    assert (status, out) == (2, "") and "give the FILE.py to check, or --template" in err


# NETWORK with the sigmoid and each W stored n_in x n_out (Z = X W + b); its backward keeps
# tanh's derivative 1 - H^2
SIGMOID_COLUMNS = NETWORK
for old, new in [('np.random.randn(nh, nx)', 'np.random.randn(nx, nh)'),
                 ('np.random.randn(ny, nh)', 'np.random.randn(nh, ny)'),
                 ('H = np.tanh(X @ params["Wh"].T', 'H = 1 / (1 + np.exp(-X @ params["Wh"]'),
                 ('+ params["bh"])', '- params["bh"]))'),
                 ('H @ params["Wy"].T', 'H @ params["Wy"]'),
                 ('(dYtilde @ params["Wy"])', '(dYtilde @ params["Wy"].T)'),
                 ('"Wh": dHtilde.T @ outputs["X"]', '"Wh": outputs["X"].T @ dHtilde'),
                 ('"Wy": dYtilde.T @ outputs["H"]', '"Wy": outputs["H"].T @ dYtilde')]:
    assert old in SIGMOID_COLUMNS, old
    SIGMOID_COLUMNS = SIGMOID_COLUMNS.replace(old, new)


def test_known_mistakes_of_a_sigmoid_network_with_w_as_n_in_by_n_out(capsys, tmp_path):
    """W stored n_in x n_out (Z = X W + b) and the sigmoid: tanh's derivative is the mistake."""
    status, out, _ = check(capsys, user_file(tmp_path, SIGMOID_COLUMNS))
    assert status == 1 and "gradients wrong: Wh, bh" in out, out
    assert out.count("1 - H^2 as the sigmoid's derivative: that is tanh's") == 2, out


def test_network_the_checker_does_not_know_keeps_the_generic_hint(capsys, tmp_path):
    """A leaky ReLU is none of the known activations: no known mistake is claimed."""
    source = NETWORK.replace("H = np.tanh(X @ params[\"Wh\"].T + params[\"bh\"])",
                             "Z = X @ params[\"Wh\"].T + params[\"bh\"]\n"
                             "    H = np.where(Z > 0, Z, 0.1 * Z)")
    assert source != NETWORK
    status, out, _ = check(capsys, user_file(tmp_path, source))
    assert status == 1 and "Wh: FAIL" in out and "known mistake" not in out, out
